import { registerEnumType } from 'type-graphql';

/**
 * Every kind of state change the server makes: one name for the audit record's action and for the
 * event. What each one carries, who receives it and which counters it moves is declared next to its
 * feature (`src/modules/<feature>/<feature>.changes.ts`, through `defineChange`).
 *
 * GraphQL shows this one enum under two names that clients already use: `EventType` (the `events`
 * stream and its filters) and `ActivityAction` (the audit trail). Both list every kind; a kind whose
 * definition has no audience is audited but sends no event.
 */
export enum ChangeKind {
  PARTNER_CREATED = 'PARTNER_CREATED',
  CUSTOMER_CREATED = 'CUSTOMER_CREATED',
  INVITATION_CREATED = 'INVITATION_CREATED',
  INVITATION_ACCEPTED = 'INVITATION_ACCEPTED',
  INVITATION_DECLINED = 'INVITATION_DECLINED',
  INVITATION_REVOKED = 'INVITATION_REVOKED',
  INVITATION_EXPIRED = 'INVITATION_EXPIRED',
  RELATIONSHIP_ESTABLISHED = 'RELATIONSHIP_ESTABLISHED',
  RELATIONSHIP_REMOVED = 'RELATIONSHIP_REMOVED',
  DELEGATED_ADMIN_GRANTED = 'DELEGATED_ADMIN_GRANTED',
  DELEGATED_ADMIN_REVOKED = 'DELEGATED_ADMIN_REVOKED',
  PARTNERSHIP_REQUESTED = 'PARTNERSHIP_REQUESTED',
  PARTNERSHIP_REQUEST_REVOKED = 'PARTNERSHIP_REQUEST_REVOKED',
  PARTNERSHIP_ACCEPTED = 'PARTNERSHIP_ACCEPTED',
  PARTNERSHIP_REMOVED = 'PARTNERSHIP_REMOVED',
  SUBSCRIPTION_CREATED = 'SUBSCRIPTION_CREATED',
  SUBSCRIPTION_UPDATED = 'SUBSCRIPTION_UPDATED',
  SUBSCRIPTION_CANCELLED = 'SUBSCRIPTION_CANCELLED',
  SUBSCRIPTION_SUSPENDED = 'SUBSCRIPTION_SUSPENDED',
  SUBSCRIPTION_REACTIVATED = 'SUBSCRIPTION_REACTIVATED',
  SUBSCRIPTION_RENEWED = 'SUBSCRIPTION_RENEWED',
  SUBSCRIPTION_EXPIRED = 'SUBSCRIPTION_EXPIRED',
  SUBSCRIPTION_UPGRADED = 'SUBSCRIPTION_UPGRADED',
  SUBSCRIPTION_EXPIRING = 'SUBSCRIPTION_EXPIRING',
  SUBSCRIPTION_SCHEDULED_CHANGE_SET = 'SUBSCRIPTION_SCHEDULED_CHANGE_SET',
  SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED = 'SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED',
  WEBHOOK_ENDPOINT_CREATED = 'WEBHOOK_ENDPOINT_CREATED',
  WEBHOOK_ENDPOINT_UPDATED = 'WEBHOOK_ENDPOINT_UPDATED',
  WEBHOOK_ENDPOINT_DELETED = 'WEBHOOK_ENDPOINT_DELETED',
  WEBHOOK_ENDPOINT_DISABLED = 'WEBHOOK_ENDPOINT_DISABLED',
  WEBHOOK_REDELIVERY_REQUESTED = 'WEBHOOK_REDELIVERY_REQUESTED',
  ADMIN_RELATIONSHIP_CREATED = 'ADMIN_RELATIONSHIP_CREATED',
  ADMIN_RELATIONSHIP_APPROVED = 'ADMIN_RELATIONSHIP_APPROVED',
  ADMIN_RELATIONSHIP_REJECTED = 'ADMIN_RELATIONSHIP_REJECTED',
  ADMIN_RELATIONSHIP_UPDATED = 'ADMIN_RELATIONSHIP_UPDATED',
  ADMIN_RELATIONSHIP_EXTENDED = 'ADMIN_RELATIONSHIP_EXTENDED',
  ADMIN_RELATIONSHIP_EXPIRING = 'ADMIN_RELATIONSHIP_EXPIRING',
  ADMIN_RELATIONSHIP_EXPIRED = 'ADMIN_RELATIONSHIP_EXPIRED',
  ADMIN_RELATIONSHIP_TERMINATED = 'ADMIN_RELATIONSHIP_TERMINATED',
  TEST_CLOCK_ADVANCED = 'TEST_CLOCK_ADVANCED',
  PARTNER_UPDATED = 'PARTNER_UPDATED',
  CUSTOMER_UPDATED = 'CUSTOMER_UPDATED',
  CUSTOMER_USER_CREATED = 'CUSTOMER_USER_CREATED',
  CUSTOMER_USER_UPDATED = 'CUSTOMER_USER_UPDATED',
  CUSTOMER_USER_DELETED = 'CUSTOMER_USER_DELETED',
  CUSTOMER_USER_RESTORED = 'CUSTOMER_USER_RESTORED',
  CUSTOMER_USER_PURGED = 'CUSTOMER_USER_PURGED',
  LICENSES_ASSIGNED = 'LICENSES_ASSIGNED',
  LICENSES_UNASSIGNED = 'LICENSES_UNASSIGNED',
  CUSTOMER_EXTERNAL_ID_SET = 'CUSTOMER_EXTERNAL_ID_SET',
  SUBSCRIPTION_EXTERNAL_ID_SET = 'SUBSCRIPTION_EXTERNAL_ID_SET',
}

/**
 * Kinds whose audit records only the partner whose trail holds them (and the operator) read: a
 * partner's own external ids are not shown to the customer's users (`activities`, a subscription's
 * `history`), nor to the other partners of the customer (their trails are their own anyway).
 */
export const PARTNER_PRIVATE_KINDS: readonly ChangeKind[] = [ChangeKind.CUSTOMER_EXTERNAL_ID_SET, ChangeKind.SUBSCRIPTION_EXTERNAL_ID_SET];

/** The GraphQL view `EventType` of the change enum: the same values, for the event stream. */
export const EventTypeEnum = ChangeKind;
registerEnumType(EventTypeEnum, {
  name: 'EventType',
  description: 'What happened: a kind of change (the event catalog in the README). The same values as ActivityAction.',
});

/** The GraphQL view `ActivityAction` of the change enum: the same values, for the audit trail. */
export const ActivityActionEnum: typeof ChangeKind = { ...ChangeKind };
registerEnumType(ActivityActionEnum, { name: 'ActivityAction', description: 'The change an audit record is about: the same values as EventType.' });

/** What a change is about: the `subjectType` of its audit record (and the export's filter). */
export enum SubjectType {
  PARTNER = 'PARTNER',
  CUSTOMER = 'CUSTOMER',
  INVITATION = 'INVITATION',
  RELATIONSHIP = 'RELATIONSHIP',
  DELEGATED_ADMIN = 'DELEGATED_ADMIN',
  PARTNERSHIP = 'PARTNERSHIP',
  PARTNERSHIP_REQUEST = 'PARTNERSHIP_REQUEST',
  SUBSCRIPTION = 'SUBSCRIPTION',
  ADMIN_RELATIONSHIP = 'ADMIN_RELATIONSHIP',
  WEBHOOK_ENDPOINT = 'WEBHOOK_ENDPOINT',
  SERVER_CLOCK = 'SERVER_CLOCK',
  CUSTOMER_USER = 'CUSTOMER_USER',
}
registerEnumType(SubjectType, { name: 'SubjectType', description: 'The kind of record an audit entry is about' });

/** Who made a change: a signed-in caller through the API, or the server by itself (a sweep, a webhook worker). */
export enum ChangeOrigin {
  API = 'API',
  SYSTEM = 'SYSTEM',
}
registerEnumType(ChangeOrigin, {
  name: 'ChangeOrigin',
  description: 'API: a signed-in caller; SYSTEM: the server by itself (expiry, auto-extension, webhook retries)',
});
