/**
 * An attacker's pass over a customer's directory (issue 24), against the real server with the test
 * clock: other tenants' user and subscription ids (in any letter case, of other kinds, unknown) on every
 * new operation, worded as for an id that does not exist; a partner reaching past the roles its admin
 * relationship holds (giving administrator roles, touching the customer's global administrator, creating
 * users with a licence role, a helpdesk role only), partner tokens of other roles, the operator writing,
 * one customer's admin acting on another; a relationship at the very edge of its endsAt and terminated;
 * requests racing each other on MariaDB (the last free licence from two kinds of caller, a quantity
 * decrease against an assignment, a delete against an assignment, two global administrators deleting
 * each other): the licence book and the "one global administrator at least" rule checked in SQL after;
 * look-alike, invisible and oversized user names, too many or repeated subscription ids, wrong types;
 * events and live events never reaching a partner that may not read the directory; the temporary
 * password in no event, audit record, export or table but its hash; the directory's mutations sent over
 * the WebSocket; updateCustomer and updatePartner from the wrong side.
 * Each test asserts the correct, safe behaviour. One server (and database) for the file: the clock only
 * moves forward, so each test makes its own customers.
 */
import { randomUUID } from 'node:crypto';
import { Role } from '../src/common/auth/roles';
import { firstAnswerOverSocket } from './support/client';
import { createPartner, uniqueMpnId, type TestPartner } from './support/factories';
import { gqlOn } from './support/subscriptions';
import { approvedAdmin as approvedAdminOf, newCustomer as newCustomerOf, type TestCustomer } from './support/customer-users';
import { startTestServer, type TestServer, UNBUDGETED } from './support/test-server';

const USER = 'id userName displayName firstName lastName roles status deletedAt customerId licenses(first: 50) { totalCount edges { node { id } } }';
const SUBSCRIPTION = 'id status quantity assignedLicenses';
const SNAPSHOT = 'user { id userName displayName roles status }';

const Q = {
  create: `mutation($input: CreateCustomerUserInput!) { createCustomerUser(input: $input) { temporaryPassword user { ${USER} } } }`,
  update: `mutation($input: UpdateCustomerUserInput!) { updateCustomerUser(input: $input) { user { ${USER} } } }`,
  delete: `mutation($input: DeleteCustomerUserInput!) { deleteCustomerUser(input: $input) { user { ${USER} } subscriptions { ${SUBSCRIPTION} } } }`,
  restore: `mutation($input: RestoreCustomerUserInput!) { restoreCustomerUser(input: $input) { user { ${USER} } } }`,
  assign: `mutation($input: AssignLicensesInput!) { assignLicenses(input: $input) { user { ${USER} } subscriptions { ${SUBSCRIPTION} } } }`,
  unassign: `mutation($input: UnassignLicensesInput!) { unassignLicenses(input: $input) { user { ${USER} } subscriptions { ${SUBSCRIPTION} } } }`,
  users: `query($customerId: ID!, $filter: CustomerUserFilter) { customerUsers(customerId: $customerId, first: 50, filter: $filter) {
    totalCount edges { node { ${USER} } } } }`,
  node: `query($id: ID!) { node(id: $id) { id ... on CustomerUser { ${USER} } } }`,
  nodes: `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on CustomerUser { ${USER} } } }`,
  subscription: `query($id: ID!) { node(id: $id) { ... on CustomerSubscription { ${SUBSCRIPTION} } } }`,
  createSubscription: `mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { ${SUBSCRIPTION} } } }`,
  updateSubscription: `mutation($input: UpdateSubscriptionInput!) { updateSubscription(input: $input) { subscription { ${SUBSCRIPTION} } } }`,
  revokeDap: `mutation($input: RevokeDelegatedAdminPrivilegesInput!) { revokeDelegatedAdminPrivileges(input: $input) { customer { id } } }`,
  terminate: `mutation($input: TerminateAdminRelationshipInput!) { terminateAdminRelationship(input: $input) { adminRelationship { id status } } }`,
  relationship: `query($id: ID!) { node(id: $id) { ... on AdminRelationship { id status endsAt } } }`,
  updateCustomer: `mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) { customer { id companyName domain } } }`,
  customer: `query($id: ID!) { customer(id: $id) { id companyName domain } }`,
  updatePartner: `mutation($input: UpdatePartnerInput!) { updatePartner(input: $input) { partner { id name mpnId type cloud } } }`,
  partner: `query($id: ID!) { partner(id: $id) { id name mpnId type cloud } }`,
  events: `query($filter: EventFilter) { events(first: 100, filter: $filter) { totalCount edges { node {
    type customerId partnerId
    ... on CustomerUserCreatedEvent { ${SNAPSHOT} }
    ... on CustomerUserUpdatedEvent { ${SNAPSHOT} changed }
    ... on CustomerUserDeletedEvent { ${SNAPSHOT} purgeAt }
    ... on CustomerUserRestoredEvent { ${SNAPSHOT} }
    ... on LicensesAssignedEvent { ${SNAPSHOT} subscriptionIds cause }
    ... on LicensesUnassignedEvent { ${SNAPSHOT} subscriptionIds cause } } } } }`,
  activities: `query($filter: ActivityFilter) { activities(first: 100, filter: $filter) { totalCount edges { node {
    action subjectId details grantedBy { kind adminRelationshipId role } changes { field before after } } } } }`,
  serverTime: `{ serverTime }`,
  advance: `mutation($by: String!) { advanceTestClock(input: { by: $by }) { previous now } }`,
};

const DIRECTORY_EVENTS = [
  'CUSTOMER_USER_CREATED',
  'CUSTOMER_USER_UPDATED',
  'CUSTOMER_USER_DELETED',
  'CUSTOMER_USER_RESTORED',
  'CUSTOMER_USER_PURGED',
  'LICENSES_ASSIGNED',
  'LICENSES_UNASSIGNED',
];

interface User {
  id: string;
  userName: string;
  displayName: string;
  firstName: string | null;
  lastName: string | null;
  roles: string[];
  status: 'ACTIVE' | 'DELETED';
  deletedAt: string | null;
  customerId: string;
  licenses: { totalCount: number; edges: { node: { id: string } }[] };
}
interface Sub {
  id: string;
  status: string;
  quantity: number;
  assignedLicenses: number;
}

let t: TestServer;
const { call, ok } = gqlOn(() => t);
let operator: string;
let seller: TestPartner;
let rival: TestPartner;

/** A customer created by `by` (the seller unless told: it holds DAP) and its admin's token. */
const newCustomer = (by: TestPartner = seller): Promise<TestCustomer> => newCustomerOf(t, by);

/** What a call answered: the HTTP status, the first error's code, message and fields (`ok` when it succeeded). */
async function outcome(token: string | undefined, query: string, variables: Record<string, unknown> = {}) {
  const res = await call<Record<string, unknown>>(token, query, variables);
  const error = res.errors?.[0];
  return {
    status: res.status,
    code: error ? String(error.extensions?.code) : 'ok',
    message: error?.message ?? '',
    fields: error?.extensions?.fields ?? [],
    data: res.data,
  };
}

let names = 0;
const nameIn = (c: TestCustomer, prefix = 'user') => `${prefix}.${++names}@${c.domain}`;

const createUser = async (token: string, c: TestCustomer, extra: Record<string, unknown> = {}) =>
  (
    await ok<{ createCustomerUser: { temporaryPassword: string; user: User } }>(token, Q.create, {
      input: { customerId: c.id, userName: nameIn(c), displayName: 'Alex Wilber', ...extra },
    })
  ).createCustomerUser;
const newUser = async (c: TestCustomer, extra: Record<string, unknown> = {}, token = c.token) => (await createUser(token, c, extra)).user;
const assign = async (token: string, userId: string, subscriptionIds: string[]) =>
  (await ok<{ assignLicenses: { user: User; subscriptions: Sub[] } }>(token, Q.assign, { input: { userId, subscriptionIds } })).assignLicenses;

async function directory(c: TestCustomer, token = c.token): Promise<User[]> {
  const { customerUsers } = await ok<{ customerUsers: { edges: { node: User }[] } }>(token, Q.users, { customerId: c.id, filter: { includeDeleted: true } });
  return customerUsers.edges.map((e) => e.node);
}
const readSubscription = async (id: string, token = seller.token) => (await ok<{ node: Sub }>(token, Q.subscription, { id })).node;

async function subscribe(customerId: string, quantity: number, token = seller.token): Promise<Sub> {
  const { createSubscription } = await ok<{ createSubscription: { subscription: Sub } }>(token, Q.createSubscription, {
    input: { customerId, offerId: 'm365-business-basic', quantity, termDuration: 'P1Y', billingFrequency: 'ANNUAL' },
  });
  return createSubscription.subscription;
}

const approvedAdmin = (partner: TestPartner, c: TestCustomer, roles: string[], duration = 'P90D') => approvedAdminOf(t, partner, c, roles, { duration });

async function events(token: string, filter: Record<string, unknown>) {
  const { events: page } = await ok<{ events: { totalCount: number; edges: { node: { type: string; customerId: string | null } }[] } }>(token, Q.events, {
    filter,
  });
  return page.edges.map((e) => e.node);
}

async function serverTime(): Promise<number> {
  return Date.parse((await ok<{ serverTime: string }>(operator, Q.serverTime)).serverTime);
}
async function advance(by: string): Promise<number> {
  const { advanceTestClock } = await ok<{ advanceTestClock: { now: string } }>(operator, Q.advance, { by });
  return Date.parse(advanceTestClock.now);
}
/** An ISO 8601 duration of whole seconds covering `ms` (at least one second). */
function durationOf(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return `P${Math.floor(seconds / 86400)}DT${seconds % 86400}S`;
}

/** Of these subscriptions, those with more licences assigned than their quantity (the licence book's one rule), read in SQL. */
async function overbooked(subscriptionIds: string[]): Promise<unknown[]> {
  const rows: { id: string; quantity: number; assigned: number | string }[] = await t.server.ds.query(
    'SELECT s.id, s.quantity, COUNT(la.id) AS assigned FROM subscription s JOIN license_assignment la ON la.subscriptionId = s.id ' +
      'GROUP BY s.id, s.quantity HAVING COUNT(la.id) > s.quantity',
  );
  return rows.filter((r) => subscriptionIds.includes(r.id)).map((r) => ({ ...r, assigned: Number(r.assigned) }));
}
/** The ACTIVE global administrators of a customer, read in SQL. */
async function globalAdmins(customerId: string): Promise<string[]> {
  const rows: { id: string; roles: string }[] = await t.server.ds.query('SELECT id, roles FROM customer_user WHERE customerId = ? AND status = ?', [
    customerId,
    'ACTIVE',
  ]);
  return rows.filter((r) => (JSON.parse(r.roles) as string[]).includes('GLOBAL_ADMINISTRATOR')).map((r) => r.id);
}

/** Every directory operation on one user id (and subscription ids), as a caller sends it. */
function operations(userId: string, subscriptionIds: string[]): [string, string, Record<string, unknown>][] {
  return [
    ['node', Q.node, { id: userId }],
    ['updateCustomerUser', Q.update, { input: { userId, displayName: 'Hijacked' } }],
    ['updateCustomerUser (roles)', Q.update, { input: { userId, roles: ['GLOBAL_ADMINISTRATOR'] } }],
    ['deleteCustomerUser', Q.delete, { input: { userId } }],
    ['restoreCustomerUser', Q.restore, { input: { userId } }],
    ['assignLicenses', Q.assign, { input: { userId, subscriptionIds } }],
    ['unassignLicenses', Q.unassign, { input: { userId, subscriptionIds } }],
  ];
}

beforeAll(async () => {
  t = await startTestServer({ TEST_CLOCK: 'true', MAX_QUERY_COMPLEXITY: '1000000', ...UNBUDGETED });
  operator = await t.tokens.operator();
  seller = await createPartner(t, 'DIRECT_RESELLER');
  rival = await createPartner(t, 'DIRECT_RESELLER');
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe('ids from elsewhere', () => {
  it("another partner and another customer's admin get NOT_FOUND for a user, in any letter case, worded as for an id that does not exist; nothing moves", async () => {
    const victim = await newCustomer();
    const s = await subscribe(victim.id, 2);
    const user = await newUser(victim);
    await assign(victim.token, user.id, [s.id]);
    const deleted = await newUser(victim);
    await ok(victim.token, Q.delete, { input: { userId: deleted.id } });
    const before = await directory(victim);
    const other = await newCustomer(rival);
    const ghost = randomUUID();
    const failures: unknown[] = [];
    for (const [who, token] of [
      ['rival', rival.token],
      ['rival ADMIN_AGENT', await t.tokens.partner(rival.id, Role.ADMIN_AGENT)],
      ["another customer's admin", other.token],
    ] as const) {
      for (const target of [user.id, user.id.toUpperCase(), deleted.id]) {
        for (const [name, query, variables] of operations(target, [s.id])) {
          const got = await outcome(token, query, variables);
          const missing = await outcome(token, query, JSON.parse(JSON.stringify(variables).split(target).join(ghost)) as Record<string, unknown>);
          if (name === 'node') {
            if (got.code !== 'ok' || (got.data as { node: unknown }).node !== null) failures.push({ who, name, target, got });
            continue;
          }
          const same = got.message.split(target.toLowerCase()).join('<id>') === missing.message.split(ghost).join('<id>');
          if (got.code !== 'NOT_FOUND' || got.status >= 500 || !same || got.message.includes(victim.id) || got.message.includes(s.id)) {
            failures.push({ who, name, target, got, missing });
          }
        }
      }
      // the list of the victim's users, and nodes()
      const list = await outcome(token, Q.users, { customerId: victim.id });
      const listMissing = await outcome(token, Q.users, { customerId: ghost });
      if (list.code !== 'NOT_FOUND' || list.message.split(victim.id).join('<id>') !== listMissing.message.split(ghost).join('<id>')) {
        failures.push({ who, name: 'customerUsers', list, listMissing });
      }
      const many = await outcome(token, Q.nodes, { ids: [user.id, deleted.id, ghost] });
      if (JSON.stringify((many.data as { nodes: unknown[] } | undefined)?.nodes) !== JSON.stringify([null, null, null]))
        failures.push({ who, name: 'nodes', many });
    }
    expect(failures).toEqual([]);
    expect(await directory(victim)).toEqual(before);
    expect(await readSubscription(s.id)).toMatchObject({ assignedLicenses: 1 });
  });

  it('ids of other kinds (a customer, a partner, a subscription, an offer slug) are NOT_FOUND or BAD_USER_INPUT, never a 5xx; upper case finds the own user', async () => {
    const c = await newCustomer();
    const s = await subscribe(c.id, 2);
    const user = await newUser(c);
    const failures: unknown[] = [];
    for (const id of [c.id, seller.id, s.id, 'm365-business-basic']) {
      for (const [name, query, variables] of operations(id, [s.id])) {
        if (name === 'node') continue;
        const got = await outcome(c.token, query, variables);
        // an id of another record is NOT_FOUND; an offer's slug is no UUID, which the inputs' ids are (BAD_USER_INPUT naming it)
        const slugInInput = id === 'm365-business-basic' && 'input' in variables;
        if (got.code !== (slugInInput ? 'BAD_USER_INPUT' : 'NOT_FOUND') || got.status >= 500) failures.push({ name, id, got });
      }
    }
    // a user id where a subscription id goes
    const crossed = await outcome(c.token, Q.assign, { input: { userId: user.id, subscriptionIds: [user.id] } });
    if (crossed.code !== 'NOT_FOUND') failures.push({ name: 'user id as subscription id', crossed });
    // not an id at all
    for (const id of ['', ' ', `${user.id}\u200B`, `${user.id}x`.repeat(3), 'a'.repeat(65), '../etc/passwd']) {
      for (const [name, query, variables] of operations(id, [s.id])) {
        const got = await outcome(c.token, query, variables);
        if (got.code !== 'BAD_USER_INPUT' || got.status >= 500) failures.push({ name, id, got });
      }
    }
    expect(failures).toEqual([]);
    // the own user's id in upper case is the same user
    const { assignLicenses } = await ok<{ assignLicenses: { user: User } }>(c.token, Q.assign, {
      input: { userId: user.id.toUpperCase(), subscriptionIds: [s.id.toUpperCase()] },
    });
    expect(assignLicenses.user).toMatchObject({ id: user.id, licenses: { totalCount: 1, edges: [{ node: { id: s.id } }] } });
    expect(await readSubscription(s.id)).toMatchObject({ assignedLicenses: 1 });
  });

  it("a user of customer A with a subscription of customer B (same seller, same admin) is NOT_FOUND, worded as for an unknown subscription; B's licences stay free", async () => {
    const a = await newCustomer();
    const b = await newCustomer();
    const sB = await subscribe(b.id, 5);
    const sA = await subscribe(a.id, 5);
    const userA = await newUser(a);
    const ghost = randomUUID();
    const failures: unknown[] = [];
    for (const token of [seller.token, a.token, b.token]) {
      for (const q of [Q.assign, Q.unassign]) {
        const got = await outcome(token, q, { input: { userId: userA.id, subscriptionIds: [sA.id, sB.id] } });
        const missing = await outcome(token, q, { input: { userId: userA.id, subscriptionIds: [sA.id, ghost] } });
        if (got.code !== 'NOT_FOUND' || got.message.split(sB.id).join('<id>') !== missing.message.split(ghost).join('<id>') || got.message.includes(b.id)) {
          failures.push({ token: token === seller.token ? 'seller' : token === a.token ? 'A' : 'B', q, got, missing });
        }
      }
    }
    expect(failures).toEqual([]);
    // nothing half done: sA (first in the list) got no licence either
    expect(await readSubscription(sA.id)).toMatchObject({ assignedLicenses: 0 });
    expect(await readSubscription(sB.id)).toMatchObject({ assignedLicenses: 0 });
  });

  it('a partner holding LICENSE_ADMINISTRATOR cannot name a subscription it did not sell: NOT_FOUND as for an unknown id, never whether it exists', async () => {
    const c = await newCustomer();
    const sold = await subscribe(c.id, 5);
    const gdap = await createPartner(t, 'DIRECT_RESELLER');
    await approvedAdmin(gdap, c, ['LICENSE_ADMINISTRATOR', 'DIRECTORY_READER']);
    const user = await newUser(c);
    const ghost = randomUUID();
    const got = await outcome(gdap.token, Q.assign, { input: { userId: user.id, subscriptionIds: [sold.id] } });
    const missing = await outcome(gdap.token, Q.assign, { input: { userId: user.id, subscriptionIds: [ghost] } });
    expect(got.code).toBe('NOT_FOUND');
    expect(got.message.split(sold.id).join('<id>')).toBe(missing.message.split(ghost).join('<id>'));
    // it reads the user, but not the seller's subscription through it
    await assign(c.token, user.id, [sold.id]);
    const { node } = await ok<{ node: User | null }>(gdap.token, Q.node, { id: user.id });
    expect(node).toMatchObject({ id: user.id, licenses: { totalCount: 0, edges: [] } });
    expect(await readSubscription(sold.id)).toMatchObject({ assignedLicenses: 1 });
  });
});

describe('reaching past the roles granted', () => {
  it('USER_ADMINISTRATOR alone cannot give or keep administrator roles, nor touch, delete or restore an administrator: FORBIDDEN naming PRIVILEGED_ROLE_ADMINISTRATOR; nothing moves', async () => {
    const c = await newCustomer();
    await ok(c.token, Q.revokeDap, { input: { partnerId: seller.id } });
    await approvedAdmin(seller, c, ['USER_ADMINISTRATOR']);
    const [admin] = await directory(c);
    expect(admin.roles).toEqual(['GLOBAL_ADMINISTRATOR']);
    const plain = await newUser(c);
    const helpdesk = await newUser(c, { roles: ['HELPDESK_ADMINISTRATOR'] });
    const secondAdmin = await newUser(c, { roles: ['GLOBAL_ADMINISTRATOR'] });
    const gone = await newUser(c, { roles: ['GLOBAL_ADMINISTRATOR'] });
    await ok(c.token, Q.delete, { input: { userId: gone.id } });
    const before = await directory(c);
    const failures: unknown[] = [];
    const attempts: [string, string, Record<string, unknown>][] = [
      ['create a global admin', Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Evil', roles: ['GLOBAL_ADMINISTRATOR'] } }],
      [
        'create with repeated roles',
        Q.create,
        { input: { customerId: c.id, userName: nameIn(c), displayName: 'Evil', roles: ['PRIVILEGED_ROLE_ADMINISTRATOR', 'PRIVILEGED_ROLE_ADMINISTRATOR'] } },
      ],
      ['promote a plain user', Q.update, { input: { userId: plain.id, roles: ['GLOBAL_ADMINISTRATOR'] } }],
      ['promote with a lesser role', Q.update, { input: { userId: plain.id, roles: ['USER_ADMINISTRATOR'] } }],
      ["rename the customer's admin", Q.update, { input: { userId: admin.id, displayName: 'Pwned' } }],
      ["strip the customer's admin", Q.update, { input: { userId: admin.id, roles: [] } }],
      ['strip a helpdesk admin', Q.update, { input: { userId: helpdesk.id, roles: [] } }],
      ["delete the customer's admin", Q.delete, { input: { userId: admin.id } }],
      ['delete the second admin', Q.delete, { input: { userId: secondAdmin.id } }],
      ['delete a helpdesk admin', Q.delete, { input: { userId: helpdesk.id } }],
      ['restore a deleted admin', Q.restore, { input: { userId: gone.id } }],
    ];
    for (const [name, query, variables] of attempts) {
      const got = await outcome(seller.token, query, variables);
      if (got.code !== 'FORBIDDEN' || !got.message.includes('PRIVILEGED_ROLE_ADMINISTRATOR')) failures.push({ name, got });
    }
    // and licences are not its to give
    const s = await subscribe(c.id, 2);
    const lic = await outcome(seller.token, Q.assign, { input: { userId: plain.id, subscriptionIds: [s.id] } });
    if (lic.code !== 'FORBIDDEN' || !lic.message.includes('LICENSE_ADMINISTRATOR')) failures.push({ name: 'assign', lic });
    expect(failures).toEqual([]);
    expect(await directory(c)).toEqual(before);
    // what it may do: an ordinary user's names
    const { updateCustomerUser } = await ok<{ updateCustomerUser: { user: User } }>(seller.token, Q.update, {
      input: { userId: plain.id, displayName: 'Renamed' },
    });
    expect(updateCustomerUser.user).toMatchObject({ displayName: 'Renamed', roles: [] });
  });

  it('LICENSE_ADMINISTRATOR alone manages no users, HELPDESK_ADMINISTRATOR alone not even reads them: FORBIDDEN naming the role', async () => {
    const c = await newCustomer();
    const user = await newUser(c);
    const licenser = await createPartner(t, 'DIRECT_RESELLER');
    const helpdesk = await createPartner(t, 'DIRECT_RESELLER');
    await approvedAdmin(licenser, c, ['LICENSE_ADMINISTRATOR']);
    await approvedAdmin(helpdesk, c, ['HELPDESK_ADMINISTRATOR']);
    const before = await directory(c);
    const failures: unknown[] = [];
    const writes: [string, string, Record<string, unknown>][] = [
      ['create', Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Nope' } }],
      ['update', Q.update, { input: { userId: user.id, displayName: 'Nope' } }],
      ['delete', Q.delete, { input: { userId: user.id } }],
      ['restore', Q.restore, { input: { userId: user.id } }],
    ];
    for (const [name, query, variables] of writes) {
      const got = await outcome(licenser.token, query, variables);
      if (got.code !== 'FORBIDDEN' || !got.message.includes('USER_ADMINISTRATOR')) failures.push({ who: 'licenser', name, got });
    }
    for (const [name, query, variables] of [...writes, ['list', Q.users, { customerId: c.id }] as [string, string, Record<string, unknown>]]) {
      const got = await outcome(helpdesk.token, query, variables);
      if (got.code !== 'FORBIDDEN') failures.push({ who: 'helpdesk', name, got });
    }
    const node = await outcome(helpdesk.token, Q.node, { id: user.id });
    if ((node.data as { node: unknown } | undefined)?.node !== null) failures.push({ who: 'helpdesk', name: 'node', node });
    expect(failures).toEqual([]);
    expect(await directory(c)).toEqual(before);
  });

  it("the seller's SALES_AGENT, USER_ADMIN and BILLING_ADMIN tokens, and the operator, change nothing in a directory the seller holds DAP on", async () => {
    const c = await newCustomer();
    const s = await subscribe(c.id, 3);
    const user = await newUser(c);
    await assign(c.token, user.id, [s.id]);
    const before = await directory(c);
    const failures: unknown[] = [];
    const tokens: [string, string][] = [
      ['SALES_AGENT', await t.tokens.partner(seller.id, Role.SALES_AGENT)],
      ['USER_ADMIN', await t.tokens.partner(seller.id, Role.USER_ADMIN)],
      ['BILLING_ADMIN', await t.tokens.partner(seller.id, Role.BILLING_ADMIN)],
      ['operator', operator],
    ];
    for (const [who, token] of tokens) {
      for (const [name, query, variables] of [
        ['create', Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Nope', roles: ['GLOBAL_ADMINISTRATOR'] } }],
        ...operations(user.id, [s.id]).filter(([n]) => n !== 'node'),
      ] as [string, string, Record<string, unknown>][]) {
        const got = await outcome(token, query, variables);
        if (got.code !== 'FORBIDDEN' || got.status >= 500) failures.push({ who, name, got });
      }
      if (who !== 'operator') {
        const list = await outcome(token, Q.users, { customerId: c.id });
        if (list.code !== 'FORBIDDEN') failures.push({ who, name: 'list', list });
      }
    }
    expect(failures).toEqual([]);
    expect(await directory(c)).toEqual(before);
    // the operator reads
    expect((await directory(c, operator)).map((u) => u.id)).toEqual(before.map((u) => u.id));
  });

  it("one customer's admin names another customer in createCustomerUser, the list, updateCustomer: NOT_FOUND; a user name in the other's domain is refused in its own", async () => {
    const a = await newCustomer();
    const b = await newCustomer(rival);
    const beforeB = await directory(b);
    const ghost = randomUUID();
    for (const [query, variables, missing] of [
      [
        Q.create,
        { input: { customerId: b.id, userName: nameIn(b), displayName: 'Spy' } },
        { input: { customerId: ghost, userName: nameIn(b), displayName: 'Spy' } },
      ],
      [Q.users, { customerId: b.id }, { customerId: ghost }],
      [Q.updateCustomer, { input: { customerId: b.id, companyName: 'Owned' } }, { input: { customerId: ghost, companyName: 'Owned' } }],
    ] as [string, Record<string, unknown>, Record<string, unknown>][]) {
      const got = await outcome(a.token, query, variables);
      const none = await outcome(a.token, query, missing);
      expect({ query, code: got.code }).toEqual({ query, code: 'NOT_FOUND' });
      expect(got.message.split(b.id).join('<id>')).toBe(none.message.split(ghost).join('<id>'));
    }
    const foreignName = await outcome(a.token, Q.create, { input: { customerId: a.id, userName: nameIn(b), displayName: 'Spy' } });
    expect(foreignName).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['input.userName'] });
    expect(await directory(b, rival.token)).toEqual(beforeB);
    expect((await ok<{ customer: { companyName: string } }>(rival.token, Q.customer, { id: b.id })).customer.companyName).not.toBe('Owned');
  });
});

describe('time and termination', () => {
  it('an admin relationship grants until the second before its endsAt and nothing at endsAt; a terminated one nothing at once, while DAP, when held, still does', async () => {
    const c = await newCustomer();
    await ok(c.token, Q.revokeDap, { input: { partnerId: seller.id } });
    const rel = await approvedAdmin(seller, c, ['USER_ADMINISTRATOR'], 'P1D');
    const { node } = await ok<{ node: { endsAt: string } }>(seller.token, Q.relationship, { id: rel.id });
    const endsAt = Date.parse(node.endsAt);
    const now = await serverTime();
    await advance(durationOf(endsAt - now - 2000));
    expect(await serverTime()).toBeLessThan(endsAt);
    const last = await newUser(c, {}, seller.token);
    expect(last.status).toBe('ACTIVE');
    await advance(durationOf(Math.max(1000, endsAt - (await serverTime()))));
    expect(await serverTime()).toBeGreaterThanOrEqual(endsAt);
    const late = await outcome(seller.token, Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Too late' } });
    expect(late.code).toBe('FORBIDDEN');
    expect(late.message).toContain('USER_ADMINISTRATOR');
    const lateUpdate = await outcome(seller.token, Q.update, { input: { userId: last.id, displayName: 'Too late' } });
    expect(lateUpdate.code).toBe('FORBIDDEN');

    // a second one, terminated by the customer: nothing from that moment
    const rel2 = await approvedAdmin(seller, c, ['USER_ADMINISTRATOR', 'LICENSE_ADMINISTRATOR']);
    const during = await newUser(c, {}, seller.token);
    await ok(c.token, Q.terminate, { input: { adminRelationshipId: rel2.id } });
    for (const [query, variables] of [
      [Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'After' } }],
      [Q.delete, { input: { userId: during.id } }],
      [Q.users, { customerId: c.id }],
    ] as [string, Record<string, unknown>][]) {
      expect((await outcome(seller.token, query, variables)).code).toBe('FORBIDDEN');
    }
    expect((await directory(c)).find((u) => u.id === during.id)?.status).toBe('ACTIVE');
  });

  it('termination racing user creations: every creation is either refused or recorded before the termination, never after it', async () => {
    const c = await newCustomer();
    await ok(c.token, Q.revokeDap, { input: { partnerId: seller.id } });
    const rel = await approvedAdmin(seller, c, ['USER_ADMINISTRATOR']);
    const creations = Array.from({ length: 8 }, () =>
      outcome(seller.token, Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Racer' } }),
    );
    const [terminated, ...created] = await Promise.all([outcome(c.token, Q.terminate, { input: { adminRelationshipId: rel.id } }), ...creations]);
    expect(terminated.code).toBe('ok');
    expect(created.filter((r) => !['ok', 'FORBIDDEN'].includes(r.code))).toEqual([]);
    const made = created.filter((r) => r.code === 'ok').length;
    expect(await directory(c)).toHaveLength(1 + made);
    // the audit's order: the termination is the last record of the relationship's grant
    const { activities } = await ok<{ activities: { edges: { node: { action: string; grantedBy: { adminRelationshipId: string | null }[] } }[] } }>(
      c.token,
      Q.activities,
      { filter: { customerId: c.id } },
    );
    const actions = activities.edges.map((e) => e.node);
    const granted = actions.filter((a) => a.grantedBy.some((g) => g.adminRelationshipId === rel.id));
    expect(granted).toHaveLength(made);
    // and nothing more after it
    expect((await outcome(seller.token, Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'After' } })).code).toBe('FORBIDDEN');
  });
});

describe('races (the rules checked in SQL after)', () => {
  it('20 concurrent assignments of the last free licence, from the customer and its partner at once: exactly one succeeds', async () => {
    const c = await newCustomer();
    const s = await subscribe(c.id, 2);
    const holder = await newUser(c);
    await assign(c.token, holder.id, [s.id]);
    const racers: User[] = [];
    for (let i = 0; i < 20; i++) racers.push(await newUser(c));
    const answers = await Promise.all(
      racers.map((r, i) => outcome(i % 2 ? c.token : seller.token, Q.assign, { input: { userId: r.id, subscriptionIds: [s.id] } })),
    );
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(await overbooked([s.id])).toEqual([]);
    expect(answers.filter((a) => a.code === 'ok')).toHaveLength(1);
    expect(answers.filter((a) => a.code === 'CONFLICT')).toHaveLength(19);
    expect(await readSubscription(s.id)).toMatchObject({ quantity: 2, assignedLicenses: 2 });
  });

  it('a quantity decrease racing an assignment: exactly one of them succeeds, never more assigned than the quantity', async () => {
    const rounds: string[] = [];
    const raced: string[] = [];
    for (let round = 0; round < 6; round++) {
      const c = await newCustomer();
      const s = await subscribe(c.id, 3);
      raced.push(s.id);
      const [u1, u2, u3] = [await newUser(c), await newUser(c), await newUser(c)];
      await assign(c.token, u1.id, [s.id]);
      await assign(c.token, u2.id, [s.id]);
      const [decrease, assigned] = await Promise.all([
        outcome(seller.token, Q.updateSubscription, { input: { subscriptionId: s.id, quantity: 2 } }),
        outcome(round % 2 ? c.token : seller.token, Q.assign, { input: { userId: u3.id, subscriptionIds: [s.id] } }),
      ]);
      const after = await readSubscription(s.id);
      rounds.push(`decrease ${decrease.code}, assign ${assigned.code}: ${after.assignedLicenses} of ${after.quantity}`);
    }
    expect(await overbooked(raced)).toEqual([]);
    expect(rounds.filter((r) => !/^decrease (ok, assign CONFLICT: 2 of 2|CONFLICT, assign ok: 3 of 3)$/.test(r))).toEqual([]);
  });

  it('a deletion racing an assignment of the same user: the deleted user holds no licence', async () => {
    for (let round = 0; round < 5; round++) {
      const c = await newCustomer();
      const s = await subscribe(c.id, 3);
      const u = await newUser(c);
      const [deleted, assigned] = await Promise.all([
        outcome(round % 2 ? c.token : seller.token, Q.delete, { input: { userId: u.id } }),
        outcome(round % 2 ? seller.token : c.token, Q.assign, { input: { userId: u.id, subscriptionIds: [s.id] } }),
      ]);
      expect(deleted.code).toBe('ok');
      expect(['ok', 'CONFLICT']).toContain(assigned.code);
      const rows: unknown[] = await t.server.ds.query('SELECT id FROM license_assignment WHERE userId = ?', [u.id]);
      expect(rows).toEqual([]);
      expect(await readSubscription(s.id)).toMatchObject({ assignedLicenses: 0 });
    }
  });

  it('two global administrators deleting (or demoting) each other at once: the customer keeps one', async () => {
    const lost: unknown[] = [];
    for (let round = 0; round < 6; round++) {
      const c = await newCustomer();
      const [admin] = await directory(c);
      const other = await newUser(c, { roles: ['GLOBAL_ADMINISTRATOR'] });
      const [q, input] = round % 2 ? [Q.delete, (id: string) => ({ userId: id })] : [Q.update, (id: string) => ({ userId: id, roles: ['USER_ADMINISTRATOR'] })];
      const answers = await Promise.all([
        outcome(c.token, q, { input: input(admin.id) }),
        outcome(round % 3 ? c.token : seller.token, q, { input: input(other.id) }),
      ]);
      const left = await globalAdmins(c.id);
      if (left.length === 0) lost.push({ round, answers: answers.map((a) => `${a.code} ${a.message}`) });
      expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    }
    expect(lost).toEqual([]);
  });

  it('a user created twice at once under names that differ only in case and width: one user', async () => {
    const c = await newCustomer();
    const local = `Racer${++names}`;
    const variants = [local, local.toUpperCase(), local.toLowerCase(), [...local].map((ch) => String.fromCodePoint(ch.codePointAt(0)! + 0xfee0)).join('')];
    const answers = await Promise.all(
      variants.flatMap((v) =>
        [c.token, seller.token].map((token) => outcome(token, Q.create, { input: { customerId: c.id, userName: `${v}@${c.domain}`, displayName: 'Twin' } })),
      ),
    );
    expect(answers.filter((a) => a.code === 'ok')).toHaveLength(1);
    for (const a of answers.filter((x) => x.code !== 'ok')) expect(a).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['input.userName'] });
    expect((await directory(c)).filter((u) => u.displayName === 'Twin')).toHaveLength(1);
  });
});

describe('odd input', () => {
  it('look-alike, invisible, bidi and oversized user names are refused naming input.userName; width and domain case are folded', async () => {
    const c = await newCustomer();
    const [local, domain] = [`lookalike${++names}`, c.domain];
    const refusedNames = [
      `adm\u200Bin@${domain}`, // zero-width space
      `admin\u200D@${domain}`,
      `\u202Eadmin@${domain}`, // right-to-left override
      `аdmin@${domain}`, // Cyrillic a
      `admin@${domain}.`, // trailing dot on the domain
      `admin.@${domain}`,
      `.admin@${domain}`,
      `ad..min@${domain}`,
      `${'a'.repeat(65)}@${domain}`,
      `admin@${domain.replace('.onmicrosoft.com', '.onmicrosoft.com.evil.example')}`,
      `admin@evil.example@${domain}`,
      `admin@${domain.replace('o', 'ο')}`, // Greek omicron in the domain
      `admin ${local}@${domain}`,
      `${local}`,
      `@${domain}`,
      `${local}@`,
      `${local}@${'x'.repeat(300)}.example`,
      `${local}\n@${domain}`,
      `${local}\u0000@${domain}`,
    ];
    const failures: unknown[] = [];
    for (const userName of refusedNames) {
      const got = await outcome(c.token, Q.create, { input: { customerId: c.id, userName, displayName: 'Trick' } });
      if (got.code !== 'BAD_USER_INPUT' || !got.fields.includes('input.userName') || got.status >= 500)
        failures.push({ userName: JSON.stringify(userName), got });
    }
    expect(failures).toEqual([]);
    // 64 characters is the most; full-width letters and at sign, and the domain in capitals, are the plain name
    const longest = await newUser(c, { userName: `${'b'.repeat(64)}@${domain}` });
    expect(longest.userName).toBe(`${'b'.repeat(64)}@${domain}`);
    const wide = await newUser(c, { userName: `\uFF41\uFF44\uFF4D\uFF49\uFF4E2\uFF20${domain.toUpperCase()}` });
    expect(wide.userName).toBe(`admin2@${domain}`);
    // the first admin's name in another case, width or with surrounding spaces is taken
    for (const userName of [`ADMIN@${domain}`, `\uFF21dmin@${domain}`, ` admin@${domain} `, `Admin@${domain.toUpperCase()}`]) {
      expect(await outcome(c.token, Q.create, { input: { customerId: c.id, userName, displayName: 'Twin' } })).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: ['input.userName'],
      });
    }
    expect((await directory(c)).map((u) => u.userName).sort()).toEqual([longest.userName, wide.userName, `admin@${domain}`].sort());
  });

  it('bad display names, huge text, too many or repeated subscription ids and wrong types are BAD_USER_INPUT (or a validation error), never a 5xx; a repeated id is one licence', async () => {
    const c = await newCustomer();
    const s = await subscribe(c.id, 5);
    const user = await newUser(c);
    const failures: unknown[] = [];
    const bad: [string, string, Record<string, unknown>][] = [
      ['displayName bidi', Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Mallory\u202Etxt.exe' } }],
      ['displayName control', Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Mal\u0007lory' } }],
      ['displayName blank', Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: '   ' } }],
      ['displayName huge', Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'x'.repeat(100_000) } }],
      ['firstName huge', Q.update, { input: { userId: user.id, firstName: 'y'.repeat(65) } }],
      ['lastName zero-width only', Q.update, { input: { userId: user.id, lastName: '\u200B' } }],
      ['userName huge', Q.create, { input: { customerId: c.id, userName: `${'z'.repeat(400)}@${c.domain}`, displayName: 'Z' } }],
      ['no field to change', Q.update, { input: { userId: user.id } }],
      ['roles not a role', Q.update, { input: { userId: user.id, roles: ['SUPER_ADMIN'] } }],
      ['roles 14', Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'R', roles: Array(14).fill('HELPDESK_ADMINISTRATOR') } }],
      ['51 subscription ids', Q.assign, { input: { userId: user.id, subscriptionIds: Array.from({ length: 51 }, () => s.id) } }],
      ['no subscription id', Q.assign, { input: { userId: user.id, subscriptionIds: [] } }],
      ['subscriptionIds a float', Q.assign, { input: { userId: user.id, subscriptionIds: 4.2 } }],
      ['subscriptionIds a boolean', Q.assign, { input: { userId: user.id, subscriptionIds: [true] } }],
      ['subscriptionIds objects', Q.assign, { input: { userId: user.id, subscriptionIds: [{ id: s.id }] } }],
      ['userId an object', Q.delete, { input: { userId: { id: user.id } } }],
      ['userId null', Q.delete, { input: { userId: null } }],
      ['includeDeleted a string', Q.users, { customerId: c.id, filter: { includeDeleted: 'yes' } }],
      ['search huge', Q.users, { customerId: c.id, filter: { search: 'q'.repeat(201) } }],
      ['an extra field (domain)', Q.updateCustomer, { input: { customerId: c.id, domain: 'evil.example' } }],
    ];
    for (const [name, query, variables] of bad) {
      const got = await outcome(c.token, query, variables);
      if (!['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'].includes(got.code) || got.status >= 500)
        failures.push({ name, got: { ...got, message: got.message.slice(0, 200) } });
    }
    expect(failures).toEqual([]);
    expect((await directory(c)).map((u) => u.id)).toHaveLength(2);
    // a single value where a list goes is a list of one (GraphQL's input coercion): "42" is no subscription id (a UUID)
    expect(await outcome(c.token, Q.assign, { input: { userId: user.id, subscriptionIds: 42 } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: ['input.subscriptionIds'],
    });
    // 50 ids, all the same subscription: one licence
    const { subscriptions, user: after } = await assign(
      c.token,
      user.id,
      Array.from({ length: 50 }, (_, i) => (i % 2 ? s.id : s.id.toUpperCase())),
    );
    expect(subscriptions).toEqual([{ ...s, assignedLicenses: 1 }]);
    expect(after.licenses).toEqual({ totalCount: 1, edges: [{ node: { id: s.id } }] });
    expect(await readSubscription(s.id)).toMatchObject({ assignedLicenses: 1 });
  });
});

describe('events and secrets', () => {
  it('a partner unrelated to the customer, or holding only HELPDESK_ADMINISTRATOR, gets no directory event, neither by query nor live', async () => {
    const c = await newCustomer();
    const helpdesk = await createPartner(t, 'DIRECT_RESELLER');
    await approvedAdmin(helpdesk, c, ['HELPDESK_ADMINISTRATOR']);
    const rivalsOwn = await newCustomer(rival);
    const live: Record<string, { type: string; customerId: string | null }[]> = { rival: [], helpdesk: [] };
    const sockets = { rival: t.ws(rival.token), helpdesk: t.ws(helpdesk.token) };
    const disposers: (() => void)[] = [];
    for (const [who, ws] of Object.entries(sockets)) {
      await ws.ready();
      disposers.push(
        ws.client.subscribe<{ events: { type: string; customerId: string | null } }>(
          { query: `subscription($types: [EventType!]) { events(types: $types) { type customerId } }`, variables: { types: DIRECTORY_EVENTS } },
          { next: (v) => v.data && live[who].push(v.data.events), error: () => {}, complete: () => {} },
        ),
      );
    }
    // the victim's directory moves in every way
    const s = await subscribe(c.id, 3);
    const u = await newUser(c);
    await ok(c.token, Q.update, { input: { userId: u.id, displayName: 'Moved' } });
    await assign(c.token, u.id, [s.id]);
    await ok(c.token, Q.unassign, { input: { userId: u.id, subscriptionIds: [s.id] } });
    await assign(seller.token, u.id, [s.id]);
    await ok(c.token, Q.delete, { input: { userId: u.id } });
    await ok(seller.token, Q.restore, { input: { userId: u.id } });
    // a sentinel the rival does receive: its own customer's user, created last
    await newUser(rivalsOwn);
    const deadline = Date.now() + 5000;
    while (!live.rival.some((e) => e.customerId === rivalsOwn.id) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    disposers.forEach((d) => d());
    await Promise.all(Object.values(sockets).map((ws) => ws.close()));
    expect(live.rival.map((e) => e.customerId)).toEqual([rivalsOwn.id]);
    expect(live.helpdesk).toEqual([]);
    for (const token of [rival.token, helpdesk.token]) {
      expect(await events(token, { customerId: c.id, types: DIRECTORY_EVENTS })).toEqual([]);
      expect((await events(token, { types: DIRECTORY_EVENTS })).filter((e) => e.customerId === c.id)).toEqual([]);
      // what it does get about the customer: its own relationship's approval, nothing of the directory
      expect((await events(token, { customerId: c.id })).filter((e) => !e.type.startsWith('ADMIN_RELATIONSHIP_'))).toEqual([]);
    }
    // the customer saw them all
    expect((await events(c.token, { customerId: c.id, types: DIRECTORY_EVENTS })).length).toBeGreaterThanOrEqual(7);
  });

  it('the temporary password is in no event, audit record or export, and stored only as its hash', async () => {
    const c = await newCustomer();
    const { temporaryPassword, user } = await createUser(seller.token, c, { roles: ['HELPDESK_ADMINISTRATOR'] });
    const [{ passwordHash }]: { passwordHash: string }[] = await t.server.ds.query('SELECT passwordHash FROM customer_user WHERE id = ?', [user.id]);
    expect(passwordHash).not.toContain(temporaryPassword);
    const secrets = [temporaryPassword, passwordHash, passwordHash.split('$')[2]];
    const seen: string[] = [];
    for (const token of [c.token, seller.token, operator]) {
      seen.push(JSON.stringify(await events(token, { customerId: c.id })));
      seen.push(JSON.stringify(await ok(token, Q.activities, { filter: { customerId: c.id } })));
      for (const format of ['csv', 'ndjson']) {
        const res = await fetch(new URL(`/exports/activities?format=${format}&customerId=${c.id}`, t.url), { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
        seen.push(await res.text());
      }
    }
    expect(seen.join('\n')).toContain(user.id);
    for (const secret of secrets) expect(seen.filter((text) => text.includes(secret))).toEqual([]);
    // nor anywhere in the audit and event tables
    for (const [table, column] of [
      ['activity', 'changeSet'],
      ['activity', 'details'],
      ['event', 'data'],
    ]) {
      for (const secret of secrets) {
        const rows: unknown[] = await t.server.ds.query(`SELECT 1 FROM ${table} WHERE ${column} LIKE ?`, [`%${secret}%`]);
        expect({ table, column, rows }).toEqual({ table, column, rows: [] });
      }
    }
    // nor readable later: the payload is the only place
    expect(JSON.stringify(await directory(c))).not.toContain(temporaryPassword);
  });

  it("the directory's mutations are refused over the WebSocket and not executed", async () => {
    const c = await newCustomer();
    const s = await subscribe(c.id, 2);
    const user = await newUser(c);
    const before = await directory(c);
    const failures: unknown[] = [];
    const sent: [string, string, Record<string, unknown>][] = [
      ['create', Q.create, { input: { customerId: c.id, userName: nameIn(c), displayName: 'Socket' } }],
      ...operations(user.id, [s.id]).filter(([n]) => n !== 'node'),
      ['updateCustomer', Q.updateCustomer, { input: { customerId: c.id, companyName: 'Socket Ltd' } }],
    ];
    for (const [name, query, variables] of sent) {
      for (const token of [c.token, seller.token]) {
        const answer = await firstAnswerOverSocket(t.ws(token), query, variables);
        const message = JSON.stringify(answer.errors ?? answer);
        if (answer.data || !/Only subscriptions run over WebSocket/.test(message)) failures.push({ name, answer });
      }
    }
    expect(failures).toEqual([]);
    expect(await directory(c)).toEqual(before);
    expect(await readSubscription(s.id)).toMatchObject({ assignedLicenses: 0 });
  });
});

describe('updateCustomer and updatePartner from the wrong side', () => {
  it('a partner with only an admin relationship (no reseller relationship) cannot update the customer: NOT_FOUND, as an unknown one', async () => {
    const c = await newCustomer();
    const gdap = await createPartner(t, 'DIRECT_RESELLER');
    await approvedAdmin(gdap, c, ['GLOBAL_ADMINISTRATOR']);
    const ghost = randomUUID();
    const got = await outcome(gdap.token, Q.updateCustomer, { input: { customerId: c.id, companyName: 'Owned Ltd' } });
    const missing = await outcome(gdap.token, Q.updateCustomer, { input: { customerId: ghost, companyName: 'Owned Ltd' } });
    expect(got.code).toBe('NOT_FOUND');
    expect(got.message.split(c.id).join('<id>')).toBe(missing.message.split(ghost).join('<id>'));
    // nor the rival, nor the seller's sales agent
    expect((await outcome(rival.token, Q.updateCustomer, { input: { customerId: c.id, companyName: 'Owned Ltd' } })).code).toBe('NOT_FOUND');
    expect(
      (await outcome(await t.tokens.partner(seller.id, Role.SALES_AGENT), Q.updateCustomer, { input: { customerId: c.id, companyName: 'Owned Ltd' } })).code,
    ).toBe('FORBIDDEN');
    expect((await ok<{ customer: { companyName: string } }>(c.token, Q.customer, { id: c.id })).customer.companyName).not.toBe('Owned Ltd');
  });

  it("a partner's admin cannot update another partner, nor its own MPN ID, type or cloud; an ADMIN_AGENT nothing; a customer's admin no partner", async () => {
    const me = await createPartner(t, 'DIRECT_RESELLER');
    const other = await createPartner(t, 'DIRECT_RESELLER');
    const read = async (id: string) => (await ok<{ partner: unknown }>(operator, Q.partner, { id })).partner;
    const [meBefore, otherBefore] = [await read(me.id), await read(other.id)];
    const c = await newCustomer();
    const ghost = randomUUID();
    const tries: [string, string, Record<string, unknown>, string[]][] = [
      ['other partner name', me.token, { partnerId: other.id, name: 'Hijacked' }, ['NOT_FOUND']],
      ['other partner mpnId', me.token, { partnerId: other.id, mpnId: uniqueMpnId() }, ['NOT_FOUND', 'FORBIDDEN']],
      ['own mpnId', me.token, { partnerId: me.id, mpnId: uniqueMpnId() }, ['FORBIDDEN']],
      ['own type', me.token, { partnerId: me.id, type: 'INDIRECT_PROVIDER' }, ['FORBIDDEN']],
      ['own cloud', me.token, { partnerId: me.id, cloud: 'GOVERNMENT' }, ['FORBIDDEN', 'BAD_USER_INPUT']],
      ['own name and mpnId', me.token, { partnerId: me.id, name: 'Half', mpnId: uniqueMpnId() }, ['FORBIDDEN']],
      ['ADMIN_AGENT own name', await t.tokens.partner(me.id, Role.ADMIN_AGENT), { partnerId: me.id, name: 'Agent' }, ['FORBIDDEN']],
      ['customer admin', c.token, { partnerId: seller.id, name: 'Customer did it' }, ['FORBIDDEN', 'NOT_FOUND']],
    ];
    const failures: unknown[] = [];
    for (const [name, token, input, codes] of tries) {
      const got = await outcome(token, Q.updatePartner, { input });
      if (!codes.includes(got.code) || got.status >= 500) failures.push({ name, got });
    }
    const missing = await outcome(me.token, Q.updatePartner, { input: { partnerId: ghost, name: 'Hijacked' } });
    const foreign = await outcome(me.token, Q.updatePartner, { input: { partnerId: other.id, name: 'Hijacked' } });
    expect(foreign.message.split(other.id).join('<id>')).toBe(missing.message.split(ghost).join('<id>'));
    expect(failures).toEqual([]);
    expect(await read(me.id)).toEqual(meBefore);
    expect(await read(other.id)).toEqual(otherBefore);
  });

  it('two partners given the same MPN ID at once by the operator: one CONFLICT, never a 5xx, the ids stay unique', async () => {
    const partners = [await createPartner(t, 'DIRECT_RESELLER'), await createPartner(t, 'DIRECT_RESELLER'), await createPartner(t, 'DIRECT_RESELLER')];
    const mpnId = uniqueMpnId();
    const answers = await Promise.all(partners.map((p) => outcome(operator, Q.updatePartner, { input: { partnerId: p.id, mpnId } })));
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(answers.map((a) => a.code).sort()).toEqual(['CONFLICT', 'CONFLICT', 'ok']);
    const rows: unknown[] = await t.server.ds.query('SELECT id FROM partner WHERE mpnId = ?', [mpnId]);
    expect(rows).toHaveLength(1);
  });
});

describe('purge edge', () => {
  it('a user deleted exactly 30 days ago can no longer be restored, and the sweep purges it; a day earlier it still can', async () => {
    const c = await newCustomer();
    const a = await newUser(c);
    const b = await newUser(c);
    await ok(c.token, Q.delete, { input: { userId: a.id } });
    await ok(c.token, Q.delete, { input: { userId: b.id } });
    await advance('P29D');
    expect((await ok<{ restoreCustomerUser: { user: User } }>(seller.token, Q.restore, { input: { userId: a.id } })).restoreCustomerUser.user.status).toBe(
      'ACTIVE',
    );
    await advance('P1D');
    const late = await outcome(c.token, Q.restore, { input: { userId: b.id } });
    expect(['NOT_FOUND', 'CONFLICT']).toContain(late.code);
    expect((await directory(c)).map((u) => u.id)).not.toContain(b.id);
  });
});
