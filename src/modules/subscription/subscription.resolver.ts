import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Activity } from '../../changes/activity.entity';
import { PARTNER_PRIVATE_KINDS, SubjectType } from '../../changes/kinds';
import { Reads } from '../../common/selection';
import { Can } from '../../common/auth/roles';
import { COST } from '../../common/cost';
import { ConnectionArgs, paginate } from '../../common/pagination';
import type { RequestContext } from '../../context';
import { ActivityConnection } from '../activity/activity.types';
import { Offer } from '../offer/offer.entity';
import { upgradeTargetsOf } from '../offer/offer.scope';
import { Partner } from '../partner/partner.entity';
import { CustomerSubscription, type ScheduledChangeRow } from './subscription.entity';
import {
  CancelScheduledSubscriptionChangeInput,
  CancelSubscriptionInput,
  CreateSubscriptionInput,
  ReactivateSubscriptionInput,
  ScheduleSubscriptionChangeInput,
  SetSubscriptionAutoRenewInput,
  SetSubscriptionExternalIdInput,
  SuspendSubscriptionInput,
  UpdateSubscriptionInput,
  UpgradeSubscriptionInput,
} from './subscription.inputs';
import { cancellableUntil } from './subscription.rules';
import {
  CancellationPreview,
  CancelSubscriptionPayload,
  CreateSubscriptionPayload,
  SetSubscriptionExternalIdPayload,
  SubscriptionScheduledChange,
  SubscriptionStatusPayload,
  UpdateSubscriptionPayload,
  UpgradeSubscriptionPayload,
} from './subscription.types';

const scheduled = (row: ScheduledChangeRow | null): SubscriptionScheduledChange | null => (row ? Object.assign(new SubscriptionScheduledChange(), row) : null);

const changed = ({ subscription, removedScheduledChange }: { subscription: CustomerSubscription; removedScheduledChange: ScheduledChangeRow | null }) => ({
  subscription,
  removedScheduledChange: scheduled(removedScheduledChange),
});

@Resolver(() => CustomerSubscription)
export class SubscriptionResolver {
  @Authorized(...Can.sellSubscriptions)
  @Mutation(() => CreateSubscriptionPayload)
  async createSubscription(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => CreateSubscriptionInput) input: CreateSubscriptionInput,
  ): Promise<CreateSubscriptionPayload> {
    return ctx.services.subscriptions.create(ctx.scope, input);
  }

  @Authorized(...Can.sellSubscriptions)
  @Mutation(() => UpdateSubscriptionPayload, {
    description: 'Change quantity, reseller of record or support contact (a SALES_AGENT: only add licences). A quantity change removes the scheduled change.',
  })
  async updateSubscription(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => UpdateSubscriptionInput) input: UpdateSubscriptionInput,
  ): Promise<UpdateSubscriptionPayload> {
    return changed(await ctx.services.subscriptions.update(ctx.scope, input));
  }

  @Authorized(...Can.manageSubscriptions)
  @Mutation(() => CancelSubscriptionPayload, {
    description: 'Cancel within 168 hours of the term start (cancellableUntil), with a prorated refund; CONFLICT after (cancellationPreview tells)',
  })
  async cancelSubscription(@Ctx() ctx: RequestContext, @Arg('input', () => CancelSubscriptionInput) input: CancelSubscriptionInput) {
    return ctx.services.subscriptions.cancel(ctx.scope, input);
  }

  @Authorized(...Can.sellSubscriptions)
  @Query(() => CancellationPreview, { description: "What cancelling one of the caller's subscriptions now would refund, or why it is not possible" })
  async cancellationPreview(@Ctx() ctx: RequestContext, @Arg('subscriptionId', () => ID) subscriptionId: string) {
    return ctx.services.subscriptions.preview(ctx.scope, subscriptionId);
  }

  @Authorized(...Can.manageSubscriptions)
  @Mutation(() => SubscriptionStatusPayload, {
    description: 'Suspend an ACTIVE subscription: no quantity change or scheduled change until reactivated; removes its scheduled change',
  })
  async suspendSubscription(@Ctx() ctx: RequestContext, @Arg('input', () => SuspendSubscriptionInput) input: SuspendSubscriptionInput) {
    return changed(await ctx.services.subscriptions.suspend(ctx.scope, input));
  }

  @Authorized(...Can.manageSubscriptions)
  @Mutation(() => SubscriptionStatusPayload, { description: 'Reactivate a SUSPENDED subscription within its term' })
  async reactivateSubscription(@Ctx() ctx: RequestContext, @Arg('input', () => ReactivateSubscriptionInput) input: ReactivateSubscriptionInput) {
    return changed(await ctx.services.subscriptions.reactivate(ctx.scope, input.subscriptionId));
  }

  @Authorized(...Can.manageSubscriptions)
  @Mutation(() => SubscriptionStatusPayload, { description: 'Renew at the term end or not; turning it off removes the scheduled change' })
  async setSubscriptionAutoRenew(@Ctx() ctx: RequestContext, @Arg('input', () => SetSubscriptionAutoRenewInput) input: SetSubscriptionAutoRenewInput) {
    return changed(await ctx.services.subscriptions.setAutoRenew(ctx.scope, input));
  }

  @Authorized(...Can.manageSubscriptions)
  @Mutation(() => SetSubscriptionExternalIdPayload, {
    description:
      'Set, change or clear (null) your own id for a subscription you sold (your CRM’s), in any status: 1–100 characters, unique among the subscriptions you sold (CONFLICT otherwise). Only you (and the operator) read it.',
  })
  async setSubscriptionExternalId(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => SetSubscriptionExternalIdInput) input: SetSubscriptionExternalIdInput,
  ): Promise<SetSubscriptionExternalIdPayload> {
    return { subscription: await ctx.services.subscriptions.setExternalId(ctx.scope, input) };
  }

  @Authorized(...Can.manageSubscriptions)
  @Mutation(() => SubscriptionStatusPayload, {
    description:
      'Schedule what the next term will be (applied at the renewal; needs an ACTIVE subscription with autoRenew); replaces an earlier scheduled change',
  })
  async scheduleSubscriptionChange(@Ctx() ctx: RequestContext, @Arg('input', () => ScheduleSubscriptionChangeInput) input: ScheduleSubscriptionChangeInput) {
    return changed(await ctx.services.subscriptions.scheduleChange(ctx.scope, input));
  }

  @Authorized(...Can.manageSubscriptions)
  @Mutation(() => SubscriptionStatusPayload, { description: 'Remove the scheduled change: the next term is as this one' })
  async cancelScheduledSubscriptionChange(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => CancelScheduledSubscriptionChangeInput) input: CancelScheduledSubscriptionChangeInput,
  ) {
    const before = await ctx.services.subscriptions.cancelScheduledChange(ctx.scope, input.subscriptionId);
    return { subscription: before.subscription, removedScheduledChange: scheduled(before.removed) };
  }

  @Authorized(...Can.sellSubscriptions)
  @Query(() => [Offer], { description: "The offers one of the caller's ACTIVE subscriptions may be upgraded to (empty for another status)" })
  async subscriptionUpgrades(@Ctx() ctx: RequestContext, @Arg('subscriptionId', () => ID) subscriptionId: string) {
    const offer = await ctx.services.subscriptions.upgradableOffer(ctx.scope, subscriptionId);
    return offer ? upgradeTargetsOf(ctx.scope, offer) : [];
  }

  @Authorized(...Can.manageSubscriptions)
  @Mutation(() => UpgradeSubscriptionPayload, {
    description:
      'End an ACTIVE subscription (CANCELLED, upgradedTo) and start one to a target offer (new term, same seller, reseller of record and support contact), in one transaction',
  })
  async upgradeSubscription(@Ctx() ctx: RequestContext, @Arg('input', () => UpgradeSubscriptionInput) input: UpgradeSubscriptionInput) {
    const upgraded = await ctx.services.subscriptions.upgrade(ctx.scope, input);
    return { ...upgraded, removedScheduledChange: scheduled(upgraded.removedScheduledChange) };
  }

  // ---------------------------------------------------------------- fields

  @FieldResolver(() => String, {
    nullable: true,
    description:
      'The seller’s own id for it (its CRM’s), set by createSubscription or setSubscriptionExternalId: read by the seller’s users and the operator; null for every other reader (its reseller of record, support contact, the customer)',
  })
  @Reads('externalId', 'soldByPartnerId')
  externalId(@Root() s: CustomerSubscription, @Ctx() ctx: RequestContext): string | null {
    return ctx.scope.isOperator || ctx.scope.partnerId === s.soldByPartnerId ? s.externalId : null;
  }

  @FieldResolver(() => Offer, { complexity: COST.batched })
  async offer(@Root() s: CustomerSubscription, @Ctx() ctx: RequestContext) {
    return ctx.scope.loaders.offer.load(s.offerId);
  }

  @FieldResolver(() => Partner, {
    complexity: COST.batched,
    nullable: true,
    description: 'Reseller of record (MPN ID, for incentives), when the viewer may see that partner',
  })
  reseller(@Root() s: CustomerSubscription, @Ctx() ctx: RequestContext) {
    return s.resellerId ? ctx.scope.loaders.partner.load(s.resellerId) : null;
  }

  @FieldResolver(() => Partner, { complexity: COST.batched, nullable: true, description: 'Designated support contact, when the viewer may see that partner' })
  supportContact(@Root() s: CustomerSubscription, @Ctx() ctx: RequestContext) {
    return s.supportContactId ? ctx.scope.loaders.partner.load(s.supportContactId) : null;
  }

  @FieldResolver(() => Date, {
    description: 'The end of the 7-day window of the current term: 168 hours after termStartsAt (cancellation, and reducing its first licences)',
  })
  cancellableUntil(@Root() s: CustomerSubscription): Date {
    return cancellableUntil(s);
  }

  @FieldResolver(() => SubscriptionScheduledChange, { nullable: true, description: 'What the next renewal changes, when a change is scheduled' })
  scheduledChange(@Root() s: CustomerSubscription): SubscriptionScheduledChange | null {
    return scheduled(s.scheduledChange);
  }

  @FieldResolver(() => CustomerSubscription, { complexity: COST.batched, nullable: true, description: 'The subscription an upgrade replaced this one with' })
  upgradedTo(@Root() s: CustomerSubscription, @Ctx() ctx: RequestContext) {
    return s.upgradedToId ? ctx.scope.loaders.subscription.load(s.upgradedToId) : null;
  }

  @FieldResolver(() => CustomerSubscription, { complexity: COST.batched, nullable: true, description: 'The subscription this one replaced by an upgrade' })
  upgradedFrom(@Root() s: CustomerSubscription, @Ctx() ctx: RequestContext) {
    return s.upgradedFromId ? ctx.scope.loaders.subscription.load(s.upgradedFromId) : null;
  }

  @FieldResolver(() => ActivityConnection, {
    complexity: COST.count,
    description: 'Every change of this subscription, oldest first: kind (action), time, actor, reason and each field before and after (its audit records)',
  })
  history(@Root() s: CustomerSubscription, @Ctx() ctx: RequestContext, @Args() args: ConnectionArgs) {
    const qb = ctx.scope
      .from(Activity, 'activity')
      // the seller's trail holds one record per change of its subscription (IDX_activity_partner_subject)
      .andWhere('activity.partnerId = :historySeller AND activity.subjectId = :historySubject AND activity.subjectType = :historyType', {
        historySeller: s.soldByPartnerId,
        historySubject: s.id,
        historyType: SubjectType.SUBSCRIPTION,
      });
    // the seller's external ids are its own: not in the history its reseller of record, support contact or customer read
    if (!ctx.scope.isOperator && ctx.scope.partnerId !== s.soldByPartnerId) {
      qb.andWhere('activity.action NOT IN (:...historyPrivateKinds)', { historyPrivateKinds: PARTNER_PRIVATE_KINDS });
    }
    return paginate(qb, args, { order: 'ASC' });
  }
}

@Resolver(() => SubscriptionScheduledChange)
export class SubscriptionScheduledChangeResolver {
  @FieldResolver(() => Offer, { complexity: COST.batched, description: 'The offer of the next term (the same, or an upgrade target)' })
  offer(@Root() c: SubscriptionScheduledChange, @Ctx() ctx: RequestContext) {
    return ctx.scope.loaders.offer.load(c.offerId);
  }
}
