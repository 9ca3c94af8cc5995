import { registerEnumType } from 'type-graphql';

/**
 * The event catalog: every event type the server emits, what its `data` holds, and who receives it.
 * Written once here; storage (the outbox's audience rows), GraphQL (`events`, the pushes) and
 * webhooks all read it.
 */
export enum EventType {
  CUSTOMER_CREATED = 'CUSTOMER_CREATED',
  INVITATION_CREATED = 'INVITATION_CREATED',
  INVITATION_ACCEPTED = 'INVITATION_ACCEPTED',
  INVITATION_DECLINED = 'INVITATION_DECLINED',
  INVITATION_REVOKED = 'INVITATION_REVOKED',
  INVITATION_EXPIRED = 'INVITATION_EXPIRED',
  RELATIONSHIP_REMOVED = 'RELATIONSHIP_REMOVED',
  DELEGATED_ADMIN_GRANTED = 'DELEGATED_ADMIN_GRANTED',
  DELEGATED_ADMIN_REVOKED = 'DELEGATED_ADMIN_REVOKED',
  PARTNERSHIP_REQUESTED = 'PARTNERSHIP_REQUESTED',
  PARTNERSHIP_ACCEPTED = 'PARTNERSHIP_ACCEPTED',
  PARTNERSHIP_REMOVED = 'PARTNERSHIP_REMOVED',
  SUBSCRIPTION_CREATED = 'SUBSCRIPTION_CREATED',
  SUBSCRIPTION_UPDATED = 'SUBSCRIPTION_UPDATED',
  WEBHOOK_ENDPOINT_DISABLED = 'WEBHOOK_ENDPOINT_DISABLED',
  ADMIN_RELATIONSHIP_CREATED = 'ADMIN_RELATIONSHIP_CREATED',
  ADMIN_RELATIONSHIP_APPROVED = 'ADMIN_RELATIONSHIP_APPROVED',
  ADMIN_RELATIONSHIP_REJECTED = 'ADMIN_RELATIONSHIP_REJECTED',
  ADMIN_RELATIONSHIP_UPDATED = 'ADMIN_RELATIONSHIP_UPDATED',
  ADMIN_RELATIONSHIP_EXTENDED = 'ADMIN_RELATIONSHIP_EXTENDED',
  ADMIN_RELATIONSHIP_EXPIRING = 'ADMIN_RELATIONSHIP_EXPIRING',
  ADMIN_RELATIONSHIP_EXPIRED = 'ADMIN_RELATIONSHIP_EXPIRED',
  ADMIN_RELATIONSHIP_TERMINATED = 'ADMIN_RELATIONSHIP_TERMINATED',
}
registerEnumType(EventType, { name: 'EventType', description: 'What happened (see the event catalog in the README)' });

/** The ids an event is about; the audience rules read them, and they are columns of the event row. */
export interface EventSubject {
  partnerId?: string | null;
  customerId?: string | null;
  invitationId?: string | null;
  partnershipId?: string | null;
  subscriptionId?: string | null;
  adminRelationshipId?: string | null;
}

/** Who receives an event: partners' users and customers' users (the operator receives every event). */
export interface Audience {
  partnerIds: (string | null | undefined)[];
  customerIds: (string | null | undefined)[];
}

type Data = Record<string, unknown>;

interface CatalogEntry {
  description: string;
  /** The audience, from the subject and the data only (no database read): fixed when the event is written. */
  audience: (subject: EventSubject, data: Data) => Audience;
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);
const partnerOnly = (s: EventSubject): Audience => ({ partnerIds: [s.partnerId], customerIds: [] });
const partnerAndCustomer = (s: EventSubject): Audience => ({ partnerIds: [s.partnerId], customerIds: [s.customerId] });
/** A partnership's two sides. */
const bothSides = (_s: EventSubject, d: Data): Audience => ({ partnerIds: [str(d.providerId), str(d.resellerId)], customerIds: [] });
/** Who may read a subscription: the seller, its reseller of record and support contact, and the customer. */
const subscriptionReaders = (s: EventSubject, d: Data): Audience => ({
  partnerIds: [s.partnerId, str(d.resellerId), str(d.supportContactId), str(d.previousResellerId), str(d.previousSupportContactId)],
  customerIds: [s.customerId],
});

export const EVENT_CATALOG: Record<EventType, CatalogEntry> = {
  [EventType.CUSTOMER_CREATED]: {
    description: 'A customer was created. data: companyName, domain, cloud, indirectResellerId. To: the creating partner, the indirect reseller, the customer.',
    audience: (s, d) => ({ partnerIds: [s.partnerId, str(d.indirectResellerId)], customerIds: [s.customerId] }),
  },
  [EventType.INVITATION_CREATED]: {
    description: 'A partner invited a customer. data: includeDelegatedAdminPrivileges, indirectProviderId, expiresAt. To: the inviting partner.',
    audience: partnerOnly,
  },
  [EventType.INVITATION_ACCEPTED]: {
    description:
      'A customer accepted an invitation. data: invitation (status, includeDelegatedAdminPrivileges, indirectProviderId, acceptedAt), customer (companyName, domain). To: the inviting partner, the indirect provider of a three-party invitation, the customer.',
    audience: (s, d) => ({
      partnerIds: [s.partnerId, str((d.invitation as Data | undefined)?.indirectProviderId)],
      customerIds: [s.customerId],
    }),
  },
  [EventType.INVITATION_DECLINED]: {
    description: 'A customer declined an invitation. To: the inviting partner, the customer.',
    audience: partnerAndCustomer,
  },
  [EventType.INVITATION_REVOKED]: { description: 'The inviting partner withdrew an invitation. To: the inviting partner.', audience: partnerOnly },
  [EventType.INVITATION_EXPIRED]: {
    description: 'An invitation passed its expiry unanswered (found by the server’s sweep, emitted once). data: expiresAt. To: the inviting partner.',
    audience: partnerOnly,
  },
  [EventType.RELATIONSHIP_REMOVED]: {
    description: 'A partner removed its reseller relationship with a customer (no notice goes to the customer). To: that partner.',
    audience: partnerOnly,
  },
  [EventType.DELEGATED_ADMIN_GRANTED]: {
    description: 'Delegated admin privileges were granted or restored. data: restored. To: the partner, the customer.',
    audience: partnerAndCustomer,
  },
  [EventType.DELEGATED_ADMIN_REVOKED]: {
    description: 'The customer revoked a partner’s delegated admin privileges. To: the partner, the customer.',
    audience: partnerAndCustomer,
  },
  [EventType.PARTNERSHIP_REQUESTED]: {
    description: 'An indirect provider asked a reseller to partner. data: resellerEmail, expiresAt. To: the provider.',
    audience: partnerOnly,
  },
  [EventType.PARTNERSHIP_ACCEPTED]: {
    description: 'A reseller accepted a partnership request. data: providerId, resellerId, status. To: both sides.',
    audience: bothSides,
  },
  [EventType.PARTNERSHIP_REMOVED]: {
    description: 'Either side removed the partnership. data: providerId, resellerId, status, removedBy. To: both sides.',
    audience: bothSides,
  },
  [EventType.SUBSCRIPTION_CREATED]: {
    description: 'A partner sold a subscription. data: offerId, quantity, resellerId, supportContactId. To: the seller, the reseller of record, the support contact, the customer.',
    audience: subscriptionReaders,
  },
  [EventType.SUBSCRIPTION_UPDATED]: {
    description:
      'The seller changed a subscription. data: changed (the fields set), quantity, resellerId, supportContactId after the change, and the previous reseller and support contact. To: the seller, the customer, and every reseller of record or support contact before or after the change.',
    audience: subscriptionReaders,
  },
  [EventType.WEBHOOK_ENDPOINT_DISABLED]: {
    description: 'A webhook endpoint was disabled after its last retry failed. data: endpointId, url, eventId. To: the endpoint’s partner.',
    audience: partnerOnly,
  },
  // admin relationships: every event goes to the partner and, once one is known (named in the request, or the one
  // that answered it), the customer. data of each: adminRelationship (displayName, roles, duration, autoExtend,
  // status, activatedAt, endsAt) and what the type adds.
  [EventType.ADMIN_RELATIONSHIP_CREATED]: {
    description: 'A partner asked for admin roles. data: adminRelationship, requestExpiresAt. To: the partner, and the customer when the request names one.',
    audience: partnerAndCustomer,
  },
  [EventType.ADMIN_RELATIONSHIP_APPROVED]: {
    description: 'The customer approved: the access runs from now to endsAt. data: adminRelationship. To: the partner, the customer.',
    audience: partnerAndCustomer,
  },
  [EventType.ADMIN_RELATIONSHIP_REJECTED]: {
    description: 'The customer rejected the request. data: adminRelationship. To: the partner, the customer.',
    audience: partnerAndCustomer,
  },
  [EventType.ADMIN_RELATIONSHIP_UPDATED]: {
    description: 'The partner turned auto-extension on or off. data: adminRelationship, changed. To: the partner, the customer.',
    audience: partnerAndCustomer,
  },
  [EventType.ADMIN_RELATIONSHIP_EXTENDED]: {
    description:
      'endsAt moved 180 days later: by auto-extension at the end date (actor null) or by the partner. data: adminRelationship, previousEndsAt, extendedBy (AUTO_EXTEND | PARTNER). To: the partner, the customer.',
    audience: partnerAndCustomer,
  },
  [EventType.ADMIN_RELATIONSHIP_EXPIRING]: {
    description:
      'A reminder, once each at 30, 7 and 1 days before endsAt (from the server’s sweep; also for auto-extending ones, which data.adminRelationship.autoExtend tells). data: adminRelationship, daysBefore. To: the partner, the customer.',
    audience: partnerAndCustomer,
  },
  [EventType.ADMIN_RELATIONSHIP_EXPIRED]: {
    description:
      'Not approved within 90 days, or endsAt passed without auto-extension (from the server’s sweep). data: adminRelationship, reason (NOT_APPROVED_IN_TIME | END_DATE_REACHED). To: the partner, and the customer when known.',
    audience: partnerAndCustomer,
  },
  [EventType.ADMIN_RELATIONSHIP_TERMINATED]: {
    description: 'Either side ended it (or the partner withdrew the request). data: adminRelationship, terminatedBy (PARTNER | CUSTOMER). To: the partner, the customer.',
    audience: partnerAndCustomer,
  },
};

/** Audience keys as stored (one row per key): `p:<partnerId>` and `c:<customerId>`. */
export const partnerKey = (partnerId: string) => `p:${partnerId}`;
export const customerKey = (customerId: string) => `c:${customerId}`;

export function audienceKeys(type: EventType, subject: EventSubject, data: Data): string[] {
  const { partnerIds, customerIds } = EVENT_CATALOG[type].audience(subject, data);
  const keys = new Set<string>();
  for (const id of partnerIds) if (id) keys.add(partnerKey(id));
  for (const id of customerIds) if (id) keys.add(customerKey(id));
  return [...keys];
}
