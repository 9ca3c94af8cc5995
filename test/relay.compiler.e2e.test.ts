import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { parse, print } from 'graphql';
import {
  ConnectionHandler,
  createOperationDescriptor,
  Environment,
  fetchQuery,
  getRequest,
  getSelector,
  Network,
  RecordSource,
  ROOT_ID,
  Store,
  type ConcreteRequest,
  type ReaderFragment,
  type RequestParameters,
  type Variables,
} from 'relay-runtime';
import { CreateSubscriptionDocument } from './generated/graphql';
import { createCustomer, createPartner, type TestPartner } from './support/factories';
import { startTestServer, type TestServer } from './support/test-server';

/**
 * A Relay app against this server: relay-compiler (the npm package's own binary) compiles the documents of
 * test/relay/ against the committed schema/schema.graphql, with `@connection` on a root list and on a nested
 * one, and `@refetchable` on Query and on Customer (the latter makes the compiler require the `Node`
 * interface and `Query.node`). Then the compiled artifacts run through relay-runtime in Node against the
 * real server: a query, its pagination query (the next page merges into the same connection) and the
 * refetch query generated for Customer (through `node(id:)`).
 *
 * The compiler works in a temporary folder: it never writes into the repository.
 */

const FIXTURES = join(__dirname, 'relay');
const SCHEMA = join(__dirname, '..', 'schema', 'schema.graphql');
const RELAY_BIN = join(__dirname, '..', 'node_modules', '.bin', 'relay-compiler');

let dir: string;
let generated: string;
let compile: { status: number | null; output: string };

/** Copies the schema and the fixtures (one `graphql` tag per definition, as relay-compiler reads them) into a temporary project and compiles it. */
function compileFixtures(): { status: number | null; output: string } {
  dir = mkdtempSync(join(tmpdir(), 'pc-relay-'));
  generated = join(dir, 'src', '__generated__');
  mkdirSync(generated, { recursive: true });
  writeFileSync(join(dir, 'schema.graphql'), readFileSync(SCHEMA, 'utf8'));
  for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.graphql'))) {
    // relay-compiler names modules after their file: CustomerCard.js holds CustomerCard_customer
    const definitions = parse(readFileSync(join(FIXTURES, file), 'utf8')).definitions;
    const source = definitions.map((d) => `graphql\`\n${print(d)}\n\`;\n`).join('\n');
    writeFileSync(join(dir, 'src', file.replace(/\.graphql$/, '.js')), source);
  }
  const config = {
    src: './src',
    schema: './schema.graphql',
    language: 'javascript',
    artifactDirectory: './src/__generated__',
    // CommonJS artifacts, so the test can require them
    eagerEsModules: false,
  };
  writeFileSync(join(dir, 'relay.config.json'), JSON.stringify(config, null, 2));
  const res = spawnSync(RELAY_BIN, ['--noWatchman', '--output', 'quiet-with-errors'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  // eslint-disable-next-line no-control-regex
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}${res.error ? String(res.error) : ''}`.replace(/\x1b\[[0-9;]*m/g, '');
  return { status: res.status, output };
}

function artifact<T>(name: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(generated, `${name}.graphql.js`)) as T;
}

let t: TestServer;
let owner: TestPartner;
let customerIds: string[];
let requests: { name: string; variables: Variables }[];

/** A Relay environment whose network posts each operation's text to the real server with the partner's bearer token. */
function relayEnvironment(token: string): Environment {
  const network = Network.create(async (params: RequestParameters, variables: Variables) => {
    requests.push({ name: params.name, variables });
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: params.text, variables }),
    });
    const json = (await res.json()) as { data?: unknown; errors?: unknown[] };
    if (json.errors?.length) throw new Error(`${params.name}: ${JSON.stringify(json.errors)}`);
    return json as never;
  });
  return new Environment({ network, store: new Store(new RecordSource()) });
}

beforeAll(async () => {
  compile = compileFixtures();
  t = await startTestServer();
  owner = await createPartner(t);
  customerIds = [];
  for (let i = 0; i < 5; i++) customerIds.push((await createCustomer(t, owner.token, { companyName: `Relay Compiled ${i} Limited` })).id);
  for (let i = 0; i < 3; i++) {
    await t.client(owner.token).data(CreateSubscriptionDocument, { input: { customerId: customerIds[0], offerId: 'm365-e3', quantity: i + 1 } });
  }
});
/** What relay-runtime (or anything else) printed through console.warn / console.error during a test: its warnings of missing or unexpected fields. */
let printed: string[];
let spies: jest.SpyInstance[] = [];
beforeEach(() => {
  requests = [];
  printed = [];
  spies = (['warn', 'error'] as const).map((level) =>
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void printed.push(`${level}: ${format(...args)}`)),
  );
});
afterEach(() => spies.forEach((s) => s.mockRestore()));
afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('relay-compiler', () => {
  it('compiles @connection and @refetchable (on Query and on Customer) against the committed schema', () => {
    // the compiler's own validation errors, when there are any, are the failure message
    if (compile.status !== 0) throw new Error(`relay-compiler exited with ${compile.status}:\n${compile.output}`);
    expect(compile.status).toBe(0);
    const names = readdirSync(generated).sort();
    expect(names).toEqual(
      [
        'CustomerCardRefetchQuery',
        'CustomerCard_customer',
        'CustomerListPaginationQuery',
        'CustomerListQuery',
        'CustomerList_query',
        'CustomerSubscriptionsPaginationQuery',
        'CustomerSubscriptionsQuery',
        'CustomerSubscriptions_customer',
      ].map((n) => `${n}.graphql.js`),
    );
    // @refetchable on Customer goes through Global Object Identification
    const refetch = artifact<ConcreteRequest>('CustomerCardRefetchQuery');
    expect(refetch.params.text).toMatch(/node\(id: \$id\)/);
    // both directions on the root connection
    const pagination = artifact<ConcreteRequest>('CustomerListPaginationQuery');
    expect(pagination.params.text).toMatch(/customers\(first: \$first, after: \$after, last: \$last, before: \$before/);
    expect(pagination.params.text).toMatch(/hasPreviousPage/);
    expect(pagination.params.text).toMatch(/startCursor/);
  });

  it('writes nothing into the repository', () => {
    expect(readdirSync(FIXTURES).filter((f) => !f.endsWith('.graphql'))).toEqual([]);
    expect(existsSync(join(__dirname, '..', 'relay.config.json'))).toBe(false);
  });
});

describe('relay-runtime', () => {
  it('runs a compiled query, pages its connection forward into the same store records, and refetches a customer through node(id:)', async () => {
    expect(compile.status).toBe(0);
    const environment = relayEnvironment(owner.token);
    const listQuery = artifact<ConcreteRequest>('CustomerListQuery');
    const paginationQuery = artifact<ConcreteRequest>('CustomerListPaginationQuery');
    const listFragment = artifact<ReaderFragment>('CustomerList_query');
    const cardFragment = artifact<ReaderFragment>('CustomerCard_customer');
    const refetchQuery = artifact<ConcreteRequest>('CustomerCardRefetchQuery');

    await fetchQuery(environment, listQuery, { first: 2 }).toPromise();
    const operation = createOperationDescriptor(getRequest(listQuery), { first: 2, search: null });
    const root = environment.lookup(operation.fragment).data as object;
    type ListData = {
      customers: { totalCount: number; edges: { node: { id: string; companyName: string } }[]; pageInfo: { endCursor: string; hasNextPage: boolean } };
    };
    const readList = () => environment.lookup(getSelector(listFragment, root) as never).data as ListData;
    expect(readList().customers.edges.map((e) => e.node.id)).toEqual(customerIds.slice(0, 2));
    expect(readList().customers.totalCount).toBe(5);

    // the next pages, with the pagination query relay-compiler generated: they merge into the same connection
    for (let pageNo = 0; readList().customers.pageInfo.hasNextPage; pageNo++) {
      expect(pageNo).toBeLessThan(3);
      await fetchQuery(environment, paginationQuery, { first: 2, after: readList().customers.pageInfo.endCursor, search: null }).toPromise();
    }
    expect(readList().customers.edges.map((e) => e.node.id)).toEqual(customerIds);
    expect(readList().customers.edges.map((e) => e.node.companyName)).toEqual(customerIds.map((_, i) => `Relay Compiled ${i} Limited`));
    // the store itself: one connection record (keyed by its filter), its edges pointing at one record per customer
    const source = environment.getStore().getSource();
    const connectionId = ConnectionHandler.getConnectionID(ROOT_ID, 'CustomerList_customers', { filter: { search: null } });
    const connection = source.get(connectionId) as { edges: { __refs: string[] } } | undefined;
    expect(connection).toBeDefined();
    const edgeNodes = connection!.edges.__refs.map((ref) => (source.get(ref) as { node: { __ref: string } }).node.__ref);
    expect(edgeNodes).toEqual(customerIds);
    expect(source.get(customerIds[3])).toMatchObject({ __typename: 'Customer', companyName: 'Relay Compiled 3 Limited' });

    // the customer changes on the server (its admin revokes the partner's delegated admin privileges); the
    // refetch query of @refetchable on Customer reads it again through node(id:)
    const customerToken = await t.tokens.customer(customerIds[1]);
    const revoked = await t.client(customerToken).raw({
      query: 'mutation ($input: RevokeDelegatedAdminPrivilegesInput!) { revokeDelegatedAdminPrivileges(input: $input) { customer { id } } }',
      variables: { input: { partnerId: owner.id } },
    });
    expect(revoked.errors).toBeUndefined();
    const privilegesOf = (id: string) => {
      const ref = (source.get(id) as { delegatedAdminPrivileges?: { __ref: string } | null }).delegatedAdminPrivileges;
      return ref ? (source.get(ref.__ref) as unknown as { __typename: string; id: string; status: string }) : ref;
    };
    const before = privilegesOf(customerIds[1]);
    expect(before).toMatchObject({ __typename: 'DelegatedAdminPrivileges', status: 'ACTIVE' });
    requests = [];
    await fetchQuery(environment, refetchQuery, { id: customerIds[1] }).toPromise();
    expect(requests).toEqual([{ name: 'CustomerCardRefetchQuery', variables: { id: customerIds[1] } }]);
    // the same normalized record (the privileges, by their own id) now holds the new state
    expect(privilegesOf(customerIds[1])).toEqual({ ...before, status: 'REVOKED' });
    const refetched = createOperationDescriptor(getRequest(refetchQuery), { id: customerIds[1] });
    const node = (environment.lookup(refetched.fragment).data as { node: object }).node;
    const card = environment.lookup(getSelector(cardFragment, node) as never).data as { id: string; delegatedAdminPrivileges: { id: string; status: string } };
    expect(card).toMatchObject({ id: customerIds[1], delegatedAdminPrivileges: { id: before!.id, status: 'REVOKED' } });
    // and the list, which points at the same record, shows it too
    expect(readList().customers.edges[1].node.id).toBe(customerIds[1]);
    expect(printed).toEqual([]);
  });

  it('pages the same connection backward (last/before) with the generated pagination query, prepending each page', async () => {
    const environment = relayEnvironment(owner.token);
    const paginationQuery = artifact<ConcreteRequest>('CustomerListPaginationQuery');
    const listFragment = artifact<ReaderFragment>('CustomerList_query');
    const vars = { first: null, after: null, last: 2, before: null as string | null, search: null };
    await fetchQuery(environment, paginationQuery, vars).toPromise();
    const root = environment.lookup(createOperationDescriptor(getRequest(paginationQuery), vars).fragment).data as object;
    type ListData = { customers: { edges: { node: { id: string } }[]; pageInfo: { startCursor: string; hasPreviousPage: boolean; hasNextPage: boolean } } };
    const readList = () => environment.lookup(getSelector(listFragment, root) as never).data as ListData;
    expect(readList().customers.edges.map((e) => e.node.id)).toEqual(customerIds.slice(3));
    expect(readList().customers.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    for (let pageNo = 0; readList().customers.pageInfo.hasPreviousPage; pageNo++) {
      expect(pageNo).toBeLessThan(3);
      await fetchQuery(environment, paginationQuery, { ...vars, before: readList().customers.pageInfo.startCursor }).toPromise();
    }
    expect(readList().customers.edges.map((e) => e.node.id)).toEqual(customerIds);
    expect(requests).toHaveLength(3);
    expect(printed).toEqual([]);
  });

  it('pages a nested connection (a customer’s subscriptions) with its pagination query through node(id:)', async () => {
    const environment = relayEnvironment(owner.token);
    const query = artifact<ConcreteRequest>('CustomerSubscriptionsQuery');
    const paginationQuery = artifact<ConcreteRequest>('CustomerSubscriptionsPaginationQuery');
    const fragment = artifact<ReaderFragment>('CustomerSubscriptions_customer');
    await fetchQuery(environment, query, { id: customerIds[0] }).toPromise();
    const operation = createOperationDescriptor(getRequest(query), { id: customerIds[0] });
    const customerRef = (environment.lookup(operation.fragment).data as { customer: object }).customer;
    type Subs = { subscriptions: { edges: { node: { id: string; quantity: number } }[]; pageInfo: { endCursor: string; hasNextPage: boolean } } };
    const read = () => environment.lookup(getSelector(fragment, customerRef) as never).data as Subs;
    expect(read().subscriptions.edges).toHaveLength(2);
    expect(read().subscriptions.pageInfo.hasNextPage).toBe(true);
    await fetchQuery(environment, paginationQuery, { id: customerIds[0], count: 2, cursor: read().subscriptions.pageInfo.endCursor }).toPromise();
    expect(paginationQuery.params.text).toMatch(/node\(id: \$id\)/);
    expect(
      read()
        .subscriptions.edges.map((e) => e.node.quantity)
        .sort(),
    ).toEqual([1, 2, 3]);
    expect(read().subscriptions.pageInfo.hasNextPage).toBe(false);
    expect(requests.map((r) => r.name)).toEqual(['CustomerSubscriptionsQuery', 'CustomerSubscriptionsPaginationQuery']);
    expect(printed).toEqual([]);
  });
});
