import { defineChange, partnerOnly, type Audience, type EventSubject } from '../../changes/catalog';
import type { PerPartner } from '../../events/event.types';
import type { ExternalIdSetData } from '../customer/external-id';

/**
 * A subscription's external id in an event's data: null in `externalId` itself, the seller's in
 * `perPartner` (src/events/event.types.ts viewedBy): only the seller's users read it.
 */
export interface SubscriptionExternalIdData {
  externalId: null;
  perPartner?: PerPartner<{ externalId: string }>;
}
import { ChangeKind, SubjectType } from '../../changes/kinds';

/** Who may read a subscription: the seller, its reseller of record and support contact (before and after a change), and the customer. */
const subscriptionReaders = (
  s: EventSubject,
  d: { resellerId: string | null; supportContactId: string | null; previousResellerId?: string | null; previousSupportContactId?: string | null },
): Audience => ({
  partnerIds: [s.partnerId, d.resellerId, d.supportContactId, d.previousResellerId, d.previousSupportContactId],
  customerIds: [s.customerId],
});

export interface SubscriptionCreatedData extends SubscriptionExternalIdData {
  offerId: string;
  quantity: number;
  resellerId: string | null;
  supportContactId: string | null;
  termDuration: string;
  billingFrequency: string;
  autoRenew: boolean;
  termEndsAt: string;
  upgradedFromId: string | null;
}

export interface SubscriptionUpdatedData extends SubscriptionExternalIdData {
  /** the fields the caller set, with their new values */
  changed: { quantity?: number; resellerId?: string | null; supportContactId?: string | null; autoRenew?: boolean };
  quantity: number;
  resellerId: string | null;
  supportContactId: string | null;
  previousResellerId: string | null;
  previousSupportContactId: string | null;
  /** after the change */
  autoRenew: boolean;
}

export const SUBSCRIPTION_CREATED = defineChange<SubscriptionCreatedData>({
  kind: ChangeKind.SUBSCRIPTION_CREATED,
  subjectType: SubjectType.SUBSCRIPTION,
  description:
    'A partner sold a subscription (or an upgrade started one: upgradedFromId). data: offerId, quantity, resellerId, supportContactId, termDuration, billingFrequency, autoRenew, termEndsAt, upgradedFromId, externalId (the seller’s, for its users only). To: the seller, the reseller of record, the support contact, the customer.',
  audience: subscriptionReaders,
});

export const SUBSCRIPTION_UPDATED = defineChange<SubscriptionUpdatedData>({
  kind: ChangeKind.SUBSCRIPTION_UPDATED,
  subjectType: SubjectType.SUBSCRIPTION,
  description:
    'The seller changed a subscription (quantity, reseller of record, support contact, auto-renewal). data: changed (the fields set), quantity, resellerId, supportContactId, autoRenew after the change, the previous reseller and support contact, externalId (the seller’s, for its users only). To: the seller, the customer, and every reseller of record or support contact before or after the change.',
  audience: subscriptionReaders,
});

/** A subscription as it is right after a change (the `subscription` of the lifecycle events' data). */
export interface SubscriptionSnapshotData {
  offerId: string;
  quantity: number;
  status: string;
  termDuration: string;
  billingFrequency: string;
  autoRenew: boolean;
  termStartsAt: string;
  termEndsAt: string;
  resellerId: string | null;
  supportContactId: string | null;
  /** null: the seller's is in the data's perPartner (SubscriptionSnapshotView) */
  externalId: null;
}

/** A scheduled change as the events carry it: what the next term will be. */
export interface ScheduledChangeData {
  offerId: string;
  quantity: number;
  termDuration: string;
  billingFrequency: string;
}

/** The seller's external id over a lifecycle event's snapshot (`subscription.externalId` for the seller's users only). */
export type SubscriptionSnapshotView = { subscription: SubscriptionSnapshotData; perPartner?: PerPartner<{ subscription: { externalId: string } }> };

type Lifecycle<X extends object = object> = SubscriptionSnapshotView & X;

const lifecycle = <X extends object = object>(kind: ChangeKind, description: string, extra: { audit?: boolean } = {}) =>
  defineChange<Lifecycle<X>>({
    kind,
    subjectType: SubjectType.SUBSCRIPTION,
    description: `${description} Its subscription's externalId is the seller's, for its users only. To: the seller, the reseller of record, the support contact, the customer.`,
    audience: (s, d) => subscriptionReaders(s, d.subscription),
    ...extra,
  });

export const SUBSCRIPTION_CANCELLED = lifecycle<{ cancellationReason: string | null; refund: { amount: string; currency: string } }>(
  ChangeKind.SUBSCRIPTION_CANCELLED,
  'The seller cancelled it within 7 days of its term start. data: subscription (after), cancellationReason, refund (the prorated amount: unused whole days of the term).',
);

export const SUBSCRIPTION_SUSPENDED = lifecycle<{ suspensionReason: string | null }>(
  ChangeKind.SUBSCRIPTION_SUSPENDED,
  'The seller suspended it (its scheduled change, if any, is removed). data: subscription, suspensionReason.',
);

export const SUBSCRIPTION_REACTIVATED = lifecycle(ChangeKind.SUBSCRIPTION_REACTIVATED, 'The seller reactivated a suspended subscription. data: subscription.');

export const SUBSCRIPTION_RENEWED = lifecycle<{ previousTermEndsAt: string; scheduledChangeApplied: boolean }>(
  ChangeKind.SUBSCRIPTION_RENEWED,
  'A new term started at the end of the last one (auto-renewal, from the server’s sweep), with the scheduled change applied if there was one. data: subscription (the new term), previousTermEndsAt, scheduledChangeApplied.',
);

export const SUBSCRIPTION_EXPIRED = lifecycle(
  ChangeKind.SUBSCRIPTION_EXPIRED,
  'Its term ended without renewal (auto-renewal off, or suspended), from the server’s sweep. data: subscription.',
);

export const SUBSCRIPTION_UPGRADED = lifecycle<{ upgradedToId: string; targetOfferId: string }>(
  ChangeKind.SUBSCRIPTION_UPGRADED,
  'The seller upgraded it: it is CANCELLED and a new subscription (SUBSCRIPTION_CREATED, upgradedFromId) took its place. data: subscription (the old one, after), upgradedToId, targetOfferId.',
);

export const SUBSCRIPTION_EXPIRING = lifecycle<{ daysBefore: number }>(
  ChangeKind.SUBSCRIPTION_EXPIRING,
  'A reminder, once each at 30, 7 and 1 days before the end of a term longer than a month (from the server’s sweep). data: subscription (its termDuration, billingFrequency and autoRenew tell a renewal from an end), daysBefore.',
  { audit: false },
);

export const SUBSCRIPTION_SCHEDULED_CHANGE_SET = lifecycle<{ scheduledChange: ScheduledChangeData }>(
  ChangeKind.SUBSCRIPTION_SCHEDULED_CHANGE_SET,
  'The seller scheduled a change for the next renewal (replacing any earlier one). data: subscription, scheduledChange (offerId, quantity, termDuration, billingFrequency of the next term).',
);

export const SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED = lifecycle<{ scheduledChange: ScheduledChangeData; cancelledBy: 'SELLER' | 'CHANGE' }>(
  ChangeKind.SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED,
  'A scheduled change was removed: by the seller, or by an immediate change that replaces it (a quantity change, suspension, auto-renewal turned off). data: subscription, scheduledChange (the removed one), cancelledBy (SELLER | CHANGE).',
);

export const SUBSCRIPTION_EXTERNAL_ID_SET = defineChange<ExternalIdSetData>({
  kind: ChangeKind.SUBSCRIPTION_EXTERNAL_ID_SET,
  subjectType: SubjectType.SUBSCRIPTION,
  description:
    'The seller set, changed or cleared its own external id for a subscription (setSubscriptionExternalId; at createSubscription audited only: SUBSCRIPTION_CREATED carries it). data: externalId (null: cleared), previousExternalId (for the seller’s users; null for the operator). To: the seller only. Its audit record is not shown to the customer, nor in the subscription’s history for other readers.',
  audience: partnerOnly,
});
