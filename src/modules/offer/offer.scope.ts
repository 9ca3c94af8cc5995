import type DataLoader from 'dataloader';
import { byId, registerLoaders } from '../../scope/loaders';
import { Offer } from './offer.entity';
import { registerNodeType } from '../../scope/nodes';
import type { Scope } from '../../scope/scope';

declare module '../../scope/loaders' {
  interface Loaders {
    /** The catalog: not tenant data. */
    offer: DataLoader<string, Offer | null>;
  }
}

registerLoaders((_scope: unknown, ds) => ({ offer: byId(() => ds.getRepository(Offer).createQueryBuilder('offer')) }));
registerNodeType('Offer', { read: (scope: Scope) => scope.from(Offer, 'offer') });

/** The offers a subscription to `offer` may be upgraded to, in the catalog's order (batched with the caller's other offer reads). */
export async function upgradeTargetsOf(scope: Scope, offer: Offer): Promise<Offer[]> {
  const found = await scope.loaders.offer.loadMany(offer.upgradeTargetIds ?? []);
  return found.filter((o): o is Offer => o instanceof Offer);
}
