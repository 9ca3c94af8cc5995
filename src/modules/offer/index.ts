import './offer.scope';
import { defineModule } from '../module';
import { Offer } from './offer.entity';
import { OfferResolver } from './offer.resolver';
import { OfferService } from './offer.service';

declare module '../../context' {
  interface Services {
    offers: OfferService;
  }
}

/** The offer catalog (read-only; refreshed at start). */
export const offerModule = defineModule({
  name: 'offer',
  entities: [Offer],
  resolvers: [OfferResolver],
  services: ({ deps }) => ({ offers: new OfferService(deps) }),
});
