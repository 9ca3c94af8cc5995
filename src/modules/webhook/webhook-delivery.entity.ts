import { Node } from '../../common/node';
import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, nullableTimeColumn, refColumn, timeColumn } from '../../common/columns';

export enum WebhookDeliveryStatus {
  /** waiting for its time (nextAttemptAt) */
  PENDING = 'PENDING',
  /** being sent (a worker holds it until nextAttemptAt; past that another may take it over) */
  SENDING = 'SENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  /** not sent: the endpoint was disabled or deleted before its time */
  CANCELLED = 'CANCELLED',
}
registerEnumType(WebhookDeliveryStatus, { name: 'WebhookDeliveryStatus' });

/**
 * One attempt to deliver one event to one endpoint. Rows, not timers: a restart loses nothing. A
 * failed attempt with tries left schedules the next one as a new row (attempt + 1) and shows when.
 */
@ObjectType({ description: 'One attempt to deliver an event to a webhook endpoint', implements: Node })
@Entity('webhook_delivery')
@Index('UQ_webhook_delivery_attempt', ['endpointId', 'eventId', 'attempt'], { unique: true })
@Index('IDX_webhook_delivery_due', ['status', 'nextAttemptAt'])
@Index('IDX_webhook_delivery_endpoint', ['endpointId', 'id'])
export class WebhookDelivery {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Column(refColumn)
  endpointId: string;

  @Field(() => ID, { description: 'The event (and the webhook-id header)' })
  @Column({ type: 'varchar', length: 36 })
  eventId: string;

  @Field(() => Int, { description: '1 for the first try' })
  @Column({ type: 'int' })
  attempt: number;

  @Field(() => WebhookDeliveryStatus)
  @Column({ type: 'varchar', length: 16 })
  status: WebhookDeliveryStatus;

  @Field({ description: 'Asked for with redeliverWebhook (a manual attempt schedules no retry)' })
  @Column({ type: 'boolean' })
  manual: boolean;

  @Field(() => Int, { nullable: true, description: "The receiver's HTTP status" })
  @Column({ type: 'int', nullable: true })
  responseStatus: number | null;

  @Field(() => String, { nullable: true, description: 'Why it failed, when no HTTP status says it (timeout, refused address)' })
  @Column({ type: 'varchar', length: 500, nullable: true })
  error: string | null;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  createdAt: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When it was sent' })
  @Column(nullableTimeColumn)
  attemptedAt: Date | null;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'PENDING: when it will be sent; FAILED: when the retry (the next attempt) is due; null when none',
  })
  @Column(nullableTimeColumn)
  nextAttemptAt: Date | null;
}
