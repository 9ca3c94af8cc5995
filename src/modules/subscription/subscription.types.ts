import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '../../common/money';
import { ConnectionType } from '../../common/pagination';
import { Customer } from '../customer/customer.entity';
import { BillingFrequency, TermDuration } from '../offer/offer.terms';
import { CustomerSubscription, SubscriptionStatus } from './subscription.entity';

@ObjectType()
export class CustomerSubscriptionConnection extends ConnectionType('CustomerSubscription', CustomerSubscription) {}

@ObjectType({ description: 'A change scheduled for the next renewal: what the next term will be' })
export class SubscriptionScheduledChange {
  @Field(() => Int)
  quantity: number;

  @Field(() => TermDuration)
  termDuration: TermDuration;

  @Field(() => BillingFrequency)
  billingFrequency: BillingFrequency;

  /** resolved by the field resolver (SubscriptionScheduledChangeResolver) */
  offerId: string;
}

@ObjectType()
export class CreateSubscriptionPayload {
  @Field(() => CustomerSubscription)
  subscription: CustomerSubscription;

  @Field(() => Customer, { description: 'The customer, whose `subscriptions` now hold the new one (select them to refresh a cached list)' })
  customer: Customer;
}

@ObjectType()
export class UpdateSubscriptionPayload {
  @Field(() => CustomerSubscription, { description: 'After the change (same id)' })
  subscription: CustomerSubscription;

  @Field(() => SubscriptionScheduledChange, {
    nullable: true,
    description:
      'The scheduled change this change removed (a quantity change, a suspension or auto-renewal turned off removes it, as in Partner Center) or replaced (a new schedule); null when there was none',
  })
  removedScheduledChange: SubscriptionScheduledChange | null;
}

@ObjectType()
export class CancelSubscriptionPayload {
  @Field(() => CustomerSubscription, { description: 'CANCELLED' })
  subscription: CustomerSubscription;

  @Field(() => Money, { description: 'The prorated refund: the unused whole days of the term, of the price of its quantity' })
  refund: Money;
}

@ObjectType({ description: 'What cancelling a subscription now would do' })
export class CancellationPreview {
  @Field(() => CustomerSubscription)
  subscription: CustomerSubscription;

  @Field({ description: 'Whether cancelSubscription would succeed now' })
  cancellable: boolean;

  @Field(() => Money, { nullable: true, description: 'What it would refund now (null when not cancellable)' })
  refund: Money | null;

  @Field(() => Int, { description: 'Whole days of the current term not used yet' })
  unusedDays: number;

  @Field(() => Int, { description: 'Whole days of the current term' })
  termDays: number;

  @Field(() => GraphQLISODateTime, { description: 'The end of the cancellation window: 168 hours after the term started' })
  cancellableUntil: Date;

  @Field(() => String, { nullable: true, description: 'Why it is not cancellable (null when it is)' })
  reason: string | null;
}

/** The payload of a change of status, auto-renewal or scheduled change: the same fields as updateSubscription's. */
@ObjectType()
export class SubscriptionStatusPayload extends UpdateSubscriptionPayload {}

@ObjectType()
export class SetSubscriptionExternalIdPayload {
  @Field(() => CustomerSubscription, { description: 'After the change (same id)' })
  subscription: CustomerSubscription;
}

@ObjectType()
export class UpgradeSubscriptionPayload {
  @Field(() => CustomerSubscription, { description: 'The new subscription (upgradedFrom: the old one)' })
  subscription: CustomerSubscription;

  @Field(() => CustomerSubscription, { description: 'The old subscription, now CANCELLED (upgradedTo: the new one)' })
  previousSubscription: CustomerSubscription;

  @Field(() => SubscriptionScheduledChange, {
    nullable: true,
    description: "The old subscription's scheduled change, which the upgrade removed; null when there was none",
  })
  removedScheduledChange: SubscriptionScheduledChange | null;

  @Field(() => Customer, { description: 'The customer, whose `subscriptions` now hold the new one' })
  customer: Customer;
}

// ---------------------------------------------------------------- the lifecycle events' values

@ObjectType({ description: 'A subscription as it was right after the change (the `subscription` of its events’ data): a value, not the subscription itself' })
export class SubscriptionSnapshot {
  @Field(() => ID)
  offerId: string;

  @Field(() => Int)
  quantity: number;

  @Field(() => SubscriptionStatus)
  status: SubscriptionStatus;

  @Field(() => TermDuration)
  termDuration: TermDuration;

  @Field(() => BillingFrequency)
  billingFrequency: BillingFrequency;

  @Field()
  autoRenew: boolean;

  @Field(() => GraphQLISODateTime)
  termStartsAt: Date;

  @Field(() => GraphQLISODateTime)
  termEndsAt: Date;

  @Field(() => ID, { nullable: true })
  resellerId: string | null;

  @Field(() => ID, { nullable: true })
  supportContactId: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The seller’s own id for it, for the seller’s users only (null for every other reader, and on events from before external ids)',
  })
  externalId: string | null;
}

@ObjectType({ description: 'A scheduled change as its events carry it: what the next term would be' })
export class ScheduledChangeSnapshot {
  @Field(() => ID)
  offerId: string;

  @Field(() => Int)
  quantity: number;

  @Field(() => TermDuration)
  termDuration: TermDuration;

  @Field(() => BillingFrequency)
  billingFrequency: BillingFrequency;
}

/** What removed a scheduled change (SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED). */
export enum ScheduledChangeCancelledBy {
  SELLER = 'SELLER',
  CHANGE = 'CHANGE',
}
registerEnumType(ScheduledChangeCancelledBy, {
  name: 'ScheduledChangeCancelledBy',
  description: 'SELLER: cancelScheduledSubscriptionChange; CHANGE: an immediate change that replaces it (quantity, suspension, auto-renewal off)',
});
