import { Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { COST } from '../../common/cost';
import type { RequestContext } from '../../context';
import { Offer } from './offer.entity';

@Resolver(() => Offer)
export class OfferResolver {
  @Authorized()
  @Query(() => [Offer], { description: 'The offer catalog' })
  offers(@Ctx() ctx: RequestContext) {
    return ctx.services.offers.list();
  }

  @FieldResolver(() => [Offer], { complexity: COST.batched, description: 'The offers a subscription to this one may be upgraded to (upgradeSubscription)' })
  async upgradeTargets(@Root() offer: Offer, @Ctx() ctx: RequestContext): Promise<Offer[]> {
    const found = await ctx.scope.loaders.offer.loadMany(offer.upgradeTargetIds ?? []);
    return found.filter((o): o is Offer => o instanceof Offer);
  }
}
