import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { loadConfig } from '../src/common/config';
import { lastPosition } from '../src/events/outbox';
import { CreateCustomerDocument, ViewerDocument } from './generated/graphql';
import { GqlClient } from './support/client';
import { stream } from './support/events';
import { createCustomer, createPartner, customerInput, type TestPartner } from './support/factories';
import { scrape, scrapeUntil, type Samples } from './support/metrics';
import { freshDatabase, spawnServer, startTestServer, TEST_JWT_SECRET, type TestServer } from './support/test-server';
import { createEndpoint, startReceiver } from './support/webhooks';

const OPS = 'graphql_operations_total';
const op = (operation: string, type: string, code: string, transport = 'http') => ({ operation, type, code, transport });
const delta = (before: Samples, after: Samples, name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);

let t: TestServer;
let metricsUrl: string;
let partner: TestPartner;

beforeAll(async () => {
  t = await startTestServer({ ANONYMOUS_RATE_LIMIT: '3', WEBHOOK_POLL_INTERVAL: '50ms' });
  metricsUrl = t.server.metricsUrl!;
  partner = await createPartner(t);
});
afterAll(() => t.stop());

describe('/metrics after known traffic', () => {
  it('counts each operation once by its name, type, transport and code, with its duration and cost', async () => {
    const before = await scrape(metricsUrl);
    const client = t.client(partner.token);
    await client.data(ViewerDocument);
    await client.data(ViewerDocument);
    expect(await client.errorCode(CreateCustomerDocument, { input: customerInput({ domain: 'not a domain' }) })).toBe('BAD_USER_INPUT');
    const invalid = await client.raw({ query: 'query Broken { noSuchField }' });
    expect(invalid.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const badToken = await new GqlClient(t.url, 'not-a-token').raw({ query: 'query Viewer { viewer { id } }' });
    expect(badToken.status).toBe(401);
    const after = await scrape(metricsUrl);

    expect(delta(before, after, OPS, op('Viewer', 'query', 'OK'))).toBe(2);
    expect(delta(before, after, OPS, op('CreateCustomer', 'mutation', 'BAD_USER_INPUT'))).toBe(1);
    // refused before its document was resolved: no name or type is read from it
    expect(delta(before, after, OPS, op('none', 'none', 'GRAPHQL_VALIDATION_FAILED'))).toBe(1);
    expect(delta(before, after, OPS, op('none', 'none', 'UNAUTHENTICATED'))).toBe(1);
    expect(delta(before, after, OPS)).toBe(5);
    expect(delta(before, after, 'graphql_operation_duration_seconds_count', { operation: 'Viewer', type: 'query', transport: 'http' })).toBe(2);
    expect(delta(before, after, 'graphql_operation_duration_seconds_sum', { operation: 'Viewer' })).toBeGreaterThan(0);
    // priced: the two Viewer queries and the refused createCustomer (its input is checked after pricing)
    expect(delta(before, after, 'graphql_operation_cost_count', { type: 'query' })).toBe(2);
    expect(delta(before, after, 'graphql_operation_cost_count', { type: 'mutation' })).toBe(1);
    expect(delta(before, after, 'db_query_duration_seconds_count')).toBeGreaterThan(0);
    // Node's own process metrics
    expect(after.has('process_cpu_user_seconds_total')).toBe(true);
    expect(after.has('nodejs_eventloop_lag_seconds')).toBe(true);
  });

  it('counts refusals by the budget that refused them (rate_limited_total{scope})', async () => {
    // the name first comes from a signed-in caller: a caller without a token adds no name (see the next describe)
    await t.client(partner.token).raw({ query: 'query Ping { __typename }' });
    const before = await scrape(metricsUrl);
    const anonymous = new GqlClient(t.url);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await anonymous.raw({ query: 'query Ping { __typename }' })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const after = await scrape(metricsUrl);
    expect(delta(before, after, 'rate_limited_total', { scope: 'address' })).toBe(1);
    expect(delta(before, after, OPS, op('Ping', 'query', 'OK'))).toBe(3);
    expect(delta(before, after, OPS, op('Ping', 'query', 'RATE_LIMITED'))).toBe(1);
  });

  it('follows sockets and subscriptions up and down, and counts the subscribe as a ws operation', async () => {
    const before = await scrape(metricsUrl);
    const ws = t.ws(partner.token);
    await ws.ready();
    await scrapeUntil(metricsUrl, (s) => delta(before, s, 'ws_connections') === 1);
    const sub = stream(ws);
    const subscribed = await scrapeUntil(metricsUrl, (s) => delta(before, s, 'ws_subscriptions', { field: 'events' }) === 1);
    expect(delta(before, subscribed, OPS, op('Stream', 'subscription', 'OK', 'ws'))).toBe(1);
    const second = stream(ws);
    await scrapeUntil(metricsUrl, (s) => delta(before, s, 'ws_subscriptions', { field: 'events' }) === 2);
    sub.dispose();
    await scrapeUntil(metricsUrl, (s) => delta(before, s, 'ws_subscriptions', { field: 'events' }) === 1);
    // closing the socket ends its subscriptions too
    await ws.close();
    const closed = await scrapeUntil(
      metricsUrl,
      (s) => delta(before, s, 'ws_connections') === 0 && delta(before, s, 'ws_subscriptions', { field: 'events' }) === 0,
    );
    expect(second.errors).toEqual([]);
    expect(delta(before, closed, OPS, op('Stream', 'subscription', 'OK', 'ws'))).toBe(2);
  });

  it('counts dispatched events and their pushes, and the outbox lag returns to 0', async () => {
    const ws = t.ws(partner.token);
    await ws.ready();
    const sub = stream(ws);
    await scrapeUntil(metricsUrl, (s) => s.value('ws_subscriptions', { field: 'events' }) >= 1);
    const before = await scrape(metricsUrl);
    const first = await lastPosition(t.server.ds);
    await createCustomer(t, partner.token);
    await t.server.services.events.settled();
    const newest = await lastPosition(t.server.ds);
    expect(newest).toBeGreaterThan(first);
    await sub.waitFor(1);
    const after = await scrapeUntil(metricsUrl, (s) => delta(before, s, 'event_push_duration_seconds_count') >= 1);
    expect(delta(before, after, 'events_dispatched_total')).toBe(newest - first);
    expect(after.value('event_outbox_lag')).toBe(0);
    await ws.close();

    // events left unpublished (as by a server that died between its commit and the hand-over): the lag counts them
    await t.server.ds.query('UPDATE event SET publishedAt = NULL WHERE position > ?', [first]);
    expect((await scrape(metricsUrl)).value('event_outbox_lag')).toBe(newest - first);
    await t.server.services.events.dispatcher.dispatchPending(0);
    const handedOn = await scrape(metricsUrl);
    expect(handedOn.value('event_outbox_lag')).toBe(0);
    expect(delta(after, handedOn, 'events_dispatched_total')).toBe(newest - first);
  });

  it('counts webhook deliveries by outcome with their duration, and the queue empties', async () => {
    const receiver = await startReceiver([200]);
    try {
      const other = await createPartner(t);
      await createEndpoint(t, other.token, receiver.url, ['CUSTOMER_CREATED']);
      const before = await scrape(metricsUrl);
      await createCustomer(t, other.token);
      const after = await scrapeUntil(metricsUrl, (s) => delta(before, s, 'webhook_deliveries_total', { outcome: 'succeeded' }) === 1);
      expect(receiver.received).toHaveLength(1);
      expect(delta(before, after, 'webhook_deliveries_total', { outcome: 'failed' })).toBe(0);
      expect(delta(before, after, 'webhook_delivery_duration_seconds_count')).toBe(1);
      await scrapeUntil(metricsUrl, (s) => s.value('webhook_queue_depth') === 0);
      expect(after.value('webhook_endpoints_disabled')).toBe(0);
    } finally {
      await receiver.stop();
    }
  });
});

describe('labels stay few', () => {
  it('keeps the first METRICS_MAX_OPERATION_NAMES names of signed-in callers and counts later ones, and those of callers without a token, as `other`; unnamed ones as `anonymous`', async () => {
    const small = await startTestServer({ METRICS_MAX_OPERATION_NAMES: '2' });
    try {
      // a caller without a token adds no name: its operations count as `other`, and take no place
      for (const name of ['Squat1', 'Squat2', 'Squat3']) await small.client().raw({ query: `query ${name} { __typename }` });
      const client = small.client(await small.tokens.operator());
      for (const name of ['First', 'Second', 'Third', 'Fourth', 'First']) await client.raw({ query: `query ${name} { __typename }` });
      await client.raw({ query: '{ __typename }' });
      // a variable's value is never a label
      await client.raw({ query: 'query Second($id: ID!) { node(id: $id) { id } }', variables: { id: 'secret-looking-value' } });
      const s = await scrape(small.server.metricsUrl!);
      expect(s.value(OPS, { operation: 'First' })).toBe(2);
      expect(s.value(OPS, { operation: 'Second' })).toBe(2);
      expect(s.value(OPS, { operation: 'other' })).toBe(5);
      expect(s.value(OPS, { operation: 'anonymous' })).toBe(1);
      expect(s.text).not.toMatch(/Squat|Third|Fourth|secret-looking-value/);
    } finally {
      await small.stop();
    }
  });
});

describe('who may scrape', () => {
  it('METRICS_TOKEN: /metrics on the public port answers 401 without the token or with another one', async () => {
    const token = 'metrics-token-for-the-test-0123456789';
    const guarded = await startTestServer({ METRICS_TOKEN: token });
    try {
      const url = guarded.server.metricsUrl!;
      expect(new URL(url).port).toBe(String(guarded.server.port));
      const none = await fetch(url);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await none.text()).not.toMatch(/graphql_operations_total/);
      expect((await fetch(url, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: token } })).status).toBe(401);
      const samples = await scrape(url, token);
      expect(samples.has('process_cpu_user_seconds_total')).toBe(true);
    } finally {
      await guarded.stop();
    }
  });

  it('METRICS_PORT: /metrics is served on its own listener only; the public port does not have it', async () => {
    const separate = await startTestServer({ METRICS_PORT: '0' });
    try {
      const url = separate.server.metricsUrl!;
      expect(new URL(url).port).not.toBe(String(separate.server.port));
      expect(new URL(url).hostname).toBe('127.0.0.1');
      expect((await fetch(`http://localhost:${separate.server.port}/metrics`)).status).toBe(404);
      await separate.client(await separate.tokens.operator()).raw({ query: 'query Ping { __typename }' });
      expect((await scrape(url)).value(OPS, op('Ping', 'query', 'OK'))).toBe(1);
      expect((await fetch(url.replace('/metrics', '/graphql'))).status).toBe(404);
    } finally {
      await separate.stop();
    }
  });

  it('production without METRICS_PORT or METRICS_TOKEN: nothing is collected and /metrics is not found', async () => {
    const prod = await startTestServer({
      NODE_ENV: 'production',
      CORS_ORIGINS: 'https://portal.example.test',
      WEBHOOK_SECRET_KEY: 'prod-like-webhook-key-for-the-test-only-0123456789',
    });
    try {
      expect(prod.server.metrics).toBeUndefined();
      expect((await fetch(`http://localhost:${prod.server.port}/metrics`)).status).toBe(404);
    } finally {
      await prod.stop();
    }
  });

  it('refuses a METRICS_TOKEN too short to be a secret, and a METRICS_PORT that is not a port', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
  });
});

describe('operation log lines', () => {
  /** The JSON lines the spawned server wrote with message `msg`. */
  const lines = (output: string, msg: string) =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === msg);

  it('one info line per operation (request id, operation, caller ids, duration, code, cost); a slow one at warn with its SQL count', async () => {
    const [normal, slow] = await Promise.all([freshDatabase(), freshDatabase()]);
    const [a, b] = await Promise.all([spawnServer(normal.env), spawnServer(slow.env, { SLOW_OPERATION_MS: '0' })]);
    try {
      const operator = await signDevToken(TEST_JWT_SECRET, { sub: 'log-operator', roles: [Role.PLATFORM_ADMIN] });
      const post = (url: string, query: string, requestId: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}`, 'x-request-id': requestId },
          body: JSON.stringify({ query }),
        });
      await post(a.url, 'query Ping { __typename }', 'log-test-ok');
      await post(a.url, 'query Missing { node(id: "00000000-0000-7000-8000-000000000000") { id } }', 'log-test-missing');
      await post(b.url, 'query Partners { partners(first: 5) { totalCount } }', 'log-test-slow');
      const until = Date.now() + 5000;
      while (Date.now() < until && (lines(a.output(), 'operation').length < 2 || lines(b.output(), 'slow operation').length < 1))
        await new Promise((r) => setTimeout(r, 25));

      const ok = lines(a.output(), 'operation').find((l) => l.requestId === 'log-test-ok');
      expect(ok).toMatchObject({ level: 30, transport: 'http', operation: 'Ping', type: 'query', kind: 'operator', userId: 'log-operator', code: 'OK' });
      expect(typeof ok?.durationMs).toBe('number');
      expect(typeof ok?.cost).toBe('number');
      const missing = lines(a.output(), 'operation').find((l) => l.requestId === 'log-test-missing');
      expect(missing).toMatchObject({ operation: 'Missing', code: 'OK' });
      // never the token
      expect(a.output()).not.toContain(operator);

      const slowLine = lines(b.output(), 'slow operation').find((l) => l.requestId === 'log-test-slow');
      expect(slowLine).toMatchObject({ level: 40, operation: 'Partners', type: 'query', code: 'OK' });
      expect(slowLine?.sql).toBeGreaterThan(0);
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
      await Promise.all([normal.cleanup(), slow.cleanup()]);
    }
  }, 60_000);
});
