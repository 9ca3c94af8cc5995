import { Node } from '../../common/node';
import { Field, GraphQLISODateTime, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, nullableTimeColumn, refColumn, timeColumn } from '../../common/columns';
import { EventType } from '../../events/catalog';

/** A partner's webhook receiver. The signing secret is stored encrypted (AES-256-GCM), never shown again. */
@ObjectType({ description: "A URL that receives the partner's events, signed (Standard Webhooks)", implements: Node })
@Entity('webhook_endpoint')
@Index('IDX_webhook_endpoint_partner', ['partnerId', 'id'])
export class WebhookEndpoint {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Column(refColumn)
  partnerId: string;

  @Field()
  @Column({ type: 'varchar', length: 2000 })
  url: string;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 500, nullable: true })
  description: string | null;

  @Field(() => [EventType], { description: 'The types it receives; empty: every type the partner receives' })
  @Column({ type: 'simple-array' })
  eventTypes: EventType[];

  @Field({ description: 'False after the last retry of a delivery failed (or when turned off); true again with updateWebhookEndpoint' })
  @Column({ type: 'boolean' })
  enabled: boolean;

  /** iv.tag.ciphertext, base64url each */
  @Column({ type: 'varchar', length: 300 })
  secretCiphertext: string;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  createdAt: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  @Column(nullableTimeColumn)
  disabledAt: Date | null;
}
