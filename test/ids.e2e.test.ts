import { randomUUID } from 'node:crypto';
import { EventType } from '../src/events/catalog';
import { OffersDocument } from './generated/graphql';
import type { GqlResponse, WsClient } from './support/client';
import { stream } from './support/events';
import { createCustomer, createPartner, customerInput, type TestPartner } from './support/factories';
import { requestAdmin } from './support/admin-relationships';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer } from './support/test-server';
import { createEndpoint, startReceiver, until } from './support/webhooks';

/**
 * Ids are compared exactly everywhere: in SQL (binary collation on MariaDB, SQLite's default) and in
 * JavaScript (the event fan-out, webhooks, the scope). So every `ID` a client sends is checked against
 * the server's id format (a UUID, or a slug such as an offer's) and taken in lower case, and anything
 * else is BAD_USER_INPUT naming the field, before any SQL runs.
 */
let t: TestServer;
let provider: TestPartner;
let reseller: TestPartner;
let operator: string;
let offerId: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const sockets: WsClient[] = [];

/** Every letter of an id in the other case, every other one (`0192F4c5-…`): not the stored form. */
const mixedCase = (id: string) => [...id].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');

beforeAll(async () => {
  t = await startTestServer({ MAX_QUERY_COMPLEXITY: '100000' });
  operator = await t.tokens.operator();
  provider = await createPartner(t, 'INDIRECT_PROVIDER');
  reseller = await createPartner(t, 'INDIRECT_RESELLER');
  await partner(t, provider, reseller);
  const { offers } = await t.client(operator).data(OffersDocument);
  offerId = offers.find((o) => o.minQuantity <= 1 && o.maxQuantity >= 1)!.id;
  receiver = await startReceiver([200]);
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await t?.stop();
  await receiver?.stop();
});

const rowCount = async (table: string) => Number((await t.server.ds.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

describe('an id in another letter case is the same id', () => {
  it('createCustomer with the reseller id in upper case stores it in lower case, and the reseller gets all 3 events live and by webhook', async () => {
    const eventTypes = [EventType.CUSTOMER_CREATED, EventType.DELEGATED_ADMIN_GRANTED, EventType.SUBSCRIPTION_CREATED];
    const endpoint = await createEndpoint(t, reseller.token, receiver.url, eventTypes);
    const socket = t.ws(reseller.token);
    sockets.push(socket);
    await socket.ready();
    const live = stream(socket, undefined, eventTypes);
    await new Promise((r) => setTimeout(r, 200));

    const res = await t.client(provider.token).raw<{ createCustomer: { customer: { id: string } } }>({
      query: 'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }',
      variables: {
        input: customerInput({
          companyName: 'Upper Case Reseller Customer',
          indirectResellerId: reseller.id.toUpperCase(),
          subscriptions: [{ offerId: offerId.toUpperCase(), quantity: 1 }],
        }),
      },
    });
    expect(res.errors).toBeUndefined();
    const customerId = res.data!.createCustomer.customer.id;

    const [row] = await t.server.ds.query<{ reseller: string }[]>(`SELECT indirectResellerId AS reseller FROM customer WHERE id = '${customerId}'`);
    expect(row.reseller).toBe(reseller.id);
    const [sub] = await t.server.ds.query<{ offer: string }[]>(`SELECT offerId AS offer FROM subscription WHERE customerId = '${customerId}'`);
    expect(sub.offer).toBe(offerId);

    const events = await live.waitFor(3, 8000);
    expect(events.map((e) => [e.events.type, e.events.customerId]).sort()).toEqual(eventTypes.map((type) => [type, customerId]).sort());
    const hooks = await until(
      '3 webhooks',
      () => receiver.received.filter((h) => h.body.includes(customerId)),
      (h) => h.length >= 3,
    );
    expect(hooks.map((h) => (JSON.parse(h.body) as { type: string }).type).sort()).toEqual([...eventTypes].sort());
    expect(endpoint.endpoint.id).toMatch(/^[0-9a-f-]{36}$/);

    // the reseller reads the customer (and its events) with the id in any case
    const read = await t.client(reseller.token).raw<{ customer: { id: string; companyName: string } | null }>({
      query: 'query ($id: ID!) { customer(id: $id) { id companyName } }',
      variables: { id: customerId.toUpperCase() },
    });
    expect(read.data?.customer).toEqual({ id: customerId, companyName: 'Upper Case Reseller Customer' });
    const filtered = await t.client(reseller.token).raw<{ events: { edges: { node: { type: string } }[] } }>({
      query: 'query ($filter: EventFilter) { events(first: 10, filter: $filter) { edges { node { type } } } }',
      variables: { filter: { customerId: mixedCase(customerId), types: eventTypes } },
    });
    expect(filtered.data?.events.edges.map((e) => e.node.type).sort()).toEqual([...eventTypes].sort());
  });

  it('finds the same row with an id in any case: a query argument, a filter, an inline literal', async () => {
    const customer = await createCustomer(t, provider.token, { companyName: 'Mixed Case Lookup Limited', indirectResellerId: reseller.id });
    const asProvider = t.client(provider.token);
    for (const id of [customer.id.toUpperCase(), mixedCase(customer.id)]) {
      const byVariable = await asProvider.raw<{ customer: { id: string } | null }>({
        query: 'query ($id: ID!) { customer(id: $id) { id } }',
        variables: { id },
      });
      expect(byVariable.data?.customer?.id).toBe(customer.id);
      const byLiteral = await asProvider.raw<{ customer: { id: string } | null }>({ query: `{ customer(id: "${id}") { id } }` });
      expect(byLiteral.data?.customer?.id).toBe(customer.id);
    }
    const listed = await asProvider.raw<{ customers: { edges: { node: { id: string } }[] } }>({
      query: 'query ($filter: CustomerFilter) { customers(first: 100, filter: $filter) { edges { node { id } } } }',
      variables: { filter: { indirectResellerId: mixedCase(reseller.id) } },
    });
    expect(listed.data?.customers.edges.map((e) => e.node.id)).toContain(customer.id);
    const partnerRead = await t.client(operator).raw<{ partner: { id: string } | null }>({
      query: 'query ($id: ID!) { partner(id: $id) { id } }',
      variables: { id: reseller.id.toUpperCase() },
    });
    expect(partnerRead.data?.partner?.id).toBe(reseller.id);
    const trail = await t.client(operator).raw<{ activities: { edges: { node: { partnerId: string | null } }[] } }>({
      query: 'query ($partnerId: ID) { activities(first: 5, partnerId: $partnerId) { edges { node { partnerId } } } }',
      variables: { partnerId: provider.id.toUpperCase() },
    });
    expect(trail.errors).toBeUndefined();
    expect(trail.data!.activities.edges.length).toBeGreaterThan(0);
    expect(trail.data!.activities.edges.every((e) => e.node.partnerId === provider.id)).toBe(true);
  });

  it('takes a list of ids in any case: the same id twice in two cases is the same id twice', async () => {
    const direct = await createPartner(t, 'DIRECT_RESELLER');
    const pending = (await requestAdmin(t, direct.token)).adminRelationship;
    const twice = await t.client(direct.token).raw({
      query: 'mutation ($input: TerminateAdminRelationshipsInput!) { terminateAdminRelationships(input: $input) { __typename } }',
      variables: { input: { adminRelationshipIds: [pending.id, pending.id.toUpperCase()] } },
    });
    expect(twice.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const once = await t.client(direct.token).raw<{
      terminateAdminRelationships: { succeeded: number; results: { adminRelationshipId: string; adminRelationship: { id: string; status: string } | null }[] };
    }>({
      query:
        'mutation ($input: TerminateAdminRelationshipsInput!) { terminateAdminRelationships(input: $input) { succeeded results { adminRelationshipId adminRelationship { id status } } } }',
      variables: { input: { adminRelationshipIds: [mixedCase(pending.id)] } },
    });
    expect(once.errors).toBeUndefined();
    expect(once.data!.terminateAdminRelationships).toEqual({
      succeeded: 1,
      results: [{ adminRelationshipId: pending.id, adminRelationship: { id: pending.id, status: 'TERMINATED' } }],
    });
  });
});

describe('the database compares ids exactly', () => {
  /** columns holding ids besides the varchar(36) ids and references */
  const OTHER_ID_COLUMNS = ['offer.id', 'subscription.offerId', 'activity.subjectId', 'event.audience', 'event_audience.audience', 'tally.owner'];

  it('finds no row for an id in another case in SQL, and every id column is binary (ascii_bin) on MariaDB', async () => {
    const { ds } = t.server;
    expect(await ds.query('SELECT id FROM partner WHERE id = ?', [reseller.id.toUpperCase()])).toEqual([]);
    expect(await ds.query('SELECT id FROM partner WHERE id = ?', [reseller.id])).toEqual([{ id: reseller.id }]);
    const idColumns = ds.entityMetadatas
      .flatMap((m) => m.columns.map((c) => ({ name: `${m.tableName}.${c.databaseName}`, length: c.length })))
      .filter((c) => c.length === '36' || OTHER_ID_COLUMNS.includes(c.name))
      .map((c) => c.name)
      .sort();
    expect(idColumns.length).toBeGreaterThanOrEqual(50);
    expect(idColumns).toEqual(expect.arrayContaining(OTHER_ID_COLUMNS));
    if (ds.options.type === 'mysql' || ds.options.type === 'mariadb') {
      const rows: { name: string; collation: string }[] = await ds.query(
        "SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) AS name, COLLATION_NAME AS collation FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
      );
      const collations = new Map(rows.map((r) => [r.name, r.collation]));
      expect(idColumns.filter((c) => collations.get(c) !== 'ascii_bin')).toEqual([]);
    }
  });
});

describe('anything that is not an id is BAD_USER_INPUT naming the field, and writes nothing', () => {
  const uuid = randomUUID();
  const BAD_IDS: [string, string][] = [
    ['65 characters', 'a'.repeat(65)],
    ['100,000 characters', 'a'.repeat(100_000)],
    ['a UUID with a space', `${uuid.slice(0, 8)} ${uuid.slice(9)}`],
    ['a UUID with a trailing space', `${uuid} `],
    ['a quote', `${uuid}'`],
    ['an injection string', "' OR '1'='1"],
    ['a path', '../../etc/passwd'],
    ['non-ASCII letters (Cyrillic а)', uuid.replace(/[a-f]/, '\u0430')],
    ['the Kelvin sign, which lower-cases to k', '\u212Aelvin'],
    ['full-width digits', '\uFF10\uFF11\uFF12'],
    ['an empty string', ''],
    ['a NUL character', `${uuid}\u0000`],
  ];

  const expectRefused = (res: GqlResponse<unknown>, field: string) => {
    const error = res.errors?.[0];
    expect({ status: res.status, code: error?.extensions?.code, fields: error?.extensions?.fields }).toEqual({
      status: 400,
      code: 'BAD_USER_INPUT',
      fields: [field],
    });
    expect(error!.message.length).toBeLessThan(500);
  };

  it.each(BAD_IDS)('a query argument: %s', async (_what, id) => {
    const res = await t.client(provider.token).raw({ query: 'query ($id: ID!) { customer(id: $id) { id } }', variables: { id } });
    expectRefused(res, 'id');
  });

  it.each(BAD_IDS)('an input field, a list element, a filter: %s', async (_what, id) => {
    const before = await rowCount('customer');
    const create = await t.client(provider.token).raw({
      query: 'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }',
      variables: { input: customerInput({ indirectResellerId: id }) },
    });
    expectRefused(create, 'input.indirectResellerId');
    const order = await t.client(provider.token).raw({
      query: 'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }',
      variables: { input: customerInput({ subscriptions: [{ offerId: id, quantity: 1 }] }) },
    });
    expectRefused(order, 'input.subscriptions[0].offerId');
    expect(await rowCount('customer')).toBe(before);
    const bulk = await t.client(provider.token).raw({
      query: 'mutation ($input: TerminateAdminRelationshipsInput!) { terminateAdminRelationships(input: $input) { __typename } }',
      variables: { input: { adminRelationshipIds: [randomUUID(), id] } },
    });
    expectRefused(bulk, 'input.adminRelationshipIds[1]');
    const filter = await t.client(provider.token).raw({
      query: 'query ($filter: CustomerFilter) { customers(first: 5, filter: $filter) { totalCount } }',
      variables: { filter: { indirectResellerId: id } },
    });
    expectRefused(filter, 'filter.indirectResellerId');
  });

  // a page cursor is the base64url of "k1:" and a row id, compared in SQL with an id column
  const cursorOf = (id: string) => Buffer.from(`k1:${id}`, 'utf8').toString('base64url');
  const CONNECTIONS = [
    'customers',
    'invitations',
    'partners',
    'partnershipRequests',
    'indirectProviders',
    'indirectResellers',
    'webhookEndpoints',
    'adminRelationships',
    'activities',
  ];

  it.each(BAD_IDS.filter(([, id]) => id.length <= 64))('a page cursor holding %s, on every connection (never a 500 on MariaDB)', async (_what, id) => {
    for (const [caller, connections] of [
      [provider.token, CONNECTIONS],
      // the operator's own lists (its activities need a partnerId)
      [operator, ['customers', 'invitations', 'partners', 'adminRelationships']],
    ] as const) {
      for (const connection of connections) {
        const res = await t
          .client(caller)
          .raw({ query: `query ($after: String) { ${connection}(after: $after) { edges { cursor } } }`, variables: { after: cursorOf(id) } });
        const error = res.errors?.[0];
        expect({ connection, code: error?.extensions?.code, fields: error?.extensions?.fields }).toEqual({
          connection,
          code: 'BAD_USER_INPUT',
          fields: ['after'],
        });
      }
    }
    await createCustomer(t, provider.token, { companyName: 'Cursor Holder Limited' });
    const nested = await t.client(provider.token).raw({
      query: 'query ($after: String) { customers(first: 1) { edges { node { subscriptions(after: $after) { edges { cursor } } } } } }',
      variables: { after: cursorOf(id) },
    });
    expect(nested.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it.each(BAD_IDS)('an inline literal: %s', async (_what, id) => {
    const before = await rowCount('customer');
    const literal = JSON.stringify(id);
    const read = await t.client(provider.token).raw({ query: `{ customer(id: ${literal}) { id } }` });
    const create = await t.client(provider.token).raw({
      query: `mutation { createCustomer(input: { companyName: "Literal Id Limited", domain: "literal-${randomUUID().slice(0, 8)}.onmicrosoft.com",
        address: { addressLine1: "1 Main Street", city: "Seattle", postalCode: "98101", country: "US" },
        primaryContact: { firstName: "Ann", lastName: "Lee", email: "ann@literal.example", phoneNumber: "+1 206 555 0100" },
        agreement: { signatoryName: "Ann Lee", signatoryEmail: "ann@literal.example", acceptedAt: "2026-01-15T10:00:00.000Z" },
        indirectResellerId: ${literal} }) { customer { id } } }`,
    });
    for (const res of [read, create]) {
      const error = res.errors?.[0];
      expect(res.status).toBe(400);
      expect(res.data ?? null).toBeNull();
      expect(error?.message).toMatch(/not an id/);
      // the message says what an id is, without echoing a long value back
      expect(error!.message.length).toBeLessThan(500);
    }
    expect(await rowCount('customer')).toBe(before);
  });
});
