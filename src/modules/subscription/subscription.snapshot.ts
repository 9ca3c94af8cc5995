import type { SubscriptionSnapshotData } from './subscription.changes';
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
  };
}

/** What a subscription's audit records and events are about. */
export function about(s: CustomerSubscription) {
  return { subject: { partnerId: s.soldByPartnerId, customerId: s.customerId, subscriptionId: s.id }, subjectId: s.id };
}
