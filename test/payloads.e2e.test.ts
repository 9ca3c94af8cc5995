/**
 * Payloads that update client caches: every mutation returns each object it changed, with its id (the
 * same id a later read gives) and its new state, and the ids of what it removed; a field that exists
 * only once (a link, its email draft, a secret, credentials) is on the payload, never on the entity
 * type, where a later read would overwrite a cached value with null. One case per mutation of the
 * schema: a new mutation fails the coverage test until it has its case here.
 */
import { OffersDocument } from './generated/graphql';
import { createCustomer, createPartner, customerInput, type TestPartner, uniqueMpnId } from './support/factories';
import { accept, invite, standaloneCustomer } from './support/invitations';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer } from './support/test-server';
import { createEndpoint, deliveries, startReceiver, until } from './support/webhooks';

let t: TestServer;
let operator: string;
let direct: TestPartner;
let other: TestPartner;
let provider: TestPartner;
let offerId: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

/** An answer's JSON, walked by property name (a list: `items`, a connection's nodes: `nodes`, an id: `idOf`). */
interface D {
  readonly [key: string]: D;
}
const items = (list: D): D[] => list as unknown as D[];
const nodes = (connection: D): D[] => items(connection.edges).map((edge) => edge.node);
const idOf = (object: D): string => object.id as unknown as string;

/** Runs an operation as `token`, failing on any error; variables: `{ input }` when given. */
async function run<T = D>(token: string, query: string, input?: unknown): Promise<T> {
  const res = await t.client(token).raw<T>({ query, variables: input === undefined ? {} : { input } });
  if (res.errors?.length || !res.data) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors ?? res)}`);
  return res.data;
}

/** Runs a mutation `name(input: $input) { selection }` as `token` and returns its payload. */
async function mutate(token: string, name: string, inputType: string, input: unknown, selection: string): Promise<D> {
  const data = await run(token, `mutation ($input: ${inputType}!) { ${name}(input: $input) ${selection} }`, input);
  return data[name];
}

/** The field names of a type, by introspection. */
async function fieldsOf(typeName: string): Promise<string[]> {
  const data = await run<{ __type: { fields: { name: string }[] } | null }>(operator, `{ __type(name: "${typeName}") { fields { name } } }`);
  return data.__type!.fields.map((f) => f.name);
}

async function sell(token: string, customerId: string, quantity = 2): Promise<string> {
  const payload = await mutate(token, 'createSubscription', 'CreateSubscriptionInput', { customerId, offerId, quantity }, '{ subscription { id } }');
  return idOf(payload.subscription);
}

/** What a scheduled change is read with (its offer by id). */
const SCHEDULED = 'quantity termDuration billingFrequency offer { id }';

/** Schedules a change of quantity for the renewal of `direct`'s subscription; the change as the subscription shows it. */
async function schedule(subscriptionId: string, quantity: number): Promise<D> {
  const payload = await mutate(
    direct.token,
    'scheduleSubscriptionChange',
    'ScheduleSubscriptionChangeInput',
    { subscriptionId, quantity },
    `{ subscription { id scheduledChange { ${SCHEDULED} } } }`,
  );
  expect(payload.subscription.scheduledChange).toMatchObject({ quantity });
  return payload.subscription.scheduledChange;
}

/** One of `direct`'s subscriptions as a later read gives it (node(id:)). */
async function readSubscription(id: string, selection: string): Promise<D> {
  const data = await run(direct.token, `{ node(id: "${id}") { ... on CustomerSubscription { ${selection} } } }`);
  return data.node;
}

/** A customer created by `direct` (ACTIVE relationship and DAP), with its admin's token. */
async function directCustomer() {
  const customer = await createCustomer(t, direct.token);
  return { ...customer, token: await t.tokens.customer(customer.id) };
}

const ADMIN_INPUT = { roles: ['HELPDESK_ADMINISTRATOR'], duration: 'P90D' };
let adminSeq = 0;
async function askAdmin(customerId?: string) {
  adminSeq += 1;
  return mutate(
    direct.token,
    'createAdminRelationship',
    'CreateAdminRelationshipInput',
    { ...ADMIN_INPUT, displayName: `Payload test ${adminSeq} ${Date.now()}`, ...(customerId ? { customerId } : {}) },
    '{ adminRelationship { id status } token }',
  );
}

async function activeAdmin() {
  const customer = await directCustomer();
  const asked = await askAdmin(customer.id);
  await mutate(customer.token, 'approveAdminRelationship', 'ApproveAdminRelationshipInput', { token: asked.token }, '{ adminRelationship { id } }');
  return { customer, id: idOf(asked.adminRelationship) };
}

beforeAll(async () => {
  t = await startTestServer();
  operator = await t.tokens.operator();
  direct = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Payload Direct Ltd');
  other = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Payload Other Ltd');
  provider = await createPartner(t, 'INDIRECT_PROVIDER', 'PUBLIC', 'Payload Provider Ltd');
  const { offers } = await t.client(operator).data(OffersDocument);
  offerId = offers.find((o) => o.minQuantity <= 2 && o.maxQuantity >= 9)!.id;
  receiver = await startReceiver([200]);
});
afterAll(async () => {
  await receiver?.stop();
  await t?.stop();
});

/** A user of `customer` made by its own admin (`roles`: none), and one of `direct`'s subscriptions of it with `quantity` licences. */
async function directoryWorld(quantity = 2) {
  const customer = await directCustomer();
  const subscriptionId = await sell(direct.token, customer.id, quantity);
  const payload = await mutate(
    customer.token,
    'createCustomerUser',
    'CreateCustomerUserInput',
    { customerId: customer.id, userName: `user.${Date.now()}@${customer.domain}`, displayName: 'Payload User' },
    '{ user { id } }',
  );
  return { customer, subscriptionId, userId: idOf(payload.user) };
}

/** What a user is read with in the user cases (its licences with their subscriptions' counts). */
const USER = 'id userName displayName firstName lastName roles status deletedAt purgeAt updatedAt licenses { edges { node { id assignedLicenses } } }';

/** A user as a later read gives it (node(id:)), as `token` reads it. */
async function readUser(token: string, id: string): Promise<D> {
  return (await run(token, `{ node(id: "${id}") { ... on CustomerUser { ${USER} } } }`)).node;
}

async function assign(token: string, userId: string, subscriptionId: string): Promise<D> {
  return mutate(
    token,
    'assignLicenses',
    'AssignLicensesInput',
    { userId, subscriptionIds: [subscriptionId] },
    `{ user { ${USER} } subscriptions { id assignedLicenses } }`,
  );
}

const CASES: Record<string, () => Promise<void>> = {
  async updatePartner() {
    const p = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Payload Renamed Ltd');
    const view = 'id name contactEmail mpnId type cloud';
    const payload = await mutate(
      p.token,
      'updatePartner',
      'UpdatePartnerInput',
      { partnerId: p.id, name: 'Payload Renamed Group Ltd', contactEmail: 'ops@renamed.example' },
      `{ partner { ${view} } }`,
    );
    expect(payload.partner).toMatchObject({ id: p.id, name: 'Payload Renamed Group Ltd', contactEmail: 'ops@renamed.example' });
    const read = await run(operator, `{ partner(id: "${p.id}") { ${view} } }`);
    expect(read.partner).toEqual(payload.partner);
  },

  async updateCustomer() {
    const customer = await directCustomer();
    const view =
      'id companyName domain updatedAt address { addressLine1 addressLine2 city state postalCode country } primaryContact { email } billingContact { firstName lastName email phoneNumber }';
    const billingContact = { firstName: 'Bill', lastName: 'Payer', email: 'bill@customer.example', phoneNumber: '+1 206 555 0142' };
    const payload = await mutate(
      direct.token,
      'updateCustomer',
      'UpdateCustomerInput',
      { customerId: customer.id, companyName: 'Payload Updated Limited', billingContact },
      `{ customer { ${view} } }`,
    );
    expect(payload.customer).toMatchObject({ id: customer.id, companyName: 'Payload Updated Limited', domain: customer.domain, billingContact });
    expect(payload.customer.updatedAt).toEqual(expect.any(String));
    // the customer's admin and its partner read the same
    for (const token of [direct.token, customer.token]) {
      expect((await run(token, `{ customer(id: "${customer.id}") { ${view} } }`)).customer).toEqual(payload.customer);
    }
    // the partner's own external id: on the payload's customer, as the partner reads it later
    const externalId = `PAYLOAD-CRM-${customer.id.slice(0, 8)}`;
    const tagged = await mutate(
      direct.token,
      'updateCustomer',
      'UpdateCustomerInput',
      { customerId: customer.id, externalId },
      '{ customer { id externalId } }',
    );
    expect(tagged).toEqual({ customer: { id: customer.id, externalId } });
    expect((await run(direct.token, `{ customer(id: "${customer.id}") { id externalId } }`)).customer).toEqual(tagged.customer);
  },

  async createCustomerUser() {
    const customer = await directCustomer();
    const payload = await mutate(
      direct.token,
      'createCustomerUser',
      'CreateCustomerUserInput',
      { customerId: customer.id, userName: `grace@${customer.domain}`, displayName: 'Grace Hopper', firstName: 'Grace', lastName: 'Hopper' },
      `{ user { ${USER} customerId customer { id } } temporaryPassword }`,
    );
    expect(payload.user).toMatchObject({
      id: expect.any(String),
      userName: `grace@${customer.domain}`,
      displayName: 'Grace Hopper',
      roles: [],
      status: 'ACTIVE',
      deletedAt: null,
      licenses: { edges: [] },
      customerId: customer.id,
      customer: { id: customer.id },
    });
    // the same user in the customer's list, for its admin and for the partner
    for (const token of [customer.token, direct.token]) {
      const list = await run(token, `{ customerUsers(customerId: "${customer.id}", first: 10) { totalCount edges { node { id userName status } } } }`);
      expect(nodes(list.customerUsers)).toContainEqual({ id: payload.user.id, userName: `grace@${customer.domain}`, status: 'ACTIVE' });
    }
    // the password exists once, on the payload
    expect(payload.temporaryPassword).toEqual(expect.any(String));
    expect(await fieldsOf('CustomerUser')).not.toContain('temporaryPassword');
  },

  async updateCustomerUser() {
    const { customer, userId } = await directoryWorld();
    const payload = await mutate(
      direct.token,
      'updateCustomerUser',
      'UpdateCustomerUserInput',
      { userId, displayName: 'Payload Renamed', firstName: 'Payload' },
      `{ user { ${USER} } subscriptions { id } }`,
    );
    expect(payload.user).toMatchObject({ id: userId, displayName: 'Payload Renamed', firstName: 'Payload', updatedAt: expect.any(String) });
    expect(payload.subscriptions).toEqual([]);
    expect(await readUser(customer.token, userId)).toEqual(payload.user);
  },

  async assignLicenses() {
    const { customer, subscriptionId, userId } = await directoryWorld();
    const payload = await assign(direct.token, userId, subscriptionId);
    // the user holds the licence, and the subscription counts it (the same object in both places)
    expect(payload.user).toMatchObject({ id: userId, licenses: { edges: [{ node: { id: subscriptionId, assignedLicenses: 1 } }] } });
    expect(payload.subscriptions).toEqual([{ id: subscriptionId, assignedLicenses: 1 }]);
    expect(await readUser(customer.token, userId)).toEqual(payload.user);
    expect(await readSubscription(subscriptionId, 'id assignedLicenses')).toEqual({ id: subscriptionId, assignedLicenses: 1 });
  },

  async unassignLicenses() {
    const { customer, subscriptionId, userId } = await directoryWorld();
    await assign(direct.token, userId, subscriptionId);
    const payload = await mutate(
      customer.token,
      'unassignLicenses',
      'UnassignLicensesInput',
      { userId, subscriptionIds: [subscriptionId] },
      `{ user { ${USER} } subscriptions { id assignedLicenses } }`,
    );
    expect(payload.user).toMatchObject({ id: userId, licenses: { edges: [] } });
    expect(payload.subscriptions).toEqual([{ id: subscriptionId, assignedLicenses: 0 }]);
    expect(await readUser(direct.token, userId)).toEqual(payload.user);
    expect(await readSubscription(subscriptionId, 'id assignedLicenses')).toEqual({ id: subscriptionId, assignedLicenses: 0 });
  },

  async deleteCustomerUser() {
    const { customer, subscriptionId, userId } = await directoryWorld();
    await assign(direct.token, userId, subscriptionId);
    const payload = await mutate(
      direct.token,
      'deleteCustomerUser',
      'DeleteCustomerUserInput',
      { userId },
      `{ user { ${USER} } subscriptions { id assignedLicenses } }`,
    );
    // DELETED, restorable until purgeAt, its licence freed: the subscription it held one of comes back with its count
    expect(payload.user).toMatchObject({ id: userId, status: 'DELETED', deletedAt: expect.any(String), purgeAt: expect.any(String), licenses: { edges: [] } });
    expect(payload.subscriptions).toEqual([{ id: subscriptionId, assignedLicenses: 0 }]);
    expect(await readUser(customer.token, userId)).toEqual(payload.user);
    // it leaves the list, unless the deleted are asked for
    const list = (filter: string) =>
      run(customer.token, `{ customerUsers(customerId: "${customer.id}", first: 10${filter}) { edges { node { id status } } } }`);
    expect(nodes((await list('')).customerUsers).map(idOf)).not.toContain(userId);
    expect(nodes((await list(', filter: { includeDeleted: true }')).customerUsers)).toContainEqual({ id: userId, status: 'DELETED' });
  },

  async restoreCustomerUser() {
    const { customer, userId } = await directoryWorld();
    await mutate(customer.token, 'deleteCustomerUser', 'DeleteCustomerUserInput', { userId }, '{ user { id } }');
    const payload = await mutate(direct.token, 'restoreCustomerUser', 'RestoreCustomerUserInput', { userId }, `{ user { ${USER} } subscriptions { id } }`);
    expect(payload.user).toMatchObject({ id: userId, status: 'ACTIVE', deletedAt: null, purgeAt: null, licenses: { edges: [] } });
    expect(payload.subscriptions).toEqual([]);
    expect(await readUser(customer.token, userId)).toEqual(payload.user);
  },

  async createPartner() {
    const payload = await mutate(
      operator,
      'createPartner',
      'CreatePartnerInput',
      { name: 'Payload New Partner Ltd', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'c@new.example' },
      '{ partner { id name } }',
    );
    const read = await run(operator, `{ partner(id: "${idOf(payload.partner)}") { id name } }`);
    expect(read.partner).toEqual(payload.partner);
  },

  async createCustomer() {
    const payload = await mutate(
      direct.token,
      'createCustomer',
      'CreateCustomerInput',
      customerInput({ companyName: 'Payload Customer Ltd' }),
      '{ customer { id companyName relationship { id status } delegatedAdminPrivileges { id status } } adminCredentials { userName temporaryPassword } }',
    );
    const { customer } = payload;
    expect(customer.relationship).toEqual({ id: expect.any(String), status: 'ACTIVE' });
    expect(customer.delegatedAdminPrivileges).toEqual({ id: expect.any(String), status: 'ACTIVE' });
    const [row] = await t.server.ds.query<{ id: string }[]>('SELECT id FROM reseller_relationship WHERE customerId = ? AND partnerId = ?', [
      customer.id,
      direct.id,
    ]);
    expect(customer.relationship.id).toBe(row.id);
    // every read path gives the same ids: one customer, a list asking only for the ids (fewest columns), a list asking for more
    const one = await run(direct.token, `{ customer(id: "${idOf(customer)}") { relationship { id status } delegatedAdminPrivileges { id status } } }`);
    expect(one.customer).toEqual({ relationship: customer.relationship, delegatedAdminPrivileges: customer.delegatedAdminPrivileges });
    for (const selection of [
      'relationship { id } delegatedAdminPrivileges { id }',
      'companyName relationship { id status establishedAt } delegatedAdminPrivileges { id status }',
    ]) {
      const list = await run(direct.token, `{ customers(first: 100) { edges { node { id ${selection} } } } }`);
      const node = nodes(list.customers).find((n) => n.id === customer.id)!;
      expect(node.relationship.id).toBe(customer.relationship.id);
      expect(node.delegatedAdminPrivileges.id).toBe(customer.delegatedAdminPrivileges.id);
    }
    // the admin credentials exist only in this payload
    expect(payload.adminCredentials.temporaryPassword).toEqual(expect.any(String));
    expect(await fieldsOf('Customer')).not.toContain('adminCredentials');
  },

  async createCustomerInvitation() {
    const payload = await mutate(
      direct.token,
      'createCustomerInvitation',
      'CreateCustomerInvitationInput',
      { includeDelegatedAdminPrivileges: true },
      '{ invitation { id status } token url emailDraft { subject body } }',
    );
    expect(payload.invitation.status).toBe('PENDING');
    expect(payload.url).toContain(payload.token);
    expect(payload.emailDraft.body).toContain(payload.url);
    const list = await run(direct.token, '{ invitations(first: 100) { edges { node { id status } } } }');
    expect(nodes(list.invitations)).toContainEqual({ id: payload.invitation.id, status: 'PENDING' });
  },

  async acceptCustomerInvitation() {
    const customer = await standaloneCustomer(t);
    const { invitation, token } = await invite(t, direct.token, true);
    const payload = await mutate(
      customer.token,
      'acceptCustomerInvitation',
      'AcceptCustomerInvitationInput',
      { token },
      '{ invitation { id status } customer { id partners { partner { id } relationship { id status } delegatedAdminPrivileges { id status } relationshipStatus delegatedAdminStatus } } }',
    );
    expect(payload.invitation).toEqual({ id: invitation.id, status: 'ACCEPTED' });
    expect(payload.customer.id).toBe(customer.id);
    const entry = items(payload.customer.partners).find((p) => idOf(p.partner) === direct.id)!;
    expect(entry).toMatchObject({
      relationship: { id: expect.any(String), status: 'ACTIVE' },
      delegatedAdminPrivileges: { id: expect.any(String), status: 'ACTIVE' },
      relationshipStatus: 'ACTIVE',
      delegatedAdminStatus: 'ACTIVE',
    });
    // the partner reads the same objects (same ids) from its side
    const seen = await run(direct.token, `{ customer(id: "${customer.id}") { relationship { id status } delegatedAdminPrivileges { id status } } }`);
    expect(seen.customer).toEqual({ relationship: entry.relationship, delegatedAdminPrivileges: entry.delegatedAdminPrivileges });
  },

  async declineCustomerInvitation() {
    const customer = await standaloneCustomer(t);
    const { invitation, token } = await invite(t, direct.token, true);
    const payload = await mutate(
      customer.token,
      'declineCustomerInvitation',
      'DeclineCustomerInvitationInput',
      { token },
      '{ invitation { id status declinedAt } }',
    );
    expect(payload.invitation).toMatchObject({ id: invitation.id, status: 'DECLINED', declinedAt: expect.any(String) });
  },

  async revokeCustomerInvitation() {
    const { invitation } = await invite(t, direct.token, true);
    const payload = await mutate(
      direct.token,
      'revokeCustomerInvitation',
      'RevokeCustomerInvitationInput',
      { invitationId: invitation.id },
      '{ invitation { id status } }',
    );
    expect(payload.invitation).toEqual({ id: invitation.id, status: 'REVOKED' });
  },

  async removeCustomerRelationship() {
    // a customer of two partners: each has its relationship, its DAP and a subscription it sold
    const customer = await directCustomer();
    const { token } = await invite(t, other.token, true);
    await accept(t, customer.token, token);
    await sell(direct.token, customer.id);
    await sell(other.token, customer.id);
    const view = `id companyName domain
      relationship { id status removedAt } delegatedAdminPrivileges { id status }
      partners { partner { id name } relationship { id status } delegatedAdminPrivileges { id status } relationshipStatus delegatedAdminStatus }
      indirectReseller { id }
      subscriptions(first: 10) { totalCount edges { node { id quantity soldBy: reseller { id } } } }
      adminRelationships(first: 10) { totalCount edges { node { id } } }`;
    const before = (await run(direct.token, `{ customer(id: "${customer.id}") { ${view} } }`)).customer;
    expect(before.relationship.status).toBe('ACTIVE');

    const payload = await mutate(
      direct.token,
      'removeCustomerRelationship',
      'RemoveCustomerRelationshipInput',
      { customerId: customer.id, attestation: true },
      `{ customerId relationship { id status removedAt } customer { ${view} } }`,
    );
    // the same relationship object, now REMOVED, both on its own and on the customer
    expect(payload.customerId).toBe(customer.id);
    expect(payload.relationship).toEqual({ id: before.relationship.id, status: 'REMOVED', removedAt: expect.any(String) });
    expect(payload.customer.relationship).toEqual(payload.relationship);
    // otherwise the customer is what the caller read just before: nothing of the other partner (its entry, its subscription)
    const entry = (c: D) => items(c.partners).map((p) => p.partner.id);
    expect(entry(payload.customer)).toEqual([direct.id]);
    expect(items(payload.customer.partners)[0].relationship).toEqual({ id: before.relationship.id, status: 'REMOVED' });
    expect(payload.customer).toEqual({
      ...before,
      relationship: payload.relationship,
      partners: [{ ...items(before.partners)[0], relationship: { id: before.relationship.id, status: 'REMOVED' }, relationshipStatus: 'REMOVED' }],
    });
    expect(payload.customer.subscriptions.totalCount).toBe(1);
    expect(JSON.stringify(payload)).not.toContain(other.id);
    // and the caller reads it no more
    const after = await t.client(direct.token).raw({ query: `{ customer(id: "${customer.id}") { id } }` });
    expect(after.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  },

  async revokeDelegatedAdminPrivileges() {
    const customer = await directCustomer();
    const before = await run(direct.token, `{ customer(id: "${customer.id}") { delegatedAdminPrivileges { id status } } }`);
    const dapId = before.customer.delegatedAdminPrivileges.id;
    const payload = await mutate(
      customer.token,
      'revokeDelegatedAdminPrivileges',
      'RevokeDelegatedAdminPrivilegesInput',
      { partnerId: direct.id },
      '{ partner { id } delegatedAdminPrivileges { id status revokedAt } customer { id partners { partner { id } delegatedAdminPrivileges { id status } delegatedAdminStatus relationship { status } } } }',
    );
    expect(payload.partner.id).toBe(direct.id);
    expect(payload.delegatedAdminPrivileges).toEqual({ id: dapId, status: 'REVOKED', revokedAt: expect.any(String) });
    expect(payload.customer.id).toBe(customer.id);
    expect(payload.customer.partners).toEqual([
      {
        partner: { id: direct.id },
        delegatedAdminPrivileges: { id: dapId, status: 'REVOKED' },
        delegatedAdminStatus: 'REVOKED',
        relationship: { status: 'ACTIVE' },
      },
    ]);
    const seen = await run(direct.token, `{ customer(id: "${customer.id}") { delegatedAdminPrivileges { id status } } }`);
    expect(seen.customer.delegatedAdminPrivileges).toEqual({ id: dapId, status: 'REVOKED' });
  },

  async createSubscription() {
    const customer = await directCustomer();
    const payload = await mutate(
      direct.token,
      'createSubscription',
      'CreateSubscriptionInput',
      { customerId: customer.id, offerId, quantity: 3 },
      '{ subscription { id quantity } customer { id relationship { id status } subscriptions(first: 10) { totalCount edges { node { id quantity } } } } }',
    );
    expect(payload.subscription).toEqual({ id: expect.any(String), quantity: 3 });
    expect(payload.customer.id).toBe(customer.id);
    expect(payload.customer.relationship.status).toBe('ACTIVE');
    expect(payload.customer.subscriptions.totalCount).toBe(1);
    expect(nodes(payload.customer.subscriptions)).toEqual([payload.subscription]);
  },

  async updateSubscription() {
    const customer = await directCustomer();
    const id = await sell(direct.token, customer.id, 2);
    const scheduled = await schedule(id, 5);
    const payload = await mutate(
      direct.token,
      'updateSubscription',
      'UpdateSubscriptionInput',
      { subscriptionId: id, quantity: 9 },
      `{ subscription { id quantity scheduledChange { ${SCHEDULED} } } removedScheduledChange { ${SCHEDULED} } }`,
    );
    // a quantity change replaces the change scheduled for the renewal: the payload says which it removed
    expect(payload.subscription).toEqual({ id, quantity: 9, scheduledChange: null });
    expect(payload.removedScheduledChange).toEqual(scheduled);
    expect(await readSubscription(id, `id quantity scheduledChange { ${SCHEDULED} }`)).toEqual(payload.subscription);
  },

  async cancelSubscription() {
    const customer = await directCustomer();
    const id = await sell(direct.token, customer.id, 2);
    const payload = await mutate(
      direct.token,
      'cancelSubscription',
      'CancelSubscriptionInput',
      { subscriptionId: id, reason: 'Ordered by mistake' },
      '{ subscription { id status endedAt autoRenew scheduledChange { quantity } } refund { amount currency } }',
    );
    expect(payload.subscription).toEqual({ id, status: 'CANCELLED', endedAt: expect.any(String), autoRenew: true, scheduledChange: null });
    // cancelled on the first day of its month: the whole term's price of its quantity
    const { offers } = await run<{ offers: { id: string; terms: { termDuration: string; unitPrice: { amount: string; currency: string } }[] }[] }>(
      direct.token,
      '{ offers { id terms { termDuration unitPrice { amount currency } } } }',
    );
    const { unitPrice } = offers.find((o) => o.id === offerId)!.terms.find((term) => term.termDuration === 'P1M')!;
    expect(payload.refund).toEqual({ amount: ((Math.round(Number(unitPrice.amount) * 100) * 2) / 100).toFixed(2), currency: unitPrice.currency });
    expect(await readSubscription(id, 'id status endedAt autoRenew scheduledChange { quantity }')).toEqual(payload.subscription);
  },

  async suspendSubscription() {
    const customer = await directCustomer();
    const id = await sell(direct.token, customer.id, 2);
    const scheduled = await schedule(id, 5);
    const payload = await mutate(
      direct.token,
      'suspendSubscription',
      'SuspendSubscriptionInput',
      { subscriptionId: id, reason: 'Unpaid invoice' },
      `{ subscription { id status scheduledChange { ${SCHEDULED} } } removedScheduledChange { ${SCHEDULED} } }`,
    );
    // the subscription, SUSPENDED without its scheduled change, and the change it removed
    expect(payload.subscription).toEqual({ id, status: 'SUSPENDED', scheduledChange: null });
    expect(payload.removedScheduledChange).toEqual(scheduled);
    expect(await readSubscription(id, `id status scheduledChange { ${SCHEDULED} }`)).toEqual(payload.subscription);
  },

  async reactivateSubscription() {
    const customer = await directCustomer();
    const id = await sell(direct.token, customer.id, 2);
    await mutate(direct.token, 'suspendSubscription', 'SuspendSubscriptionInput', { subscriptionId: id }, '{ subscription { id } }');
    const payload = await mutate(
      direct.token,
      'reactivateSubscription',
      'ReactivateSubscriptionInput',
      { subscriptionId: id },
      `{ subscription { id status scheduledChange { ${SCHEDULED} } } removedScheduledChange { ${SCHEDULED} } }`,
    );
    expect(payload).toEqual({ subscription: { id, status: 'ACTIVE', scheduledChange: null }, removedScheduledChange: null });
    expect(await readSubscription(id, `id status scheduledChange { ${SCHEDULED} }`)).toEqual(payload.subscription);
  },

  async setSubscriptionAutoRenew() {
    const customer = await directCustomer();
    const id = await sell(direct.token, customer.id, 2);
    const scheduled = await schedule(id, 4);
    const payload = await mutate(
      direct.token,
      'setSubscriptionAutoRenew',
      'SetSubscriptionAutoRenewInput',
      { subscriptionId: id, autoRenew: false },
      `{ subscription { id autoRenew scheduledChange { ${SCHEDULED} } } removedScheduledChange { ${SCHEDULED} } }`,
    );
    // turned off: the scheduled change (which would never apply) is gone, and the payload says which it was
    expect(payload.subscription).toEqual({ id, autoRenew: false, scheduledChange: null });
    expect(payload.removedScheduledChange).toEqual(scheduled);
    expect(await readSubscription(id, `id autoRenew scheduledChange { ${SCHEDULED} }`)).toEqual(payload.subscription);
    const on = await mutate(
      direct.token,
      'setSubscriptionAutoRenew',
      'SetSubscriptionAutoRenewInput',
      { subscriptionId: id, autoRenew: true },
      `{ subscription { id autoRenew } removedScheduledChange { ${SCHEDULED} } }`,
    );
    expect(on).toEqual({ subscription: { id, autoRenew: true }, removedScheduledChange: null });
  },

  async setSubscriptionExternalId() {
    const customer = await directCustomer();
    const id = await sell(direct.token, customer.id, 2);
    const externalId = `PAYLOAD-SUB-${id.slice(0, 8)}`;
    const payload = await mutate(
      direct.token,
      'setSubscriptionExternalId',
      'SetSubscriptionExternalIdInput',
      { subscriptionId: id, externalId },
      '{ subscription { id externalId updatedAt } }',
    );
    expect(payload.subscription).toMatchObject({ id, externalId });
    expect(await readSubscription(id, 'id externalId updatedAt')).toEqual(payload.subscription);
    // cleared: the payload says so, as a later read does
    const cleared = await mutate(
      direct.token,
      'setSubscriptionExternalId',
      'SetSubscriptionExternalIdInput',
      { subscriptionId: id, externalId: null },
      '{ subscription { id externalId } }',
    );
    expect(cleared).toEqual({ subscription: { id, externalId: null } });
    expect(await readSubscription(id, 'id externalId')).toEqual(cleared.subscription);
  },

  async scheduleSubscriptionChange() {
    const customer = await directCustomer();
    const id = await sell(direct.token, customer.id, 2);
    const payload = await mutate(
      direct.token,
      'scheduleSubscriptionChange',
      'ScheduleSubscriptionChangeInput',
      { subscriptionId: id, quantity: 6, termDuration: 'P1Y', billingFrequency: 'ANNUAL' },
      `{ subscription { id quantity termDuration scheduledChange { ${SCHEDULED} } } removedScheduledChange { ${SCHEDULED} } }`,
    );
    // the scheduled change is the subscription's (it changes nothing before the renewal)
    expect(payload).toEqual({
      subscription: {
        id,
        quantity: 2,
        termDuration: 'P1M',
        scheduledChange: { quantity: 6, termDuration: 'P1Y', billingFrequency: 'ANNUAL', offer: { id: offerId } },
      },
      removedScheduledChange: null,
    });
    expect(await readSubscription(id, `id quantity termDuration scheduledChange { ${SCHEDULED} }`)).toEqual(payload.subscription);
  },

  async cancelScheduledSubscriptionChange() {
    const customer = await directCustomer();
    const id = await sell(direct.token, customer.id, 2);
    const scheduled = await schedule(id, 3);
    const payload = await mutate(
      direct.token,
      'cancelScheduledSubscriptionChange',
      'CancelScheduledSubscriptionChangeInput',
      { subscriptionId: id },
      `{ subscription { id scheduledChange { ${SCHEDULED} } } removedScheduledChange { ${SCHEDULED} } }`,
    );
    expect(payload).toEqual({ subscription: { id, scheduledChange: null }, removedScheduledChange: scheduled });
    expect(await readSubscription(id, `id scheduledChange { ${SCHEDULED} }`)).toEqual(payload.subscription);
  },

  async upgradeSubscription() {
    const customer = await directCustomer();
    const { createSubscription } = await run<D>(
      direct.token,
      'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }',
      { customerId: customer.id, offerId: 'm365-business-basic', quantity: 3 },
    );
    const id = idOf(createSubscription.subscription);
    const view = 'id status quantity offer { id } upgradedFrom { id } upgradedTo { id }';
    const payload = await mutate(
      direct.token,
      'upgradeSubscription',
      'UpgradeSubscriptionInput',
      { subscriptionId: id, targetOfferId: 'm365-business-standard' },
      `{ subscription { ${view} } previousSubscription { ${view} endedAt } customer { id subscriptions(first: 10) { totalCount edges { node { id status offer { id } } } } } }`,
    );
    const newId = idOf(payload.subscription);
    // the new subscription, the old one (CANCELLED, pointing at it), and the customer whose list holds both
    expect(payload.subscription).toEqual({
      id: newId,
      status: 'ACTIVE',
      quantity: 3,
      offer: { id: 'm365-business-standard' },
      upgradedFrom: { id },
      upgradedTo: null,
    });
    expect(payload.previousSubscription).toEqual({
      id,
      status: 'CANCELLED',
      quantity: 3,
      offer: { id: 'm365-business-basic' },
      upgradedFrom: null,
      upgradedTo: { id: newId },
      endedAt: expect.any(String),
    });
    expect(payload.customer.id).toBe(customer.id);
    expect(payload.customer.subscriptions.totalCount).toBe(2);
    expect(nodes(payload.customer.subscriptions)).toEqual([
      { id, status: 'CANCELLED', offer: { id: 'm365-business-basic' } },
      { id: newId, status: 'ACTIVE', offer: { id: 'm365-business-standard' } },
    ]);
    expect(await readSubscription(newId, view)).toEqual(payload.subscription);
  },

  async advanceTestClock() {
    // the test clock runs only on a server started with TEST_CLOCK=true; the operator moves it
    const clocked = await startTestServer({ TEST_CLOCK: 'true' });
    try {
      const op = await clocked.tokens.operator();
      const seller = await createPartner(clocked, 'DIRECT_RESELLER');
      const customer = await createCustomer(clocked, seller.token);
      const ask = async <T>(token: string, query: string, variables: Record<string, unknown> = {}) => {
        const res = await clocked.client(token).raw<T>({ query, variables });
        expect(res.errors).toBeUndefined();
        return res.data!;
      };
      const sold = await ask<D>(
        seller.token,
        'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id termEndsAt } } }',
        { input: { customerId: customer.id, offerId, quantity: 2, termDuration: 'P1M', autoRenew: false } },
      );
      const { id, termEndsAt } = sold.createSubscription.subscription as unknown as { id: string; termEndsAt: string };
      const { advanceTestClock } = await ask<{ advanceTestClock: { previous: string; now: string } }>(
        op,
        'mutation ($input: AdvanceTestClockInput!) { advanceTestClock(input: $input) { previous now } }',
        { input: { by: 'P32D' } },
      );
      const { previous, now } = advanceTestClock;
      expect(new Date(now).getTime() - new Date(previous).getTime()).toBeGreaterThanOrEqual(32 * 24 * 3600 * 1000);
      expect(new Date(now).getTime()).toBeGreaterThan(new Date(termEndsAt).getTime());
      // the payload has no object: the server's time is what it moved, and the sweep's changes were made before it answered
      const after = await ask<{ serverTime: string; node: D }>(seller.token, `{ serverTime node(id: "${id}") { ... on CustomerSubscription { id status } } }`);
      expect(new Date(after.serverTime).getTime()).toBeGreaterThanOrEqual(new Date(now).getTime());
      expect(after.node).toEqual({ id, status: 'EXPIRED' });
    } finally {
      await clocked.stop();
    }
  },

  async createAdminRelationship() {
    const payload = await mutate(
      direct.token,
      'createAdminRelationship',
      'CreateAdminRelationshipInput',
      { ...ADMIN_INPUT, displayName: `Payload create ${Date.now()}` },
      '{ adminRelationship { id status } token url emailDraft { subject body } }',
    );
    expect(payload.adminRelationship).toEqual({ id: expect.any(String), status: 'APPROVAL_PENDING' });
    expect(payload.url).toContain(payload.token);
    expect(payload.emailDraft.body).toContain(payload.url);
    const list = await run(direct.token, '{ adminRelationships(first: 100) { edges { node { id status } } } }');
    expect(nodes(list.adminRelationships)).toContainEqual(payload.adminRelationship);
  },

  async updateAdminRelationship() {
    const asked = await askAdmin();
    const payload = await mutate(
      direct.token,
      'updateAdminRelationship',
      'UpdateAdminRelationshipInput',
      { adminRelationshipId: asked.adminRelationship.id, autoExtend: true },
      '{ adminRelationship { id autoExtend } }',
    );
    expect(payload.adminRelationship).toEqual({ id: asked.adminRelationship.id, autoExtend: true });
  },

  async approveAdminRelationship() {
    const customer = await directCustomer();
    const asked = await askAdmin();
    const payload = await mutate(
      customer.token,
      'approveAdminRelationship',
      'ApproveAdminRelationshipInput',
      { token: asked.token },
      '{ adminRelationship { id status customer { id adminRelationships(first: 10) { edges { node { id status } } } } } }',
    );
    const rel = payload.adminRelationship;
    expect(rel).toMatchObject({ id: asked.adminRelationship.id, status: 'ACTIVE', customer: { id: customer.id } });
    // the customer it now belongs to lists it, in the same answer
    expect(nodes(rel.customer.adminRelationships)).toEqual([{ id: rel.id, status: 'ACTIVE' }]);
  },

  async rejectAdminRelationship() {
    const customer = await directCustomer();
    const asked = await askAdmin();
    const payload = await mutate(
      customer.token,
      'rejectAdminRelationship',
      'RejectAdminRelationshipInput',
      { token: asked.token },
      '{ adminRelationship { id status endReason } }',
    );
    expect(payload.adminRelationship).toEqual({ id: asked.adminRelationship.id, status: 'TERMINATED', endReason: 'REJECTED' });
  },

  async terminateAdminRelationship() {
    const { id } = await activeAdmin();
    const payload = await mutate(
      direct.token,
      'terminateAdminRelationship',
      'TerminateAdminRelationshipInput',
      { adminRelationshipId: id },
      '{ adminRelationship { id status endReason endedBySide } }',
    );
    expect(payload.adminRelationship).toEqual({ id, status: 'TERMINATED', endReason: 'TERMINATED', endedBySide: 'PARTNER' });
  },

  async terminateAdminRelationships() {
    const { id } = await activeAdmin();
    const payload = await mutate(
      direct.token,
      'terminateAdminRelationships',
      'TerminateAdminRelationshipsInput',
      { adminRelationshipIds: [id] },
      '{ succeeded results { adminRelationshipId adminRelationship { id status } } }',
    );
    expect(payload).toEqual({ succeeded: 1, results: [{ adminRelationshipId: id, adminRelationship: { id, status: 'TERMINATED' } }] });
  },

  async extendAdminRelationships() {
    const { id } = await activeAdmin();
    const payload = await mutate(
      direct.token,
      'extendAdminRelationships',
      'ExtendAdminRelationshipsInput',
      { adminRelationshipIds: [id] },
      '{ succeeded results { adminRelationshipId adminRelationship { id status extensions } } }',
    );
    expect(payload).toEqual({ succeeded: 1, results: [{ adminRelationshipId: id, adminRelationship: { id, status: 'ACTIVE', extensions: 1 } }] });
  },

  async requestPartnership() {
    const payload = await mutate(
      provider.token,
      'requestPartnership',
      'RequestPartnershipInput',
      { resellerEmail: 'one@reseller.example' },
      '{ request { id status } token url emailDraft { subject body } }',
    );
    expect(payload.request).toEqual({ id: expect.any(String), status: 'PENDING' });
    expect(payload.url).toContain(payload.token);
    expect(payload.emailDraft.body).toContain(payload.url);
    const list = await run(provider.token, '{ partnershipRequests(first: 100) { edges { node { id status } } } }');
    expect(nodes(list.partnershipRequests)).toContainEqual(payload.request);
  },

  async acceptPartnershipRequest() {
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    const requested = await mutate(
      provider.token,
      'requestPartnership',
      'RequestPartnershipInput',
      { resellerEmail: 'two@reseller.example' },
      '{ request { id } token }',
    );
    const payload = await mutate(
      reseller.token,
      'acceptPartnershipRequest',
      'AcceptPartnershipRequestInput',
      { token: requested.token },
      '{ partnership { id status provider { id } reseller { id } } request { id status acceptedAt } }',
    );
    expect(payload.partnership).toEqual({ id: expect.any(String), status: 'ACTIVE', provider: { id: provider.id }, reseller: { id: reseller.id } });
    expect(payload.request).toEqual({ id: requested.request.id, status: 'ACCEPTED', acceptedAt: expect.any(String) });
    // the provider's list shows the same request, ACCEPTED
    const list = await run(provider.token, '{ partnershipRequests(first: 100) { edges { node { id status } } } }');
    expect(nodes(list.partnershipRequests)).toContainEqual({ id: requested.request.id, status: 'ACCEPTED' });
  },

  async revokePartnershipRequest() {
    const requested = await mutate(
      provider.token,
      'requestPartnership',
      'RequestPartnershipInput',
      { resellerEmail: 'three@reseller.example' },
      '{ request { id } }',
    );
    const payload = await mutate(
      provider.token,
      'revokePartnershipRequest',
      'RevokePartnershipRequestInput',
      { requestId: requested.request.id },
      '{ request { id status } }',
    );
    expect(payload.request).toEqual({ id: requested.request.id, status: 'REVOKED' });
  },

  async removePartnership() {
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    const partnershipId = await partner(t, provider, reseller);
    const payload = await mutate(
      reseller.token,
      'removePartnership',
      'RemovePartnershipInput',
      { partnershipId, confirm: true, attestation: true },
      '{ partnership { id status removedAt } }',
    );
    expect(payload.partnership).toEqual({ id: partnershipId, status: 'REMOVED', removedAt: expect.any(String) });
  },

  async createWebhookEndpoint() {
    const payload = await mutate(
      direct.token,
      'createWebhookEndpoint',
      'CreateWebhookEndpointInput',
      { url: receiver.url, eventTypes: ['CUSTOMER_CREATED'] },
      '{ endpoint { id enabled } secret }',
    );
    expect(payload.endpoint).toEqual({ id: expect.any(String), enabled: true });
    expect(payload.secret).toMatch(/^whsec_/);
    const list = await run(direct.token, '{ webhookEndpoints(first: 100) { edges { node { id enabled } } } }');
    expect(nodes(list.webhookEndpoints)).toContainEqual(payload.endpoint);
  },

  async updateWebhookEndpoint() {
    const { endpoint } = await createEndpoint(t, direct.token, receiver.url, ['CUSTOMER_CREATED']);
    const payload = await mutate(
      direct.token,
      'updateWebhookEndpoint',
      'UpdateWebhookEndpointInput',
      { endpointId: endpoint.id, description: 'Billing', enabled: false },
      '{ endpoint { id description enabled } }',
    );
    expect(payload.endpoint).toEqual({ id: endpoint.id, description: 'Billing', enabled: false });
  },

  async redeliverWebhook() {
    const partnerOfHook = await createPartner(t, 'DIRECT_RESELLER');
    const { endpoint } = await createEndpoint(t, partnerOfHook.token, receiver.url, ['INVITATION_REVOKED']);
    const { invitation } = await invite(t, partnerOfHook.token, true);
    await mutate(partnerOfHook.token, 'revokeCustomerInvitation', 'RevokeCustomerInvitationInput', { invitationId: invitation.id }, '{ invitation { id } }');
    const sent = await until(
      'the first delivery',
      () => deliveries(t, partnerOfHook.token, endpoint.id),
      (d) => d.deliveries.length === 1 && d.deliveries[0].status === 'SUCCEEDED',
    );
    const payload = await mutate(
      partnerOfHook.token,
      'redeliverWebhook',
      'RedeliverWebhookInput',
      { deliveryId: sent.deliveries[0].id },
      '{ delivery { id attempt manual } endpoint { id deliveries(first: 10) { edges { node { id } } } } }',
    );
    expect(payload.delivery).toEqual({ id: expect.any(String), attempt: 2, manual: true });
    expect(payload.endpoint.id).toBe(endpoint.id);
    // the endpoint's deliveries, newest first, start with the new attempt
    expect(nodes(payload.endpoint.deliveries).map(idOf)).toEqual([payload.delivery.id, sent.deliveries[0].id]);
  },

  async deleteWebhookEndpoint() {
    const { endpoint } = await createEndpoint(t, direct.token, receiver.url, ['CUSTOMER_CREATED']);
    const payload = await mutate(direct.token, 'deleteWebhookEndpoint', 'DeleteWebhookEndpointInput', { endpointId: endpoint.id }, '{ endpointId }');
    expect(payload.endpointId).toBe(endpoint.id);
    const list = await run(direct.token, '{ webhookEndpoints(first: 100) { edges { node { id } } } }');
    expect(nodes(list.webhookEndpoints).map(idOf)).not.toContain(endpoint.id);
  },
};

describe('mutation payloads', () => {
  it('have a case here for every mutation of the schema', async () => {
    const data = await run<{ __schema: { mutationType: { fields: { name: string }[] } } }>(operator, '{ __schema { mutationType { fields { name } } } }');
    expect(Object.keys(CASES).sort()).toEqual(data.__schema.mutationType.fields.map((f) => f.name).sort());
  });

  it.each(Object.keys(CASES))('%s returns each object it changed, with its id and new state', async (name) => {
    await CASES[name]();
  });
});

describe('fields that exist only once', () => {
  it('are on the payload that made them, never on the entity a later read returns', async () => {
    const onceOnly: [payload: string, entity: string, fields: string[]][] = [
      ['CreateCustomerInvitationPayload', 'CustomerInvitation', ['url', 'emailDraft', 'token']],
      ['RequestPartnershipPayload', 'PartnershipRequest', ['url', 'emailDraft', 'token']],
      ['CreateAdminRelationshipPayload', 'AdminRelationship', ['url', 'emailDraft', 'token']],
      ['CreateWebhookEndpointPayload', 'WebhookEndpoint', ['secret']],
      ['CreateCustomerPayload', 'Customer', ['adminCredentials']],
      ['CancelSubscriptionPayload', 'CustomerSubscription', ['refund']],
      ['CreateCustomerUserPayload', 'CustomerUser', ['temporaryPassword']],
    ];
    for (const [payload, entity, fields] of onceOnly) {
      expect({ payload, has: await fieldsOf(payload) }).toEqual({ payload, has: expect.arrayContaining(fields) });
      const entityFields = await fieldsOf(entity);
      for (const field of fields) expect({ entity, field, present: entityFields.includes(field) }).toEqual({ entity, field, present: false });
    }
  });

  it('a later list query asking for an invitation’s link is refused, rather than answering null', async () => {
    await invite(t, direct.token, true);
    const res = await t.client(direct.token).raw({ query: '{ invitations(first: 5) { edges { node { id url emailDraft { body } } } } }' });
    expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0].message).toMatch(/Cannot query field "url" on type "CustomerInvitation"/);
  });
});
