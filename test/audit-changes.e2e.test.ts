import { readFileSync } from 'node:fs';
import { MUTATION_ORDER } from './support/mutation-order';
import { join } from 'node:path';
import { buildSchema, getNamedType, type GraphQLInputObjectType, type GraphQLSchema } from 'graphql';
import { DAY_MS, ManualClock } from '../src/common/clock';
import { OffersDocument, RequestPartnershipDocument } from './generated/graphql';
import { approveAdmin, requestAdmin } from './support/admin-relationships';
import { type AuditRecord, auditTrail, type CorrelatedEvent, eventsAfter, postWith, requestId, subjectOf } from './support/audit';
import { createCustomer, createPartner, customerInput, uniqueMpnId } from './support/factories';
import { invite, standaloneCustomer } from './support/invitations';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer, UNBUDGETED } from './support/test-server';
import { createEndpoint, deliveries, startReceiver, until } from './support/webhooks';

/**
 * Every mutation of the schema writes its audit trail: one successful call of each, with its own
 * `x-request-id`, must leave at least one audit record with that correlation id, whose `changes` name
 * the fields the call changed (with their values before and after), made `via: API` by the token's
 * subject, with no secret anywhere in the trail (the webhook secret, a customer's temporary password,
 * a link's token); the events the call caused carry the same correlation id. The list of mutations
 * comes from schema/schema.graphql: a mutation without a case here fails the first test.
 * The sweeps (invitation expiry, admin relationship expiry and auto-extension, subscription renewal and expiry), run on the test clock,
 * write `via: SYSTEM` records by `system` under a `sweep-…` correlation id.
 */
const schema: GraphQLSchema = buildSchema(readFileSync(join(__dirname, '..', 'schema', 'schema.graphql'), 'utf8'));

type Json = Record<string, unknown>;
const J = (value: unknown) => JSON.stringify(value);
/** A field's expected values: exact `[before, after]` (JSON text, null for none), or `'*'` for "it changed" */
type Expected = [string | null, string | null] | '*';

interface MutationCase {
  token: () => string;
  input: () => Json;
  /** the payload's selection (secrets returned by the call are read from it) */
  select?: string;
  /** the records the call must write: action → the fields its `changes` must name (at least these) */
  want: [action: string, fields: Record<string, Expected>][];
  /** how many records of the call at least (bulk calls: one per item) */
  records?: number;
  /** secrets the answer returns (they must never reach the trail) */
  secrets?: (data: Json) => string[];
  /** more checks on the records of the call */
  check?: (records: AuditRecord[], data: Json) => void;
}

const START = new Date('2026-05-04T09:00:00.000Z');
const clock = new ManualClock(START);
let t: TestServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let operator: string;
let cases: Record<string, MutationCase>;
/** the customer whose directory `direct` manages through an admin relationship (not DAP), and its admin's token */
let granularId: string;
let granularToken: string;
/** the grant that relationship's role gives, as Activity.grantedBy names it */
let granted: (role: string) => Record<string, unknown>;
/** every secret seen: returned by a mutation (setup included) */
const secrets = new Set<string>();
/** the events read so far (the operator reads them all): each call's are the ones after it */
let eventCursor: string | undefined;
/** what each call wrote, for the bulk and the final checks */
const written: Record<string, { requestId: string; records: AuditRecord[]; events: CorrelatedEvent[] }> = {};

/** the order the calls run in: each valid input still applies when its turn comes */
const ORDER = MUTATION_ORDER;

function keep(...values: (string | undefined | null)[]) {
  for (const v of values) if (v) secrets.add(v);
}

beforeAll(async () => {
  // no background sweep: the sweeps below run when the test says, on its clock
  // the test clock on (over the manual one): advanceTestClock is one of the mutations
  t = await startTestServer(
    // every operation selects everything: the cost limits are raised (test/limits.e2e.test.ts and test/budgets.e2e.test.ts test them)
    { MAX_QUERY_COMPLEXITY: '1000000', ...UNBUDGETED, EXPIRY_SWEEP_INTERVAL: '1h', TEST_CLOCK: 'true' },
    { clock },
  );
  operator = await t.tokens.operator();
  const direct = await createPartner(t, 'DIRECT_RESELLER');
  const provider = await createPartner(t, 'INDIRECT_PROVIDER');
  const reseller = await createPartner(t, 'INDIRECT_RESELLER');
  const secondReseller = await createPartner(t, 'INDIRECT_RESELLER');
  const partnershipId = await partner(t, provider, reseller);
  const customer = await createCustomer(t, direct.token);
  const { offers } = await t.client(operator).data(OffersDocument);
  const offer = offers.find((o) => o.maxQuantity >= 7 && o.minQuantity <= 1)!;
  const toAccept = await invite(t, direct.token, true);
  const toDecline = await invite(t, direct.token, true);
  const toRevoke = await invite(t, direct.token, true);
  keep(toAccept.token, toDecline.token, toRevoke.token);
  const accepting = await standaloneCustomer(t);
  const declining = await standaloneCustomer(t);
  const requests = t.client(provider.token);
  const toAcceptRequest = (await requests.data(RequestPartnershipDocument, { input: { resellerEmail: 'a@reseller.example' } })).requestPartnership;
  const toRevokeRequest = (await requests.data(RequestPartnershipDocument, { input: { resellerEmail: 'b@reseller.example' } })).requestPartnership;
  keep(toAcceptRequest.token, toRevokeRequest.token);
  const sold = await t.client(direct.token).raw<{ createSubscription: { subscription: { id: string } } }>({
    query: 'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }',
    variables: { input: { customerId: customer.id, offerId: offer.id, quantity: 5 } },
  });
  if (sold.errors) throw new Error(JSON.stringify(sold.errors));
  const subscriptionId = sold.data!.createSubscription.subscription.id;
  // one subscription for each lifecycle mutation, in the state its call needs
  const sell = async (input: Json = {}) => {
    const res = await t.client(direct.token).raw<{ createSubscription: { subscription: { id: string } } }>({
      query: 'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }',
      variables: { input: { customerId: customer.id, offerId: offer.id, quantity: 4, ...input } },
    });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!.createSubscription.subscription.id;
  };
  const lifecycle = async (mutation: string, input: Json) => {
    const res = await t
      .client(direct.token)
      .raw({ query: `mutation ($input: ${inputTypeOf(mutation).name}!) { ${mutation}(input: $input) { __typename } }`, variables: { input } });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  };
  const { data: targets } = await t.client(operator).raw<{ offers: { id: string; upgradeTargets: { id: string }[] }[] }>({
    query: '{ offers { id upgradeTargets { id } } }',
  });
  const target = targets!.offers.find((o) => o.id === offer.id)!.upgradeTargets[0].id;
  const toRenewOrNot = await sell();
  const toSchedule = await sell({ termDuration: 'P1Y', billingFrequency: 'ANNUAL' });
  const withScheduledChange = await sell();
  const scheduled = { offerId: offer.id, quantity: 6, termDuration: 'P1Y', billingFrequency: 'MONTHLY' };
  await lifecycle('scheduleSubscriptionChange', { subscriptionId: withScheduledChange, quantity: 6, termDuration: 'P1Y', billingFrequency: 'MONTHLY' });
  const toSuspend = await sell();
  const suspended = await sell();
  await lifecycle('suspendSubscription', { subscriptionId: suspended, reason: 'Card declined' });
  const toCancel = await sell();
  const toUpgrade = await sell();
  // a webhook endpoint with one delivered event
  receiver = await startReceiver([200]);
  const webhook = await createEndpoint(t, direct.token, receiver.url, ['INVITATION_REVOKED']);
  keep(webhook.secret);
  const hooked = await invite(t, direct.token, true);
  keep(hooked.token);
  await t.client(direct.token).raw({
    query: 'mutation ($input: RevokeCustomerInvitationInput!) { revokeCustomerInvitation(input: $input) { invitation { id } } }',
    variables: { input: { invitationId: hooked.invitation.id } },
  });
  const adminToApprove = await requestAdmin(t, direct.token);
  const adminToReject = await requestAdmin(t, direct.token);
  const adminApprover = await standaloneCustomer(t);
  const adminRejecter = await standaloneCustomer(t);
  const adminCustomer = await standaloneCustomer(t);
  const activeRequest = await requestAdmin(t, direct.token, { duration: 'P30D' });
  const adminActive = await approveAdmin(t, adminCustomer.token, activeRequest.token);
  const adminToTerminate = await requestAdmin(t, direct.token);
  const bulk = [await requestAdmin(t, direct.token), await requestAdmin(t, direct.token)];
  keep(adminToApprove.token, adminToReject.token, activeRequest.token, adminToTerminate.token, ...bulk.map((b) => b.token));
  const delivered = await until(
    'a delivery',
    () => deliveries(t, direct.token, webhook.endpoint.id),
    (d) => d.deliveries[0]?.status === 'SUCCEEDED',
  );
  // a customer's directory (issue 24): `granular` is direct's customer whose delegated admin privileges it
  // revoked, then approved an admin relationship with the user and licence roles: direct acts under that
  const granular = await createCustomer(t, direct.token);
  granularId = granular.id;
  granularToken = await t.tokens.customer(granular.id);
  const licensed = await sell({ customerId: granular.id, quantity: 3 });
  const revoked = await t.client(granularToken).raw({
    query: 'mutation ($input: RevokeDelegatedAdminPrivilegesInput!) { revokeDelegatedAdminPrivileges(input: $input) { partner { id } } }',
    variables: { input: { partnerId: direct.id } },
  });
  if (revoked.errors) throw new Error(JSON.stringify(revoked.errors));
  const grantName = `Audit directory ${Date.now() % 100000}`;
  const grantRequest = await requestAdmin(t, direct.token, {
    customerId: granular.id,
    displayName: grantName,
    roles: ['USER_ADMINISTRATOR', 'LICENSE_ADMINISTRATOR'],
  });
  keep(grantRequest.token);
  const grant = await approveAdmin(t, granularToken, grantRequest.token);
  granted = (role: string) => ({ kind: 'ADMIN_RELATIONSHIP', adminRelationshipId: grant.id, adminRelationshipName: grantName, role });
  /** a user of the granular customer, made by its own admin */
  const userOf = async (name: string) => {
    const res = await t.client(granularToken).raw<{ createCustomerUser: { user: { id: string; userName: string }; temporaryPassword: string } }>({
      query: 'mutation ($input: CreateCustomerUserInput!) { createCustomerUser(input: $input) { user { id userName } temporaryPassword } }',
      variables: { input: { customerId: granular.id, userName: `${name}@${granular.domain}`, displayName: `${name[0].toUpperCase()}${name.slice(1)} Audit` } },
    });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    keep(res.data!.createCustomerUser.temporaryPassword);
    return res.data!.createCustomerUser.user;
  };
  const worker = await userOf('worker');
  const leaver = await userOf('leaver');
  const assigned = await t.client(granularToken).raw({
    query: 'mutation ($input: AssignLicensesInput!) { assignLicenses(input: $input) { user { id } } }',
    variables: { input: { userId: leaver.id, subscriptionIds: [licensed] } },
  });
  if (assigned.errors) throw new Error(JSON.stringify(assigned.errors));
  const profiled = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Profiled Audit Partners Ltd');
  const newAddress = { addressLine1: '1 Harbour Road', addressLine2: 'Floor 3', city: 'Portland', state: 'OR', postalCode: '97201', country: 'US' };
  const billing = { firstName: 'Bill', lastName: 'Payer', email: 'billing@granular.example', phoneNumber: '+1 503 555 0142' };
  const primary = { firstName: 'Pat', lastName: 'Lead', email: 'pat.lead@granular.example', phoneNumber: '+1 503 555 0100' };
  const original = customerInput();
  /** a field's change, its values parsed */
  const parsed = (records: AuditRecord[], action: string, field: string) => {
    const change = records.find((r) => r.action === action)!.changes.find((c) => c.field === field)!;
    return [change.before === null ? null : JSON.parse(change.before), change.after === null ? null : JSON.parse(change.after)] as unknown[];
  };
  eventCursor = (await eventsAfter(t, operator)).at(-1)?.cursor;

  const status = (from: string | null, to: string) => ({ status: [from === null ? null : J(from), J(to)] as Expected });
  cases = {
    createPartner: {
      token: () => operator,
      input: () => ({ name: 'Audit Partner Ltd', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'audit@partner.example' }),
      want: [
        ['PARTNER_CREATED', { name: [null, J('Audit Partner Ltd')], type: [null, J('DIRECT_RESELLER')], contactEmail: [null, J('audit@partner.example')] }],
      ],
    },
    createCustomer: {
      token: () => direct.token,
      input: () => ({
        ...customerInput({ companyName: 'Audited Customer Ltd' }),
        cloud: 'PUBLIC',
        externalId: 'AUDIT-CRM-1',
        subscriptions: [{ offerId: offer.id, quantity: 3 }],
      }),
      select: '{ customer { id } adminCredentials { userName temporaryPassword } }',
      want: [
        ['CUSTOMER_CREATED', { companyName: [null, J('Audited Customer Ltd')], domain: '*' }],
        // the partner's own external id: a change of its own, in the partner's trail
        ['CUSTOMER_EXTERNAL_ID_SET', { externalId: [null, J('AUDIT-CRM-1')] }],
        ['RELATIONSHIP_ESTABLISHED', { status: [null, J('ACTIVE')] }],
        ['SUBSCRIPTION_CREATED', { quantity: [null, '3'], offerId: [null, J(offer.id)] }],
      ],
      secrets: (d) => [(d.adminCredentials as { temporaryPassword: string }).temporaryPassword],
    },
    createCustomerInvitation: {
      token: () => direct.token,
      input: () => ({ includeDelegatedAdminPrivileges: true, customerEmail: 'it@customer.example' }),
      select: '{ invitation { id } url emailDraft { body } token }',
      want: [
        [
          'INVITATION_CREATED',
          { ...status(null, 'PENDING'), includeDelegatedAdminPrivileges: [null, 'true'], customerEmail: [null, J('it@customer.example')] },
        ],
      ],
      secrets: (d) => [d.token as string, d.url as string],
    },
    acceptCustomerInvitation: {
      token: () => accepting.token,
      input: () => ({ token: toAccept.token }),
      want: [
        ['INVITATION_ACCEPTED', { ...status('PENDING', 'ACCEPTED'), customerId: [null, J(accepting.id)], acceptedAt: '*' }],
        ['RELATIONSHIP_ESTABLISHED', { status: [null, J('ACTIVE')] }],
        ['DELEGATED_ADMIN_GRANTED', { status: [null, J('ACTIVE')] }],
      ],
    },
    declineCustomerInvitation: {
      token: () => declining.token,
      input: () => ({ token: toDecline.token }),
      want: [['INVITATION_DECLINED', { ...status('PENDING', 'DECLINED'), declinedAt: '*' }]],
    },
    revokeCustomerInvitation: {
      token: () => direct.token,
      input: () => ({ invitationId: toRevoke.invitation.id }),
      want: [['INVITATION_REVOKED', { ...status('PENDING', 'REVOKED'), revokedAt: '*' }]],
    },
    removeCustomerRelationship: {
      token: () => direct.token,
      input: () => ({ customerId: customer.id, attestation: true }),
      want: [['RELATIONSHIP_REMOVED', { ...status('ACTIVE', 'REMOVED'), removedAt: '*' }]],
      check: (records) => expect(records.find((r) => r.action === 'RELATIONSHIP_REMOVED')!.attestation).toBe(true),
    },
    revokeDelegatedAdminPrivileges: {
      token: () => accepting.token,
      input: () => ({ partnerId: direct.id }),
      want: [['DELEGATED_ADMIN_REVOKED', { ...status('ACTIVE', 'REVOKED'), revokedAt: '*' }]],
    },
    requestPartnership: {
      token: () => provider.token,
      input: () => ({ resellerEmail: 'c@reseller.example' }),
      select: '{ request { id } url emailDraft { body } token }',
      want: [['PARTNERSHIP_REQUESTED', { ...status(null, 'PENDING'), resellerEmail: [null, J('c@reseller.example')] }]],
      secrets: (d) => [d.token as string, d.url as string],
    },
    acceptPartnershipRequest: {
      token: () => secondReseller.token,
      input: () => ({ token: toAcceptRequest.token }),
      want: [['PARTNERSHIP_ACCEPTED', { status: [null, J('ACTIVE')], resellerId: [null, J(secondReseller.id)], providerId: [null, J(provider.id)] }]],
      // both sides' trails have it
      check: (records) =>
        expect(new Set(records.filter((r) => r.action === 'PARTNERSHIP_ACCEPTED').map((r) => r.partnerId))).toEqual(new Set([provider.id, secondReseller.id])),
    },
    revokePartnershipRequest: {
      token: () => provider.token,
      input: () => ({ requestId: toRevokeRequest.request.id }),
      want: [['PARTNERSHIP_REQUEST_REVOKED', { ...status('PENDING', 'REVOKED'), revokedAt: '*' }]],
    },
    removePartnership: {
      token: () => provider.token,
      input: () => ({ partnershipId, confirm: true, attestation: true }),
      want: [['PARTNERSHIP_REMOVED', { ...status('ACTIVE', 'REMOVED'), removedAt: '*' }]],
      check: (records) =>
        expect(new Set(records.filter((r) => r.action === 'PARTNERSHIP_REMOVED').map((r) => r.partnerId))).toEqual(new Set([provider.id, reseller.id])),
    },
    createSubscription: {
      token: () => direct.token,
      input: () => ({ customerId: customer.id, offerId: offer.id, quantity: 2, externalId: 'AUDIT-SUB-1' }),
      want: [
        ['SUBSCRIPTION_CREATED', { quantity: [null, '2'], offerId: [null, J(offer.id)], customerId: [null, J(customer.id)] }],
        ['SUBSCRIPTION_EXTERNAL_ID_SET', { externalId: [null, J('AUDIT-SUB-1')] }],
      ],
      // the creation's record (which the customer reads) does not hold the seller's external id: its own record does
      check: (records) => expect(records.find((r) => r.action === 'SUBSCRIPTION_CREATED')!.changes.map((c) => c.field)).not.toContain('externalId'),
    },
    setSubscriptionExternalId: {
      token: () => direct.token,
      input: () => ({ subscriptionId, externalId: 'AUDIT-SUB-2' }),
      want: [['SUBSCRIPTION_EXTERNAL_ID_SET', { externalId: [null, J('AUDIT-SUB-2')] }]],
      check: (records) =>
        expect(records.map((r) => [r.action, r.subjectId, r.changes.map((c) => c.field)])).toEqual([
          ['SUBSCRIPTION_EXTERNAL_ID_SET', subscriptionId, ['externalId']],
        ]),
    },
    updateSubscription: {
      token: () => direct.token,
      input: () => ({ subscriptionId, quantity: 7 }),
      want: [['SUBSCRIPTION_UPDATED', { quantity: ['5', '7'] }]],
      check: (records) => expect(records.find((r) => r.action === 'SUBSCRIPTION_UPDATED')!.changes.map((c) => c.field)).toEqual(['quantity']),
    },
    createWebhookEndpoint: {
      token: () => direct.token,
      input: () => ({ url: 'https://hooks.example.test/audit', eventTypes: ['CUSTOMER_CREATED'], description: 'Billing system' }),
      select: '{ endpoint { id } secret }',
      want: [
        [
          'WEBHOOK_ENDPOINT_CREATED',
          { url: [null, J('https://hooks.example.test/audit')], eventTypes: [null, J(['CUSTOMER_CREATED'])], enabled: [null, 'true'] },
        ],
      ],
      secrets: (d) => [d.secret as string],
    },
    updateWebhookEndpoint: {
      token: () => direct.token,
      input: () => ({
        endpointId: webhook.endpoint.id,
        url: 'https://hooks.example.test/moved',
        eventTypes: ['INVITATION_REVOKED', 'CUSTOMER_CREATED'],
        description: 'CRM',
      }),
      want: [
        [
          'WEBHOOK_ENDPOINT_UPDATED',
          {
            url: [J(receiver.url), J('https://hooks.example.test/moved')],
            eventTypes: [J(['INVITATION_REVOKED']), J(['INVITATION_REVOKED', 'CUSTOMER_CREATED'])],
            description: [null, J('CRM')],
          },
        ],
      ],
    },
    redeliverWebhook: {
      token: () => direct.token,
      input: () => ({ deliveryId: delivered.deliveries[0].id }),
      want: [['WEBHOOK_REDELIVERY_REQUESTED', { eventId: [null, J(delivered.deliveries[0].eventId)], attempt: [null, '2'] }]],
    },
    deleteWebhookEndpoint: {
      token: () => direct.token,
      input: () => ({ endpointId: webhook.endpoint.id }),
      want: [['WEBHOOK_ENDPOINT_DELETED', { url: [J('https://hooks.example.test/moved'), null] }]],
    },
    createAdminRelationship: {
      token: () => direct.token,
      input: () => ({
        customerId: customer.id,
        displayName: 'Audit helpdesk',
        roles: ['HELPDESK_ADMINISTRATOR', 'USER_ADMINISTRATOR'],
        duration: 'P90D',
        autoExtend: true,
      }),
      select: '{ adminRelationship { id } url emailDraft { body } token }',
      want: [
        [
          'ADMIN_RELATIONSHIP_CREATED',
          {
            ...status(null, 'APPROVAL_PENDING'),
            displayName: [null, J('Audit helpdesk')],
            roles: '*',
            duration: [null, J('P90D')],
            autoExtend: [null, 'true'],
          },
        ],
      ],
      secrets: (d) => [d.token as string, d.url as string],
      // the roles as stored (the server keeps them in its own order)
      check: (records) => {
        const roles = records.find((r) => r.action === 'ADMIN_RELATIONSHIP_CREATED')!.changes.find((c) => c.field === 'roles')!;
        expect((JSON.parse(roles.after!) as string[]).sort()).toEqual(['HELPDESK_ADMINISTRATOR', 'USER_ADMINISTRATOR']);
      },
    },
    approveAdminRelationship: {
      token: () => adminApprover.token,
      input: () => ({ token: adminToApprove.token }),
      want: [
        ['ADMIN_RELATIONSHIP_APPROVED', { ...status('APPROVAL_PENDING', 'ACTIVE'), customerId: [null, J(adminApprover.id)], activatedAt: '*', endsAt: '*' }],
      ],
    },
    rejectAdminRelationship: {
      token: () => adminRejecter.token,
      input: () => ({ token: adminToReject.token }),
      want: [['ADMIN_RELATIONSHIP_REJECTED', { ...status('APPROVAL_PENDING', 'TERMINATED'), endedAt: '*' }]],
    },
    terminateAdminRelationship: {
      token: () => direct.token,
      input: () => ({ adminRelationshipId: adminToTerminate.adminRelationship.id }),
      want: [['ADMIN_RELATIONSHIP_TERMINATED', { ...status('APPROVAL_PENDING', 'TERMINATED'), endedAt: '*' }]],
    },
    updateAdminRelationship: {
      token: () => direct.token,
      input: () => ({ adminRelationshipId: adminActive.id, autoExtend: true }),
      want: [['ADMIN_RELATIONSHIP_UPDATED', { autoExtend: ['false', 'true'] }]],
    },
    terminateAdminRelationships: {
      token: () => direct.token,
      input: () => ({ adminRelationshipIds: bulk.map((b) => b.adminRelationship.id) }),
      select: '{ succeeded failed }',
      want: [['ADMIN_RELATIONSHIP_TERMINATED', { ...status('APPROVAL_PENDING', 'TERMINATED'), endedAt: '*' }]],
      records: 2,
      check: (records, data) => {
        expect(data).toEqual({ succeeded: 2, failed: 0 });
        const terminated = records.filter((r) => r.action === 'ADMIN_RELATIONSHIP_TERMINATED');
        // one record per item
        expect(terminated.map((r) => r.subjectId).sort()).toEqual(bulk.map((b) => b.adminRelationship.id).sort());
        for (const r of terminated)
          expect(r.changes).toEqual(expect.arrayContaining([{ field: 'status', before: J('APPROVAL_PENDING'), after: J('TERMINATED') }]));
      },
    },
    extendAdminRelationships: {
      token: () => direct.token,
      input: () => ({ adminRelationshipIds: [adminActive.id] }),
      select: '{ succeeded failed }',
      want: [['ADMIN_RELATIONSHIP_EXTENDED', { endsAt: '*', extensions: ['0', '1'] }]],
      check: (records, data) => {
        expect(data).toEqual({ succeeded: 1, failed: 0 });
        const extended = records.find((r) => r.action === 'ADMIN_RELATIONSHIP_EXTENDED')!;
        const endsAt = extended.changes.find((c) => c.field === 'endsAt')!;
        expect(endsAt.before).toBe(J(adminActive.endsAt));
        expect(new Date(JSON.parse(endsAt.after!) as string).getTime() - new Date(adminActive.endsAt as string).getTime()).toBe(180 * DAY_MS);
      },
    },
    setSubscriptionAutoRenew: {
      token: () => direct.token,
      input: () => ({ subscriptionId: toRenewOrNot, autoRenew: false }),
      want: [['SUBSCRIPTION_UPDATED', { autoRenew: ['true', 'false'] }]],
      check: (records) =>
        expect(records.map((r) => [r.action, r.subjectId, r.changes.map((c) => c.field)])).toEqual([['SUBSCRIPTION_UPDATED', toRenewOrNot, ['autoRenew']]]),
    },
    scheduleSubscriptionChange: {
      token: () => direct.token,
      input: () => ({ subscriptionId: toSchedule, quantity: 9, termDuration: 'P3Y', billingFrequency: 'TRIENNIAL', offerId: target }),
      want: [
        [
          'SUBSCRIPTION_SCHEDULED_CHANGE_SET',
          { scheduledChange: [null, J({ offerId: target, quantity: 9, termDuration: 'P3Y', billingFrequency: 'TRIENNIAL' })] },
        ],
      ],
      check: (records) => expect(records.map((r) => [r.action, r.subjectId])).toEqual([['SUBSCRIPTION_SCHEDULED_CHANGE_SET', toSchedule]]),
    },
    cancelScheduledSubscriptionChange: {
      token: () => direct.token,
      input: () => ({ subscriptionId: withScheduledChange }),
      want: [['SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED', { scheduledChange: [J(scheduled), null] }]],
      check: (records) => {
        expect(records.map((r) => [r.action, r.subjectId])).toEqual([['SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED', withScheduledChange]]);
        expect(JSON.parse(records[0].details!)).toEqual(expect.objectContaining({ cancelledBy: 'SELLER' }));
      },
    },
    suspendSubscription: {
      token: () => direct.token,
      input: () => ({ subscriptionId: toSuspend, reason: 'Payment overdue since March' }),
      want: [['SUBSCRIPTION_SUSPENDED', status('ACTIVE', 'SUSPENDED')]],
      // the reason is in the record's details (the history shows it)
      check: (records) => {
        expect(records.map((r) => [r.action, r.subjectId])).toEqual([['SUBSCRIPTION_SUSPENDED', toSuspend]]);
        expect(JSON.parse(records[0].details!)).toEqual(expect.objectContaining({ reason: 'Payment overdue since March' }));
      },
    },
    reactivateSubscription: {
      token: () => direct.token,
      input: () => ({ subscriptionId: suspended }),
      want: [['SUBSCRIPTION_REACTIVATED', status('SUSPENDED', 'ACTIVE')]],
      check: (records) => expect(records.map((r) => [r.action, r.subjectId])).toEqual([['SUBSCRIPTION_REACTIVATED', suspended]]),
    },
    cancelSubscription: {
      token: () => direct.token,
      input: () => ({ subscriptionId: toCancel, reason: 'Bought by mistake' }),
      select: '{ subscription { id } refund { amount currency } }',
      want: [['SUBSCRIPTION_CANCELLED', { ...status('ACTIVE', 'CANCELLED'), endedAt: [null, J(START.toISOString())] }]],
      // the reason and the refund the caller was answered are in the record's details
      check: (records, data) => {
        expect(records.map((r) => [r.action, r.subjectId])).toEqual([['SUBSCRIPTION_CANCELLED', toCancel]]);
        expect(JSON.parse(records[0].details!)).toEqual(expect.objectContaining({ reason: 'Bought by mistake', refund: data.refund }));
      },
    },
    upgradeSubscription: {
      token: () => direct.token,
      input: () => ({ subscriptionId: toUpgrade, targetOfferId: target, quantity: 5 }),
      select: '{ subscription { id } previousSubscription { id } }',
      want: [
        ['SUBSCRIPTION_UPGRADED', { ...status('ACTIVE', 'CANCELLED'), upgradedToId: '*', endedAt: '*' }],
        ['SUBSCRIPTION_CREATED', { offerId: [null, J(target)], quantity: [null, '5'], upgradedFromId: [null, J(toUpgrade)], status: [null, J('ACTIVE')] }],
      ],
      // one record for each side, the old one naming the new one
      check: (records, data) => {
        const next = (data.subscription as { id: string }).id;
        expect(records.map((r) => [r.action, r.subjectId]).sort()).toEqual(
          [
            ['SUBSCRIPTION_CREATED', next],
            ['SUBSCRIPTION_UPGRADED', toUpgrade],
          ].sort(),
        );
        const upgraded = records.find((r) => r.action === 'SUBSCRIPTION_UPGRADED')!;
        expect(upgraded.changes.find((c) => c.field === 'upgradedToId')).toEqual({ field: 'upgradedToId', before: null, after: J(next) });
      },
    },
    updatePartner: {
      token: () => profiled.token,
      input: () => ({ partnerId: profiled.id, name: 'Profiled Audit Group Ltd', contactEmail: 'billing@profiled.example' }),
      want: [
        [
          'PARTNER_UPDATED',
          {
            name: [J('Profiled Audit Partners Ltd'), J('Profiled Audit Group Ltd')],
            contactEmail: [J('contact@partner.example'), J('billing@profiled.example')],
          },
        ],
      ],
      check: (records) => {
        expect(records.map((r) => [r.action, r.subjectId, r.partnerId])).toEqual([['PARTNER_UPDATED', profiled.id, profiled.id]]);
        // only what changed: not the MPN ID, type or cloud
        expect(records[0].changes.map((c) => c.field).sort()).toEqual(['contactEmail', 'name']);
      },
    },
    updateCustomer: {
      // the customer's own admin (no partner's grant)
      token: () => granularToken,
      input: () => ({
        customerId: granular.id,
        companyName: 'Granular Holdings Limited',
        address: newAddress,
        primaryContact: primary,
        billingContact: billing,
      }),
      select: '{ customer { id domain companyName } }',
      want: [
        [
          'CUSTOMER_UPDATED',
          { companyName: [J(original.companyName), J('Granular Holdings Limited')], address: '*', primaryContact: '*', billingContact: '*' },
        ],
      ],
      check: (records, data) => {
        expect(records.map((r) => [r.action, r.subjectId, r.customerId])).toEqual([['CUSTOMER_UPDATED', granular.id, granular.id]]);
        // each detail before and after
        expect(parsed(records, 'CUSTOMER_UPDATED', 'address')).toEqual([{ ...original.address, addressLine2: null }, newAddress]);
        expect(parsed(records, 'CUSTOMER_UPDATED', 'primaryContact')).toEqual([original.primaryContact, primary]);
        expect(parsed(records, 'CUSTOMER_UPDATED', 'billingContact')).toEqual([null, billing]);
        // the domain never changes: not in the input, not in the record, the same after
        expect(Object.keys(inputTypeOf('updateCustomer').getFields())).not.toContain('domain');
        expect(records[0].changes.map((c) => c.field)).not.toContain('domain');
        expect(data.customer).toEqual({ id: granular.id, domain: granular.domain, companyName: 'Granular Holdings Limited' });
      },
    },
    createCustomerUser: {
      // direct, through the delegated admin privileges the customer it created gave it
      token: () => direct.token,
      input: () => ({ customerId: customer.id, userName: `new.hire@${customer.domain}`, displayName: 'New Hire', firstName: 'New', lastName: 'Hire' }),
      select: '{ user { id } temporaryPassword }',
      want: [
        [
          'CUSTOMER_USER_CREATED',
          {
            userName: [null, J(`new.hire@${customer.domain}`)],
            displayName: [null, J('New Hire')],
            firstName: [null, J('New')],
            lastName: [null, J('Hire')],
            roles: [null, J([])],
            ...status(null, 'ACTIVE'),
          },
        ],
      ],
      secrets: (d) => [d.temporaryPassword as string],
      check: (records, data) => {
        expect(records.map((r) => [r.action, r.subjectId, r.partnerId, r.customerId])).toEqual([
          ['CUSTOMER_USER_CREATED', (data.user as { id: string }).id, direct.id, customer.id],
        ]);
      },
    },
    updateCustomerUser: {
      // direct, through the admin relationship's USER_ADMINISTRATOR (the user holds no roles)
      token: () => direct.token,
      input: () => ({ userId: worker.id, displayName: 'Worker Renamed', lastName: 'Renamed' }),
      want: [['CUSTOMER_USER_UPDATED', { displayName: [J('Worker Audit'), J('Worker Renamed')], lastName: [null, J('Renamed')] }]],
      check: (records) =>
        expect(records.map((r) => [r.action, r.subjectId, r.partnerId, r.customerId])).toEqual([['CUSTOMER_USER_UPDATED', worker.id, direct.id, granular.id]]),
    },
    assignLicenses: {
      // direct, through the admin relationship's LICENSE_ADMINISTRATOR
      token: () => direct.token,
      input: () => ({ userId: worker.id, subscriptionIds: [licensed] }),
      select: '{ user { id } subscriptions { id assignedLicenses } }',
      want: [['LICENSES_ASSIGNED', { licenses: [null, J([licensed])] }]],
      check: (records, data) => {
        expect(records.map((r) => [r.action, r.subjectId, r.partnerId, r.customerId])).toEqual([['LICENSES_ASSIGNED', worker.id, direct.id, granular.id]]);
        expect(JSON.parse(records[0].details!)).toEqual({ subscriptionIds: [licensed], cause: 'REQUEST' });
        expect(data.subscriptions).toEqual([{ id: licensed, assignedLicenses: 2 }]);
      },
    },
    unassignLicenses: {
      token: () => direct.token,
      input: () => ({ userId: worker.id, subscriptionIds: [licensed] }),
      want: [['LICENSES_UNASSIGNED', { licenses: [J([licensed]), null] }]],
      check: (records) => {
        expect(records.map((r) => [r.action, r.subjectId])).toEqual([['LICENSES_UNASSIGNED', worker.id]]);
        expect(JSON.parse(records[0].details!)).toEqual({ subscriptionIds: [licensed], cause: 'REQUEST' });
      },
    },
    deleteCustomerUser: {
      // the user's licence is freed with it: two records under the one grant
      token: () => direct.token,
      input: () => ({ userId: leaver.id }),
      select: '{ user { id status purgeAt } subscriptions { id assignedLicenses } }',
      want: [
        ['CUSTOMER_USER_DELETED', { ...status('ACTIVE', 'DELETED'), deletedAt: '*' }],
        ['LICENSES_UNASSIGNED', { licenses: [J([licensed]), null] }],
      ],
      check: (records, data) => {
        expect(records.map((r) => [r.action, r.subjectId]).sort()).toEqual([
          ['CUSTOMER_USER_DELETED', leaver.id],
          ['LICENSES_UNASSIGNED', leaver.id],
        ]);
        expect(JSON.parse(records.find((r) => r.action === 'LICENSES_UNASSIGNED')!.details!)).toEqual({ subscriptionIds: [licensed], cause: 'USER_DELETED' });
        expect(data.subscriptions).toEqual([{ id: licensed, assignedLicenses: 0 }]);
      },
    },
    restoreCustomerUser: {
      token: () => direct.token,
      input: () => ({ userId: leaver.id }),
      want: [['CUSTOMER_USER_RESTORED', { ...status('DELETED', 'ACTIVE'), deletedAt: '*' }]],
      check: (records) => {
        expect(records.map((r) => [r.action, r.subjectId])).toEqual([['CUSTOMER_USER_RESTORED', leaver.id]]);
        expect(records[0].changes.find((c) => c.field === 'deletedAt')!.after).toBeNull();
      },
    },
    advanceTestClock: {
      token: () => operator,
      input: () => ({ by: 'PT1H' }),
      select: '{ previous now }',
      want: [],
      // the operator's move of the clock is audited: the time before and after it
      check: (records, data) => expect(records.some((r) => r.changes.some((c) => c.before === J(data.previous) && c.after === J(data.now)))).toEqual(true),
    },
  };
}, 120_000);

afterAll(async () => {
  await t?.stop();
  await receiver?.stop();
});

function inputTypeOf(mutation: string): GraphQLInputObjectType {
  const arg = schema
    .getMutationType()!
    .getFields()
    [mutation].args.find((a) => a.name === 'input')!;
  return getNamedType(arg.type) as GraphQLInputObjectType;
}

/** Whether a record's `changes` hold the expected field values. */
function missingFields(record: AuditRecord, fields: Record<string, Expected>): string[] {
  const missing: string[] = [];
  for (const [field, expected] of Object.entries(fields)) {
    const change = record.changes.find((c) => c.field === field);
    if (!change) missing.push(`${field}: not in changes`);
    else if (expected !== '*' && (change.before !== expected[0] || change.after !== expected[1])) {
      missing.push(`${field}: ${change.before} → ${change.after}, expected ${expected[0]} → ${expected[1]}`);
    }
  }
  return missing;
}

it('has a case for every mutation of the schema', () => {
  const mutations = Object.keys(schema.getMutationType()!.getFields()).sort();
  expect(Object.keys(cases).sort()).toEqual(mutations);
  expect([...ORDER].sort()).toEqual(mutations);
});

describe('each mutation, called once with its own x-request-id', () => {
  it.each(ORDER)('%s: audit records with its correlation id, its field changes, via API by the token’s subject; its events carry the id', async (mutation) => {
    const spec = cases[mutation];
    const id = requestId(`audit-${mutation}`);
    const token = spec.token();
    const res = await postWith<Json>(
      t,
      token,
      {
        query: `mutation ($input: ${inputTypeOf(mutation).name}!) { ${mutation}(input: $input) ${spec.select ?? '{ __typename }'} }`,
        variables: { input: spec.input() },
      },
      { 'x-request-id': id },
    );
    expect({ mutation, errors: res.errors }).toEqual({ mutation, errors: undefined });
    expect(res.requestId).toBe(id);
    const data = res.data![mutation] as Json;
    for (const s of spec.secrets?.(data) ?? []) keep(s);

    // the operator reads the records of the call across every partner's trail, and the events since the last call
    const records = await auditTrail(t, operator, { correlationId: id });
    const events = await eventsAfter(t, operator, eventCursor);
    if (events.length) eventCursor = events.at(-1)!.cursor;
    expect({ mutation, count: records.length >= (spec.records ?? 1) }).toEqual({ mutation, count: true });
    for (const r of records) {
      expect({ mutation, action: r.action, correlationId: r.correlationId, via: r.via, userId: r.actor.userId }).toEqual({
        mutation,
        action: r.action,
        correlationId: id,
        via: 'API',
        userId: subjectOf(token),
      });
      expect({ mutation, action: r.action, changes: r.changes.length > 0 }).toEqual({ mutation, action: r.action, changes: true });
    }
    for (const [action, fields] of spec.want) {
      const candidates = records.filter((r) => r.action === action);
      const matching = candidates.filter((r) => missingFields(r, fields).length === 0);
      expect({ mutation, action, problems: matching.length ? [] : candidates.map((r) => missingFields(r, fields)) }).toEqual({
        mutation,
        action,
        problems: [],
      });
      expect({ mutation, action, found: candidates.length > 0 }).toEqual({ mutation, action, found: true });
    }
    spec.check?.(records, data);

    // the caller reads the same records through its own trail (the operator reads every one)
    if (token !== operator) {
      const own = await auditTrail(t, token, { correlationId: id });
      expect({ mutation, own: own.length > 0, foreign: own.filter((r) => !records.some((x) => x.id === r.id)) }).toEqual({ mutation, own: true, foreign: [] });
    }

    // the events the call caused: every one carries the request id
    expect({ mutation, stray: events.filter((e) => e.correlationId !== id).map((e) => [e.type, e.correlationId]) }).toEqual({ mutation, stray: [] });
    written[mutation] = { requestId: id, records, events };
  });

  it('gives the bulk mutations one record per item, all under the request’s correlation id, and one event each', () => {
    for (const mutation of ['terminateAdminRelationships', 'extendAdminRelationships']) {
      const { requestId: id, records, events } = written[mutation];
      const items = records.filter((r) => r.action.startsWith('ADMIN_RELATIONSHIP_'));
      expect(new Set(items.map((r) => r.subjectId)).size).toBe(items.length);
      expect(items.every((r) => r.correlationId === id)).toBe(true);
      const byItem = events.filter((e) => e.type.startsWith('ADMIN_RELATIONSHIP_'));
      expect(byItem.map((e) => e.adminRelationshipId).sort()).toEqual(items.map((r) => r.subjectId).sort());
    }
    expect(written.terminateAdminRelationships.records.filter((r) => r.action === 'ADMIN_RELATIONSHIP_TERMINATED')).toHaveLength(2);
  });

  it('gives the events of a change the records’ correlation id (updateSubscription: one SUBSCRIPTION_UPDATED)', () => {
    const { requestId: id, events, records } = written.updateSubscription;
    expect(events.map((e) => [e.type, e.subscriptionId, e.correlationId])).toEqual([['SUBSCRIPTION_UPDATED', records[0].subjectId, id]]);
  });

  it('keeps every secret out of the whole trail (changes and details) and out of the events', async () => {
    expect(secrets.size).toBeGreaterThanOrEqual(15);
    const trail = await auditTrail(t, operator, {});
    expect(trail.length).toBeGreaterThan(50);
    const raw = JSON.stringify(trail.map((r) => [r.changes, r.details]));
    expect([...secrets].filter((s) => raw.includes(s))).toEqual([]);
    // nor a hash or ciphertext field of any kind
    expect(trail.flatMap((r) => r.changes.map((c) => c.field)).filter((f) => /token|secret|password|hash|cipher/i.test(f))).toEqual([]);
    const events = JSON.stringify(await eventsAfter(t, operator));
    expect([...secrets].filter((s) => events.includes(s))).toEqual([]);
  });
});

describe('a partner acting in a customer’s directory: the grant on each record, read by the customer', () => {
  interface Granted {
    id: string;
    action: string;
    partnerId: string | null;
    customerId: string | null;
    actor: { userId: string; partnerId: string | null; customerId: string | null };
    grantedBy: { kind: string; adminRelationshipId: string | null; adminRelationshipName: string | null; role: string | null }[];
  }
  /** The records of one call as `token` reads them in `activities`, with what granted each. */
  async function grantsOf(token: string, correlationId: string): Promise<Granted[]> {
    const res = await t.client(token).raw<{ activities: { edges: { node: Granted }[] } }>({
      query: `query ($filter: ActivityFilter) { activities(first: 100, filter: $filter) { edges { node {
        id action partnerId customerId actor { userId partnerId customerId } grantedBy { kind adminRelationshipId adminRelationshipName role } } } } }`,
      variables: { filter: { correlationId } },
    });
    expect(res.errors).toBeUndefined();
    return res.data!.activities.edges.map((e) => e.node);
  }

  it('names the admin relationship and the role that granted each change (USER_ADMINISTRATOR, LICENSE_ADMINISTRATOR); the customer reads them', async () => {
    const roleOf: Record<string, string> = {
      updateCustomerUser: 'USER_ADMINISTRATOR',
      deleteCustomerUser: 'USER_ADMINISTRATOR',
      restoreCustomerUser: 'USER_ADMINISTRATOR',
      assignLicenses: 'LICENSE_ADMINISTRATOR',
      unassignLicenses: 'LICENSE_ADMINISTRATOR',
    };
    for (const [mutation, role] of Object.entries(roleOf)) {
      const { requestId: id, records } = written[mutation];
      // the customer's admin reads, in its own trail, every record the partner's call wrote in its tenant
      const seen = await grantsOf(granularToken, id);
      expect({ mutation, ids: seen.map((r) => r.id).sort() }).toEqual({ mutation, ids: records.map((r) => r.id).sort() });
      for (const r of seen) {
        expect({
          mutation,
          action: r.action,
          partnerId: r.partnerId,
          customerId: r.customerId,
          actorPartner: r.actor.partnerId,
          grantedBy: r.grantedBy,
        }).toEqual({
          mutation,
          action: r.action,
          partnerId: records[0].partnerId,
          customerId: granularId,
          actorPartner: records[0].partnerId,
          grantedBy: [granted(role)],
        });
      }
      // the partner reads the same grant in its own trail
      const own = await grantsOf(cases[mutation].token(), id);
      expect(own.length).toBe(records.length);
      expect({ mutation, grantedBy: own.map((r) => r.grantedBy) }).toEqual({ mutation, grantedBy: own.map(() => [granted(role)]) });
    }
  });

  it('names the delegated admin privileges when they granted it, and nothing for the customer’s own admin', async () => {
    const created = written.createCustomerUser;
    const customerId = created.records[0].customerId!;
    const seen = await grantsOf(await t.tokens.customer(customerId), created.requestId);
    expect(seen.map((r) => [r.action, r.grantedBy])).toEqual([
      ['CUSTOMER_USER_CREATED', [{ kind: 'DELEGATED_ADMIN', adminRelationshipId: null, adminRelationshipName: null, role: null }]],
    ]);
    const own = await grantsOf(granularToken, written.updateCustomer.requestId);
    expect(own.map((r) => [r.action, r.actor.customerId, r.grantedBy])).toEqual([['CUSTOMER_UPDATED', granularId, []]]);
  });

  it('shows another customer’s admin and an unrelated partner none of these records', async () => {
    const stranger = await createPartner(t, 'DIRECT_RESELLER');
    const elsewhere = await standaloneCustomer(t);
    for (const mutation of ['createCustomerUser', 'updateCustomerUser', 'assignLicenses', 'deleteCustomerUser', 'updateCustomer']) {
      for (const token of [stranger.token, elsewhere.token]) {
        expect({ mutation, seen: await grantsOf(token, written[mutation].requestId) }).toEqual({ mutation, seen: [] });
      }
    }
  });

  it('keeps the users’ passwords and their hashes out of every audit record and event', async () => {
    const hashes = (await t.server.ds.query<{ passwordHash: string }[]>('SELECT passwordHash FROM customer_user')).map((r) => r.passwordHash);
    expect(hashes.length).toBeGreaterThanOrEqual(4);
    // the temporary passwords are among `secrets` (the test above); their hashes, and any part of a hash
    const trail = JSON.stringify(await auditTrail(t, operator, {}));
    const events = JSON.stringify(await eventsAfter(t, operator));
    const parts = hashes.flatMap((h) => [h, ...h.split(/[$:]/).filter((part) => part.length >= 16)]);
    expect(parts.filter((part) => trail.includes(part) || events.includes(part))).toEqual([]);
    // a user's audit records name its fields, never passwordHash or mustChangePassword
    const userRecords = (await auditTrail(t, operator, { subjectType: 'CUSTOMER_USER' })).flatMap((r) => r.changes.map((c) => c.field));
    expect(userRecords.length).toBeGreaterThan(0);
    expect(userRecords.filter((f) => /password|hash/i.test(f))).toEqual([]);
  });
});

describe('the sweeps: via SYSTEM, by system, under a sweep- correlation id', () => {
  async function systemRecords(actions: string[], from: Date) {
    return (await auditTrail(t, operator, { actions, from: from.toISOString() })).filter((r) => r.actor.userId === 'system');
  }

  function expectSystem(records: AuditRecord[]) {
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) {
      expect({ action: r.action, via: r.via, actor: r.actor, correlationId: r.correlationId }).toEqual({
        action: r.action,
        via: 'SYSTEM',
        actor: { userId: 'system', roles: [], partnerId: null, customerId: null },
        correlationId: expect.stringMatching(/^sweep-[A-Za-z0-9._-]+$/),
      });
      expect(r.changes.length).toBeGreaterThan(0);
    }
    // one run, one correlation id
    expect(new Set(records.map((r) => r.correlationId)).size).toBe(1);
  }

  it('invitation expiry: PENDING → EXPIRED, and its events carry the sweep’s id', async () => {
    const p = await createPartner(t, 'DIRECT_RESELLER');
    const due = await invite(t, p.token, true);
    keep(due.token);
    const cursor = (await eventsAfter(t, operator, eventCursor)).at(-1)?.cursor ?? eventCursor;
    clock.advance(91 * DAY_MS);
    const since = clock.now();
    expect(await t.server.services.invitations.expireDue()).toBeGreaterThan(0);
    const records = await systemRecords(['INVITATION_EXPIRED'], since);
    expectSystem(records);
    const mine = records.find((r) => r.subjectId === due.invitation.id)!;
    expect(mine.changes).toEqual(expect.arrayContaining([{ field: 'status', before: J('PENDING'), after: J('EXPIRED') }]));
    expect(mine.partnerId).toBe(p.id);
    const events = (await eventsAfter(t, operator, cursor)).filter((e) => e.type === 'INVITATION_EXPIRED');
    expect(events.length).toBe(records.length);
    expect(events.every((e) => e.correlationId === records[0].correlationId)).toBe(true);
    eventCursor = (await eventsAfter(t, operator, cursor)).at(-1)?.cursor ?? cursor;
  });

  it('subscriptions: a term end renews one with autoRenew (its scheduled change applied) and expires one without', async () => {
    const p = await createPartner(t, 'DIRECT_RESELLER');
    const c = await createCustomer(t, p.token);
    const sell = async (autoRenew: boolean) => {
      const res = await t.client(p.token).raw<{ createSubscription: { subscription: { id: string; termEndsAt: string } } }>({
        query: 'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id termEndsAt } } }',
        variables: { input: { customerId: c.id, offerId: 'm365-business-basic', quantity: 2, termDuration: 'P1M', autoRenew } },
      });
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      return res.data!.createSubscription.subscription;
    };
    const renewing = await sell(true);
    const ending = await sell(false);
    const scheduled = await t.client(p.token).raw({
      query: 'mutation ($input: ScheduleSubscriptionChangeInput!) { scheduleSubscriptionChange(input: $input) { subscription { id } } }',
      variables: { input: { subscriptionId: renewing.id, quantity: 4 } },
    });
    expect(scheduled.errors).toBeUndefined();
    const cursor = (await eventsAfter(t, operator, eventCursor)).at(-1)?.cursor ?? eventCursor;
    clock.advance(32 * DAY_MS);
    const since = clock.now();
    const done = await t.server.services.subscriptions.sweep.run();
    expect(done.renewed).toBeGreaterThan(0);
    expect(done.expired).toBeGreaterThan(0);
    const records = await systemRecords(['SUBSCRIPTION_RENEWED', 'SUBSCRIPTION_EXPIRED'], since);
    expectSystem(records);
    const of = (id: string) => records.filter((r) => r.subjectId === id);
    expect(of(renewing.id).map((r) => r.action)).toEqual(['SUBSCRIPTION_RENEWED']);
    expect(missingFields(of(renewing.id)[0], { quantity: ['2', '4'], termStartsAt: '*', termEndsAt: '*', scheduledChange: '*' })).toEqual([]);
    expect(of(renewing.id)[0].changes.find((c) => c.field === 'termStartsAt')!.before).not.toBe(J(renewing.termEndsAt));
    expect(of(renewing.id)[0].changes.find((c) => c.field === 'termStartsAt')!.after).toBe(J(renewing.termEndsAt));
    expect(of(renewing.id)[0].changes.find((c) => c.field === 'scheduledChange')!.after).toBeNull();
    expect(of(ending.id).map((r) => r.action)).toEqual(['SUBSCRIPTION_EXPIRED']);
    expect(of(ending.id)[0].changes).toEqual(expect.arrayContaining([{ field: 'status', before: J('ACTIVE'), after: J('EXPIRED') }]));
    // the seller reads them in its own trail, and their events carry the same id
    const own = await auditTrail(t, p.token, { correlationId: records[0].correlationId });
    expect(own.map((r) => r.subjectId).sort()).toEqual([renewing.id, ending.id].sort());
    const events = (await eventsAfter(t, operator, cursor)).filter((e) => [renewing.id, ending.id].includes(e.subscriptionId ?? ''));
    expect(events.map((e) => e.type).sort()).toEqual(['SUBSCRIPTION_EXPIRED', 'SUBSCRIPTION_RENEWED']);
    expect(events.every((e) => e.correlationId === records[0].correlationId)).toBe(true);
  });

  it('customer users: one deleted 30 days ago is purged (CUSTOMER_USER_PURGED, to the customer), one deleted since is kept', async () => {
    const p = await createPartner(t, 'DIRECT_RESELLER');
    const c = await createCustomer(t, p.token);
    const admin = await t.tokens.customer(c.id);
    const call = async <T>(query: string, input: Json) => {
      const res = await t.client(admin).raw<T>({ query, variables: { input } });
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      return res.data!;
    };
    const make = async (name: string) =>
      (
        await call<{ createCustomerUser: { user: { id: string } } }>(
          'mutation ($input: CreateCustomerUserInput!) { createCustomerUser(input: $input) { user { id } } }',
          { customerId: c.id, userName: `${name}@${c.domain}`, displayName: name },
        )
      ).createCustomerUser.user.id;
    const remove = (userId: string) => call('mutation ($input: DeleteCustomerUserInput!) { deleteCustomerUser(input: $input) { user { id } } }', { userId });
    const gone = await make('gone');
    const kept = await make('kept');
    await remove(gone);
    clock.advance(10 * DAY_MS);
    await remove(kept);
    const cursor = (await eventsAfter(t, operator, eventCursor)).at(-1)?.cursor ?? eventCursor;
    clock.advance(21 * DAY_MS);
    const since = clock.now();
    expect(await t.server.services.customerUsers.purge()).toBeGreaterThan(0);
    const records = await systemRecords(['CUSTOMER_USER_PURGED'], since);
    expectSystem(records);
    expect(records.map((r) => [r.subjectId, r.customerId, r.partnerId])).toEqual([[gone, c.id, null]]);
    const left = await t.client(admin).raw<{ customerUsers: { edges: { node: { id: string; status: string } }[] } }>({
      query: `{ customerUsers(customerId: "${c.id}", first: 10, filter: { includeDeleted: true }) { edges { node { id status } } } }`,
    });
    expect(left.data!.customerUsers.edges.map((e) => e.node)).toEqual(expect.arrayContaining([{ id: kept, status: 'DELETED' }]));
    expect(left.data!.customerUsers.edges.map((e) => e.node.id)).not.toContain(gone);
    // the user as it was, every field gone
    expect(records[0].changes).toEqual(
      expect.arrayContaining([
        { field: 'userName', before: J(`gone@${c.domain}`), after: null },
        { field: 'status', before: J('DELETED'), after: null },
      ]),
    );
    // the customer reads it in its own trail, and the event carries the sweep's id
    expect((await auditTrail(t, admin, { actions: ['CUSTOMER_USER_PURGED'] })).map((r) => [r.id, r.correlationId])).toEqual([
      [records[0].id, records[0].correlationId],
    ]);
    const events = (await eventsAfter(t, operator, cursor)).filter((e) => e.type === 'CUSTOMER_USER_PURGED');
    expect(events.map((e) => [e.customerId, e.correlationId])).toEqual([[c.id, records[0].correlationId]]);
    eventCursor = (await eventsAfter(t, operator, cursor)).at(-1)?.cursor ?? cursor;
  });

  it('admin relationships: a request not approved in time and an end date without auto-extension expire; one with it is extended', async () => {
    const p = await createPartner(t, 'DIRECT_RESELLER');
    const c1 = await standaloneCustomer(t);
    const c2 = await standaloneCustomer(t);
    const extending = await approveAdmin(t, c1.token, (await requestAdmin(t, p.token, { duration: 'P30D', autoExtend: true })).token);
    const ending = await approveAdmin(t, c2.token, (await requestAdmin(t, p.token, { duration: 'P30D', autoExtend: false })).token);
    const pending = (await requestAdmin(t, p.token)).adminRelationship;
    const cursor = (await eventsAfter(t, operator, eventCursor)).at(-1)?.cursor ?? eventCursor;
    clock.advance(91 * DAY_MS);
    const since = clock.now();
    const done = await t.server.services.adminRelationships.sweep();
    expect(done.requestsExpired).toBeGreaterThan(0);
    expect(done.expired).toBeGreaterThan(0);
    expect(done.extended).toBeGreaterThan(0);
    const records = await systemRecords(['ADMIN_RELATIONSHIP_EXPIRED', 'ADMIN_RELATIONSHIP_EXTENDED', 'ADMIN_RELATIONSHIP_EXPIRING'], since);
    expectSystem(records);
    const of = (id: string) => records.filter((r) => r.subjectId === id);
    expect(of(extending.id).map((r) => r.action)).toEqual(['ADMIN_RELATIONSHIP_EXTENDED']);
    expect(of(extending.id)[0].changes).toEqual(
      expect.arrayContaining([
        { field: 'endsAt', before: J(extending.endsAt), after: J(new Date(new Date(extending.endsAt as string).getTime() + 180 * DAY_MS).toISOString()) },
        { field: 'extensions', before: '0', after: '1' },
      ]),
    );
    expect(of(ending.id).map((r) => r.action)).toEqual(['ADMIN_RELATIONSHIP_EXPIRED']);
    expect(of(ending.id)[0].changes).toEqual(expect.arrayContaining([{ field: 'status', before: J('ACTIVE'), after: J('EXPIRED') }]));
    expect(of(pending.id).map((r) => r.action)).toEqual(['ADMIN_RELATIONSHIP_EXPIRED']);
    expect(of(pending.id)[0].changes).toEqual(expect.arrayContaining([{ field: 'status', before: J('APPROVAL_PENDING'), after: J('EXPIRED') }]));
    // the partner reads them in its own trail, and their events carry the same id
    const own = await auditTrail(t, p.token, { correlationId: records[0].correlationId });
    expect(own.map((r) => r.id).sort()).toEqual(
      records
        .filter((r) => r.partnerId === p.id)
        .map((r) => r.id)
        .sort(),
    );
    const events = (await eventsAfter(t, operator, cursor)).filter((e) => [extending.id, ending.id, pending.id].includes(e.adminRelationshipId ?? ''));
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.every((e) => e.correlationId === records[0].correlationId)).toBe(true);
  });
});
