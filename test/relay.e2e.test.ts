import { CreateSubscriptionDocument } from './generated/graphql';
import { createCustomer, createPartner, type TestPartner } from './support/factories';
import { invite } from './support/invitations';
import { startTestServer, type TestServer } from './support/test-server';

/**
 * Relay's server specification: complete connections (first/after and last/before, every PageInfo
 * field correct in both directions, on root and nested lists, oldest-first and newest-first ones, and
 * on the events' own cursors) and Global Object Identification (`node`, `nodes`).
 */

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
interface Page {
  pageInfo: PageInfo;
  edges: { cursor: string; node: { id: string } }[];
}

let t: TestServer;
let owner: TestPartner;
let customerIds: string[];

/** Reads one page of a connection at `path` (a root field, or `customer.subscriptions`) with the given arguments. */
async function page(token: string, field: string, args: Record<string, unknown>): Promise<Page> {
  const defs = '$first: Int, $after: String, $last: Int, $before: String';
  const pass = 'first: $first, after: $after, last: $last, before: $before';
  const body = `pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }`;
  const query = field.startsWith('customer.')
    ? `query P(${defs}, $id: ID!) { customer(id: $id) { ${field.slice('customer.'.length)}(${pass}) { ${body} } } }`
    : `query P(${defs}) { ${field}(${pass}) { ${body} } }`;
  const res = await t.client(token).raw<Record<string, Page & { [k: string]: Page }>>({ query, variables: args });
  expect(res.errors).toBeUndefined();
  const root = res.data![field.split('.')[0]];
  return field.startsWith('customer.') ? root[field.slice('customer.'.length)] : root;
}

/**
 * Walks a whole list forward (first/after) and backward (last/before), `size` at a time: both walks
 * meet the same items in the same order, and each page's PageInfo says exactly what lies either side.
 */
async function walkBothWays(token: string, field: string, size: number, extra: Record<string, unknown> = {}): Promise<string[]> {
  const forward: string[] = [];
  let after: string | undefined;
  for (let n = 0; ; n++) {
    const p = await page(token, field, { ...extra, first: size, after });
    const ids = p.edges.map((e) => e.node.id);
    forward.push(...ids);
    expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor ?? null);
    expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor ?? null);
    expect(p.pageInfo.hasPreviousPage).toBe(n > 0);
    if (!p.pageInfo.hasNextPage) break;
    expect(ids).toHaveLength(size);
    after = p.pageInfo.endCursor!;
  }
  const backward: string[] = [];
  let before: string | undefined;
  for (let n = 0; ; n++) {
    const p = await page(token, field, { ...extra, last: size, before });
    const ids = p.edges.map((e) => e.node.id);
    backward.unshift(...ids);
    expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor ?? null);
    expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor ?? null);
    expect(p.pageInfo.hasNextPage).toBe(n > 0);
    if (!p.pageInfo.hasPreviousPage) break;
    expect(ids).toHaveLength(size);
    before = p.pageInfo.startCursor!;
  }
  expect(backward).toEqual(forward);
  expect(new Set(forward).size).toBe(forward.length);
  return forward;
}

beforeAll(async () => {
  t = await startTestServer();
  owner = await createPartner(t);
  customerIds = [];
  for (let i = 0; i < 7; i++) customerIds.push((await createCustomer(t, owner.token, { companyName: `Relay Customer ${i} Limited` })).id);
  for (let i = 0; i < 5; i++) {
    await t.client(owner.token).data(CreateSubscriptionDocument, { input: { customerId: customerIds[0], offerId: 'm365-e3', quantity: i + 1 } });
  }
  for (let i = 0; i < 5; i++) await invite(t, owner.token);
});
afterAll(() => t.stop());

describe('connections', () => {
  it('pages a root list (oldest first) forward and backward with the same items and exact PageInfo', async () => {
    expect(await walkBothWays(owner.token, 'customers', 3)).toEqual(customerIds);
    expect(await walkBothWays(owner.token, 'customers', 7)).toEqual(customerIds);
    expect(await walkBothWays(owner.token, 'customers', 100)).toEqual(customerIds);
  });

  it('pages a newest-first list (invitations) both ways', async () => {
    const ids = await walkBothWays(owner.token, 'invitations', 2);
    expect(ids).toHaveLength(5);
    expect([...ids].sort().reverse()).toEqual(ids);
  });

  it('pages a nested list (a customer’s subscriptions) both ways', async () => {
    const ids = await walkBothWays(owner.token, 'customer.subscriptions', 2, { id: customerIds[0] });
    expect(ids).toHaveLength(5);
  });

  it('pages the events (their own cursors) both ways', async () => {
    const ids = await walkBothWays(owner.token, 'events', 4);
    expect(ids.length).toBeGreaterThanOrEqual(17); // 7 customers, 5 subscriptions, 5 invitations
  });

  it('bounds a page by both cursors, and tells what lies beyond each', async () => {
    const all = await page(owner.token, 'customers', { first: 7 });
    const [c1, c5] = [all.edges[1].cursor, all.edges[5].cursor];
    const window = await page(owner.token, 'customers', { after: c1, before: c5 });
    expect(window.edges.map((e) => e.node.id)).toEqual(customerIds.slice(2, 5));
    expect(window.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    const tail = await page(owner.token, 'customers', { last: 2, after: c1, before: c5 });
    expect(tail.edges.map((e) => e.node.id)).toEqual(customerIds.slice(3, 5));
    expect(tail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    const head = await page(owner.token, 'customers', { first: 2, after: c1, before: c5 });
    expect(head.edges.map((e) => e.node.id)).toEqual(customerIds.slice(2, 4));
    expect(head.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    // before the first item: nothing, and nothing before it
    const none = await page(owner.token, 'customers', { last: 5, before: all.edges[0].cursor });
    expect(none).toEqual({ edges: [], pageInfo: { hasPreviousPage: false, hasNextPage: true, startCursor: null, endCursor: null } });
  });

  it('tells what lies beyond the cursors of a nested list in one statement per page of parents, not one per parent', async () => {
    const cursor = (id: string) => Buffer.from(`k1:${id}`, 'utf8').toString('base64url');
    const [lo, hi] = [cursor('00000000-0000-0000-0000-000000000000'), cursor('ffffffff-ffff-ffff-ffff-ffffffffffff')];
    const query = `query B($lo: String, $hi: String) { customers(first: 7) { edges { node { id
      subscriptions(first: 1, after: $lo, before: $hi) { edges { node { id } } pageInfo { hasPreviousPage hasNextPage } } } } } }`;
    const before = t.queryCount();
    const res = await t.client(owner.token).raw<{ customers: { edges: { node: { id: string; subscriptions: Page } }[] } }>({ query, variables: { lo, hi } });
    const statements = t.queryCount() - before;
    expect(res.errors).toBeUndefined();
    const flags = res.data!.customers.edges.map((e) => [
      e.node.id === customerIds[0],
      e.node.subscriptions.pageInfo.hasPreviousPage,
      e.node.subscriptions.pageInfo.hasNextPage,
    ]);
    // nothing lies at or before the all-zero id, or at or after the all-f one; the one customer with
    // subscriptions (5) has more of them after its first
    expect(flags).toEqual(customerIds.map((_, i) => [i === 0, false, i === 0]));
    expect(res.data!.customers.edges[0].node.subscriptions.edges).toHaveLength(1);
    // the customers, their pages, and one read per side for all 7 customers (a count of statements, not a timing)
    expect(statements).toBeLessThanOrEqual(6);
  });

  it('refuses first with last, and a malformed before, naming the argument', async () => {
    const both = await t.client(owner.token).raw({ query: '{ customers(first: 2, last: 2) { edges { cursor } } }' });
    expect(both.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['last'] });
    const bad = await t.client(owner.token).raw({ query: '{ customers(last: 2, before: "not-a-cursor") { edges { cursor } } }' });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['before'] });
    const tooMany = await t.client(owner.token).raw({ query: '{ customers(last: 101) { edges { cursor } } }' });
    expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const events = await t.client(owner.token).raw({ query: '{ events(last: 2, before: "bm9wZQ") { edges { cursor } } }' });
    expect(events.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['before'] });
  });
});

describe('node and nodes', () => {
  it('implements Node on every type with an identity, each id unique across types', async () => {
    const res = await t.client(owner.token).raw<{ __type: { possibleTypes: { name: string }[] } }>({
      query: '{ __type(name: "Node") { possibleTypes { name } } }',
    });
    const names = res.data!.__type.possibleTypes.map((p) => p.name);
    for (const name of [
      'Customer',
      'Partner',
      'CustomerSubscription',
      'CustomerInvitation',
      'ResellerRelationship',
      'DelegatedAdminPrivileges',
      'Offer',
      'Activity',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('refetches each of the owner’s objects by id, and null for another partner', async () => {
    const stranger = await createPartner(t);
    const { data } = await t.client(owner.token).raw<{
      customers: { edges: { node: { id: string; relationship: { id: string } } }[] };
      invitations: { edges: { node: { id: string } }[] };
      activities: { edges: { node: { id: string } }[] };
      viewer: { partner: { id: string } };
      offers: { id: string }[];
    }>({
      query: `{ viewer { partner { id } } offers { id }
        customers(first: 2) { edges { node { id relationship { id } subscriptions(first: 1) { edges { node { id } } } } } }
        invitations(first: 1) { edges { node { id } } } activities(first: 1) { edges { node { id } } } }`,
    });
    const c = data!.customers.edges[0].node as { id: string; relationship: { id: string }; subscriptions: { edges: { node: { id: string } }[] } };
    const ids: Record<string, string> = {
      Customer: c.id,
      ResellerRelationship: c.relationship.id,
      CustomerSubscription: c.subscriptions.edges[0].node.id,
      CustomerInvitation: data!.invitations.edges[0].node.id,
      Activity: data!.activities.edges[0].node.id,
      Partner: data!.viewer.partner.id,
      Offer: data!.offers[0].id,
    };
    expect(new Set(Object.values(ids)).size).toBe(Object.keys(ids).length);
    const query = 'query N($id: ID!) { node(id: $id) { __typename id } }';
    for (const [type, id] of Object.entries(ids)) {
      const own = await t.client(owner.token).raw<{ node: { __typename: string; id: string } | null }>({ query, variables: { id } });
      expect({ type, node: own.data?.node }).toEqual({ type, node: { __typename: type, id } });
      if (type === 'Offer') continue; // the catalog is everyone's
      const foreign = await t.client(stranger.token).raw<{ node: unknown }>({ query, variables: { id } });
      expect({ type, foreign: { status: foreign.status, data: foreign.data, errors: foreign.errors } }).toEqual({
        type,
        foreign: { status: 200, data: { node: null } },
      });
    }
    const many = await t.client(stranger.token).raw<{ nodes: ({ id: string } | null)[] }>({
      query: 'query M($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      variables: { ids: [...Object.values(ids), stranger.id, '0190aaaa-0000-7000-8000-000000000000'] },
    });
    expect(many.data!.nodes).toEqual([null, null, null, null, null, null, { id: data!.offers[0].id }, { id: stranger.id }, null]);
    const mine = await t.client(owner.token).raw<{ nodes: ({ id: string } | null)[] }>({
      query: 'query M($ids: [ID!]!) { nodes(ids: $ids) { id ... on Customer { companyName relationship { id status } } } }',
      variables: { ids: [ids.Customer, ids.ResellerRelationship] },
    });
    expect(mine.data!.nodes).toEqual([
      { id: ids.Customer, companyName: expect.any(String), relationship: { id: ids.ResellerRelationship, status: 'ACTIVE' } },
      { id: ids.ResellerRelationship },
    ]);
  });

  it('takes 1 to 100 ids, and refuses anonymous callers', async () => {
    const query = 'query M($ids: [ID!]!) { nodes(ids: $ids) { id } }';
    const ids = Array.from({ length: 101 }, (_, i) => `0190aaaa-0000-7000-8000-${String(i).padStart(12, '0')}`);
    const tooMany = await t.client(owner.token).raw({ query, variables: { ids } });
    expect(tooMany.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['ids'] });
    const none = await t.client(owner.token).raw({ query, variables: { ids: [] } });
    expect(none.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await t.client().raw({ query: `{ node(id: "${customerIds[0]}") { id } }` });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses what is not an id with BAD_USER_INPUT naming the variable, never a 5xx', async () => {
    const one = 'query N($id: ID!) { node(id: $id) { id } }';
    const many = 'query M($ids: [ID!]!) { nodes(ids: $ids) { id } }';
    const bad: [string, Record<string, unknown>, string][] = [
      [one, { id: 'x'.repeat(10_000) }, 'id'],
      [one, { id: 'a\u200bb' }, 'id'],
      [one, { id: 42.5 }, 'id'],
      [one, { id: { id: customerIds[0] } }, 'id'],
      [one, { id: "1' OR '1'='1" }, 'id'],
      [many, { ids: [customerIds[0], '../etc/passwd'] }, 'ids'],
      [many, { ids: [customerIds[0], null] }, 'ids'],
    ];
    for (const [query, variables, field] of bad) {
      const res = await t.client(owner.token).raw({ query, variables });
      expect({ variables, status: res.status, code: res.errors?.[0].extensions?.code }).toEqual({ variables, status: 400, code: 'BAD_USER_INPUT' });
      expect(JSON.stringify(res.errors?.[0].extensions?.fields)).toContain(field);
    }
  });
});
