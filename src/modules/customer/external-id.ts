import type { PerPartner } from '../../events/event.types';

/**
 * External ids: a partner's own ids for its customers (CustomerExternalId) and a seller's for its
 * subscriptions (CustomerSubscription.externalId). Only their owner's users read them, in events too
 * (src/events/event.types.ts viewedBy): the values are in the data's `perPartner`, null in the data itself.
 */

/** An external id change as its event carries it: the values for the owner's users only (viewedBy), null in the data itself. */
export interface ExternalIdSetData {
  externalId: null;
  previousExternalId: null;
  /** the owner's: the external id after the change (null: cleared) and before */
  perPartner: PerPartner<{ externalId: string | null; previousExternalId: string | null }>;
}

/** The data of an external id change by `partnerId`. */
export function externalIdSetData(partnerId: string, externalId: string | null, previousExternalId: string | null): ExternalIdSetData {
  return { externalId: null, previousExternalId: null, perPartner: { [partnerId]: { externalId, previousExternalId } } };
}
