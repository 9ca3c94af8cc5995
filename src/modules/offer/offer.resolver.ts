import { Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { COST } from '../../common/cost';
import type { RequestContext } from '../../context';
import { Offer } from './offer.entity';
import { upgradeTargetsOf } from './offer.scope';

@Resolver(() => Offer)
export class OfferResolver {
  @Authorized()
  @Query(() => [Offer], { description: 'The offer catalog' })
  offers(@Ctx() ctx: RequestContext) {
    return ctx.services.offers.list();
  }

  @FieldResolver(() => [Offer], { complexity: COST.batched, description: 'The offers a subscription to this one may be upgraded to (upgradeSubscription)' })
  async upgradeTargets(@Root() offer: Offer, @Ctx() ctx: RequestContext): Promise<Offer[]> {
    return upgradeTargetsOf(ctx.scope, offer);
  }
}
