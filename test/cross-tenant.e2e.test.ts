import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  type GraphQLAbstractType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type IntrospectionQuery,
  isAbstractType,
  isLeafType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { Role } from '../src/common/auth/roles';
import {
  type AdminRole,
  CreateCustomerInvitationDocument,
  type CreateSubscriptionInput,
  CreatePartnerDocument,
  CreateSubscriptionDocument,
  RemovePartnershipDocument,
  RequestPartnershipDocument,
} from './generated/graphql';
import type { GqlResponse } from './support/client';
import { createCustomer, customerInput, uniqueMpnId } from './support/factories';
import { accept, invite, standaloneCustomer } from './support/invitations';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer, UNBUDGETED } from './support/test-server';
import { createEndpoint, deliveries, startReceiver, until } from './support/webhooks';
import { approveAdmin, requestAdmin } from './support/admin-relationships';

/**
 * Every operation of the schema, called by callers that have no business with a victim's data,
 * with the ids of the victim's objects. The list of operations comes from introspection: an
 * operation without a case below fails the test, so no operation goes unchecked.
 *
 * The victim: an indirect provider (V) with its reseller (R), a customer of its own (C), a customer it
 * shares with an attacker (S) and subscriptions on both, a pending invitation and a pending
 * partnership request. The attackers: a direct reseller that also serves S, an unrelated indirect
 * provider and an unrelated indirect reseller (each with every partner role), an unrelated
 * customer's admin, and an anonymous caller. After each call the victim's data, as the victim reads
 * it, must be unchanged, and nothing the victim owns may appear in the answer.
 */

interface Victim {
  provider: { id: string; name: string; mpnId: string; email: string };
  reseller: { id: string; name: string; email: string };
  customer: { id: string; domain: string };
  shared: { id: string };
  subscription: string; // V's subscription on the shared customer
  privateSubscription: string; // V's subscription on its own customer
  invitation: string;
  partnership: string;
  request: string;
  webhook: { endpoint: string; url: string; delivery: string };
  /** admin relationships: ACTIVE with the shared customer, pending for its own customer (and that request's token), open to anyone */
  admin: { active: string; pending: string; pendingToken: string; open: string };
  /** the token of a three-party invitation naming V, made by a former reseller before V removed their partnership */
  staleThreeParty: string;
  /**
   * V's subscriptions through their life: one with a change scheduled for its renewal, a suspended one, a
   * cancelled one, and the two sides of an upgrade (each with R as reseller of record but the cancelled one)
   */
  lifecycle: { scheduled: string; suspended: string; cancelled: string; upgradedFrom: string; upgradedTo: string };
  /**
   * The users of V's own customer (created by the customer's admin): its first admin (a GLOBAL_ADMINISTRATOR), an
   * ordinary user holding a licence of V's private subscription, and a deleted one that can still be restored
   */
  users: { admin: string; active: string; deleted: string };
  /** the ids of V's records that no field above names, by kind: relationships, admin privileges, audit records, events, its subscriptions' history */
  records: string[][];
}

/** What V wrote in its subscriptions' history: no one else may read it. */
const SUSPENSION_REASON = 'Victim confidential: customer in insolvency proceedings, case 4471';
const CANCELLATION_REASON = 'Victim confidential: duplicate order VX-9902';
/** The victim's own ids for the customer it shares with the rival, for its own customer and for a subscription: no one else may read them. */
const VICTIM_SHARED_EXTERNAL_ID = 'VICTIM-CRM-SHARED-0042';
const VICTIM_OWN_EXTERNAL_ID = 'VICTIM-CRM-OWN-0043';
const VICTIM_SUBSCRIPTION_EXTERNAL_ID = 'VICTIM-SUB-7781';
/** The display names of the victim customer's users: no one else may read them. */
const ACTIVE_USER = 'Victim Confidential Person';
const DELETED_USER = 'Victim Departed Person';

/** The lifecycle operations: refused to everyone but the seller's GLOBAL_ADMIN and ADMIN_AGENT, with nothing that tells the subscription exists. */
const LIFECYCLE = new Set([
  'cancellationPreview',
  'subscriptionUpgrades',
  'cancelSubscription',
  'suspendSubscription',
  'reactivateSubscription',
  'setSubscriptionAutoRenew',
  'scheduleSubscriptionChange',
  'cancelScheduledSubscriptionChange',
  'upgradeSubscription',
  'setSubscriptionExternalId',
]);

type Vars = (v: Victim) => Record<string, unknown>;
/** node(id) is tried with each id named by Victim (namedIds) and one record of each other kind (Victim.records). */
const NODE_PROBES = 26;
/** `variables` for a query or mutation, `trigger` for a subscription (a name that is both, such as `events`, has both) */
type OperationCase = { variables?: Vars[]; trigger?: (v: Victim) => Promise<void>; refusals?: string[] };

/** The audit trail's filters on the victim's ids (Query.activities and the export's parameters). */
const TRAIL_FILTERS: ((v: Victim) => Record<string, unknown>)[] = [
  (v) => ({ customerId: v.customer.id }),
  (v) => ({ customerId: v.shared.id }),
  () => ({ subjectType: 'SUBSCRIPTION' }),
  (v) => ({ subjectId: v.privateSubscription }),
  (v) => ({ subjectId: v.invitation }),
  () => ({ actions: ['SUBSCRIPTION_CREATED', 'INVITATION_CREATED', 'PARTNERSHIP_ACCEPTED', 'ADMIN_RELATIONSHIP_CREATED', 'WEBHOOK_ENDPOINT_CREATED'] }),
  (v) => ({ actorUserId: `user-global_admin-${v.provider.id.slice(-6)}` }),
  () => ({ correlationId: 'victim-request.1' }),
  () => ({ from: '2000-01-01T00:00:00.000Z', to: '2999-01-01T00:00:00.000Z' }),
  (v) => ({
    customerId: v.shared.id,
    subjectType: 'SUBSCRIPTION',
    subjectId: v.subscription,
    actions: ['SUBSCRIPTION_CREATED', 'SUBSCRIPTION_UPDATED'],
    actorUserId: `user-global_admin-${v.provider.id.slice(-6)}`,
    from: '2000-01-01T00:00:00.000Z',
    to: '2999-01-01T00:00:00.000Z',
  }),
];

/** The id map: every Query, Mutation and Subscription field, with the victim ids each is tried with. */
const CASES: Record<string, OperationCase> = {
  // Query
  viewer: { variables: [() => ({})] },
  // Relay's refetch: every id the victim owns, one by one and all at once
  // (node: each named id, and one record of each other kind; nodes: all of them)
  node: { variables: [...Array(NODE_PROBES).keys()].map((i) => (v: Victim) => ({ id: [...namedIds(v), ...v.records.map((kind) => kind[0])][i] })) },
  nodes: { variables: [(v) => ({ ids: nodeIds(v) })] },
  partner: { variables: [(v) => ({ id: v.provider.id }), (v) => ({ id: v.reseller.id })] },
  partners: { variables: [() => ({ first: 100 }), () => ({ filter: { search: 'Victim' } })] },
  customer: { variables: [(v) => ({ id: v.customer.id }), (v) => ({ id: v.shared.id })] },
  customers: {
    variables: [
      () => ({ first: 20 }),
      (v) => ({ filter: { indirectResellerId: v.reseller.id } }),
      () => ({ filter: { search: 'victim' } }),
      // a partner's filter finds its own external ids only: the victim's name nothing for anyone else
      () => ({ filter: { externalId: VICTIM_SHARED_EXTERNAL_ID } }),
      () => ({ filter: { externalId: VICTIM_OWN_EXTERNAL_ID } }),
    ],
  },
  invitations: { variables: [() => ({ first: 100 })] },
  invitationPreview: { variables: [(v) => ({ token: v.invitation })] },
  indirectResellers: { variables: [() => ({})] },
  indirectProviders: { variables: [() => ({})] },
  partnershipRequests: { variables: [() => ({})] },
  offers: { variables: [() => ({})] },
  activities: {
    variables: [
      () => ({}),
      (v) => ({ partnerId: v.provider.id }),
      (v) => ({ partnerId: v.reseller.id }),
      // every filter, alone and together, on the victim's ids: a filter narrows, never widens
      ...TRAIL_FILTERS.map((make) => (v: Victim) => ({ filter: make(v) })),
      (v) => ({ partnerId: v.provider.id, filter: { customerId: v.customer.id } }),
    ],
  },
  // Query.events and Subscription.events: the victim's events reach no one else, through either
  events: {
    variables: [
      () => ({ first: 100 }),
      (v) => ({ filter: { customerId: v.customer.id } }),
      (v) => ({ filter: { customerId: v.shared.id, types: ['CUSTOMER_CREATED', 'SUBSCRIPTION_CREATED', 'SUBSCRIPTION_UPDATED'] } }),
    ],
    trigger: async () => {
      await t.client(victimToken).data(CreateCustomerInvitationDocument, { input: { includeDelegatedAdminPrivileges: true } });
    },
  },
  // Mutation
  createPartner: {
    variables: [
      (v) => ({ input: { name: 'Victim Impostor Ltd', mpnId: v.provider.mpnId, type: 'INDIRECT_PROVIDER', cloud: 'PUBLIC', contactEmail: 'x@x.example' } }),
    ],
  },
  createCustomer: { variables: [(v) => ({ input: customerInput({ companyName: 'Attacker Customer Limited', indirectResellerId: v.reseller.id }) })] },
  createCustomerInvitation: { variables: [(v) => ({ input: { includeDelegatedAdminPrivileges: true, indirectProviderId: v.provider.id } })] },
  // a stale three-party link must not make V the provider of whoever accepts it (CONFLICT, V's customers unchanged)
  acceptCustomerInvitation: { variables: [(v) => ({ input: { token: v.invitation } }), (v) => ({ input: { token: v.staleThreeParty } })] },
  declineCustomerInvitation: { variables: [(v) => ({ input: { token: v.invitation } })] },
  revokeCustomerInvitation: { variables: [(v) => ({ input: { invitationId: v.invitation } })] },
  removeCustomerRelationship: {
    variables: [(v) => ({ input: { customerId: v.customer.id, attestation: true } })],
  },
  revokeDelegatedAdminPrivileges: { variables: [(v) => ({ input: { partnerId: v.provider.id } }), (v) => ({ input: { partnerId: v.reseller.id } })] },
  requestPartnership: { variables: [(v) => ({ input: { resellerEmail: v.reseller.email } })] },
  acceptPartnershipRequest: { variables: [(v) => ({ input: { token: v.request } })] },
  revokePartnershipRequest: { variables: [(v) => ({ input: { requestId: v.request } })] },
  removePartnership: { variables: [(v) => ({ input: { partnershipId: v.partnership, confirm: true, attestation: true } })] },
  createSubscription: {
    variables: [
      (v) => ({ input: { customerId: v.customer.id, offerId: 'm365-e3', quantity: 1 } }),
      (v) => ({ input: { customerId: v.shared.id, offerId: 'm365-e3', quantity: 1, resellerId: v.reseller.id } }),
    ],
  },
  updateSubscription: {
    variables: [
      (v) => ({ input: { subscriptionId: v.subscription, quantity: 9, resellerId: null, supportContactId: null } }),
      (v) => ({ input: { subscriptionId: v.privateSubscription, quantity: 9 } }),
    ],
  },
  // the subscription lifecycle, on each of the victim's subscriptions in the state where the call would apply
  serverTime: { variables: [() => ({})] },
  // the caller's own budget: nothing of anyone else's to read
  rateLimit: { variables: [() => ({})] },
  cancellationPreview: {
    variables: [
      (v) => ({ subscriptionId: v.subscription }),
      (v) => ({ subscriptionId: v.lifecycle.scheduled }),
      (v) => ({ subscriptionId: v.lifecycle.cancelled }),
    ],
    refusals: ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  subscriptionUpgrades: {
    variables: [(v) => ({ subscriptionId: v.lifecycle.scheduled }), (v) => ({ subscriptionId: v.lifecycle.upgradedTo })],
    refusals: ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  cancelSubscription: {
    variables: [
      (v) => ({ input: { subscriptionId: v.subscription, reason: 'Attacker cancels' } }),
      (v) => ({ input: { subscriptionId: v.privateSubscription } }),
      (v) => ({ input: { subscriptionId: v.lifecycle.suspended, reason: 'Attacker cancels' } }),
    ],
    refusals: ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  suspendSubscription: {
    variables: [
      (v) => ({ input: { subscriptionId: v.subscription, reason: 'Attacker suspends' } }),
      (v) => ({ input: { subscriptionId: v.lifecycle.upgradedTo } }),
    ],
    refusals: ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  reactivateSubscription: {
    variables: [(v) => ({ input: { subscriptionId: v.lifecycle.suspended } })],
    refusals: ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  setSubscriptionExternalId: {
    variables: [
      (v) => ({ input: { subscriptionId: v.subscription, externalId: 'ATTACKER-SUB-1' } }),
      (v) => ({ input: { subscriptionId: v.subscription, externalId: null } }),
      (v) => ({ input: { subscriptionId: v.lifecycle.cancelled, externalId: VICTIM_SUBSCRIPTION_EXTERNAL_ID } }),
    ],
    refusals: ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  setSubscriptionAutoRenew: {
    variables: [
      (v) => ({ input: { subscriptionId: v.lifecycle.scheduled, autoRenew: false } }),
      (v) => ({ input: { subscriptionId: v.privateSubscription, autoRenew: false } }),
    ],
    refusals: ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  scheduleSubscriptionChange: {
    variables: [
      (v) => ({ input: { subscriptionId: v.subscription, quantity: 1 } }),
      (v) => ({
        input: { subscriptionId: v.lifecycle.scheduled, quantity: 1, termDuration: 'P1M', billingFrequency: 'MONTHLY', offerId: 'm365-business-basic' },
      }),
    ],
    refusals: ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  cancelScheduledSubscriptionChange: {
    variables: [(v) => ({ input: { subscriptionId: v.lifecycle.scheduled } })],
    refusals: ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  upgradeSubscription: {
    variables: [
      (v) => ({ input: { subscriptionId: v.lifecycle.scheduled, targetOfferId: 'm365-business-standard' } }),
      (v) => ({ input: { subscriptionId: v.lifecycle.upgradedTo, targetOfferId: 'm365-e3', quantity: 1 } }),
    ],
    refusals: ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  // the operator's alone (a move would renew or expire the victim's subscriptions, which its view would show)
  advanceTestClock: { variables: [() => ({ input: { by: 'P400D' } })], refusals: ['UNAUTHENTICATED', 'FORBIDDEN'] },
  webhookEndpoints: { variables: [() => ({ first: 20 })] },
  createWebhookEndpoint: { variables: [() => ({ input: { url: 'https://hooks.attacker.example/steal', eventTypes: ['CUSTOMER_CREATED'] } })] },
  updateWebhookEndpoint: {
    variables: [(v) => ({ input: { endpointId: v.webhook.endpoint, url: 'https://hooks.attacker.example/hijack', enabled: true } })],
  },
  deleteWebhookEndpoint: { variables: [(v) => ({ input: { endpointId: v.webhook.endpoint } })] },
  redeliverWebhook: { variables: [(v) => ({ input: { deliveryId: v.webhook.delivery } })] },
  // admin relationships: the link of a request addressed to the victim's customer must not work for anyone else
  adminRelationships: {
    variables: [() => ({ first: 50 }), (v) => ({ filter: { customerId: v.shared.id } }), () => ({ filter: { status: 'ACTIVE', expiringWithinDays: 730 } })],
  },
  adminRelationshipPreview: { variables: [(v) => ({ token: v.admin.active })] },
  createAdminRelationship: {
    variables: [(v) => ({ input: { customerId: v.customer.id, displayName: 'Attacker helpdesk', roles: ['GLOBAL_ADMINISTRATOR'], duration: 'P730D' } })],
  },
  approveAdminRelationship: { variables: [(v) => ({ input: { token: v.admin.pendingToken } }), (v) => ({ input: { token: v.admin.open } })] },
  rejectAdminRelationship: { variables: [(v) => ({ input: { token: v.admin.pendingToken } })] },
  terminateAdminRelationship: {
    variables: [(v) => ({ input: { adminRelationshipId: v.admin.active } }), (v) => ({ input: { adminRelationshipId: v.admin.pending } })],
  },
  updateAdminRelationship: { variables: [(v) => ({ input: { adminRelationshipId: v.admin.active, autoExtend: false } })] },
  terminateAdminRelationships: { variables: [(v) => ({ input: { adminRelationshipIds: [v.admin.active, v.admin.pending, v.admin.open] } })] },
  extendAdminRelationships: { variables: [(v) => ({ input: { adminRelationshipIds: [v.admin.active] } })] },
  // a partner's profile and a customer's account details: the victim's own (the shared customer's are the rival's to change too)
  updatePartner: {
    variables: [
      (v) => ({ input: { partnerId: v.provider.id, name: 'Hijacked Distribution Ltd', contactEmail: 'owner@attacker.example' } }),
      (v) => ({ input: { partnerId: v.reseller.id, mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'US_GOVERNMENT' } }),
    ],
  },
  updateCustomer: {
    variables: [
      (v) => ({
        input: {
          customerId: v.customer.id,
          companyName: 'Hijacked Holdings Incorporated',
          billingContact: { firstName: 'Mallory', lastName: 'Attacker', email: 'invoices@attacker.example', phoneNumber: '+1 206 555 0199' },
        },
      }),
      // an external id is its partner's own: setting one on the victim's customer (or clearing it) is NOT_FOUND, BAD_USER_INPUT for a customer
      (v) => ({ input: { customerId: v.customer.id, externalId: 'ATTACKER-CRM-1' } }),
      (v) => ({ input: { customerId: v.customer.id, externalId: null } }),
    ],
  },
  // the victim customer's directory: its users (the shared customer's: the rival serves it with delegated admin
  // privileges, and reads them) and their licences
  customerUsers: {
    variables: [
      (v) => ({ customerId: v.customer.id, first: 50 }),
      (v) => ({ customerId: v.customer.id, filter: { includeDeleted: true, search: 'victim' } }),
      (v) => ({ customerId: v.shared.id, filter: { includeDeleted: true } }),
    ],
  },
  createCustomerUser: {
    variables: [
      (v) => ({
        input: { customerId: v.customer.id, userName: `intruder@${v.customer.domain}`, displayName: 'Intruder', roles: ['GLOBAL_ADMINISTRATOR'] },
      }),
    ],
  },
  updateCustomerUser: {
    variables: [
      (v) => ({ input: { userId: v.users.active, displayName: 'Hijacked', roles: ['GLOBAL_ADMINISTRATOR'] } }),
      (v) => ({ input: { userId: v.users.admin, roles: [] } }),
      (v) => ({ input: { userId: v.users.deleted, firstName: 'Hijacked' } }),
    ],
  },
  deleteCustomerUser: { variables: [(v) => ({ input: { userId: v.users.active } }), (v) => ({ input: { userId: v.users.admin } })] },
  restoreCustomerUser: { variables: [(v) => ({ input: { userId: v.users.deleted } })] },
  assignLicenses: {
    variables: [
      (v) => ({ input: { userId: v.users.admin, subscriptionIds: [v.privateSubscription] } }),
      (v) => ({ input: { userId: v.users.active, subscriptionIds: [v.subscription, v.lifecycle.scheduled] } }),
    ],
  },
  unassignLicenses: { variables: [(v) => ({ input: { userId: v.users.active, subscriptionIds: [v.privateSubscription] } })] },
  // Subscription: the victim's own events must reach none of the attackers
  invitationAccepted: {
    trigger: async (v) => {
      const { token } = await invite(t, victimToken);
      const newcomer = await standaloneCustomer(t);
      await accept(t, newcomer.token, token);
      void v;
    },
  },
  partnershipChanged: {
    trigger: async () => {
      const other = await onboard('INDIRECT_RESELLER', 'Victim Second Reseller Ltd', 'second@victim.example');
      await partner(t, { id: victimId, name: '', token: victimToken }, other);
    },
  },
};

const ALLOWED_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT', 'CONFLICT']);
const PARTNER_ROLES = [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT, Role.USER_ADMIN, Role.BILLING_ADMIN];

let t: TestServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let schema: GraphQLSchema;
let victim: Victim;
let victimId: string;
let victimToken: string;
let resellerToken: string;
let sharedToken: string;
/** the CUSTOMER_ADMIN of the victim's own customer */
let ownToken: string;
const attackers: { name: string; token?: string }[] = [];
/** callers with nothing to do with the victim's own customer: its directory answers them NOT_FOUND */
const strangers: { name: string; token: string }[] = [];
/**
 * partners related to the victim's own customer without the grant its directory needs: FORBIDDEN naming the role
 * (`reads`: what it holds lets it read the users, not change them)
 */
const lacking: { name: string; token: string; reads: boolean }[] = [];

/** One mutation that must succeed, as `token`; its data. */
async function lifecycle<T = unknown>(token: string, mutation: string, input: Record<string, unknown>, select = '{ __typename }'): Promise<T> {
  const inputType = `${mutation.charAt(0).toUpperCase()}${mutation.slice(1)}Input`;
  const res = await t.client(token).raw<T>({ query: `mutation ($input: ${inputType}!) { ${mutation}(input: $input) ${select} }`, variables: { input } });
  if (res.errors?.length || !res.data) throw new Error(`${mutation}: ${JSON.stringify(res.errors)}`);
  return res.data;
}

async function onboard(type: 'DIRECT_RESELLER' | 'INDIRECT_PROVIDER' | 'INDIRECT_RESELLER', name: string, contactEmail: string) {
  const operator = t.client(await t.tokens.operator());
  const mpnId = uniqueMpnId();
  const { createPartner: res } = await operator.data(CreatePartnerDocument, { input: { name, mpnId, type, cloud: 'PUBLIC', contactEmail } });
  return { id: res.partner.id, name, mpnId, email: contactEmail, token: await t.tokens.partner(res.partner.id) };
}

beforeAll(async () => {
  // Every operation selects everything four levels deep, and a refusal by a limit would prove nothing
  // about tenancy: the budgets (cost, tokens) are raised here (test/limits.e2e.test.ts tests them).
  // the test clock on: advanceTestClock is refused for who calls it, not because the clock is off
  t = await startTestServer({
    MAX_QUERY_COMPLEXITY: '1000000',
    MAX_QUERY_TOKENS: '1000000',
    ANONYMOUS_MAX_COMPLEXITY: '1000000',
    ANONYMOUS_RATE_LIMIT: '100000',
    // the per-minute cost budgets too (test/budgets.e2e.test.ts tests them): one caller sends hundreds of these
    ...UNBUDGETED,
    TEST_CLOCK: 'true',
  });
  const introspection = await t.client().raw<IntrospectionQuery>({ query: getIntrospectionQuery() });
  schema = buildClientSchema(introspection.data!);

  // the victim's world
  const provider = await onboard('INDIRECT_PROVIDER', 'Victim Distribution Ltd', 'contact@victim-distribution.example');
  const reseller = await onboard('INDIRECT_RESELLER', 'Victim Reseller Ltd', 'contact@victim-reseller.example');
  victimId = provider.id;
  victimToken = provider.token;
  resellerToken = reseller.token;
  const partnership = await partner(t, provider, reseller);
  const own = await createCustomer(t, provider.token, {
    companyName: 'Victim Own Customer Corporation',
    domain: 'victim-own-customer.onmicrosoft.com',
    indirectResellerId: reseller.id,
  });
  const shared = await createCustomer(t, provider.token, { companyName: 'Shared Customer Corporation', indirectResellerId: reseller.id });
  sharedToken = await t.tokens.customer(shared.id);
  await lifecycle(provider.token, 'updateCustomer', { customerId: shared.id, externalId: VICTIM_SHARED_EXTERNAL_ID });
  await lifecycle(provider.token, 'updateCustomer', { customerId: own.id, externalId: VICTIM_OWN_EXTERNAL_ID });
  const sell = async (customerId: string, more: Partial<CreateSubscriptionInput> = {}) =>
    (
      await t.client(provider.token).data(CreateSubscriptionDocument, {
        input: { customerId, offerId: 'm365-e5', quantity: 4, resellerId: reseller.id, supportContactId: reseller.id, ...more },
      })
    ).createSubscription.subscription.id;
  // the victim's subscriptions through their life (each call by its GLOBAL_ADMIN, in its history)
  const scheduled = await sell(shared.id, { offerId: 'm365-business-basic', quantity: 3, termDuration: 'P1Y', billingFrequency: 'ANNUAL' });
  await lifecycle(provider.token, 'scheduleSubscriptionChange', {
    subscriptionId: scheduled,
    quantity: 5,
    termDuration: 'P3Y',
    billingFrequency: 'TRIENNIAL',
    offerId: 'm365-business-standard',
  });
  const suspended = await sell(own.id, { offerId: 'o365-e1', quantity: 7 });
  await lifecycle(provider.token, 'suspendSubscription', { subscriptionId: suspended, reason: SUSPENSION_REASON });
  const cancelled = await sell(own.id, { offerId: 'm365-e3', quantity: 2, resellerId: null, supportContactId: null });
  await lifecycle(provider.token, 'cancelSubscription', { subscriptionId: cancelled, reason: CANCELLATION_REASON });
  const upgradedFrom = await sell(shared.id, { offerId: 'm365-business-basic', quantity: 6 });
  const upgradedTo = (
    await lifecycle<{ upgradeSubscription: { subscription: { id: string } } }>(
      provider.token,
      'upgradeSubscription',
      { subscriptionId: upgradedFrom, targetOfferId: 'm365-business-premium' },
      '{ subscription { id } }',
    )
  ).upgradeSubscription.subscription.id;
  // the victim's webhook endpoint, with one delivery of its first event
  receiver = await startReceiver([200]);
  const webhook = await createEndpoint(t, provider.token, receiver.url, ['INVITATION_CREATED']);
  const { createCustomerInvitation } = await t.client(provider.token).data(CreateCustomerInvitationDocument, {
    input: { includeDelegatedAdminPrivileges: true, customerEmail: 'it@victim-prospect.example' },
  });
  const { requestPartnership } = await t.client(provider.token).data(RequestPartnershipDocument, {
    input: { resellerEmail: 'future@victim-reseller.example' },
  });
  const activeAdmin = await requestAdmin(t, provider.token, {
    customerId: shared.id,
    displayName: 'Victim Stored Helpdesk A',
    duration: 'P60D',
    autoExtend: true,
  });
  await approveAdmin(t, sharedToken, activeAdmin.token);
  const pendingAdmin = await requestAdmin(t, provider.token, { customerId: own.id, displayName: 'Victim Stored Helpdesk B' });
  const openAdmin = await requestAdmin(t, provider.token, { displayName: 'Victim Stored Helpdesk C' });
  const formerReseller = await onboard('INDIRECT_RESELLER', 'Former Reseller Ltd', 'contact@former-reseller.example');
  const formerPartnership = await partner(t, provider, formerReseller);
  const staleThreeParty = await invite(t, formerReseller.token, true, provider.id);
  await t.client(provider.token).data(RemovePartnershipDocument, { input: { partnershipId: formerPartnership, confirm: true, attestation: true } });
  victim = {
    provider,
    reseller,
    customer: own,
    shared,
    subscription: await sell(shared.id, { externalId: VICTIM_SUBSCRIPTION_EXTERNAL_ID }),
    privateSubscription: await sell(own.id),
    invitation: createCustomerInvitation.invitation.id,
    partnership,
    request: requestPartnership.request.id,
    webhook: {
      endpoint: webhook.endpoint.id,
      url: receiver.url,
      delivery: (
        await until(
          'a delivery',
          () => deliveries(t, provider.token, webhook.endpoint.id),
          (d) => d.deliveries.length > 0,
        )
      ).deliveries[0].id,
    },
    admin: {
      active: activeAdmin.adminRelationship.id,
      pending: pendingAdmin.adminRelationship.id,
      pendingToken: pendingAdmin.token,
      open: openAdmin.adminRelationship.id,
    },
    staleThreeParty: staleThreeParty.token,
    lifecycle: { scheduled, suspended, cancelled, upgradedFrom, upgradedTo },
    users: { admin: '', active: '', deleted: '' },
    records: [],
  };
  // the victim customer's directory, kept by the customer's own admin: a user with a licence of V's private
  // subscription, a deleted one (restorable), and the first admin every customer gets
  ownToken = await t.tokens.customer(own.id);
  const newUser = async (name: string, displayName: string) =>
    (
      await lifecycle<{ createCustomerUser: { user: { id: string } } }>(
        ownToken,
        'createCustomerUser',
        { customerId: own.id, userName: `${name}@${own.domain}`, displayName, firstName: 'Victim', lastName: 'Confidential' },
        '{ user { id } }',
      )
    ).createCustomerUser.user.id;
  victim.users.active = await newUser('victim.confidential', ACTIVE_USER);
  await lifecycle(ownToken, 'assignLicenses', { userId: victim.users.active, subscriptionIds: [victim.privateSubscription] });
  victim.users.deleted = await newUser('victim.departed', DELETED_USER);
  await lifecycle(ownToken, 'deleteCustomerUser', { userId: victim.users.deleted });
  const { data: admins } = await t.client(ownToken).raw<{ customerUsers: { edges: { node: { id: string; userName: string } }[] } }>({
    query: 'query ($id: ID!) { customerUsers(customerId: $id) { edges { node { id userName } } } }',
    variables: { id: own.id },
  });
  victim.users.admin = admins!.customerUsers.edges.find((e) => e.node.userName === `admin@${own.domain}`)!.node.id;
  // a customer that granted the victim delegated admin privileges (through an invitation)
  await accept(t, (await standaloneCustomer(t)).token, (await invite(t, provider.token, true)).token);
  // the victim's records that no id above names, as its own users read them
  const { data: records } = await t.client(provider.token).raw<{
    customers: { edges: { node: { relationship: { id: string } | null; delegatedAdminPrivileges: { id: string } | null } }[] };
    activities: { edges: { node: { id: string } }[] };
    events: { edges: { node: { id: string } }[] };
  }>({
    query: `{ customers(first: 20) { edges { node { relationship { id } delegatedAdminPrivileges { id } } } }
      activities(first: 10) { edges { node { id } } } events(first: 10) { edges { node { id } } } }`,
  });
  const ids = (list: (string | undefined)[]) => list.filter((id): id is string => !!id);
  // the history of its subscriptions, as the victim reads it (the suspension and the cancellation first: they hold its reasons)
  const { data: histories } = await t.client(provider.token).raw<{
    nodes: { history: { edges: { node: { id: string; details: string | null } }[] } }[];
  }>({
    query: 'query ($ids: [ID!]!) { nodes(ids: $ids) { ... on CustomerSubscription { history(first: 100) { edges { node { id details } } } } } }',
    variables: { ids: [suspended, cancelled, scheduled, upgradedFrom, upgradedTo] },
  });
  const history = histories!.nodes.flatMap((n) => n.history.edges.map((e) => e.node));
  expect(history.map((h) => h.details ?? '').filter((d) => d.includes(SUSPENSION_REASON) || d.includes(CANCELLATION_REASON))).toHaveLength(2);
  victim.records = [
    ids(records!.customers.edges.map((e) => e.node.relationship?.id)),
    ids(records!.customers.edges.map((e) => e.node.delegatedAdminPrivileges?.id)),
    records!.activities.edges.map((e) => e.node.id),
    records!.events.edges.map((e) => e.node.id),
    // the record holding the suspension's reason first (node(id) is tried with the first of each kind)
    [...history.filter((h) => h.details?.includes(SUSPENSION_REASON)), ...history.filter((h) => !h.details?.includes(SUSPENSION_REASON))].map((h) => h.id),
  ];
  expect(victim.records.map((kind) => kind.length > 0)).toEqual([true, true, true, true, true]);
  expect(namedIds(victim).length + victim.records.length).toBe(NODE_PROBES);

  // the attackers: every role of three unrelated partners (one of them a partner of the shared customer too),
  // an unrelated customer's admin, and no token at all
  const rival = await onboard('DIRECT_RESELLER', 'Rival Resale Ltd', 'contact@rival.example');
  await accept(t, sharedToken, (await invite(t, rival.token)).token);
  const rivalProvider = await onboard('INDIRECT_PROVIDER', 'Rival Distribution Ltd', 'contact@rival-distribution.example');
  const rivalReseller = await onboard('INDIRECT_RESELLER', 'Rival Reseller Ltd', 'contact@rival-reseller.example');
  await createCustomer(t, rival.token, { companyName: 'Rival Own Customer Limited' });
  // the rival's own subscriptions on the customer it shares with the victim, through their life: the paths from
  // its own (customer → subscriptions → upgradedFrom / upgradedTo → history) must lead to none of the victim's
  const rivalSale = (input: Record<string, unknown>) =>
    lifecycle<{ createSubscription: { subscription: { id: string } } }>(
      rival.token,
      'createSubscription',
      { customerId: shared.id, quantity: 2, ...input },
      '{ subscription { id } }',
    ).then((d) => d.createSubscription.subscription.id);
  const rivalBasic = await rivalSale({ offerId: 'm365-business-basic' });
  await lifecycle(rival.token, 'upgradeSubscription', { subscriptionId: rivalBasic, targetOfferId: 'm365-business-standard' });
  const rivalSuspended = await rivalSale({ offerId: 'm365-e3' });
  await lifecycle(rival.token, 'suspendSubscription', { subscriptionId: rivalSuspended, reason: 'Rival own reason' });
  await lifecycle(rival.token, 'scheduleSubscriptionChange', { subscriptionId: await rivalSale({ offerId: 'm365-e3' }), quantity: 3 });
  for (const p of [rival, rivalProvider, rivalReseller]) {
    for (const role of PARTNER_ROLES) attackers.push({ name: `${p.name} ${role}`, token: await t.tokens.partner(p.id, role) });
  }
  const stranger = await standaloneCustomer(t);
  attackers.push({ name: 'an unrelated customer admin', token: stranger.token }, { name: 'anonymous' });

  strangers.push(
    { name: `${rival.name} ${Role.GLOBAL_ADMIN}`, token: await t.tokens.partner(rival.id, Role.GLOBAL_ADMIN) },
    { name: `${rival.name} ${Role.ADMIN_AGENT}`, token: await t.tokens.partner(rival.id, Role.ADMIN_AGENT) },
    { name: `${rivalProvider.name} ${Role.GLOBAL_ADMIN}`, token: await t.tokens.partner(rivalProvider.id, Role.GLOBAL_ADMIN) },
    { name: `${rivalReseller.name} ${Role.ADMIN_AGENT}`, token: await t.tokens.partner(rivalReseller.id, Role.ADMIN_AGENT) },
    { name: 'an unrelated customer admin', token: stranger.token },
    { name: 'the shared customer’s admin', token: sharedToken },
  );
  // related to the victim's customer through admin relationships it approved: one whose role reads nothing
  // (HELPDESK_ADMINISTRATOR), one that only reads (DIRECTORY_READER), and one with every role, terminated since
  const related = async (name: string, roles: AdminRole[], terminate = false) => {
    const p = await onboard('DIRECT_RESELLER', name, `contact@${name.split(' ')[0].toLowerCase()}.example`);
    const asked = await requestAdmin(t, p.token, { displayName: `${name} access`, roles, duration: 'P90D' });
    await approveAdmin(t, ownToken, asked.token);
    if (terminate) await lifecycle(p.token, 'terminateAdminRelationship', { adminRelationshipId: asked.adminRelationship.id });
    return p;
  };
  const helpdesk = await related('Helpdesk Services Ltd', ['HELPDESK_ADMINISTRATOR', 'SECURITY_READER']);
  const reader = await related('Reader Services Ltd', ['DIRECTORY_READER']);
  const former = await related('Former Admin Services Ltd', ['GLOBAL_ADMINISTRATOR'], true);
  lacking.push(
    // the victim itself: it sells to the customer, but the customer's delegated admin privileges went to its reseller
    { name: `the victim's ${Role.GLOBAL_ADMIN}`, token: victimToken, reads: false },
    { name: `the victim's ${Role.ADMIN_AGENT}`, token: await t.tokens.partner(victimId, Role.ADMIN_AGENT), reads: false },
    { name: `${helpdesk.name} ${Role.GLOBAL_ADMIN}`, token: helpdesk.token, reads: false },
    { name: `${reader.name} ${Role.ADMIN_AGENT}`, token: await t.tokens.partner(reader.id, Role.ADMIN_AGENT), reads: true },
    { name: `${former.name} ${Role.GLOBAL_ADMIN}`, token: former.token, reads: false },
  );
});
afterAll(async () => {
  await t.stop();
  await receiver?.stop();
});

/** Everything the victim side owns, as its own users read it. */
async function victimView(): Promise<string> {
  const everything = `{
    viewer { id partner { id name mpnId contactEmail } }
    customers(first: 20) { totalCount edges { node { ${selectionFor(schema.getType('Customer') as GraphQLObjectType, 4)} } } }
    invitations(first: 100) { totalCount edges { node { id status acceptedAt declinedAt revokedAt } } }
    partnershipRequests(first: 100) { totalCount edges { node { id status } } }
    indirectResellers(first: 100) { totalCount edges { node { id status removedAt } } }
    indirectProviders(first: 100) { totalCount edges { node { id status removedAt } } }
    activities(first: 100) { totalCount }
    webhookEndpoints(first: 20) { totalCount edges { node { id url enabled eventTypes description } } }
    adminRelationships(first: 20) { totalCount edges { node { id status autoExtend endsAt endedAt extensions customerId } } }
  }`;
  const views = await Promise.all([victimToken, resellerToken].map((token) => t.client(token).raw({ query: everything })));
  const sharedView = await t.client(sharedToken).raw({
    query: `{ customer(id: "${victim.shared.id}") { ${selectionFor(schema.getType('Customer') as GraphQLObjectType, 4)} } }`,
  });
  // the victim customer's directory (deleted users too, each with its licences), as the customer's admin and the
  // reseller that holds its delegated admin privileges read it
  const directory = `query ($id: ID!) { customerUsers(customerId: $id, first: 50, filter: { includeDeleted: true }) {
    totalCount edges { node { ${selectionFor(schema.getType('CustomerUser') as GraphQLObjectType, 2)} } } } }`;
  const directories = await Promise.all(
    [ownToken, resellerToken].map((token) => t.client(token).raw({ query: directory, variables: { id: victim.customer.id } })),
  );
  for (const view of [...views, sharedView, ...directories]) expect(view.errors).toBeUndefined();
  return JSON.stringify([views.map((v) => v.data), sharedView.data, directories.map((d) => d.data)]);
}

/** Every id of the victim's records (a shared customer is the rival's too, so it is not one of them). */
function nodeIds(v: Victim): string[] {
  return [...namedIds(v), ...v.records.flat()].slice(0, 100);
}

/** The victim's ids named by a field of Victim: one of each type but the relationships, privileges, audit records and events. */
function namedIds(v: Victim): string[] {
  return [
    v.provider.id,
    v.reseller.id,
    v.customer.id,
    v.subscription,
    v.privateSubscription,
    v.invitation,
    v.partnership,
    v.request,
    v.webhook.endpoint,
    v.webhook.delivery,
    v.admin.active,
    v.admin.pending,
    v.admin.open,
    v.lifecycle.scheduled,
    v.lifecycle.suspended,
    v.lifecycle.cancelled,
    v.lifecycle.upgradedFrom,
    v.lifecycle.upgradedTo,
    v.users.admin,
    v.users.active,
    v.users.deleted,
  ];
}

/** The strings that would betray the victim's data, whatever field they turn up in. */
function secrets(v: Victim): string[] {
  return [
    VICTIM_SHARED_EXTERNAL_ID,
    VICTIM_OWN_EXTERNAL_ID,
    VICTIM_SUBSCRIPTION_EXTERNAL_ID,
    v.provider.id,
    v.provider.name,
    v.provider.email,
    v.provider.mpnId,
    v.reseller.id,
    v.reseller.name,
    v.reseller.email,
    v.customer.id,
    v.customer.domain,
    'Victim Own Customer Corporation',
    v.subscription,
    v.privateSubscription,
    v.invitation,
    v.partnership,
    v.request,
    'it@victim-prospect.example',
    'future@victim-reseller.example',
    v.webhook.endpoint,
    v.webhook.url,
    v.webhook.delivery,
    v.admin.active,
    v.admin.pending,
    v.admin.pendingToken,
    v.admin.open,
    'Victim Stored Helpdesk',
    v.lifecycle.scheduled,
    v.lifecycle.suspended,
    v.lifecycle.cancelled,
    v.lifecycle.upgradedFrom,
    v.lifecycle.upgradedTo,
    SUSPENSION_REASON,
    CANCELLATION_REASON,
    v.users.admin,
    v.users.active,
    v.users.deleted,
    ACTIVE_USER,
    DELETED_USER,
    ...v.records.flat(),
  ];
}

/**
 * A selection of every field of a type down to `depth` object levels (fields needing arguments are
 * skipped); an interface or union: every field of each of its object types.
 */
function selectionFor(type: GraphQLObjectType | GraphQLAbstractType, depth: number, aliases?: Map<string, string>): string {
  if (isAbstractType(type)) {
    const possible = schema.getPossibleTypes(type);
    // two types may have fields of one name and different types (`actor`, `status`): each other type of
    // such a field gets its own alias (the most common type keeps the name)
    const typesOf = new Map<string, Map<string, number>>();
    for (const p of possible) {
      for (const f of Object.values(p.getFields())) {
        const counts = typesOf.get(f.name) ?? new Map<string, number>();
        counts.set(String(f.type), (counts.get(String(f.type)) ?? 0) + 1);
        typesOf.set(f.name, counts);
      }
    }
    const aliasOf = (name: string, fieldType: string) => {
      const ranked = [...typesOf.get(name)!.entries()].sort((a, b) => b[1] - a[1]).map(([t]) => t);
      const rank = ranked.indexOf(fieldType);
      return rank === 0 ? name : `${name}_${rank}`;
    };
    const each = possible.map((p) => {
      const own = new Map(Object.values(p.getFields()).map((f) => [f.name, aliasOf(f.name, String(f.type))]));
      return `... on ${p.name} { ${selectionFor(p, depth, own)} }`;
    });
    return `__typename ${each.join(' ')}`;
  }
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const named = getNamedType(field.type);
    const alias = aliases?.get(field.name);
    const name = alias && alias !== field.name ? `${alias}: ${field.name}` : field.name;
    if (isLeafType(named)) parts.push(name);
    else if ((isObjectType(named) || isAbstractType(named)) && depth > 0) {
      const inner = selectionFor(named, depth - 1);
      if (inner) parts.push(`${name} { ${inner} }`);
    }
  }
  return parts.join(' ');
}

/** An operation calling one root field with the given variables, selecting everything under it. */
function operationFor(
  kind: 'query' | 'mutation' | 'subscription',
  field: GraphQLField<unknown, unknown>,
  variables: Record<string, unknown>,
  depth = 4,
): string {
  const args = field.args.filter((a) => a.name in variables);
  const defs = args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const passed = args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const named = getNamedType(field.type);
  const selection = isObjectType(named) || isAbstractType(named) ? `{ ${selectionFor(named, depth)} }` : '';
  return `${kind} Probe${defs ? `(${defs})` : ''} { ${field.name}${passed ? `(${passed})` : ''} ${selection} }`;
}

const fitted = new Map<string, string>();
/**
 * The operation with the deepest selection (four levels at most) the cost limit takes, however raised:
 * lists of offers nest without end (Offer.upgradeTargets), and a refusal by the limit would prove
 * nothing. The cost is checked before anything runs: an anonymous call tells it.
 */
async function fittingOperation(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, variables: Record<string, unknown>): Promise<string> {
  const key = `${field.name} ${Object.keys(variables).sort().join(',')}`;
  const known = fitted.get(key);
  if (known) return known;
  for (let depth = 4; ; depth--) {
    const query = operationFor(kind, field, variables, depth);
    const res = depth > 1 ? await t.client().raw({ query, variables }) : undefined;
    if (!res?.errors?.some((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && e.extensions.cost !== undefined)) {
      fitted.set(key, query);
      return query;
    }
  }
}

function rootFields(): { kind: 'query' | 'mutation' | 'subscription'; field: GraphQLField<unknown, unknown> }[] {
  const roots = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ] as const;
  return roots.flatMap(([kind, type]) => Object.values(type?.getFields() ?? {}).map((field) => ({ kind, field })));
}

/** Fails with a readable message when an answer carries a victim secret the caller did not send. */
function expectNoLeak(res: GqlResponse<unknown>, sent: Record<string, unknown>, label: string) {
  const echoed = JSON.stringify(sent);
  const leaked = secrets(victim).filter((s) => !echoed.includes(s) && JSON.stringify(res).includes(s));
  expect({ label, leaked }).toEqual({ label, leaked: [] });
}

/**
 * For callers that may know the victim's customer (its partners, and the other customer the victim serves): fails
 * when an answer carries anything of the customer's users (their ids, names, display names) the caller did not send.
 */
function expectNoUserLeak(res: GqlResponse<unknown>, sent: Record<string, unknown>, label: string) {
  const echoed = JSON.stringify(sent);
  const users = [...Object.values(victim.users), ACTIVE_USER, DELETED_USER, 'victim.confidential@', 'victim.departed@'];
  const leaked = users.filter((s) => !echoed.includes(s) && JSON.stringify(res).includes(s));
  expect({ label, leaked }).toEqual({ label, leaked: [] });
}

it('has a case for every query, mutation and subscription of the schema', () => {
  const missing = rootFields()
    .map(({ field }) => field.name)
    .filter((name) => !CASES[name]);
  expect(missing).toEqual([]);
  const stale = Object.keys(CASES).filter((name) => !rootFields().some(({ field }) => field.name === name));
  expect(stale).toEqual([]);
});

it('pushes none of the victim’s events to another tenant’s sockets', async () => {
  for (const { kind, field } of rootFields().filter((r) => r.kind === 'subscription')) {
    const spec = CASES[field.name];
    if (!spec?.trigger) throw new Error(`subscription ${field.name} needs a trigger case`);
    const query = operationFor(kind, field, {});
    const subscribe = (token?: string) => {
      const ws = t.ws(token);
      const events: unknown[] = [];
      const errors: unknown[] = [];
      const dispose = ws.client.subscribe(
        { query },
        { next: (v) => (v.data ? events.push(v.data) : errors.push(v.errors)), error: (e) => errors.push(e), complete: () => {} },
      );
      return { ws, events, errors, dispose };
    };
    const control = subscribe(victimToken);
    const spies = attackers.map((a) => ({ name: a.name, ...subscribe(a.token) }));
    // connected, or closed at once (a socket without a token is closed with 4401)
    await Promise.all([control, ...spies].map((s) => Promise.race([s.ws.ready(), s.ws.closed])));
    await new Promise((r) => setTimeout(r, 200));
    await spec.trigger(victim);
    for (let i = 0; i < 50 && control.events.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect({ op: field.name, events: control.events.length, errors: control.errors }).toEqual({ op: field.name, events: 1, errors: [] });
    await new Promise((r) => setTimeout(r, 300));
    for (const spy of spies) expect({ who: spy.name, op: field.name, events: spy.events }).toEqual({ who: spy.name, op: field.name, events: [] });
    await Promise.all(
      [control, ...spies].map(async (s) => {
        s.dispose();
        await s.ws.close();
      }),
    );
  }
});

// before the mutations run: an attacker's own successful calls (a partnership request to the victim's reseller's
// address) are in its own trail, with what it sent
it('exports none of the victim’s audit trail to anyone else, whatever the parameters (GET /exports/activities)', async () => {
  const url = (params: Record<string, unknown>) => {
    const u = new URL('/exports/activities', t.url);
    for (const [k, value] of Object.entries(params)) u.searchParams.set(k, Array.isArray(value) ? value.join(',') : String(value));
    return u;
  };
  const get = async (token: string | undefined, params: Record<string, unknown>) => {
    const res = await fetch(url(params), { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: await res.text() };
  };
  // the control: the victim's own export has its records
  const own = await get(victimToken, { format: 'ndjson' });
  expect(own.status).toBe(200);
  expect(own.body).toContain(victim.provider.id);
  const before = await victimView();
  const cases: Record<string, unknown>[] = [
    {},
    { partnerId: victim.provider.id },
    { partnerId: victim.reseller.id, format: 'ndjson' },
    ...TRAIL_FILTERS.map((make) => ({ format: 'ndjson', ...make(victim) })),
    ...TRAIL_FILTERS.map((make) => ({ format: 'csv', partnerId: victim.provider.id, ...make(victim) })),
  ];
  for (const params of cases) {
    for (const attacker of attackers) {
      const label = `${attacker.name}: export ${JSON.stringify(params)}`;
      const res = await get(attacker.token, params);
      expect({ label, status: [200, 401, 403, 404].includes(res.status) }).toEqual({ label, status: true });
      const leaked = secrets(victim).filter((s) => !JSON.stringify(params).includes(s) && res.body.includes(s));
      expect({ label, leaked }).toEqual({ label, leaked: [] });
    }
  }
  expect(await victimView()).toBe(before);
}, 120_000);

it('answers every query and mutation with nothing of the victim’s, and changes nothing of it', async () => {
  let before = await victimView();
  let calls = 0;
  for (const { kind, field } of rootFields().filter((r) => r.kind !== 'subscription')) {
    const spec = CASES[field.name];
    if (!spec?.variables) throw new Error(`${kind} ${field.name} needs a variables case`);
    for (const make of spec.variables) {
      const variables = make(victim);
      const query = await fittingOperation(kind as 'query' | 'mutation', field, variables);
      for (const attacker of attackers) {
        const label = `${attacker.name}: ${field.name}(${JSON.stringify(variables)})`;
        const res = await t.client(attacker.token).raw({ query, variables });
        calls++;
        expect({ label, status: res.status < 500 }).toEqual({ label, status: true });
        for (const err of res.errors ?? []) {
          // a refusal by the cost or depth limit would prove nothing: bad input must name the field the victim's id was in
          const code = String(err.extensions?.code);
          const allowed = spec.refusals
            ? spec.refusals.includes(code)
            : ALLOWED_CODES.has(code) && (code !== 'BAD_USER_INPUT' || Boolean(err.extensions?.fields?.length));
          expect({ label, error: allowed ? 'allowed' : err }).toEqual({ label, error: 'allowed' });
        }
        expectNoLeak(res, variables, label);
        // after each mutation, the victim's whole view (which call changed it); after a query, once all the attackers sent it
        if (kind === 'mutation') {
          const after = await victimView();
          expect({ label, changed: after !== before }).toEqual({ label, changed: false });
          before = after;
        }
      }
      if (kind === 'query') {
        const label = `${field.name}(${JSON.stringify(variables)}) by any attacker`;
        const after = await victimView();
        expect({ label, changed: after !== before }).toEqual({ label, changed: false });
        before = after;
      }
    }
  }
  expect(calls).toBeGreaterThan(1000);
  // about 1,900 calls, and the victim's whole view after each mutation: minutes, more on MariaDB
}, 600_000);

/** Everything of a subscription an attacker could reach its history through, two upgrade steps deep. */
const HISTORY =
  'history(first: 30) { totalCount edges { node { id action details correlationId actor { userId partnerId customerId } changes { field before after } } } }';
const SUBSCRIPTION = `id status quantity autoRenew termEndsAt endedAt scheduledChange { quantity termDuration offer { id } } ${HISTORY}`;
const UPGRADES = `${SUBSCRIPTION} upgradedFrom { ${SUBSCRIPTION} upgradedFrom { id } upgradedTo { id } } upgradedTo { ${SUBSCRIPTION} upgradedFrom { id } upgradedTo { id } }`;
/** The same under a customer's subscriptions, within the depth limit (10) */
const OWN_SUBSCRIPTION =
  'id status history(first: 30) { edges { node { id action details } } } upgradedFrom { id status history { totalCount } } upgradedTo { id status history { totalCount } }';

it('keeps the victim’s subscriptions and their history (reasons, actors, changes) out of every path from an attacker’s own', async () => {
  const query = `query ($ids: [ID!]!) {
    customers(first: 20) { edges { node { id subscriptions(first: 20) { totalCount edges { node { ${OWN_SUBSCRIPTION} } } } } } }
    nodes(ids: $ids) { id ... on CustomerSubscription { ${UPGRADES} } ... on Activity { id details } }
    activities(first: 50, filter: { subjectType: SUBSCRIPTION }) { totalCount edges { node { id subjectId details changes { field before after } } } }
  }`;
  const ids = [
    ...namedIds(victim).filter((id) => [victim.subscription, victim.privateSubscription, ...Object.values(victim.lifecycle)].includes(id)),
    ...victim.records[4],
  ];
  // the control: the victim reads its reasons through these paths
  const own = await t.client(victimToken).raw({ query, variables: { ids } });
  expect(own.errors).toBeUndefined();
  expect(JSON.stringify(own.data)).toContain(SUSPENSION_REASON);
  expect(JSON.stringify(own.data)).toContain(CANCELLATION_REASON);
  for (const attacker of attackers) {
    const label = `${attacker.name}: the paths to subscription history`;
    const res = await t.client(attacker.token).raw({ query, variables: { ids } });
    expect({ label, status: res.status < 500 }).toEqual({ label, status: true });
    for (const err of res.errors ?? [])
      expect({ label, code: ['UNAUTHENTICATED', 'FORBIDDEN'].includes(String(err.extensions?.code)) }).toEqual({ label, code: true });
    // the victim's objects are null in `nodes`, wherever an id was sent
    expectNoLeak(res, { ids }, label);
  }
  // the rival's own upgraded and suspended subscriptions are read through the same paths (the query reaches the history)
  const rivalAdmin = attackers.find((a) => a.name === `Rival Resale Ltd ${Role.GLOBAL_ADMIN}`)!;
  const rivals = JSON.stringify((await t.client(rivalAdmin.token).raw({ query, variables: { ids } })).data);
  expect(rivals).toContain('Rival own reason');
  expect(rivals).toContain('SUBSCRIPTION_UPGRADED');
}, 60_000);

it('lets the reseller of record, the customer and the victim’s other roles read its subscriptions, and change none of them', async () => {
  const resellerRole = (role: Role) => t.tokens.partner(victim.reseller.id, role);
  const managers: string[] = [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT];
  const sellers = [Role.SALES_AGENT];
  // codes: how each may be refused (a role the operation is not for: FORBIDDEN; a partner that did not sell it: NOT_FOUND)
  const readers: { name: string; token: string; codes: string[]; reads: boolean }[] = [];
  for (const role of PARTNER_ROLES) {
    // the reseller of record reads the subscription, but only its seller changes it (or previews and lists its upgrades)
    const codes = managers.includes(role) ? ['NOT_FOUND'] : ['NOT_FOUND', 'FORBIDDEN'];
    readers.push({ name: `the reseller of record's ${role}`, token: await resellerRole(role), codes, reads: [...managers, ...sellers].includes(role) });
  }
  readers.push({ name: 'the customer’s admin', token: sharedToken, codes: ['FORBIDDEN', 'NOT_FOUND'], reads: true });
  for (const role of [Role.SALES_AGENT, Role.USER_ADMIN, Role.BILLING_ADMIN]) {
    readers.push({ name: `the victim's own ${role}`, token: await t.tokens.partner(victimId, role), codes: ['FORBIDDEN'], reads: role === Role.SALES_AGENT });
  }
  // they read it (the reseller of record and the customer through node(id); the victim's roles as its own)
  for (const reader of readers.filter((r) => r.reads)) {
    const res = await t.client(reader.token).raw<{ node: { id: string; status: string } | null }>({
      query: 'query ($id: ID!) { node(id: $id) { ... on CustomerSubscription { id status scheduledChange { quantity } } } }',
      variables: { id: victim.lifecycle.scheduled },
    });
    expect({ who: reader.name, read: res.data?.node?.id }).toEqual({ who: reader.name, read: victim.lifecycle.scheduled });
  }
  let before = await victimView();
  let calls = 0;
  for (const { kind, field } of rootFields().filter((r) => LIFECYCLE.has(r.field.name))) {
    for (const make of CASES[field.name].variables!) {
      const variables = make(victim);
      const query = await fittingOperation(kind as 'query' | 'mutation', field, variables);
      for (const reader of readers) {
        // the victim's SALES_AGENT previews and lists upgrades of its own partner's subscriptions: those are reads
        if (kind === 'query' && reader.name === `the victim's own ${Role.SALES_AGENT}`) continue;
        const label = `${reader.name}: ${field.name}(${JSON.stringify(variables)})`;
        const res = await t.client(reader.token).raw({ query, variables });
        calls++;
        const codes = (res.errors ?? []).map((e) => String(e.extensions?.code));
        const refused = codes.length > 0 && codes.every((c) => reader.codes.includes(c));
        expect({ label, refused, answer: refused ? null : res }).toEqual({ label, refused: true, answer: null });
        expect({ label, data: (res.data as Record<string, unknown> | null | undefined)?.[field.name] ?? null }).toEqual({ label, data: null });
        const after = await victimView();
        expect({ label, changed: after !== before }).toEqual({ label, changed: false });
        before = after;
      }
    }
  }
  expect(calls).toBeGreaterThan(100);
}, 120_000);

/** The victim customer's directory operations, and the admin role a partner needs for each (FORBIDDEN names it). */
const DIRECTORY: Record<string, string> = {
  customerUsers: 'DIRECTORY_READER',
  createCustomerUser: 'USER_ADMINISTRATOR',
  updateCustomerUser: 'USER_ADMINISTRATOR',
  deleteCustomerUser: 'USER_ADMINISTRATOR',
  restoreCustomerUser: 'USER_ADMINISTRATOR',
  assignLicenses: 'LICENSE_ADMINISTRATOR',
  unassignLicenses: 'LICENSE_ADMINISTRATOR',
};

it('keeps the victim customer’s users and licences from strangers (NOT_FOUND) and from related partners without the role (FORBIDDEN naming it)', async () => {
  // the controls: the customer's admin, its reseller (delegated admin privileges) and the reader partner list its users
  const list = 'query ($id: ID!) { customerUsers(customerId: $id, filter: { includeDeleted: true }) { totalCount edges { node { id } } } }';
  for (const token of [ownToken, resellerToken, lacking.find((l) => l.reads)!.token]) {
    const res = await t.client(token).raw<{ customerUsers: { edges: { node: { id: string } }[] } }>({ query: list, variables: { id: victim.customer.id } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.customerUsers.edges.map((e) => e.node.id).sort()).toEqual([victim.users.admin, victim.users.active, victim.users.deleted].sort());
  }
  let before = await victimView();
  let calls = 0;
  for (const { kind, field } of rootFields().filter((r) => r.field.name in DIRECTORY)) {
    const role = DIRECTORY[field.name];
    for (const make of CASES[field.name].variables!) {
      const variables = make(victim);
      // the shared customer's directory is the rival's to read (it serves it with delegated admin privileges)
      if (variables.customerId === victim.shared.id) continue;
      const query = await fittingOperation(kind as 'query' | 'mutation', field, variables);
      const callers = [
        ...strangers.map((c) => ({ ...c, expected: 'NOT_FOUND', related: c.token === sharedToken })),
        ...lacking.filter((c) => kind === 'mutation' || !c.reads).map((c) => ({ ...c, expected: 'FORBIDDEN', related: true })),
      ];
      for (const caller of callers) {
        const label = `${caller.name}: ${field.name}(${JSON.stringify(variables)})`;
        const res = await t.client(caller.token).raw({ query, variables });
        calls++;
        const errors = (res.errors ?? []).map((e) => ({
          code: e.extensions?.code,
          namesRole: caller.expected === 'FORBIDDEN' ? e.message.includes(role) : true,
        }));
        expect({ label, errors }).toEqual({ label, errors: [{ code: caller.expected, namesRole: true }] });
        expect({ label, data: (res.data as Record<string, unknown> | null | undefined)?.[field.name] ?? null }).toEqual({ label, data: null });
        // a related caller knows the customer (the refusal names it), never its users; a stranger learns nothing
        if (caller.related) expectNoUserLeak(res, variables, label);
        else expectNoLeak(res, variables, label);
        if (kind === 'mutation') {
          const after = await victimView();
          expect({ label, changed: after !== before }).toEqual({ label, changed: false });
          before = after;
        }
      }
    }
  }
  expect(await victimView()).toBe(before);
  expect(calls).toBeGreaterThan(100);
}, 180_000);

it('answers node and nodes with exactly null for the victim customer’s users, to everyone without a reading grant', async () => {
  const ids = [victim.users.admin, victim.users.active, victim.users.deleted];
  const query = `query ($id: ID!, $ids: [ID!]!) {
    node(id: $id) { __typename id ... on CustomerUser { ${selectionFor(schema.getType('CustomerUser') as GraphQLObjectType, 2)} } }
    nodes(ids: $ids) { __typename id ... on CustomerUser { ${selectionFor(schema.getType('CustomerUser') as GraphQLObjectType, 1)} } }
  }`;
  // the control: the customer's admin reads each of them (the deleted one too)
  for (const id of ids) {
    const own = await t.client(ownToken).raw<{ node: { id: string } | null; nodes: ({ id: string } | null)[] }>({ query, variables: { id, ids } });
    expect(own.errors).toBeUndefined();
    expect([own.data!.node?.id, own.data!.nodes.map((n) => n?.id)]).toEqual([id, ids]);
  }
  const callers = [...attackers.filter((a) => a.token).map((a) => ({ name: a.name, token: a.token! })), ...strangers, ...lacking.filter((l) => !l.reads)];
  for (const caller of callers) {
    for (const id of ids) {
      const label = `${caller.name}: node(${id})`;
      const res = await t.client(caller.token).raw({ query, variables: { id, ids } });
      // a partner role the directory is not for may be refused outright; otherwise the answer is null, and null only
      const codes = (res.errors ?? []).map((e) => String(e.extensions?.code));
      if (codes.length) expect({ label, codes }).toEqual({ label, codes: codes.map(() => 'FORBIDDEN') });
      else expect({ label, data: res.data }).toEqual({ label, data: { node: null, nodes: [null, null, null] } });
      expectNoUserLeak(res, { id, ids }, label);
    }
  }
});

it('shows another customer’s admin none of the victim customer’s users, through any of its own reads', async () => {
  const query = `query ($own: ID!) {
    customerUsers(customerId: $own, first: 50, filter: { includeDeleted: true }) {
      totalCount edges { node { ${selectionFor(schema.getType('CustomerUser') as GraphQLObjectType, 2)} } } }
    activities(first: 100) { totalCount edges { node { ${selectionFor(schema.getType('Activity') as GraphQLObjectType, 2)} } } }
    events(first: 100) { edges { node { ${selectionFor(schema.getType('Event') as GraphQLAbstractType, 2)} } } }
  }`;
  for (const admin of strangers.filter((s) => s.name.includes('customer'))) {
    const label = `${admin.name}: its own directory, audit trail and events`;
    const own = await t.client(admin.token).raw<{ viewer: { customer: { id: string } } }>({ query: '{ viewer { customer { id } } }' });
    const res = await t.client(admin.token).raw<{ customerUsers: { totalCount: number } }>({
      query,
      variables: { own: own.data!.viewer.customer.id },
    });
    expect({ label, errors: res.errors }).toEqual({ label, errors: undefined });
    // its own directory answers (its first admin at least)
    expect(res.data!.customerUsers.totalCount).toBeGreaterThan(0);
    // the shared customer's admin reads what the victim does for it, never the victim's other customer's users
    if (admin.token === sharedToken) expectNoUserLeak(res, {}, label);
    else expectNoLeak(res, {}, label);
  }
});

it('lets no one but the customer’s own side change its account, and no one but the operator and the partner itself its profile', async () => {
  const cases: { name: string; token: string; mutation: string; input: Record<string, unknown>; code: string; names?: string }[] = [];
  const account = {
    customerId: victim.customer.id,
    companyName: 'Hijacked Holdings Incorporated',
    primaryContact: { firstName: 'Mallory', lastName: 'Attacker', email: 'owner@attacker.example', phoneNumber: '+1 206 555 0199' },
  };
  // a customer's account: NOT_FOUND to strangers and to partners whose only tie is an admin relationship; a partner role not for it: FORBIDDEN
  for (const c of [...strangers, ...lacking.filter((l) => !l.name.startsWith('the victim'))])
    cases.push({ ...c, mutation: 'updateCustomer', input: account, code: 'NOT_FOUND' });
  for (const role of [Role.SALES_AGENT, Role.USER_ADMIN, Role.BILLING_ADMIN]) {
    cases.push({ name: `the victim's ${role}`, token: await t.tokens.partner(victimId, role), mutation: 'updateCustomer', input: account, code: 'FORBIDDEN' });
  }
  // a partner's profile: another partner (its own reseller too) gets NOT_FOUND; the partner itself changes neither its
  // MPN ID, type nor cloud (the operator's), and only its GLOBAL_ADMIN changes the rest
  // (another partner's role other than GLOBAL_ADMIN, and a customer's admin: refused for the role, before any lookup)
  for (const c of strangers) {
    const code = c.name.endsWith(Role.GLOBAL_ADMIN) ? 'NOT_FOUND' : 'FORBIDDEN';
    cases.push({ ...c, mutation: 'updatePartner', input: { partnerId: victim.provider.id, name: 'Hijacked Distribution Ltd' }, code });
  }
  cases.push({
    name: 'the victim’s reseller',
    token: resellerToken,
    mutation: 'updatePartner',
    input: { partnerId: victim.provider.id, contactEmail: 'owner@attacker.example' },
    code: 'NOT_FOUND',
  });
  for (const [field, value] of [
    ['mpnId', uniqueMpnId()],
    ['type', 'DIRECT_RESELLER'],
    ['cloud', 'US_GOVERNMENT'],
  ]) {
    cases.push({
      name: 'the victim’s GLOBAL_ADMIN',
      token: victimToken,
      mutation: 'updatePartner',
      input: { partnerId: victim.provider.id, [field]: value },
      code: 'FORBIDDEN',
      names: field,
    });
  }
  for (const role of [Role.ADMIN_AGENT, Role.SALES_AGENT, Role.USER_ADMIN, Role.BILLING_ADMIN]) {
    cases.push({
      name: `the victim's ${role}`,
      token: await t.tokens.partner(victimId, role),
      mutation: 'updatePartner',
      input: { partnerId: victim.provider.id, name: 'Renamed Distribution Ltd' },
      code: 'FORBIDDEN',
    });
  }
  let before = await victimView();
  for (const c of cases) {
    const label = `${c.name}: ${c.mutation}(${JSON.stringify(c.input)})`;
    const type = `${c.mutation.charAt(0).toUpperCase()}${c.mutation.slice(1)}Input`;
    const res = await t
      .client(c.token)
      .raw({ query: `mutation ($input: ${type}!) { ${c.mutation}(input: $input) { __typename } }`, variables: { input: c.input } });
    const errors = (res.errors ?? []).map((e) => ({ code: e.extensions?.code, names: c.names ? e.message.includes(c.names) : true }));
    expect({ label, errors }).toEqual({ label, errors: [{ code: c.code, names: true }] });
    if (strangers.some((s) => s.token === c.token && s.token !== sharedToken)) expectNoLeak(res, c.input, label);
    const after = await victimView();
    expect({ label, changed: after !== before }).toEqual({ label, changed: false });
    before = after;
  }
}, 120_000);
