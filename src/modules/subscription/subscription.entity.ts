import { Node } from '../../common/node';
import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { declareTransitions } from '../../changes/transitions';
import { enumColumn, idColumn, nullableRefColumn, nullableTimeColumn, refColumn, timeColumn } from '../../common/columns';
import { BillingFrequency, TermDuration } from '../offer/offer.terms';
import { Customer } from '../customer/customer.entity';
import { Offer } from '../offer/offer.entity';
import { Partner } from '../partner/partner.entity';

export enum SubscriptionStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
  CANCELLED = 'CANCELLED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(SubscriptionStatus, {
  name: 'SubscriptionStatus',
  description:
    'ACTIVE: in its term; SUSPENDED: by its seller, until reactivated (it cannot change meanwhile, and expires at its term end); CANCELLED: by its seller within 7 days of its term start, or upgraded to another; EXPIRED: its term ended without renewal',
});

/** Licences that may still be reduced: `quantity` of them until `until` (ISO time), 168 hours after they were bought or renewed. */
export interface LicenseWindow {
  quantity: number;
  until: string;
}

/** A change the seller scheduled for the next renewal, as stored (every value resolved: what the next term will be). */
export interface ScheduledChangeRow {
  offerId: string;
  quantity: number;
  termDuration: TermDuration;
  billingFrequency: BillingFrequency;
}

/** A customer's subscription to an offer. GraphQL type `CustomerSubscription` (Subscription is the root type). */
@ObjectType('CustomerSubscription', { description: "A customer's subscription to an offer", implements: Node })
@Entity('subscription')
@Index('IDX_subscription_customer_id', ['customerId', 'id'])
// who may read a subscription (Scope.subscriptions) and which partners a seller knows through them
// (Scope.partners): each an index lookup, not a scan of every subscription
@Index('IDX_subscription_seller_reseller', ['soldByPartnerId', 'resellerId'])
@Index('IDX_subscription_seller_support', ['soldByPartnerId', 'supportContactId'])
@Index('IDX_subscription_reseller', ['resellerId'])
@Index('IDX_subscription_support', ['supportContactId'])
// the renewal sweep: subscriptions in a term (ACTIVE or SUSPENDED) by their term end
@Index('IDX_subscription_status_term_end', ['status', 'termEndsAt'])
// the seller's own ids are unique among its subscriptions (NULLs repeat freely)
@Index('UQ_subscription_seller_external_id', ['soldByPartnerId', 'externalId'], { unique: true })
export class CustomerSubscription {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Column(refColumn)
  customerId: string;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customerId' })
  customerRef?: Customer;

  @Column({ type: 'varchar', length: 64 })
  offerId: string;

  @ManyToOne(() => Offer, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'offerId' })
  offerRef?: Offer;

  @Field(() => Int)
  @Column({ type: 'int' })
  quantity: number;

  /** The partner that placed the order. */
  @Column(refColumn)
  soldByPartnerId: string;

  @ManyToOne(() => Partner, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'soldByPartnerId' })
  soldByRef?: Partner;

  /** Reseller of record (MPN ID, for incentives): an indirect reseller partnered with the provider. */
  @Column(nullableRefColumn)
  resellerId: string | null;

  @ManyToOne(() => Partner, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'resellerId' })
  resellerRef?: Partner;

  /** Designated support contact: an indirect reseller partnered with the provider. */
  @Column(nullableRefColumn)
  supportContactId: string | null;

  @ManyToOne(() => Partner, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'supportContactId' })
  supportContactRef?: Partner;

  @Field(() => SubscriptionStatus)
  @Column({ ...enumColumn, default: SubscriptionStatus.ACTIVE })
  status: SubscriptionStatus;

  @Field(() => TermDuration, { description: 'The commitment term: each renewal starts another of this length' })
  @Column({ type: 'varchar', length: 8, default: TermDuration.P1M })
  termDuration: TermDuration;

  @Field(() => BillingFrequency)
  @Column({ type: 'varchar', length: 16, default: BillingFrequency.MONTHLY })
  billingFrequency: BillingFrequency;

  @Field({ description: 'Whether a new term starts at termEndsAt (else the subscription expires then)' })
  @Column({ type: 'boolean', default: true })
  autoRenew: boolean;

  @Field(() => GraphQLISODateTime, { description: 'The start of the current term (the purchase, or the last renewal)' })
  @Column(timeColumn)
  termStartsAt: Date;

  @Field(() => GraphQLISODateTime, { description: 'The end of the current term: the subscription renews or expires then' })
  @Column(timeColumn)
  termEndsAt: Date;

  /** The licences that may still be reduced, each batch until 168 hours after it was bought (JSON, newest last). */
  @Column({ type: 'simple-json' })
  licenseWindows: LicenseWindow[];

  /** What the next renewal changes (JSON), when the seller scheduled a change. */
  @Column({ type: 'simple-json', nullable: true })
  scheduledChange: ScheduledChangeRow | null;

  /** The subscription this one was upgraded to (it is CANCELLED). */
  @Column(nullableRefColumn)
  upgradedToId: string | null;

  /** The subscription this one was upgraded from. */
  @Column(nullableRefColumn)
  upgradedFromId: string | null;

  /**
   * The seller's own id for it (its CRM's, its billing system's), unique among the seller's subscriptions;
   * compared exactly (binary collation on MySQL/MariaDB). Read through `CustomerSubscription.externalId`
   * (the seller's users and the operator only).
   */
  @Column({ type: 'varchar', length: 100, nullable: true })
  externalId: string | null;

  /** The smallest of 30, 7, 1 days before termEndsAt whose reminder went out for the current term (src/common/reminders.ts). */
  @Column({ type: 'int', nullable: true })
  remindedDays: number | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When it was cancelled or expired' })
  @Column(nullableTimeColumn)
  endedAt: Date | null;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  createdAt: Date;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  updatedAt: Date;
}

/**
 * How a subscription's status moves (the change primitive refuses any other move): suspension and
 * reactivation back and forth; cancellation (within the 7-day window, or by an upgrade) and expiry
 * at the term end are final.
 */
declareTransitions(CustomerSubscription, 'status', {
  ACTIVE: [SubscriptionStatus.SUSPENDED, SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED],
  SUSPENDED: [SubscriptionStatus.ACTIVE, SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED],
});
