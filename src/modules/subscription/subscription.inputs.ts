import { IsBoolean, IsEnum, IsInt, IsNotEmpty, IsOptional, IsUUID, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { IsVisibleIdentifier, MaxCodePoints } from '../../common/validation';
import { MAX_EXTERNAL_ID_LENGTH } from '../customer/customer-external-id.entity';
import { BillingFrequency, TermDuration } from '../offer/offer.terms';

/** The longest reason a seller may give (suspension, cancellation). */
export const MAX_REASON_LENGTH = 500;

/** The term of a new subscription (createSubscription, and each order line of createCustomer). */
// the base of the inputs that extend it (its fields join theirs); not itself an argument's type, so not in the schema
@InputType('SubscriptionTermInput')
export abstract class SubscriptionTermInput {
  @Field(() => TermDuration, { nullable: true, description: "One of the offer's terms; default: its first (P1M where it has one)" })
  @IsOptional()
  @IsEnum(TermDuration)
  termDuration?: TermDuration;

  @Field(() => BillingFrequency, { nullable: true, description: "One of the offer's frequencies for the term; default: the term's first" })
  @IsOptional()
  @IsEnum(BillingFrequency)
  billingFrequency?: BillingFrequency;

  @Field({ nullable: true, description: 'Whether it renews at the end of each term (default true)' })
  @IsOptional()
  @IsBoolean()
  autoRenew?: boolean;
}

@InputType()
export class CreateSubscriptionInput extends SubscriptionTermInput {
  @Field(() => ID)
  @IsUUID()
  customerId: string;

  @Field(() => ID)
  @IsNotEmpty()
  @MaxCodePoints(64)
  offerId: string;

  @Field(() => Int, { description: "Number of licenses, within the offer's bounds" })
  @IsInt()
  @Min(1)
  quantity: number;

  @Field(() => ID, { nullable: true, description: 'Reseller of record: an indirect reseller partnered with you' })
  @IsOptional()
  @IsUUID()
  resellerId?: string;

  @Field(() => ID, { nullable: true, description: 'Designated support contact: an indirect reseller partnered with you' })
  @IsOptional()
  @IsUUID()
  supportContactId?: string;

  @Field({
    nullable: true,
    description:
      'Your own id for the subscription (your CRM’s): 1–100 characters, no control or invisible characters, unique among the subscriptions you sold (CONFLICT otherwise)',
  })
  @IsOptional()
  @MaxCodePoints(MAX_EXTERNAL_ID_LENGTH)
  @IsVisibleIdentifier()
  externalId?: string;
}

@InputType({ description: 'The seller’s own id for one of its subscriptions' })
export class SetSubscriptionExternalIdInput {
  @Field(() => ID)
  @IsUUID()
  subscriptionId: string;

  @Field(() => String, {
    nullable: true,
    description:
      '1–100 characters, no control or invisible characters, unique among the subscriptions you sold (CONFLICT otherwise); null (or absent) clears it, which frees it for another subscription (an upgrade moves it to the new one by itself)',
  })
  @IsOptional()
  @MaxCodePoints(MAX_EXTERNAL_ID_LENGTH)
  @IsVisibleIdentifier()
  externalId?: string | null;
}

@InputType({ description: 'Only the fields given change; pass null to clear the reseller or support contact' })
export class UpdateSubscriptionInput {
  @Field(() => ID)
  @IsUUID()
  subscriptionId: string;

  @Field(() => Int, {
    nullable: true,
    description:
      'An increase any time while ACTIVE; a decrease only of licences bought within the last 168 hours (CONFLICT otherwise, saying what could be reduced until when). Removes a scheduled change.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  quantity?: number;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  resellerId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  supportContactId?: string | null;
}

@InputType()
export class SubscriptionReasonInput {
  @Field(() => ID)
  @IsUUID()
  subscriptionId: string;

  @Field(() => String, { nullable: true, description: `Why (kept in the subscription's history), at most ${MAX_REASON_LENGTH} characters` })
  @IsOptional()
  @MaxCodePoints(MAX_REASON_LENGTH)
  reason?: string | null;
}

@InputType()
export class CancelSubscriptionInput extends SubscriptionReasonInput {}

@InputType()
export class SuspendSubscriptionInput extends SubscriptionReasonInput {}

@InputType()
export class SubscriptionIdInput {
  @Field(() => ID)
  @IsUUID()
  subscriptionId: string;
}

@InputType()
export class ReactivateSubscriptionInput extends SubscriptionIdInput {}

@InputType()
export class CancelScheduledSubscriptionChangeInput extends SubscriptionIdInput {}

@InputType()
export class SetSubscriptionAutoRenewInput {
  @Field(() => ID)
  @IsUUID()
  subscriptionId: string;

  @Field({ description: 'Turning it off removes a scheduled change (it would never apply)' })
  @IsBoolean()
  autoRenew: boolean;
}

@InputType({ description: 'What the next term will be; the fields not given stay as they are. At least one.' })
export class ScheduleSubscriptionChangeInput {
  @Field(() => ID)
  @IsUUID()
  subscriptionId: string;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  quantity?: number;

  @Field(() => TermDuration, { nullable: true })
  @IsOptional()
  @IsEnum(TermDuration)
  termDuration?: TermDuration;

  @Field(() => BillingFrequency, { nullable: true })
  @IsOptional()
  @IsEnum(BillingFrequency)
  billingFrequency?: BillingFrequency;

  @Field(() => ID, { nullable: true, description: 'The same offer, or one of its upgrade targets' })
  @IsOptional()
  @IsNotEmpty()
  @MaxCodePoints(64)
  offerId?: string;
}

@InputType()
export class UpgradeSubscriptionInput {
  @Field(() => ID)
  @IsUUID()
  subscriptionId: string;

  @Field(() => ID, { description: "One of the offer's upgradeTargets (subscriptionUpgrades)" })
  @IsNotEmpty()
  @MaxCodePoints(64)
  targetOfferId: string;

  @Field(() => Int, { nullable: true, description: "The new subscription's licences; default: the same quantity" })
  @IsOptional()
  @IsInt()
  @Min(1)
  quantity?: number;

  @Field(() => TermDuration, { nullable: true, description: 'Default: the same term, where the target has it (else its first)' })
  @IsOptional()
  @IsEnum(TermDuration)
  termDuration?: TermDuration;

  @Field(() => BillingFrequency, { nullable: true, description: 'Default: the same frequency, where the target has it for the term' })
  @IsOptional()
  @IsEnum(BillingFrequency)
  billingFrequency?: BillingFrequency;
}
