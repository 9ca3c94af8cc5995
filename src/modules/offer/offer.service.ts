import type { DataSource, EntityManager } from 'typeorm';
import type { AppDeps } from '../../common/context';
import { UserInputError } from '../../common/errors';
import { OFFER_CATALOG } from './offer.catalog';
import { Offer } from './offer.entity';

export class OfferService {
  constructor(private readonly deps: AppDeps) {}

  list(): Promise<Offer[]> {
    return this.deps.ds.getRepository(Offer).find({ order: { name: 'ASC' } });
  }

  /** The offer, with `quantity` within its bounds; BAD_USER_INPUT naming `field` otherwise. */
  async requireOrderable(em: EntityManager, offerId: string, quantity: number, field: string): Promise<Offer> {
    const offer = await em.findOneBy(Offer, { id: offerId });
    if (!offer) throw UserInputError.field(`${field}.offerId`, `no offer "${offerId}" in the catalog`);
    if (!Number.isInteger(quantity) || quantity < offer.minQuantity || quantity > offer.maxQuantity) {
      throw UserInputError.field(`${field}.quantity`, `must be between ${offer.minQuantity} and ${offer.maxQuantity} licenses for ${offer.name}`);
    }
    return offer;
  }
}

/** Inserts the catalog offers that are missing and refreshes the rest. Runs at boot. */
export async function ensureCatalog(ds: DataSource): Promise<void> {
  await ds.getRepository(Offer).upsert(OFFER_CATALOG, ['id']);
}
