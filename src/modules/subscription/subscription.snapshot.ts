import type { SubscriptionExternalIdData, SubscriptionSnapshotData, SubscriptionSnapshotView } from './subscription.changes';
import type { CustomerSubscription } from './subscription.entity';

/** What a subscription's lifecycle events carry: the subscription after the change. */
export function snapshot(s: CustomerSubscription): SubscriptionSnapshotData {
  return {
    offerId: s.offerId,
    quantity: s.quantity,
    status: s.status,
    termDuration: s.termDuration,
    billingFrequency: s.billingFrequency,
    autoRenew: s.autoRenew,
    termStartsAt: s.termStartsAt.toISOString(),
    termEndsAt: s.termEndsAt.toISOString(),
    resellerId: s.resellerId,
    supportContactId: s.supportContactId,
    externalId: null,
  };
}

/** A lifecycle event's subscription: the snapshot, and the seller's external id over it for the seller's users (src/events/event.types.ts viewedBy). */
export function snapshotView(s: CustomerSubscription): SubscriptionSnapshotView {
  const subscription = snapshot(s);
  if (!s.externalId) return { subscription };
  return { subscription, perPartner: { [s.soldByPartnerId]: { subscription: { externalId: s.externalId } } } };
}

/** The external id of SUBSCRIPTION_CREATED and SUBSCRIPTION_UPDATED: null, the seller's for its users. */
export function externalIdData(s: Pick<CustomerSubscription, 'externalId' | 'soldByPartnerId'>): SubscriptionExternalIdData {
  if (!s.externalId) return { externalId: null };
  return { externalId: null, perPartner: { [s.soldByPartnerId]: { externalId: s.externalId } } };
}

/** What a subscription's audit records and events are about. */
export function about(s: CustomerSubscription) {
  return { subject: { partnerId: s.soldByPartnerId, customerId: s.customerId, subscriptionId: s.id }, subjectId: s.id };
}
