import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import type { LiveSubscription, WsClient } from './client';
import type { TestServer } from './test-server';

export interface EventView {
  id: string;
  cursor: string;
  type: string;
  occurredAt: string;
  actor: { kind: string; userId: string; partnerId: string | null; customerId: string | null } | null;
  partnerId: string | null;
  customerId: string | null;
  invitationId: string | null;
  partnershipId: string | null;
  subscriptionId: string | null;
  adminRelationshipId: string | null;
  /** its type's typed fields (TYPED_EVENT_FIELDS): what its webhook deliveries' JSON `data` holds */
  [typed: string]: unknown;
}

const ADMIN_RELATIONSHIP = 'adminRelationship { displayName roles duration autoExtend status activatedAt endsAt }';
const SUBSCRIPTION =
  'subscription { offerId quantity status termDuration billingFrequency autoRenew termStartsAt termEndsAt resellerId supportContactId externalId }';
const SCHEDULED_CHANGE = 'scheduledChange { offerId quantity termDuration billingFrequency }';
const CUSTOMER_USER = 'user { id userName displayName roles status }';

/** Every event type's typed fields, one inline fragment per type that has any (the README's event catalog). */
export const TYPED_EVENT_FIELDS = [
  '... on CustomerCreatedEvent { companyName domain cloud indirectResellerId externalId }',
  '... on InvitationCreatedEvent { includeDelegatedAdminPrivileges indirectProviderId expiresAt }',
  '... on InvitationAcceptedEvent { invitation { invitationId partnerId status includeDelegatedAdminPrivileges indirectProviderId acceptedAt } customer { customerId companyName domain } }',
  '... on InvitationExpiredEvent { expiresAt }',
  '... on DelegatedAdminGrantedEvent { restored }',
  '... on PartnershipRequestedEvent { requestId resellerEmail expiresAt }',
  '... on PartnershipChangedEvent { change partnership { partnershipId status providerId resellerId } }',
  '... on PartnershipAcceptedEvent { requestId providerId resellerId status }',
  '... on PartnershipRemovedEvent { providerId resellerId status removedBy }',
  '... on SubscriptionCreatedEvent { offerId quantity resellerId supportContactId termDuration billingFrequency autoRenew termEndsAt upgradedFromId externalId }',
  '... on SubscriptionUpdatedEvent { changed quantity resellerId supportContactId previousResellerId previousSupportContactId autoRenew externalId }',
  '... on WebhookEndpointDisabledEvent { endpointId url eventId attempts lastStatus lastError }',
  `... on AdminRelationshipCreatedEvent { ${ADMIN_RELATIONSHIP} requestExpiresAt }`,
  `... on AdminRelationshipApprovedEvent { ${ADMIN_RELATIONSHIP} }`,
  `... on AdminRelationshipRejectedEvent { ${ADMIN_RELATIONSHIP} }`,
  `... on AdminRelationshipUpdatedEvent { ${ADMIN_RELATIONSHIP} changed }`,
  `... on AdminRelationshipExtendedEvent { ${ADMIN_RELATIONSHIP} previousEndsAt extendedBy }`,
  `... on AdminRelationshipExpiringEvent { ${ADMIN_RELATIONSHIP} daysBefore }`,
  `... on AdminRelationshipExpiredEvent { ${ADMIN_RELATIONSHIP} reason }`,
  `... on AdminRelationshipTerminatedEvent { ${ADMIN_RELATIONSHIP} terminatedBy }`,
  // a partner's profile, a customer's account, its users and their licences (issue 24)
  '... on PartnerUpdatedEvent { changed partner { name mpnId type cloud } }',
  '... on CustomerUpdatedEvent { changed companyName externalId }',
  `... on CustomerUserCreatedEvent { ${CUSTOMER_USER} }`,
  `... on CustomerUserUpdatedEvent { ${CUSTOMER_USER} changed }`,
  `... on CustomerUserDeletedEvent { ${CUSTOMER_USER} purgeAt }`,
  `... on CustomerUserRestoredEvent { ${CUSTOMER_USER} }`,
  `... on CustomerUserPurgedEvent { ${CUSTOMER_USER} }`,
  `... on LicensesAssignedEvent { ${CUSTOMER_USER} subscriptionIds cause }`,
  `... on LicensesUnassignedEvent { ${CUSTOMER_USER} subscriptionIds cause }`,
  // external ids (issue 25): their owner's users read the values, everyone else null
  '... on CustomerExternalIdSetEvent { externalId previousExternalId }',
  '... on SubscriptionExternalIdSetEvent { externalId previousExternalId }',
].join(' ');

/**
 * The typed fields of a subscription's lifecycle events. Apart from EVENT_FIELDS: with them, a page of
 * 100 events costs more than the default MAX_QUERY_COMPLEXITY; `readAll` (50 a page) and `stream` read them.
 */
export const LIFECYCLE_EVENT_FIELDS = [
  `... on SubscriptionCancelledEvent { ${SUBSCRIPTION} cancellationReason refund { amount currency } }`,
  `... on SubscriptionSuspendedEvent { ${SUBSCRIPTION} suspensionReason }`,
  `... on SubscriptionReactivatedEvent { ${SUBSCRIPTION} }`,
  `... on SubscriptionRenewedEvent { ${SUBSCRIPTION} previousTermEndsAt scheduledChangeApplied }`,
  `... on SubscriptionExpiredEvent { ${SUBSCRIPTION} }`,
  `... on SubscriptionUpgradedEvent { ${SUBSCRIPTION} upgradedToId targetOfferId }`,
  `... on SubscriptionExpiringEvent { ${SUBSCRIPTION} daysBefore }`,
  `... on SubscriptionScheduledChangeSetEvent { ${SUBSCRIPTION} ${SCHEDULED_CHANGE} }`,
  `... on SubscriptionScheduledChangeCancelledEvent { ${SUBSCRIPTION} ${SCHEDULED_CHANGE} cancelledBy }`,
].join(' ');

export const EVENT_FIELDS = `id cursor type occurredAt actor { kind userId partnerId customerId } partnerId customerId invitationId partnershipId subscriptionId adminRelationshipId ${TYPED_EVENT_FIELDS}`;
/** EVENT_FIELDS and the lifecycle events' typed fields: every typed field of every event type */
const ALL_EVENT_FIELDS = `${EVENT_FIELDS} ${LIFECYCLE_EVENT_FIELDS}`;

const STREAM = parse(
  `subscription Stream($after: String, $types: [EventType!]) { events(after: $after, types: $types) { ${ALL_EVENT_FIELDS} } }`,
) as TypedDocumentNode<{ events: EventView }, { after?: string; types?: string[] }>;

/** Subscription.events on a socket: replay after `after`, then live. */
export function stream(ws: WsClient, after?: string, types?: string[]): LiveSubscription<{ events: EventView }> {
  return ws.subscribe(STREAM, { after, types });
}

/** Every event the caller may read after `after` (Query.events, 50 a page: see LIFECYCLE_EVENT_FIELDS), oldest first, with every typed field. */
export async function readAll(t: TestServer, token: string, after?: string, filter?: Record<string, unknown>): Promise<EventView[]> {
  const out: EventView[] = [];
  let cursor = after;
  for (;;) {
    const res = await t.client(token).raw<{ events: { edges: { node: EventView }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>({
      query: `query ($after: String, $filter: EventFilter) { events(first: 50, after: $after, filter: $filter) { edges { node { ${ALL_EVENT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      variables: { after: cursor, filter },
    });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    out.push(...res.data!.events.edges.map((e) => e.node));
    if (!res.data!.events.pageInfo.hasNextPage) return out;
    cursor = res.data!.events.pageInfo.endCursor!;
  }
}

/** The position inside an event cursor (tests only: clients treat cursors as opaque). */
export function positionOf(cursor: string): number {
  return Number(Buffer.from(cursor, 'base64url').toString('utf8').replace(/^ev1:/, ''));
}

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
