import { Node } from '../../common/node';
import { declareTransitions } from '../../changes/transitions';
import { Field, GraphQLISODateTime, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { enumColumn, idColumn, nullableRefColumn, nullableTimeColumn, refColumn, timeColumn } from '../../common/columns';
import { Cloud, InvitationStatus } from '../../common/enums';
import { effectiveStatus } from '../../common/single-use';
import { Partner } from '../partner/partner.entity';

/** A partner's request for a reseller relationship with a customer (optionally with DAP, optionally three-party). */
@ObjectType({ description: 'An invitation to a customer to establish a reseller relationship', implements: Node })
@Entity('customer_invitation')
@Index('IDX_invitation_partner_id', ['partnerId', 'id'])
export class CustomerInvitation {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Column(refColumn)
  partnerId: string;

  @ManyToOne(() => Partner, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'partnerId' })
  partner?: Partner;

  /** Three-party invitation: the indirect provider that becomes a reseller of record too. */
  @Column(nullableRefColumn)
  @Index()
  indirectProviderId: string | null;

  @ManyToOne(() => Partner, { nullable: true, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'indirectProviderId' })
  indirectProvider?: Partner;

  @Field()
  @Column({ type: 'boolean' })
  includeDelegatedAdminPrivileges: boolean;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 254, nullable: true })
  customerEmail: string | null;

  @Field(() => Cloud)
  @Column(enumColumn)
  cloud: Cloud;

  /** SHA-256 of the link token. The token itself is returned once and never stored. */
  @Column({ type: 'varchar', length: 64, unique: true })
  tokenHash: string;

  /** Stored state. The GraphQL `status` reports PENDING past its expiry as EXPIRED. */
  @Column(enumColumn)
  status: InvitationStatus;

  @Column({ type: 'varchar', length: 200 })
  createdByUserId: string;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  createdAt: Date;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  expiresAt: Date;

  /** The customer that accepted or declined. */
  @Column(nullableRefColumn)
  customerId: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  answeredByUserId: string | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  @Column(nullableTimeColumn)
  acceptedAt: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  @Column(nullableTimeColumn)
  declinedAt: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  @Column(nullableTimeColumn)
  revokedAt: Date | null;

  @Field(() => InvitationStatus, { name: 'status' })
  get effectiveStatus(): InvitationStatus {
    return effectiveStatus(this.status, this.expiresAt);
  }
}

/** An invitation is answered, withdrawn or expires once: only a PENDING one moves. */
export const INVITATION_TRANSITIONS = declareTransitions(CustomerInvitation, 'status', {
  [InvitationStatus.PENDING]: [InvitationStatus.ACCEPTED, InvitationStatus.DECLINED, InvitationStatus.REVOKED, InvitationStatus.EXPIRED],
});
