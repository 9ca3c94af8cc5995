/**
 * Issue 24's acceptance, a customer's directory: its users (created, changed, deleted, restored within
 * 30 days, purged after), their licences (never beyond a subscription's quantity, taken back or moved when
 * the subscription ends), and who may do it: the customer's own admin, or a partner through delegated
 * admin privileges (DAP) or an ACTIVE admin relationship holding the role (USER_ADMINISTRATOR,
 * LICENSE_ADMINISTRATOR…), checked at every request (a terminated or expired relationship grants nothing
 * from then on). Driven only through GraphQL against the real server; time moves by the test clock.
 * One server for the file: the clock only moves forward, so each test makes its own customers.
 */
import { Role } from '../src/common/auth/roles';
import { createPartner, type TestPartner } from './support/factories';
import { gqlOn, type Refusal } from './support/subscriptions';
import { approvedAdmin as approvedAdminOf, newCustomer as newCustomerOf, type TestCustomer } from './support/customer-users';
import { startTestServer, type TestServer } from './support/test-server';

const DAY_MS = 24 * 60 * 60 * 1000;
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

// ---------------------------------------------------------------- GraphQL calls

let t: TestServer;
const { call, ok, refused } = gqlOn(() => t);
let seller: TestPartner;
let stranger: TestPartner;

const USER = `id userName displayName firstName lastName roles status mustChangePassword createdAt updatedAt deletedAt purgeAt customerId
  licenses(first: 20) { totalCount edges { node { id } } } customer { id }`;
const SNAPSHOT = 'user { id userName displayName roles status }';
const SUBSCRIPTION = 'id status quantity assignedLicenses';

const Q = {
  create: `mutation($input: CreateCustomerUserInput!) { createCustomerUser(input: $input) { temporaryPassword user { ${USER} } } }`,
  update: `mutation($input: UpdateCustomerUserInput!) { updateCustomerUser(input: $input) { user { ${USER} } subscriptions { id } } }`,
  delete: `mutation($input: DeleteCustomerUserInput!) { deleteCustomerUser(input: $input) { user { ${USER} } subscriptions { ${SUBSCRIPTION} } } }`,
  restore: `mutation($input: RestoreCustomerUserInput!) { restoreCustomerUser(input: $input) { user { ${USER} } subscriptions { id } } }`,
  assign: `mutation($input: AssignLicensesInput!) { assignLicenses(input: $input) { user { ${USER} } subscriptions { ${SUBSCRIPTION} } } }`,
  unassign: `mutation($input: UnassignLicensesInput!) { unassignLicenses(input: $input) { user { ${USER} } subscriptions { ${SUBSCRIPTION} } } }`,
  users: `query($customerId: ID!, $filter: CustomerUserFilter, $first: Int) { customerUsers(customerId: $customerId, first: $first, filter: $filter) {
    totalCount edges { node { ${USER} } } } }`,
  node: `query($id: ID!) { node(id: $id) { id ... on CustomerUser { ${USER} } } }`,
  subscription: `query($id: ID!) { node(id: $id) { ... on CustomerSubscription { ${SUBSCRIPTION} } } }`,
  createSubscription: `mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { ${SUBSCRIPTION} } } }`,
  updateSubscription: `mutation($input: UpdateSubscriptionInput!) { updateSubscription(input: $input) { subscription { ${SUBSCRIPTION} } } }`,
  cancelSubscription: `mutation($input: CancelSubscriptionInput!) { cancelSubscription(input: $input) { subscription { ${SUBSCRIPTION} } } }`,
  upgradeSubscription: `mutation($input: UpgradeSubscriptionInput!) { upgradeSubscription(input: $input) {
    subscription { ${SUBSCRIPTION} } previousSubscription { ${SUBSCRIPTION} } } }`,
  revokeDap: `mutation($input: RevokeDelegatedAdminPrivilegesInput!) { revokeDelegatedAdminPrivileges(input: $input) { customer { id } } }`,
  terminate: `mutation($input: TerminateAdminRelationshipInput!) { terminateAdminRelationship(input: $input) { adminRelationship { id status } } }`,
  adminRelationship: `query($id: ID!) { node(id: $id) { ... on AdminRelationship { id status endsAt } } }`,
  activities: `query($filter: ActivityFilter) { activities(first: 10, filter: $filter) { edges { node {
    action subjectId customerId partnerId actor { userId partnerId customerId }
    grantedBy { kind adminRelationshipId adminRelationshipName role } changes { field before after } } } } }`,
  events: `query($filter: EventFilter) { events(first: 30, filter: $filter) { totalCount edges { node {
    type customerId partnerId actor { userId partnerId customerId }
    ... on CustomerUserCreatedEvent { ${SNAPSHOT} }
    ... on CustomerUserUpdatedEvent { ${SNAPSHOT} changed }
    ... on CustomerUserDeletedEvent { ${SNAPSHOT} purgeAt }
    ... on CustomerUserRestoredEvent { ${SNAPSHOT} }
    ... on CustomerUserPurgedEvent { ${SNAPSHOT} }
    ... on LicensesAssignedEvent { ${SNAPSHOT} subscriptionIds cause }
    ... on LicensesUnassignedEvent { ${SNAPSHOT} subscriptionIds cause } } } } }`,
  advance: `mutation($by: String!) { advanceTestClock(input: { by: $by }) { previous now } }`,
};

interface User {
  id: string;
  userName: string;
  displayName: string;
  firstName: string | null;
  lastName: string | null;
  roles: string[];
  status: 'ACTIVE' | 'DELETED';
  mustChangePassword: boolean;
  createdAt: string;
  updatedAt: string | null;
  deletedAt: string | null;
  purgeAt: string | null;
  customerId: string;
  licenses: { id: string }[];
  customer: { id: string } | null;
}
interface Sub {
  id: string;
  status: string;
  quantity: number;
  assignedLicenses: number;
}
interface Grant {
  kind: 'DELEGATED_ADMIN' | 'ADMIN_RELATIONSHIP';
  adminRelationshipId: string | null;
  adminRelationshipName: string | null;
  role: string | null;
}
interface Activity {
  action: string;
  subjectId: string | null;
  customerId: string | null;
  partnerId: string | null;
  actor: { userId: string; partnerId: string | null; customerId: string | null };
  grantedBy: Grant[];
  changes: { field: string; before: string | null; after: string | null }[];
}
interface Ev {
  type: string;
  customerId: string | null;
  partnerId: string | null;
  actor: { userId: string; partnerId: string | null; customerId: string | null } | null;
  user?: { id: string; userName: string; displayName: string; roles: string[]; status: string };
  changed?: string[];
  purgeAt?: string;
  subscriptionIds?: string[];
  cause?: string;
}

/** A user as the server sends it: its licences are a connection. */
type RawUser = Omit<User, 'licenses'> & { licenses: { totalCount: number; edges: { node: { id: string } }[] } };
/** The user with its licences as a plain list of subscription ids (`{ id }`), checked against their count. */
function plain(raw: RawUser): User;
function plain(raw: RawUser | null): User | null;
function plain(raw: RawUser | null): User | null {
  if (!raw) return null;
  expect(raw.licenses.edges).toHaveLength(raw.licenses.totalCount);
  return { ...raw, licenses: raw.licenses.edges.map((e) => ({ id: e.node.id })) };
}

/** A customer created by `by` (the seller unless told: it holds DAP) and its admin's token. */
const newCustomer = (by: TestPartner = seller): Promise<TestCustomer> => newCustomerOf(t, by);

let names = 0;
/** A fresh user name in the customer's domain. */
const nameIn = (c: TestCustomer, prefix = 'user') => `${prefix}.${++names}@${c.domain}`;

async function createUser(token: string, input: Record<string, unknown>) {
  const { createCustomerUser } = await ok<{ createCustomerUser: { temporaryPassword: string; user: RawUser } }>(token, Q.create, { input });
  return { temporaryPassword: createCustomerUser.temporaryPassword, user: plain(createCustomerUser.user) };
}
/** An ordinary user of the customer, created by its admin unless told. */
const newUser = async (c: TestCustomer, token = c.token, extra: Record<string, unknown> = {}) =>
  (await createUser(token, { customerId: c.id, userName: nameIn(c), displayName: 'Alex Wilber', ...extra })).user;
async function mutate<K extends string>(token: string, name: K, query: string, input: Record<string, unknown>) {
  const payload = (await ok<Record<K, { user: RawUser; subscriptions: Sub[] }>>(token, query, { input }))[name];
  return { user: plain(payload.user), subscriptions: payload.subscriptions };
}
const updateUser = (token: string, input: Record<string, unknown>) => mutate(token, 'updateCustomerUser', Q.update, input);
const deleteUser = (token: string, userId: string) => mutate(token, 'deleteCustomerUser', Q.delete, { userId });
const restoreUser = (token: string, userId: string) => mutate(token, 'restoreCustomerUser', Q.restore, { userId });
const assign = (token: string, userId: string, subscriptionIds: string[]) => mutate(token, 'assignLicenses', Q.assign, { userId, subscriptionIds });
const unassign = (token: string, userId: string, subscriptionIds: string[]) => mutate(token, 'unassignLicenses', Q.unassign, { userId, subscriptionIds });

async function users(token: string, customerId: string, filter?: Record<string, unknown>) {
  const { customerUsers } = await ok<{ customerUsers: { totalCount: number; edges: { node: RawUser }[] } }>(token, Q.users, { customerId, filter, first: 30 });
  return { totalCount: customerUsers.totalCount, edges: customerUsers.edges.map((e) => ({ node: plain(e.node) })) };
}
const userNames = async (token: string, customerId: string, filter?: Record<string, unknown>) =>
  (await users(token, customerId, filter)).edges.map((e) => e.node.userName);
const readUser = async (token: string, id: string) => plain((await ok<{ node: RawUser | null }>(token, Q.node, { id })).node);

const subscribe = async (customerId: string, quantity: number, token = seller.token) =>
  (
    await ok<{ createSubscription: { subscription: Sub } }>(token, Q.createSubscription, {
      input: { customerId, offerId: 'm365-business-basic', quantity, termDuration: 'P1Y', billingFrequency: 'ANNUAL' },
    })
  ).createSubscription.subscription;
const readSubscription = async (id: string, token = seller.token) => (await ok<{ node: Sub }>(token, Q.subscription, { id })).node;

const approvedAdmin = (partner: TestPartner, c: TestCustomer, roles: string[], opts: { duration?: string; addressed?: boolean } = {}) =>
  approvedAdminOf(t, partner, c, roles, opts);

async function activities(token: string, filter: Record<string, unknown>): Promise<Activity[]> {
  const { activities: page } = await ok<{ activities: { edges: { node: Activity }[] } }>(token, Q.activities, { filter });
  return page.edges.map((e) => e.node);
}

async function events(token: string, filter: Record<string, unknown>): Promise<Ev[]> {
  const { events: page } = await ok<{ events: { totalCount: number; edges: { node: Ev }[] } }>(token, Q.events, { filter });
  expect(page.totalCount).toBeLessThanOrEqual(30);
  return page.edges.map((e) => e.node);
}

/** Moves the test clock forward by an ISO 8601 duration (the sweep runs before it answers); the new time. */
async function advance(by: string): Promise<number> {
  const { advanceTestClock } = await ok<{ advanceTestClock: { now: string } }>(await t.tokens.operator(), Q.advance, { by });
  return Date.parse(advanceTestClock.now);
}

const expectForbidden = (refusal: Refusal, role: string) => {
  expect(refusal.code).toBe('FORBIDDEN');
  expect(refusal.message).toContain(role);
};
const expectField = (refusal: Refusal, field: string) => {
  expect(refusal.code).toBe('BAD_USER_INPUT');
  expect(refusal.fields).toContain(field);
};

// ---------------------------------------------------------------- the server

beforeAll(async () => {
  t = await startTestServer({ TEST_CLOCK: 'true' });
  seller = await createPartner(t, 'DIRECT_RESELLER');
  stranger = await createPartner(t, 'DIRECT_RESELLER');
});
afterAll(() => t.stop());

describe('users, and who may manage them', () => {
  it("the customer's admin creates a user: the password shown once, the name in NFKC, listed and readable; CUSTOMER_USER_CREATED to the customer and its partner", async () => {
    const c = await newCustomer();
    const { temporaryPassword, user } = await createUser(c.token, {
      customerId: c.id,
      userName: `\uFF2A\uFF4F\uFF48\uFF4E.Smith@${c.domain.toUpperCase()}`,
      displayName: 'John Smith',
      firstName: 'John',
      lastName: 'Smith',
    });
    expect(temporaryPassword.length).toBeGreaterThanOrEqual(12);
    expect(user).toMatchObject({
      userName: `John.Smith@${c.domain}`,
      displayName: 'John Smith',
      firstName: 'John',
      lastName: 'Smith',
      roles: [],
      status: 'ACTIVE',
      mustChangePassword: true,
      customerId: c.id,
      customer: { id: c.id },
      deletedAt: null,
      purgeAt: null,
      licenses: [],
    });

    // listed with the first admin, found by search, readable by node (the customer, the partner with DAP, the operator)
    expect(await userNames(c.token, c.id)).toEqual([`admin@${c.domain}`, user.userName]);
    expect((await users(c.token, c.id)).totalCount).toBe(2);
    expect(await userNames(seller.token, c.id, { search: 'smith' })).toEqual([user.userName]);
    expect(await userNames(await t.tokens.operator(), c.id, { search: 'John Smith' })).toEqual([user.userName]);
    for (const token of [c.token, seller.token, await t.tokens.operator()]) expect(await readUser(token, user.id)).toEqual(user);

    // the audit: the customer's own admin needed no grant; the password is nowhere in it
    const [record] = await activities(c.token, { customerId: c.id, actions: ['CUSTOMER_USER_CREATED'] });
    expect(record).toMatchObject({ action: 'CUSTOMER_USER_CREATED', subjectId: user.id, customerId: c.id, grantedBy: [], actor: { customerId: c.id } });
    expect(JSON.stringify(record)).not.toContain(temporaryPassword);

    const expected = {
      type: 'CUSTOMER_USER_CREATED',
      customerId: c.id,
      user: { id: user.id, userName: user.userName, displayName: 'John Smith', roles: [], status: 'ACTIVE' },
    };
    expect(await events(c.token, { customerId: c.id, types: ['CUSTOMER_USER_CREATED'] })).toEqual([expect.objectContaining(expected)]);
    expect(await events(seller.token, { customerId: c.id, types: ['CUSTOMER_USER_CREATED'] })).toEqual([expect.objectContaining(expected)]);
    expect(await events(stranger.token, { customerId: c.id, types: ['CUSTOMER_USER_CREATED'] })).toEqual([]);
    expect(JSON.stringify(await events(c.token, { customerId: c.id }))).not.toContain(temporaryPassword);

    // a change of names: CUSTOMER_USER_UPDATED with the fields
    const { user: renamed } = await updateUser(c.token, { userId: user.id, displayName: 'Johnny Smith', lastName: 'Smythe' });
    expect(renamed).toMatchObject({ displayName: 'Johnny Smith', lastName: 'Smythe', firstName: 'John', userName: user.userName });
    expect(renamed.updatedAt).not.toBeNull();
    const [updated] = await events(seller.token, { customerId: c.id, types: ['CUSTOMER_USER_UPDATED'] });
    expect([...updated.changed!].sort()).toEqual(['displayName', 'lastName']);
    const [change] = await activities(c.token, { customerId: c.id, actions: ['CUSTOMER_USER_UPDATED'] });
    expect(change.changes).toEqual(expect.arrayContaining([{ field: 'displayName', before: '"John Smith"', after: '"Johnny Smith"' }]));
  });

  it('a partner whose DAP was revoked creates a user through an admin relationship holding USER_ADMINISTRATOR; the audit names it, and the customer reads it', async () => {
    const c = await newCustomer();
    await ok(c.token, Q.revokeDap, { input: { partnerId: seller.id } });

    // no DAP, no relationship: FORBIDDEN naming the role it lacks
    expectForbidden(
      await refused(seller.token, Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Megan Bowen' } }),
      'USER_ADMINISTRATOR',
    );
    expectForbidden(await refused(seller.token, Q.users, { customerId: c.id }), 'DIRECTORY_READER');

    const relationship = await approvedAdmin(seller, c, ['USER_ADMINISTRATOR'], { addressed: true });
    const { user } = await createUser(seller.token, { customerId: c.id, userName: nameIn(c), displayName: 'Megan Bowen' });
    expect(user.status).toBe('ACTIVE');
    // USER_ADMINISTRATOR reads the directory too, but it does not give administrator roles nor assign licences
    expect(await userNames(seller.token, c.id)).toContain(user.userName);
    expectForbidden(
      await refused(seller.token, Q.create, {
        input: { customerId: c.id, userName: nameIn(c), displayName: 'Helpdesk Hero', roles: ['HELPDESK_ADMINISTRATOR'] },
      }),
      'PRIVILEGED_ROLE_ADMINISTRATOR',
    );
    const s = await subscribe(c.id, 1);
    expectForbidden(await refused(seller.token, Q.assign, { input: { userId: user.id, subscriptionIds: [s.id] } }), 'LICENSE_ADMINISTRATOR');

    const grant: Grant = {
      kind: 'ADMIN_RELATIONSHIP',
      adminRelationshipId: relationship.id,
      adminRelationshipName: relationship.displayName,
      role: 'USER_ADMINISTRATOR',
    };
    const [seen] = await activities(c.token, { customerId: c.id, actions: ['CUSTOMER_USER_CREATED'] });
    expect(seen).toMatchObject({ subjectId: user.id, actor: { partnerId: seller.id }, grantedBy: [grant] });
    const [own] = await activities(seller.token, { customerId: c.id, actions: ['CUSTOMER_USER_CREATED'] });
    expect(own).toMatchObject({ subjectId: user.id, grantedBy: [grant] });
  });

  it('a partner that never had DAP acts through an approved admin relationship; one with only HELPDESK_ADMINISTRATOR is FORBIDDEN, naming USER_ADMINISTRATOR', async () => {
    const c = await newCustomer();
    const existing = await newUser(c);

    const userAdmin = await createPartner(t, 'DIRECT_RESELLER');
    const relationship = await approvedAdmin(userAdmin, c, ['USER_ADMINISTRATOR', 'DIRECTORY_READER']);
    const { user } = await createUser(userAdmin.token, { customerId: c.id, userName: nameIn(c), displayName: 'Lee Gu' });
    expect(user.customer).toBeNull(); // the account itself is not the admin relationship's to read
    expect((await updateUser(userAdmin.token, { userId: existing.id, displayName: 'Alex W.' })).user.displayName).toBe('Alex W.');
    const [record] = await activities(c.token, { customerId: c.id, actions: ['CUSTOMER_USER_CREATED'] });
    expect(record).toMatchObject({
      subjectId: user.id,
      actor: { partnerId: userAdmin.id },
      grantedBy: [
        { kind: 'ADMIN_RELATIONSHIP', adminRelationshipId: relationship.id, adminRelationshipName: relationship.displayName, role: 'USER_ADMINISTRATOR' },
      ],
    });
    // the users' events reach the partner while it may read the directory
    expect((await events(userAdmin.token, { customerId: c.id, types: ['CUSTOMER_USER_CREATED', 'CUSTOMER_USER_UPDATED'] })).map((e) => e.type)).toEqual([
      'CUSTOMER_USER_CREATED',
      'CUSTOMER_USER_UPDATED',
    ]);

    const helpdesk = await createPartner(t, 'DIRECT_RESELLER');
    await approvedAdmin(helpdesk, c, ['HELPDESK_ADMINISTRATOR']);
    const calls: [string, string, Record<string, unknown>][] = [
      ['create', Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Not Allowed' } }],
      ['update', Q.update, { input: { userId: existing.id, displayName: 'Not Allowed' } }],
      ['delete', Q.delete, { input: { userId: existing.id } }],
      ['restore', Q.restore, { input: { userId: existing.id } }],
    ];
    for (const [name, query, variables] of calls) {
      const refusal = await refused(helpdesk.token, query, variables);
      expect([name, refusal.code]).toEqual([name, 'FORBIDDEN']);
      expect(refusal.message).toContain('USER_ADMINISTRATOR');
    }
    expectForbidden(await refused(helpdesk.token, Q.users, { customerId: c.id }), 'DIRECTORY_READER');
    expect(await readUser(helpdesk.token, existing.id)).toBeNull();
    expect(await userNames(c.token, c.id)).toEqual([`admin@${c.domain}`, existing.userName, user.userName]);
    expect(await events(helpdesk.token, { customerId: c.id, types: ['CUSTOMER_USER_CREATED'] })).toEqual([]);
  });

  it('a terminated admin relationship grants nothing from that moment, while DAP still does', async () => {
    const c = await newCustomer();
    const partnerB = await createPartner(t, 'DIRECT_RESELLER');
    const relationship = await approvedAdmin(partnerB, c, ['USER_ADMINISTRATOR']);
    const user = await newUser(c, partnerB.token);

    const { terminateAdminRelationship } = await ok<{ terminateAdminRelationship: { adminRelationship: { status: string } } }>(c.token, Q.terminate, {
      input: { adminRelationshipId: relationship.id },
    });
    expect(terminateAdminRelationship.adminRelationship.status).toBe('TERMINATED');
    expectForbidden(
      await refused(partnerB.token, Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Too Late' } }),
      'USER_ADMINISTRATOR',
    );
    expectForbidden(await refused(partnerB.token, Q.update, { input: { userId: user.id, displayName: 'Too Late' } }), 'USER_ADMINISTRATOR');
    expectForbidden(await refused(partnerB.token, Q.delete, { input: { userId: user.id } }), 'USER_ADMINISTRATOR');
    expect(await readUser(partnerB.token, user.id)).toBeNull();

    // the seller holds DAP and an admin relationship of its own, which it ends itself: DAP still grants it
    const own = await approvedAdmin(seller, c, ['USER_ADMINISTRATOR'], { addressed: true });
    await ok(seller.token, Q.terminate, { input: { adminRelationshipId: own.id } });
    const byDap = await newUser(c, seller.token);
    expect((await updateUser(seller.token, { userId: user.id, displayName: 'Still Managed' })).user.displayName).toBe('Still Managed');
    const [record] = await activities(c.token, { customerId: c.id, actions: ['CUSTOMER_USER_CREATED'], subjectId: byDap.id });
    expect(record.grantedBy).toEqual([{ kind: 'DELEGATED_ADMIN', adminRelationshipId: null, adminRelationshipName: null, role: null }]);

    // once DAP is revoked too, the seller has nothing left
    await ok(c.token, Q.revokeDap, { input: { partnerId: seller.id } });
    expectForbidden(await refused(seller.token, Q.update, { input: { userId: user.id, displayName: 'No More' } }), 'USER_ADMINISTRATOR');
  });

  it('an admin relationship grants nothing once past its end (test clock: P1D, then a day later), while DAP still does', async () => {
    const c = await newCustomer();
    const partnerB = await createPartner(t, 'DIRECT_RESELLER');
    const relationship = await approvedAdmin(partnerB, c, ['USER_ADMINISTRATOR'], { duration: 'P1D' });
    const user = await newUser(c, partnerB.token);

    await advance('PT23H');
    expect((await updateUser(partnerB.token, { userId: user.id, displayName: 'Within The Day' })).user.displayName).toBe('Within The Day');

    await advance('P1D');
    expectForbidden(
      await refused(partnerB.token, Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Too Late' } }),
      'USER_ADMINISTRATOR',
    );
    expectForbidden(await refused(partnerB.token, Q.update, { input: { userId: user.id, displayName: 'Too Late' } }), 'USER_ADMINISTRATOR');
    expectForbidden(await refused(partnerB.token, Q.users, { customerId: c.id }), 'DIRECTORY_READER');
    expect((await ok<{ node: { status: string } }>(c.token, Q.adminRelationship, { id: relationship.id })).node.status).toBe('EXPIRED');

    // the seller's DAP does not expire
    const byDap = await newUser(c, seller.token);
    expect(await userNames(seller.token, c.id)).toContain(byDap.userName);
  });

  it("the customer's last GLOBAL_ADMINISTRATOR can be neither deleted nor demoted", async () => {
    const c = await newCustomer();
    const [first] = (await users(c.token, c.id)).edges.map((e) => e.node);
    expect(first).toMatchObject({ userName: `admin@${c.domain}`, roles: ['GLOBAL_ADMINISTRATOR'] });

    const del = await refused(c.token, Q.delete, { input: { userId: first.id } });
    expect(del.code).toBe('CONFLICT');
    expect(del.message).toContain('last global administrator');
    expect((await refused(seller.token, Q.update, { input: { userId: first.id, roles: ['USER_ADMINISTRATOR'] } })).code).toBe('CONFLICT');

    // with a second one, the first may go; then the second is the last
    const second = await newUser(c, c.token, { roles: ['GLOBAL_ADMINISTRATOR'] });
    expect((await deleteUser(c.token, first.id)).user.status).toBe('DELETED');
    expect((await refused(c.token, Q.delete, { input: { userId: second.id } })).code).toBe('CONFLICT');
    expect((await refused(c.token, Q.update, { input: { userId: second.id, roles: [] } })).code).toBe('CONFLICT');
    expect((await readUser(c.token, second.id))!.roles).toEqual(['GLOBAL_ADMINISTRATOR']);
  });
});

describe('delete, restore, purge', () => {
  it('a deleted user is restorable for 30 days (its licences freed at once), then purged by the sweep; restoring it then is NOT_FOUND', async () => {
    const c = await newCustomer();
    const s = await subscribe(c.id, 2);
    const user = await newUser(c);
    await assign(c.token, user.id, [s.id]);
    expect((await readSubscription(s.id)).assignedLicenses).toBe(1);

    const deleted = await deleteUser(seller.token, user.id);
    expect(deleted.user).toMatchObject({ status: 'DELETED', licenses: [] });
    expect(Date.parse(deleted.user.purgeAt!)).toBe(Date.parse(deleted.user.deletedAt!) + 30 * DAY_MS);
    expect(deleted.subscriptions).toEqual([{ ...s, assignedLicenses: 0 }]);
    expect((await readSubscription(s.id)).assignedLicenses).toBe(0);
    expect(await userNames(c.token, c.id)).not.toContain(user.userName);
    expect(await userNames(c.token, c.id, { includeDeleted: true })).toContain(user.userName);
    expect((await readUser(c.token, user.id))!.status).toBe('DELETED');
    // a deleted user is not changed, not deleted twice, and gets no licence
    expect((await refused(c.token, Q.update, { input: { userId: user.id, displayName: 'Ghost' } })).code).toBe('CONFLICT');
    expect((await refused(c.token, Q.delete, { input: { userId: user.id } })).code).toBe('CONFLICT');
    expect((await refused(c.token, Q.assign, { input: { userId: user.id, subscriptionIds: [s.id] } })).code).toBe('CONFLICT');
    // its name stays taken while it can be restored
    expectField(await refused(c.token, Q.create, { input: { customerId: c.id, userName: user.userName, displayName: 'Impostor' } }), 'input.userName');

    const [deletedEvent] = await events(c.token, { customerId: c.id, types: ['CUSTOMER_USER_DELETED'] });
    expect(deletedEvent).toMatchObject({ user: { id: user.id, status: 'DELETED' }, purgeAt: deleted.user.purgeAt });
    const [freed] = await events(seller.token, { customerId: c.id, types: ['LICENSES_UNASSIGNED'] });
    expect(freed).toMatchObject({ user: { id: user.id }, subscriptionIds: [s.id], cause: 'USER_DELETED' });

    // 29 days later: restored, without its licences
    await advance('P29D');
    const restored = await restoreUser(c.token, user.id);
    expect(restored.user).toMatchObject({ status: 'ACTIVE', deletedAt: null, purgeAt: null, licenses: [], userName: user.userName });
    expect((await refused(c.token, Q.restore, { input: { userId: user.id } })).code).toBe('CONFLICT');
    expect(await events(seller.token, { customerId: c.id, types: ['CUSTOMER_USER_RESTORED'] })).toEqual([
      expect.objectContaining({ user: expect.objectContaining({ id: user.id, status: 'ACTIVE' }) }),
    ]);

    // deleted again, and 31 days pass: the sweep purges it
    const again = await deleteUser(c.token, user.id);
    await advance('P29D');
    expect((await readUser(c.token, user.id))!.status).toBe('DELETED');
    await advance('P2D');
    expect(Date.now()).toBeLessThan(Date.parse(again.user.purgeAt!)); // the business clock moved, not the wall clock
    expect(await userNames(c.token, c.id, { includeDeleted: true })).not.toContain(user.userName);
    expect((await users(c.token, c.id, { includeDeleted: true })).totalCount).toBe(1);
    for (const token of [c.token, seller.token, await t.tokens.operator()]) expect(await readUser(token, user.id)).toBeNull();
    const restoreLate = await refused(c.token, Q.restore, { input: { userId: user.id } });
    expect(restoreLate.code).toBe('NOT_FOUND');
    expect((await refused(seller.token, Q.update, { input: { userId: user.id, displayName: 'Gone' } })).code).toBe('NOT_FOUND');

    for (const token of [c.token, seller.token]) {
      const purged = await events(token, { customerId: c.id, types: ['CUSTOMER_USER_PURGED'] });
      expect(purged).toEqual([
        expect.objectContaining({ type: 'CUSTOMER_USER_PURGED', actor: null, user: expect.objectContaining({ id: user.id, userName: user.userName }) }),
      ]);
    }
    const [purgeRecord] = await activities(c.token, { customerId: c.id, actions: ['CUSTOMER_USER_PURGED'] });
    expect(purgeRecord).toMatchObject({ subjectId: user.id, actor: { userId: 'system' } });
    // the name is free again
    expect((await createUser(c.token, { customerId: c.id, userName: user.userName, displayName: 'A New Alex' })).user.id).not.toBe(user.id);
  });
});

describe('licences', () => {
  it('of 20 concurrent assignments of the last free licence to 20 users exactly one succeeds; the others are CONFLICT naming the subscription', async () => {
    const c = await newCustomer();
    const created: User[] = [];
    for (let i = 0; i < 22; i++) created.push(await newUser(c));
    const [first, second, ...racers] = created;
    // three rounds, each on a new subscription of 3 licences with 2 assigned; the customer's admin and the seller (DAP) race
    for (let round = 0; round < 3; round++) {
      const s = await subscribe(c.id, 3);
      await assign(c.token, first.id, [s.id]);
      const { user, subscriptions } = await assign(seller.token, second.id, [s.id]);
      expect(user.licenses).toContainEqual({ id: s.id });
      expect(subscriptions).toEqual([{ ...s, assignedLicenses: 2 }]);
      // assigning what the user holds already changes nothing
      expect((await assign(c.token, first.id, [s.id])).subscriptions).toEqual([]);

      const responses = await Promise.all(
        racers.map((r, i) =>
          call<{ assignLicenses: { user: User } }>(i % 2 ? c.token : seller.token, Q.assign, { input: { userId: r.id, subscriptionIds: [s.id] } }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
      const won = responses.filter((r) => !r.errors?.length);
      expect([round, won.length]).toEqual([round, 1]);
      const lost = responses.filter((r) => r.errors?.length).map((r) => r.errors![0]);
      expect(lost.map((e) => e.extensions?.code)).toEqual(Array(19).fill('CONFLICT'));
      for (const e of lost) expect(e.message).toContain(s.id);
      const winner = won[0].data!.assignLicenses.user.id;

      expect(await readSubscription(s.id)).toMatchObject({ quantity: 3, assignedLicenses: 3 });
      const holders = (await users(c.token, c.id)).edges.map((e) => e.node).filter((u) => u.licenses.some((l) => l.id === s.id));
      expect(holders.map((u) => u.id).sort()).toEqual([first.id, second.id, winner].sort());
      const assignedEvents = (await events(c.token, { customerId: c.id, types: ['LICENSES_ASSIGNED'] })).filter((e) => e.subscriptionIds!.includes(s.id));
      expect(assignedEvents.map((e) => [e.user!.id, e.cause]).sort()).toEqual(
        [
          [first.id, 'REQUEST'],
          [second.id, 'REQUEST'],
          [winner, 'REQUEST'],
        ].sort(),
      );

      // one more, after the race: still CONFLICT naming the subscription, nothing written
      const late = await refused(c.token, Q.assign, { input: { userId: racers.find((r) => r.id !== winner)!.id, subscriptionIds: [s.id] } });
      expect(late.code).toBe('CONFLICT');
      expect(late.message).toContain(s.id);
      expect((await readSubscription(s.id)).assignedLicenses).toBe(3);
    }
  });

  it('a quantity decrease below the assigned licences is CONFLICT naming the subscription; after an unassignment it goes through', async () => {
    const c = await newCustomer();
    const s = await subscribe(c.id, 3);
    const [a, b, d] = [await newUser(c), await newUser(c), await newUser(c)];
    for (const u of [a, b, d]) await assign(c.token, u.id, [s.id]);

    const decrease = await refused(seller.token, Q.updateSubscription, { input: { subscriptionId: s.id, quantity: 2 } });
    expect(decrease.code).toBe('CONFLICT');
    expect(decrease.message).toContain(s.id);
    expect(await readSubscription(s.id)).toMatchObject({ quantity: 3, assignedLicenses: 3 });

    const { user, subscriptions } = await unassign(c.token, d.id, [s.id]);
    expect(user.licenses).toEqual([]);
    expect(subscriptions).toEqual([{ ...s, quantity: 3, assignedLicenses: 2 }]);
    const [unassigned] = await events(c.token, { customerId: c.id, types: ['LICENSES_UNASSIGNED'] });
    expect(unassigned).toMatchObject({ user: { id: d.id }, subscriptionIds: [s.id], cause: 'REQUEST' });

    const reduced = (
      await ok<{ updateSubscription: { subscription: Sub } }>(seller.token, Q.updateSubscription, { input: { subscriptionId: s.id, quantity: 2 } })
    ).updateSubscription.subscription;
    expect(reduced).toMatchObject({ quantity: 2, assignedLicenses: 2 });
    expect((await refused(c.token, Q.assign, { input: { userId: d.id, subscriptionIds: [s.id] } })).code).toBe('CONFLICT');
  });

  it('a decrease racing assignments of the last free licence: either the decrease or one assignment, never more assigned than bought', async () => {
    const c = await newCustomer();
    const [a, b, ...racers] = await Promise.all(Array.from({ length: 8 }, () => newUser(c)));
    // a few rounds, each on a new subscription of 3 with 2 assigned: the decrease to 2 and 6 assignments at once
    for (let round = 0; round < 10; round++) {
      const s = await subscribe(c.id, 3);
      for (const u of [a, b]) await assign(c.token, u.id, [s.id]);
      const [decrease, ...assignments] = await Promise.all([
        call(seller.token, Q.updateSubscription, { input: { subscriptionId: s.id, quantity: 2 } }),
        ...racers.map((r) => call(c.token, Q.assign, { input: { userId: r.id, subscriptionIds: [s.id] } })),
      ]);
      const assigned = assignments.filter((r) => !r.errors?.length).length;
      for (const r of assignments.filter((x) => x.errors?.length)) expect(r.errors![0].extensions?.code).toBe('CONFLICT');
      const after = await readSubscription(s.id);
      expect([round, after.assignedLicenses <= after.quantity]).toEqual([round, true]);
      if (decrease.errors?.length) {
        expect(decrease.errors[0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringContaining(s.id) });
        expect([round, assigned, after]).toEqual([round, 1, { ...s, quantity: 3, assignedLicenses: 3 }]);
      } else {
        expect([round, assigned, after]).toEqual([round, 0, { ...s, quantity: 2, assignedLicenses: 2 }]);
      }
    }
  });

  it('cancelSubscription takes the licences back (LICENSES_UNASSIGNED); an upgrade moves them to the new subscription', async () => {
    const c = await newCustomer();
    const [a, b] = [await newUser(c), await newUser(c)];

    const only = await newUser(c);
    const cancelled = await subscribe(c.id, 3);
    const kept = await subscribe(c.id, 2);
    for (const u of [a, b]) await assign(c.token, u.id, [cancelled.id, kept.id]);
    await assign(seller.token, only.id, [cancelled.id]);
    const { cancelSubscription } = await ok<{ cancelSubscription: { subscription: Sub } }>(seller.token, Q.cancelSubscription, {
      input: { subscriptionId: cancelled.id, reason: 'Ordered by mistake' },
    });
    expect(cancelSubscription.subscription).toMatchObject({ status: 'CANCELLED', assignedLicenses: 0 });
    for (const u of [a, b]) expect((await readUser(c.token, u.id))!.licenses).toEqual([{ id: kept.id }]);
    expect((await readUser(c.token, only.id))!.licenses).toEqual([]);
    for (const token of [c.token, seller.token]) {
      const back = await events(token, { customerId: c.id, types: ['LICENSES_UNASSIGNED'] });
      expect(back.map((e) => [e.user!.id, e.subscriptionIds, e.cause]).sort()).toEqual(
        [
          [a.id, [cancelled.id], 'SUBSCRIPTION_CANCELLED'],
          [b.id, [cancelled.id], 'SUBSCRIPTION_CANCELLED'],
          [only.id, [cancelled.id], 'SUBSCRIPTION_CANCELLED'],
        ].sort(),
      );
    }
    expect((await refused(c.token, Q.assign, { input: { userId: a.id, subscriptionIds: [cancelled.id] } })).code).toBe('CONFLICT');

    // an upgrade to fewer licences than are assigned is refused; with enough, the users keep a licence, of the new subscription
    const tooFew = await refused(seller.token, Q.upgradeSubscription, {
      input: { subscriptionId: kept.id, targetOfferId: 'm365-business-standard', quantity: 1 },
    });
    expect(tooFew.code).toBe('CONFLICT');
    expect(tooFew.message).toContain(kept.id);
    const { upgradeSubscription: up } = await ok<{ upgradeSubscription: { subscription: Sub; previousSubscription: Sub } }>(
      seller.token,
      Q.upgradeSubscription,
      {
        input: { subscriptionId: kept.id, targetOfferId: 'm365-business-standard' },
      },
    );
    expect(up.previousSubscription).toMatchObject({ id: kept.id, status: 'CANCELLED', assignedLicenses: 0 });
    expect(up.subscription).toMatchObject({ status: 'ACTIVE', quantity: 2, assignedLicenses: 2 });
    for (const u of [a, b]) expect((await readUser(c.token, u.id))!.licenses).toEqual([{ id: up.subscription.id }]);
    const moved = (await events(c.token, { customerId: c.id, types: ['LICENSES_ASSIGNED', 'LICENSES_UNASSIGNED'] })).filter(
      (e) => e.cause === 'SUBSCRIPTION_UPGRADED',
    );
    expect(moved.map((e) => [e.type, e.user!.id, e.subscriptionIds]).sort()).toEqual(
      [
        ['LICENSES_ASSIGNED', a.id, [up.subscription.id]],
        ['LICENSES_ASSIGNED', b.id, [up.subscription.id]],
        ['LICENSES_UNASSIGNED', a.id, [kept.id]],
        ['LICENSES_UNASSIGNED', b.id, [kept.id]],
      ].sort(),
    );
  });

  it('an expired subscription takes its licences back at its end (test clock)', async () => {
    const c = await newCustomer();
    const user = await newUser(c);
    const { createSubscription } = await ok<{ createSubscription: { subscription: Sub & { termEndsAt: string } } }>(
      seller.token,
      Q.createSubscription.replace(SUBSCRIPTION, `${SUBSCRIPTION} termEndsAt`),
      { input: { customerId: c.id, offerId: 'm365-business-basic', quantity: 1, termDuration: 'P1M', billingFrequency: 'MONTHLY', autoRenew: false } },
    );
    await assign(c.token, user.id, [createSubscription.subscription.id]);
    await advance('P32D');
    expect(await readSubscription(createSubscription.subscription.id)).toMatchObject({ status: 'EXPIRED', assignedLicenses: 0 });
    expect((await readUser(c.token, user.id))!.licenses).toEqual([]);
    const [back] = await events(c.token, { customerId: c.id, types: ['LICENSES_UNASSIGNED'] });
    expect(back).toMatchObject({ user: { id: user.id }, subscriptionIds: [createSubscription.subscription.id], cause: 'SUBSCRIPTION_EXPIRED' });
  });
});

describe('user names and text', () => {
  it("refuses a name outside the customer's domain, a duplicate (letter case, NFKC full-width) and bad text, naming the field", async () => {
    const c = await newCustomer();
    const other = await newCustomer();
    const taken = await newUser(c, c.token, { userName: `Jane.Roe@${c.domain}` });
    const create = (fields: Record<string, unknown>) =>
      refused(c.token, Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Test User', ...fields } });

    const userNameCases: [string, string][] = [
      ['another domain', `someone@${other.domain}`],
      ['a subdomain', `someone@mail.${c.domain}`],
      ['no domain', 'someone'],
      ['the domain only', `@${c.domain}`],
      ['a doubled dot', `some..one@${c.domain}`],
      ['a leading dot', `.someone@${c.domain}`],
      ['a space', `some one@${c.domain}`],
      ['a zero-width space', `some\u200Bone@${c.domain}`],
      ['a duplicate in another case', `jane.roe@${c.domain.toUpperCase()}`],
      ['a full-width duplicate (NFKC)', `\uFF4A\uFF41\uFF4E\uFF45.\uFF52\uFF4F\uFF45@${c.domain}`],
      ['the first admin in capitals', `ADMIN@${c.domain}`],
    ];
    for (const [name, userName] of userNameCases) {
      const refusal = await create({ userName });
      expect([name, refusal.code, refusal.fields]).toEqual([name, 'BAD_USER_INPUT', expect.arrayContaining(['input.userName'])]);
    }
    const textCases: [string, Record<string, unknown>, string][] = [
      ['an empty display name', { displayName: '   ' }, 'input.displayName'],
      ['a bidirectional override', { displayName: 'Jane \u202ERoe' }, 'input.displayName'],
      ['a line break', { displayName: 'Jane\nRoe' }, 'input.displayName'],
      ['257 characters', { displayName: 'J'.repeat(257) }, 'input.displayName'],
      ['a NUL character', { firstName: 'Ja\u0000ne' }, 'input.firstName'],
      ['a paragraph separator', { lastName: 'Roe\u2029' + 'Smith' }, 'input.lastName'],
      ['only zero-width characters', { lastName: '\u200B\u200D' }, 'input.lastName'],
    ];
    for (const [name, fields, field] of textCases) {
      const refusal = await create(fields);
      expect([name, refusal.code, refusal.fields]).toEqual([name, 'BAD_USER_INPUT', expect.arrayContaining([field])]);
      const change = await refused(c.token, Q.update, { input: { userId: taken.id, ...fields } });
      expect([name, change.code, change.fields]).toEqual([name, 'BAD_USER_INPUT', expect.arrayContaining([field])]);
    }
    expectField(await refused(c.token, Q.update, { input: { userId: taken.id } }), 'input');
    expectField(await refused(c.token, Q.assign, { input: { userId: taken.id, subscriptionIds: [] } }), 'input.subscriptionIds');
    expect((await refused(c.token, Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Jane', roles: ['SUPERUSER'] } })).code).toMatch(
      /BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/,
    );
    expect(await userNames(c.token, c.id, { includeDeleted: true })).toEqual([`admin@${c.domain}`, taken.userName]);
    expect((await readUser(c.token, taken.id))!.displayName).toBe('Alex Wilber');

    // 10 concurrent creations of one name: one user
    const contested = `Contested.Name@${c.domain}`;
    const raced = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(c.token, Q.create, { input: { customerId: c.id, userName: i % 2 ? contested.toLowerCase() : contested, displayName: `Racer ${i}` } }),
      ),
    );
    expect(raced.filter((r) => !r.errors?.length)).toHaveLength(1);
    for (const r of raced.filter((x) => x.errors?.length)) {
      expect(r.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors![0].extensions?.fields).toContain('input.userName');
    }
    expect((await userNames(c.token, c.id)).filter((n) => n.toLowerCase() === contested.toLowerCase())).toHaveLength(1);
  });
});

describe('tenancy', () => {
  it("another customer's admin and a foreign partner see none of these users (NOT_FOUND, node null); the operator reads but does not change", async () => {
    const c = await newCustomer();
    const s = await subscribe(c.id, 2);
    const user = await newUser(c);
    await assign(c.token, user.id, [s.id]);
    const deleted = await newUser(c);
    await deleteUser(c.token, deleted.id);

    const otherAdmin = (await newCustomer(stranger)).token;
    for (const token of [otherAdmin, stranger.token]) {
      expect((await refused(token, Q.users, { customerId: c.id })).code).toBe('NOT_FOUND');
      expect((await refused(token, Q.users, { customerId: c.id, filter: { includeDeleted: true, search: 'user' } })).code).toBe('NOT_FOUND');
      for (const id of [user.id, deleted.id]) expect(await readUser(token, id)).toBeNull();
      const nodes = await ok<{ nodes: ({ id: string } | null)[] }>(token, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [user.id, deleted.id] });
      expect(nodes.nodes).toEqual([null, null]);
      const calls: [string, string, Record<string, unknown>][] = [
        ['create', Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Intruder' } }],
        ['update', Q.update, { input: { userId: user.id, displayName: 'Intruder' } }],
        ['delete', Q.delete, { input: { userId: user.id } }],
        ['restore', Q.restore, { input: { userId: deleted.id } }],
        ['assign', Q.assign, { input: { userId: user.id, subscriptionIds: [s.id] } }],
        ['unassign', Q.unassign, { input: { userId: user.id, subscriptionIds: [s.id] } }],
      ];
      for (const [name, query, variables] of calls) expect([name, (await refused(token, query, variables)).code]).toEqual([name, 'NOT_FOUND']);
      expect(await events(token, { customerId: c.id, types: ['CUSTOMER_USER_CREATED', 'CUSTOMER_USER_DELETED', 'LICENSES_ASSIGNED'] })).toEqual([]);
    }
    // an unknown user or customer reads the same as a foreign one
    expect((await refused(c.token, Q.update, { input: { userId: NO_SUCH_ID, displayName: 'Nobody' } })).code).toBe('NOT_FOUND');
    expect((await refused(c.token, Q.users, { customerId: NO_SUCH_ID })).code).toBe('NOT_FOUND');

    // the operator reads the directory, changes nothing
    const operator = await t.tokens.operator();
    expect(await userNames(operator, c.id, { includeDeleted: true })).toEqual([`admin@${c.domain}`, user.userName, deleted.userName]);
    expect((await refused(operator, Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Operator' } })).code).toBe('FORBIDDEN');
    expect((await refused(operator, Q.update, { input: { userId: user.id, displayName: 'Operator' } })).code).toBe('FORBIDDEN');
    // the seller's other roles: a SALES_AGENT neither reads nor changes the directory
    const sales = await t.tokens.partner(seller.id, Role.SALES_AGENT);
    expect((await refused(sales, Q.users, { customerId: c.id })).code).toBe('FORBIDDEN');
    expect((await refused(sales, Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Sales' } })).code).toBe('FORBIDDEN');

    // nothing changed
    expect(await readUser(c.token, user.id)).toMatchObject({ displayName: 'Alex Wilber', status: 'ACTIVE', licenses: [{ id: s.id }] });
    expect((await readUser(c.token, deleted.id))!.status).toBe('DELETED');
    expect(await userNames(c.token, c.id)).toEqual([`admin@${c.domain}`, user.userName]);
  });
});
