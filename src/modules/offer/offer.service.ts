import type { DataSource, EntityManager } from 'typeorm';
import type { AppDeps } from '../../common/context';
import { UserInputError } from '../../common/errors';
import { OFFER_CATALOG } from './offer.catalog';
import { Offer } from './offer.entity';
import { type BillingFrequency, type OfferTermRow, TermDuration } from './offer.terms';

export class OfferService {
  constructor(private readonly deps: AppDeps) {}

  list(): Promise<Offer[]> {
    return this.deps.ds.getRepository(Offer).find({ order: { name: 'ASC' } });
  }

  /** The offer of the catalog; BAD_USER_INPUT naming `field` otherwise. */
  async requireOffer(em: EntityManager, offerId: string, field: string): Promise<Offer> {
    const offer = await em.findOneBy(Offer, { id: offerId });
    if (!offer) throw UserInputError.field(field, `no offer "${offerId}" in the catalog`);
    return offer;
  }

  /** `quantity` within the offer's bounds; BAD_USER_INPUT naming `field` otherwise. */
  requireQuantity(offer: Offer, quantity: number, field: string): void {
    if (!Number.isInteger(quantity) || quantity < offer.minQuantity || quantity > offer.maxQuantity) {
      throw UserInputError.field(field, `must be between ${offer.minQuantity} and ${offer.maxQuantity} licenses for ${offer.name}`);
    }
  }

  /** The offer, with `quantity` within its bounds; BAD_USER_INPUT naming `field` otherwise. */
  async requireOrderable(em: EntityManager, offerId: string, quantity: number, field: string): Promise<Offer> {
    const offer = await this.requireOffer(em, offerId, `${field}.offerId`);
    this.requireQuantity(offer, quantity, `${field}.quantity`);
    return offer;
  }

  /**
   * One of the offer's terms: `termDuration` (default: P1M where the offer has it, else its first) billed
   * at `billingFrequency` (default: the term's first). BAD_USER_INPUT naming `${field}.termDuration` or
   * `${field}.billingFrequency` when the offer is not sold so.
   */
  requireTerm(offer: Offer, termDuration: TermDuration | null | undefined, billingFrequency: BillingFrequency | null | undefined, field: string): OfferTermRow {
    const rows = offer.termRows;
    const term = termDuration ?? (rows.some((r) => r.termDuration === TermDuration.P1M) ? TermDuration.P1M : rows[0]?.termDuration);
    const ofTerm = rows.filter((r) => r.termDuration === term);
    if (!ofTerm.length) {
      throw UserInputError.field(
        `${field}.termDuration`,
        `${offer.name} is not sold for ${term}; its terms: ${[...new Set(rows.map((r) => r.termDuration))].join(', ')}`,
      );
    }
    const found = billingFrequency ? ofTerm.find((r) => r.billingFrequency === billingFrequency) : ofTerm[0];
    if (!found) {
      throw UserInputError.field(
        `${field}.billingFrequency`,
        `${offer.name} for ${term} is billed ${ofTerm.map((r) => r.billingFrequency).join(' or ')}, not ${billingFrequency}`,
      );
    }
    return found;
  }

  /** The offer's term as a subscription holds it (the catalog's price); an Error when the catalog no longer sells it. */
  termOf(offer: Offer, termDuration: TermDuration, billingFrequency: BillingFrequency): OfferTermRow {
    const found = offer.termRows.find((r) => r.termDuration === termDuration && r.billingFrequency === billingFrequency);
    if (!found) throw new Error(`the catalog no longer sells ${offer.id} for ${termDuration} billed ${billingFrequency}`);
    return found;
  }
}

/** Inserts the catalog offers that are missing and refreshes the rest. Runs at boot. */
export async function ensureCatalog(ds: DataSource): Promise<void> {
  await ds.getRepository(Offer).upsert(OFFER_CATALOG, ['id']);
}
