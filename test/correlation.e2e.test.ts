import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { CustomerSubscriptionsDocument } from './generated/graphql';
import type { GqlError } from './support/client';
import { pause } from './support/events';
import { createCustomer, createPartner, customerInput, type TestPartner } from './support/factories';
import { partner } from './support/partnerships';
import { freshDatabase, spawnServer, startTestServer, type TestServer } from './support/test-server';
import { createEndpoint, startReceiver, until } from './support/webhooks';

/**
 * Correlation ids: every HTTP request and WebSocket operation has a request id (the client's
 * `x-request-id` when valid, else a new one), echoed in the response header and in every error's
 * `extensions.requestId`, in its log lines, and stored as `correlationId` on the audit records and
 * events it caused (and so in `Event.correlationId` and the webhook payloads).
 */

let t: TestServer;
let provider: TestPartner;
let reseller: TestPartner;
let otherReseller: TestPartner;
let customerId: string;
const sockets: (() => Promise<void>)[] = [];

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  // room for a page of 100 audit records with their changes
  t = await startTestServer({ MAX_QUERY_COMPLEXITY: '100000' });
  provider = await createPartner(t, 'INDIRECT_PROVIDER');
  reseller = await createPartner(t, 'INDIRECT_RESELLER');
  otherReseller = await createPartner(t, 'INDIRECT_RESELLER');
  await partner(t, provider, reseller);
  await partner(t, provider, otherReseller);
  customerId = (await createCustomer(t, provider.token)).id;
});
afterAll(async () => {
  await Promise.all(sockets.map((dispose) => dispose()));
  await t.stop();
});

interface ActivityView {
  id: string;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  correlationId: string | null;
  via: string;
  actor: { userId: string; roles: string[]; partnerId: string | null; customerId: string | null };
  changes: { field: string; before: string | null; after: string | null }[];
}

interface EventView {
  id: string;
  type: string;
  subscriptionId: string | null;
  correlationId: string | null;
}

/** A POST of one operation with the given headers: the status, the `x-request-id` answered and the body. */
async function post(body: unknown, headers: Record<string, string> = {}, token?: string) {
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    requestId: res.headers.get('x-request-id'),
    json: JSON.parse(text) as { data?: Record<string, unknown>; errors?: GqlError[] },
  };
}

const UPDATE = 'mutation ($input: UpdateSubscriptionInput!) { updateSubscription(input: $input) { subscription { id quantity reseller { id } } } }';
const CREATE = 'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id quantity } } }';

/** The caller's audit trail (newest first). */
async function activities(token: string): Promise<ActivityView[]> {
  const res = await t.client(token).raw<{ activities: { edges: { node: ActivityView }[] } }>({
    query:
      '{ activities(first: 100) { edges { node { id action subjectType subjectId correlationId via actor { userId roles partnerId customerId } changes { field before after } } } } }',
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.activities.edges.map((e) => e.node);
}

/** The caller's stored events (oldest first). */
async function events(token: string): Promise<EventView[]> {
  const res = await t.client(token).raw<{ events: { edges: { node: EventView }[] } }>({
    query: '{ events(first: 100) { edges { node { id type subscriptionId correlationId } } } }',
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.events.edges.map((e) => e.node);
}

async function newSubscription(quantity: number, resellerId: string | null, headers: Record<string, string> = {}): Promise<string> {
  const res = await post({ query: CREATE, variables: { input: { customerId, offerId: 'm365-e3', quantity, resellerId } } }, headers, provider.token);
  if (res.json.errors) throw new Error(JSON.stringify(res.json.errors));
  return (res.json.data!.createSubscription as { subscription: { id: string } }).subscription.id;
}

/** A graphql-ws client whose upgrade request carries `headers`. */
function socketWith(headers: Record<string, string>, token?: string) {
  class WithHeaders extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  let onClosed!: (v: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (onClosed = r));
  const client = createClient({
    url: t.wsUrl,
    webSocketImpl: WithHeaders,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: {
      closed: (e) => onClosed({ code: (e as { code?: number }).code ?? 0, reason: String((e as { reason?: string }).reason ?? '') }),
    },
    onNonLazyError: () => {},
  });
  sockets.push(async () => client.dispose());
  return { client, closed };
}

/** The first answer to one operation on the socket: its data or errors (`{}` when none comes within `waitMs`). */
function firstAnswer(
  client: ReturnType<typeof createClient>,
  payload: { query: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown> },
  waitMs = 1500,
): Promise<{ data?: unknown; errors?: GqlError[] }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({}), waitMs);
    client.subscribe(payload, {
      next: (v) => {
        clearTimeout(timer);
        resolve(v as { errors?: GqlError[] });
      },
      error: (e) => {
        clearTimeout(timer);
        resolve({ errors: Array.isArray(e) ? (e as GqlError[]) : [{ message: String((e as Error)?.message ?? e) }] });
      },
      complete: () => {},
    });
  });
}

const BAD_VARIABLE = 'subscription ($types: [EventType!]) { events(types: $types) { id } }';

describe('the acceptance case: updateSubscription with x-request-id', () => {
  it('gives one audit record with the field changes and the correlation id, and one SUBSCRIPTION_UPDATED event carrying it (live, stored, webhook)', async () => {
    const receiver = await startReceiver([200]);
    try {
      await createEndpoint(t, provider.token, receiver.url, ['SUBSCRIPTION_UPDATED']);
      const subscriptionId = await newSubscription(5, reseller.id);
      // the provider's live stream, opened before the change
      const socket = socketWith({}, provider.token);
      const pushed: EventView[] = [];
      socket.client.subscribe<{ events: EventView }>(
        { query: 'subscription { events(types: [SUBSCRIPTION_UPDATED]) { id type subscriptionId correlationId } }' },
        { next: (v) => v.data && pushed.push(v.data.events), error: () => {}, complete: () => {} },
      );
      await pause(300);

      const res = await post(
        { query: UPDATE, variables: { input: { subscriptionId, quantity: 7, resellerId: otherReseller.id } } },
        { 'x-request-id': 'my-req-123' },
        provider.token,
      );
      expect(res.json.errors).toBeUndefined();
      expect(res.status).toBe(200);
      expect(res.requestId).toBe('my-req-123');
      expect(res.json.data!.updateSubscription).toEqual({
        subscription: { id: subscriptionId, quantity: 7, reseller: { id: otherReseller.id } },
      });

      const records = (await activities(provider.token)).filter((a) => a.correlationId === 'my-req-123');
      expect(records).toEqual([
        {
          id: expect.any(String),
          action: 'SUBSCRIPTION_UPDATED',
          subjectType: 'SUBSCRIPTION',
          subjectId: subscriptionId,
          correlationId: 'my-req-123',
          via: 'API',
          actor: { userId: expect.any(String), roles: ['GLOBAL_ADMIN'], partnerId: provider.id, customerId: null },
          changes: [
            { field: 'quantity', before: '5', after: '7' },
            { field: 'resellerId', before: JSON.stringify(reseller.id), after: JSON.stringify(otherReseller.id) },
          ],
        },
      ]);

      const stored = (await events(provider.token)).filter((e) => e.type === 'SUBSCRIPTION_UPDATED' && e.subscriptionId === subscriptionId);
      expect(stored).toEqual([{ id: expect.any(String), type: 'SUBSCRIPTION_UPDATED', subscriptionId, correlationId: 'my-req-123' }]);
      // the resellers of record before and after read the same event with the same id
      for (const r of [reseller, otherReseller]) {
        expect((await events(r.token)).filter((e) => e.id === stored[0].id)).toEqual(stored);
      }

      await until(
        'the live push',
        () => Promise.resolve(pushed.length),
        (n) => n >= 1,
      );
      expect(pushed).toEqual(stored);

      await until(
        'the webhook',
        () => Promise.resolve(receiver.received.length),
        (n) => n >= 1,
      );
      const payload = JSON.parse(receiver.received[0].body) as EventView;
      expect(payload).toMatchObject({
        id: stored[0].id,
        type: 'SUBSCRIPTION_UPDATED',
        subscriptionId,
        correlationId: 'my-req-123',
      });
    } finally {
      await receiver.stop();
    }
  });

  it('a write without x-request-id is stored under the id the server made and answered', async () => {
    const res = await post({ query: CREATE, variables: { input: { customerId, offerId: 'm365-e3', quantity: 3 } } }, {}, provider.token);
    expect(res.json.errors).toBeUndefined();
    expect(res.requestId).toMatch(UUID_V7);
    const id = (res.json.data!.createSubscription as { subscription: { id: string } }).subscription.id;
    const records = (await activities(provider.token)).filter((a) => a.subjectId === id);
    expect(records.map((r) => [r.action, r.correlationId])).toEqual([['SUBSCRIPTION_CREATED', res.requestId]]);
    const stored = (await events(provider.token)).filter((e) => e.subscriptionId === id);
    expect(stored.map((e) => [e.type, e.correlationId])).toEqual([['SUBSCRIPTION_CREATED', res.requestId]]);
  });
});

describe('HTTP: the x-request-id response header and extensions.requestId', () => {
  it('echoes a valid id, makes one when there is none or it is empty, a different one each time', async () => {
    const query = { query: '{ offers { id } }' };
    for (const id of ['a', 'A.b_c-9', 'x'.repeat(64), '0195f3c2-1111-7abc-8def-0123456789ab']) {
      const res = await post(query, { 'x-request-id': id }, provider.token);
      expect({ id, status: res.status, echoed: res.requestId }).toEqual({ id, status: 200, echoed: id });
    }
    const made = await Promise.all([post(query, {}, provider.token), post(query, { 'x-request-id': '' }, provider.token), post(query)]);
    for (const res of made) expect(res.requestId).toMatch(UUID_V7);
    expect(new Set(made.map((r) => r.requestId)).size).toBe(3);
  });

  it('puts the id in every error, whichever layer answers, and in the header', async () => {
    const sent = { 'x-request-id': 'err-req-1' };
    // a resolver's refusal (200)
    const subscriptionId = await newSubscription(2, null);
    const input = await post({ query: UPDATE, variables: { input: { subscriptionId, quantity: 100000 } } }, sent, provider.token);
    expect(input.status).toBe(200);
    expect(input.json.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: ['input.quantity'],
      requestId: 'err-req-1',
    });
    expect(input.requestId).toBe('err-req-1');
    // a bad variable (400), a document that does not validate (400), a bad token (401), no token (200)
    const cases: [unknown, string | undefined, number, string][] = [
      [{ query: UPDATE, variables: { input: { subscriptionId: 'not an id!' } } }, provider.token, 400, 'BAD_USER_INPUT'],
      [{ query: '{ nope }' }, provider.token, 400, 'GRAPHQL_VALIDATION_FAILED'],
      [{ query: '{ offers { id } }' }, 'not-a-token', 401, 'UNAUTHENTICATED'],
      [{ query: UPDATE, variables: { input: { subscriptionId, quantity: 3 } } }, undefined, 200, 'UNAUTHENTICATED'],
      // outside GraphQL: a body that is not JSON (400)
      ['{"query": ', provider.token, 400, 'BAD_REQUEST'],
    ];
    for (const [body, token, status, code] of cases) {
      const res = await post(body, sent, token);
      expect({ code, status: res.status, header: res.requestId, error: res.json.errors?.[0].extensions }).toEqual({
        code,
        status,
        header: 'err-req-1',
        error: expect.objectContaining({ code, requestId: 'err-req-1' }),
      });
    }
    // an unknown route (404), a made-up id
    const notFound = await fetch(t.url.replace(/\/graphql$/, '/nowhere'));
    const body = (await notFound.json()) as { errors: GqlError[] };
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-request-id')).toMatch(UUID_V7);
    expect(body.errors[0].extensions).toEqual({ code: 'NOT_FOUND', requestId: notFound.headers.get('x-request-id') });
    // the health endpoints answer it too
    const health = await fetch(t.url.replace(/\/graphql$/, '/healthz'), { headers: { 'x-request-id': 'probe-1' } });
    expect(health.headers.get('x-request-id')).toBe('probe-1');
  });

  it('lets a page send x-request-id and read it back (CORS)', async () => {
    const preflight = await fetch(t.url, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://portal.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-request-id',
      },
    });
    expect(preflight.headers.get('access-control-allow-headers')?.split(',')).toContain('x-request-id');
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { origin: 'https://portal.example', 'content-type': 'application/json', 'x-request-id': 'cors-1' },
      body: JSON.stringify({ query: '{ offers { id } }' }),
    });
    expect(res.headers.get('access-control-expose-headers')?.split(',')).toContain('x-request-id');
    expect(res.headers.get('x-request-id')).toBe('cors-1');
  });
});

describe('a malformed x-request-id: 400, BAD_USER_INPUT naming it, nothing runs', () => {
  it.each([
    ['65 characters', 'x'.repeat(65)],
    ['a space', 'my req'],
    ['another character', 'req/1'],
    ['non-ASCII', 'réq-1'],
  ])('refuses an id with %s and writes nothing', async (_what, bad) => {
    const before = await t.client(provider.token).data(CustomerSubscriptionsDocument, { id: customerId });
    const headers = { 'x-request-id': bad };
    const write = await post({ query: CREATE, variables: { input: { customerId, offerId: 'm365-e3', quantity: 1 } } }, headers, provider.token);
    expect(write.status).toBe(400);
    expect(write.json.data).toBeUndefined();
    expect(write.json.errors).toHaveLength(1);
    const [error] = write.json.errors!;
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['x-request-id'] });
    expect(error.message).toContain('x-request-id');
    // never echoed: the answer has an id of its own
    expect(write.requestId).toMatch(UUID_V7);
    expect(error.extensions?.requestId).toBe(write.requestId);
    const after = await t.client(provider.token).data(CustomerSubscriptionsDocument, { id: customerId });
    expect(after.customer?.subscriptions.totalCount).toBe(before.customer?.subscriptions.totalCount);
    // the same with createCustomer: no customer made
    const customers = await post({ query: '{ customers(first: 1) { totalCount } }' }, {}, provider.token);
    const create = await post(
      {
        query: 'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }',
        variables: { input: customerInput({ companyName: 'Never Made Ltd' }) },
      },
      headers,
      provider.token,
    );
    expect(create.status).toBe(400);
    expect(create.json.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['x-request-id'] });
    expect((await post({ query: '{ customers(first: 1) { totalCount } }' }, {}, provider.token)).json.data).toEqual(customers.json.data);
  });

  it('a valid id next to a malformed one still writes nothing: two headers are one malformed id', async () => {
    const before = await t.client(provider.token).data(CustomerSubscriptionsDocument, { id: customerId });
    const res = await fetch(t.url, {
      method: 'POST',
      headers: [
        ['content-type', 'application/json'],
        ['authorization', `Bearer ${provider.token}`],
        ['x-request-id', 'one'],
        ['x-request-id', 'two'],
      ],
      body: JSON.stringify({ query: CREATE, variables: { input: { customerId, offerId: 'm365-e3', quantity: 1 } } }),
    });
    expect(res.status).toBe(400);
    const after = await t.client(provider.token).data(CustomerSubscriptionsDocument, { id: customerId });
    expect(after.customer?.subscriptions.totalCount).toBe(before.customer?.subscriptions.totalCount);
  });
});

describe('WebSocket: each operation has its id', () => {
  it('`<the upgrade’s x-request-id>.<n>` per subscribe, in every error', async () => {
    const { client } = socketWith({ 'x-request-id': 'sock-1' }, provider.token);
    const first = await firstAnswer(client, { query: BAD_VARIABLE, variables: { types: ['NO_SUCH_TYPE'] } });
    expect(first.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', requestId: 'sock-1.1' });
    const second = await firstAnswer(client, { query: 'subscription { nope }' });
    expect(second.errors?.[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', requestId: 'sock-1.2' });
    const third = await firstAnswer(client, { query: '{ offers { id } }' });
    expect(third.errors?.[0].extensions).toMatchObject({ code: 'BAD_REQUEST', requestId: 'sock-1.3' });
  });

  it('a made-up id without the header; a subscribe may name its own (extensions.requestId), checked the same way', async () => {
    const { client } = socketWith({}, provider.token);
    const made = await firstAnswer(client, { query: BAD_VARIABLE, variables: { types: ['NO_SUCH_TYPE'] } });
    const requestId = String(made.errors?.[0].extensions?.requestId);
    expect(requestId).toMatch(/^[0-9a-f-]{36}\.1$/);
    expect(requestId.slice(0, 36)).toMatch(UUID_V7);
    const own = await firstAnswer(client, {
      query: BAD_VARIABLE,
      variables: { types: ['NO_SUCH_TYPE'] },
      extensions: { requestId: 'op-7' },
    });
    expect(own.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', requestId: 'op-7' });
    for (const bad of ['x'.repeat(65), 'op 7', 42]) {
      const refused = await firstAnswer(client, {
        query: 'subscription { events { id } }',
        extensions: { requestId: bad },
      });
      expect(refused.errors).toHaveLength(1);
      expect(refused.errors?.[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: ['extensions.requestId'],
      });
      expect(String(refused.errors?.[0].extensions?.requestId)).toMatch(/^[0-9a-f-]{36}\.\d+$/);
    }
  });

  it('a socket id that leaves no room for `.<n>` gives each operation a new id', async () => {
    const { client } = socketWith({ 'x-request-id': 'y'.repeat(64) }, provider.token);
    const answer = await firstAnswer(client, { query: BAD_VARIABLE, variables: { types: ['NO_SUCH_TYPE'] } });
    expect(answer.errors?.[0].extensions?.requestId).toMatch(UUID_V7);
  });

  it('a malformed x-request-id on the upgrade closes the socket (4400) naming it', async () => {
    const { closed } = socketWith({ 'x-request-id': 'x'.repeat(65) }, provider.token);
    const { code, reason } = await closed;
    expect(code).toBe(4400);
    expect(reason).toContain('x-request-id');
  });
});

describe('logs', () => {
  it('every line written for a request carries its id', async () => {
    const db = await freshDatabase();
    const server = await spawnServer(db.env);
    try {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'log-req-1' },
        body: JSON.stringify({ query: '{ nope }' }),
      });
      expect(res.status).toBe(400);
      const bad = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'bad id' },
        body: JSON.stringify({ query: '{ offers { id } }' }),
      });
      const badId = bad.headers.get('x-request-id');
      const lines = () =>
        server
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { msg?: string; requestId?: string; code?: string; fields?: string[] });
      await until(
        'the log lines',
        () => Promise.resolve(lines().filter((l) => l.msg === 'operation refused').length),
        (n) => n >= 2,
        5000,
      );
      const refused = lines().filter((l) => l.msg === 'operation refused');
      expect(refused).toEqual([
        expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', requestId: 'log-req-1' }),
        expect.objectContaining({ code: 'BAD_USER_INPUT', fields: ['x-request-id'], requestId: badId }),
      ]);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await db.cleanup();
    }
  });
});
