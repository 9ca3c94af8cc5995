import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { Offer } from './offer.entity';

@Resolver(() => Offer)
export class OfferResolver {
  @Authorized()
  @Query(() => [Offer], { description: 'The offer catalog' })
  offers(@Ctx() ctx: RequestContext) {
    return ctx.services.offers.list();
  }
}
