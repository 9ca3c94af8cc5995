import { defineChange, type Audience, type EventSubject } from '../../changes/catalog';
import { ChangeKind, SubjectType } from '../../changes/kinds';

/** Who may read a subscription: the seller, its reseller of record and support contact (before and after a change), and the customer. */
const subscriptionReaders = (
  s: EventSubject,
  d: { resellerId: string | null; supportContactId: string | null; previousResellerId?: string | null; previousSupportContactId?: string | null },
): Audience => ({
  partnerIds: [s.partnerId, d.resellerId, d.supportContactId, d.previousResellerId, d.previousSupportContactId],
  customerIds: [s.customerId],
});

export interface SubscriptionCreatedData {
  offerId: string;
  quantity: number;
  resellerId: string | null;
  supportContactId: string | null;
}

export interface SubscriptionUpdatedData {
  /** the fields the caller set, with their new values */
  changed: { quantity?: number; resellerId?: string | null; supportContactId?: string | null };
  quantity: number;
  resellerId: string | null;
  supportContactId: string | null;
  previousResellerId: string | null;
  previousSupportContactId: string | null;
}

export const SUBSCRIPTION_CREATED = defineChange<SubscriptionCreatedData>({
  kind: ChangeKind.SUBSCRIPTION_CREATED,
  subjectType: SubjectType.SUBSCRIPTION,
  description:
    'A partner sold a subscription. data: offerId, quantity, resellerId, supportContactId. To: the seller, the reseller of record, the support contact, the customer.',
  audience: subscriptionReaders,
});

export const SUBSCRIPTION_UPDATED = defineChange<SubscriptionUpdatedData>({
  kind: ChangeKind.SUBSCRIPTION_UPDATED,
  subjectType: SubjectType.SUBSCRIPTION,
  description:
    'The seller changed a subscription. data: changed (the fields set), quantity, resellerId, supportContactId after the change, and the previous reseller and support contact. To: the seller, the customer, and every reseller of record or support contact before or after the change.',
  audience: subscriptionReaders,
});
