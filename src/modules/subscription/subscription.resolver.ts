import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { Can } from '../../common/auth/roles';
import type { RequestContext } from '../../context';
import { Offer } from '../offer/offer.entity';
import { Partner } from '../partner/partner.entity';
import { CustomerSubscription } from './subscription.entity';
import { CreateSubscriptionInput, UpdateSubscriptionInput } from './subscription.inputs';
import { CreateSubscriptionPayload, UpdateSubscriptionPayload } from './subscription.types';
import { COST } from '../../common/cost';

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
  @Mutation(() => UpdateSubscriptionPayload, { description: 'Change quantity, reseller of record or support contact' })
  async updateSubscription(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => UpdateSubscriptionInput) input: UpdateSubscriptionInput,
  ): Promise<UpdateSubscriptionPayload> {
    return { subscription: await ctx.services.subscriptions.update(ctx.scope, input) };
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
}
