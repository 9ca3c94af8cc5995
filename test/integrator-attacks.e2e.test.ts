import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { print } from 'graphql';
import WebSocket from 'ws';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { ManualTokenClock } from '../src/common/clock';
import { CreateCustomerDocument } from './generated/graphql';
import { createPartner, customerInput, type TestPartner } from './support/factories';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from './support/test-server';
import { parseRateLimit } from './support/rate-limit';

/**
 * Attacks on the integrator contract (issue 25): the cost budgets (src/pipeline/budgets.ts, wired in
 * src/pipeline/pipeline.ts), the tenant's quota of live subscriptions (src/pipeline/sockets.ts) and the
 * idempotency keys (src/idempotency/). Each test asserts the secure behaviour; the ones the server
 * fails are listed with a reproduction in the attack's bug list.
 */

const RATE_LIMIT = '{ rateLimit { policy limit cost remaining used resetAt } }';
const PAGE = '{ customers(first: 100) { edges { node { id companyName domain } } } }';
const EVENTS_SUB = 'subscription { events { id type } }';
const CREATE = print(CreateCustomerDocument);

interface Cost {
  requested: number;
  remaining: number;
  limit: number;
  resetAt: string;
}
interface Body {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  extensions?: { cost?: Cost };
}
interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Body;
}

async function send(url: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Body = {};
  try {
    body = JSON.parse(text) as Body;
  } catch {
    // not JSON (an export's CSV)
  }
  return { status: res.status, headers: res.headers, text, body };
}

function postRaw(t: TestServer, token: string | undefined, raw: string, headers: Record<string, string> = {}): Promise<Answer> {
  return send(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: raw,
  });
}

const post = (t: TestServer, token: string | undefined, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) =>
  postRaw(t, token, JSON.stringify({ query, variables }), headers);

/** The caller's buckets as the headers of a `rateLimit` query tell them (the query itself takes 1 point). */
async function buckets(t: TestServer, token: string) {
  const answer = await post(t, token, RATE_LIMIT);
  expect(answer.status).toBe(200);
  return parseRateLimit(answer.headers.get('ratelimit'));
}

/** Spends the caller's budget with pages of customers until it is refused (429); answers the refusal. */
async function exhaust(t: TestServer, token: string): Promise<Answer> {
  for (let i = 0; i < 200; i++) {
    const answer = await post(t, token, PAGE);
    if (answer.status !== 200) return answer;
  }
  throw new Error('the budget never ran out');
}

const sign = (claims: Parameters<typeof signDevToken>[1]) => signDevToken(TEST_JWT_SECRET, claims, '1h');

/** A raw graphql-transport-ws socket, acknowledged, that records every message and its close. */
async function rawSocket(t: TestServer, token: string) {
  const ws = new WebSocket(t.wsUrl, 'graphql-transport-ws');
  const messages: { id?: string; type: string; payload?: unknown }[] = [];
  const waiters: (() => void)[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data: Buffer) => {
    messages.push(JSON.parse(data.toString()) as { id?: string; type: string; payload?: unknown });
    waiters.splice(0).forEach((w) => w());
  });
  const until = (found: () => boolean, what: string, timeoutMs = 5000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} in ${timeoutMs} ms: ${JSON.stringify(messages)}`)), timeoutMs);
      const check = () => {
        if (found()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await until(() => messages.some((m) => m.type === 'connection_ack'), 'connection_ack');
  const subscribe = (id: string, query = EVENTS_SUB, variables?: Record<string, unknown>) =>
    ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  const complete = (id: string) => ws.send(JSON.stringify({ id, type: 'complete' }));
  /** the errors the server sent for `id`: an `error` message, or a `next` with errors (a resolver's refusal); waits for them */
  const refusal = (id: string) =>
    messages.find((m) => m.id === id && (m.type === 'error' || (m.type === 'next' && (m.payload as { errors?: unknown }).errors)));
  const errorsOf = async (id: string) => {
    await until(() => !!refusal(id), `error for ${id}`);
    const found = refusal(id)!;
    return (found.type === 'error' ? found.payload : (found.payload as { errors: unknown }).errors) as {
      message: string;
      extensions?: Record<string, unknown>;
    }[];
  };
  const close = async () => {
    if (ws.readyState === ws.OPEN) ws.close(1000);
    return closed;
  };
  return { ws, messages, subscribe, complete, errorsOf, until, close, closed };
}

/**
 * Whether the partner can still hold `limit` live subscriptions: subscribes limit + 1 on a fresh socket
 * and reads which are refused for the tenant's quota. The quota is given back when the server has run
 * its close hooks, a moment after the client sees its socket close: tried a few times.
 */
async function freePlaces(t: TestServer, token: string, limit: number): Promise<number> {
  let free = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    const s = await rawSocket(t, token);
    const ids = Array.from({ length: limit + 1 }, (_, i) => `probe-${attempt}-${i}`);
    ids.forEach((id) => s.subscribe(id));
    // the last one is always refused (one more than the quota); the ones before it show what was free
    await s.errorsOf(ids[limit]);
    const refused = s.messages.filter((m) => m.type === 'error' && ids.includes(m.id ?? '')).length;
    free = limit + 1 - refused;
    await s.close();
    if (free === limit) return free;
  }
  return free;
}

describe('escaping or sharing the cost budgets', () => {
  let t: TestServer;
  let clock: ManualTokenClock;

  beforeAll(async () => {
    // the budgets' time stands still within a test (nothing refills between two requests)
    clock = new ManualTokenClock();
    t = await startTestServer({ PARTNER_RATE_LIMIT: '20000', USER_RATE_LIMIT: '6000' }, { tokenClock: clock });
  });
  // each test starts at the wall clock's time, so that the tokens it signs are never ahead of the server's
  beforeEach(() => clock.advance(Math.max(0, Date.now() - clock.now())));
  afterAll(() => t?.stop());

  it('charges a GET query what the same query costs by POST', async () => {
    const partner = await createPartner(t);
    const byPost = await post(t, partner.token, PAGE);
    const before = parseRateLimit(byPost.headers.get('ratelimit')).user.r;
    const byGet = await send(`${t.url}?query=${encodeURIComponent(PAGE)}`, { headers: { authorization: `Bearer ${partner.token}` } });
    expect(byGet.status).toBe(200);
    expect(byGet.body.extensions!.cost!.requested).toBe(byPost.body.extensions!.cost!.requested);
    expect(parseRateLimit(byGet.headers.get('ratelimit')).user.r).toBe(before - byPost.body.extensions!.cost!.requested);
  });

  it('refuses a batch (a JSON array of operations) and runs none of it', async () => {
    const partner = await createPartner(t);
    const { user } = await buckets(t, partner.token);
    const batch = await postRaw(t, partner.token, JSON.stringify([{ query: PAGE }, { query: PAGE }, { query: PAGE }]));
    expect(batch.status).toBe(400);
    expect(batch.text).not.toContain('"edges"');
    // at most the request's one point, not three pages
    expect((await buckets(t, partner.token)).user.r).toBeGreaterThanOrEqual(user.r - 2);
  });

  it('charges a persisted query sent by its hash alone its full cost', async () => {
    const partner = await createPartner(t);
    const query = `{ customers(first: 90) { edges { node { id companyName } } } } # ${randomBytes(4).toString('hex')}`;
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const persisted = { persistedQuery: { version: 1, sha256Hash } };
    const unknown = await postRaw(t, partner.token, JSON.stringify({ extensions: persisted }));
    expect(unknown.body.errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await postRaw(t, partner.token, JSON.stringify({ query, extensions: persisted }));
    expect(registered.status).toBe(200);
    const full = registered.body.extensions!.cost!.requested;
    expect(full).toBeGreaterThan(90);
    const byHash = await postRaw(t, partner.token, JSON.stringify({ extensions: persisted }));
    expect(byHash.status).toBe(200);
    expect(byHash.body.extensions!.cost!.requested).toBe(full);
  });

  it('prices aliases, fragments and variables with defaults as what runs', async () => {
    const partner = await createPartner(t);
    const one = (await post(t, partner.token, PAGE)).body.extensions!.cost!.requested;
    const aliased = await post(
      t,
      partner.token,
      '{ a: customers(first: 100) { edges { node { id companyName domain } } } b: customers(first: 100) { edges { node { id companyName domain } } } }',
    );
    expect(aliased.body.extensions!.cost!.requested).toBeGreaterThanOrEqual(2 * one);
    const fragments = await post(
      t,
      partner.token,
      '{ ...A ...B } fragment A on Query { a: customers(first: 100) { ...C } } fragment B on Query { b: customers(first: 100) { ...C } } fragment C on CustomerConnection { edges { node { id companyName domain } } }',
    );
    expect(fragments.body.extensions!.cost!.requested).toBeGreaterThanOrEqual(2 * one);
    // `first` from a variable's default (none sent) and an @include whose default is true
    const defaults = await post(
      t,
      partner.token,
      'query($n: Int = 100, $more: Boolean = true) { customers(first: $n) { edges { node { id companyName domain } } } again: customers(first: $n) @include(if: $more) { edges { node { id companyName domain } } } }',
    );
    expect(defaults.status).toBe(200);
    expect(defaults.body.extensions!.cost!.requested).toBeGreaterThanOrEqual(2 * one);
  });

  it('charges every subscribe over the WebSocket, so that a subscribe/complete loop spends the budget', async () => {
    const partner = await createPartner(t);
    const start = (await buckets(t, partner.token)).user.r;
    const s = await rawSocket(t, partner.token);
    s.subscribe('once');
    s.complete('once');
    await s.close();
    const afterOne = (await buckets(t, partner.token)).user.r;
    const perSubscribe = start - afterOne - 1;
    expect(perSubscribe).toBeGreaterThan(0);
    const loop = await rawSocket(t, partner.token);
    for (let i = 0; i < 10; i++) {
      loop.subscribe(`loop-${i}`);
      loop.complete(`loop-${i}`);
    }
    // a probe answered after the loop: a subscribe refused for its document
    loop.subscribe('probe', '{ rateLimit { cost } }');
    await loop.errorsOf('probe');
    await loop.close();
    expect((await buckets(t, partner.token)).user.r).toBeLessThanOrEqual(afterOne - 1 - 10 * perSubscribe);
  });

  it('binds the partner budget across its users: a second, third… token with another `sub` does not get a fresh one', async () => {
    const partner = await createPartner(t);
    let refusedBy: unknown;
    for (let n = 0; n < 20 && !refusedBy; n++) {
      const token = await t.tokens.partner(partner.id, Role.ADMIN_AGENT, `sub-${n}-${randomBytes(3).toString('hex')}`);
      const refusal = await exhaust(t, token);
      expect(refusal.status).toBe(429);
      refusedBy = refusal.body.errors![0].extensions!.policy === 'partner' ? 'partner' : undefined;
    }
    expect(refusedBy).toBe('partner');
    const fresh = await t.tokens.partner(partner.id, Role.SALES_AGENT, `never-seen-${randomBytes(3).toString('hex')}`);
    expect((await post(t, fresh, PAGE)).status).toBe(429);
  });

  it("does not let one partner's users spend another tenant's budgets, whatever their `sub` (no key collisions)", async () => {
    const attacker = await createPartner(t);
    const victim = await createPartner(t);
    const victimUser = await t.tokens.partner(victim.id, Role.ADMIN_AGENT, 'victim');
    const victimStart = await buckets(t, victimUser);
    // subjects shaped like the victim's bucket keys, and the victim's own subject
    const subs = ['victim', `${victim.id}:victim`, `partner:${victim.id}:victim`, `:${victim.id}`, `user:partner:${victim.id}:victim`];
    for (const sub of subs) expect((await exhaust(t, await t.tokens.partner(attacker.id, Role.ADMIN_AGENT, sub))).status).toBe(429);
    const victimNow = await buckets(t, victimUser);
    expect(victimNow.user.r).toBe(victimStart.user.r - 1);
    expect(victimNow.partner.r).toBe(victimStart.partner.r - 1);
    // nor the budget of a customer the attacker created (a customer's users have their own)
    const created = await post(t, victim.token, CREATE, { input: customerInput() });
    const customerId = (created.body.data!.createCustomer as { customer: { id: string } }).customer.id;
    const customerToken = await t.tokens.customer(customerId, 'victim');
    const customer = await buckets(t, customerToken);
    expect(Object.keys(customer).sort()).toEqual(['customer', 'user']);
    expect(customer.customer.r).toBe(20000 - 1);
    expect(customer.user.r).toBe(6000 - 1);
  });

  it('shows a caller only its own numbers: the headers and extensions of another partner stay untouched by a flood', async () => {
    const flooder = await createPartner(t);
    const quiet = await createPartner(t);
    await exhaust(t, flooder.token);
    const answer = await post(t, quiet.token, PAGE);
    expect(answer.status).toBe(200);
    const cost = answer.body.extensions!.cost!;
    const header = parseRateLimit(answer.headers.get('ratelimit'));
    expect(header.partner.r).toBe(20000 - cost.requested);
    expect(header.user.r).toBe(6000 - cost.requested);
    expect(cost.remaining).toBe(6000 - cost.requested);
  });

  it('refuses tokens mixing the operator with a tenant (stray claims): no way to look like the exempt operator', async () => {
    const partner = await createPartner(t);
    const created = await post(t, partner.token, CREATE, { input: customerInput() });
    const customerId = (created.body.data!.createCustomer as { customer: { id: string } }).customer.id;
    const mixed = [
      await sign({ sub: 'operator-1', roles: [Role.PLATFORM_ADMIN], partnerId: partner.id }),
      await sign({ sub: 'operator-1', roles: [Role.PLATFORM_ADMIN, Role.GLOBAL_ADMIN], partnerId: partner.id }),
      await sign({ sub: 'operator-1', roles: [Role.PLATFORM_ADMIN], customerId }),
      await sign({ sub: 'x', roles: [Role.GLOBAL_ADMIN], partnerId: partner.id, customerId }),
      await sign({ sub: 'x', roles: [Role.CUSTOMER_ADMIN, Role.GLOBAL_ADMIN], partnerId: partner.id, customerId }),
    ];
    for (const token of mixed) {
      const answer = await post(t, token, PAGE);
      expect(answer.status).toBe(401);
      expect(answer.body.data ?? null).toBeNull();
    }
    // a partner's user whose subject is the operator's is a partner's user: charged
    const lookalike = await t.tokens.partner(partner.id, Role.GLOBAL_ADMIN, 'operator-1');
    const charged = await post(t, lookalike, RATE_LIMIT);
    expect(charged.body.data!.rateLimit).toMatchObject({ policy: 'user' });
    expect(charged.headers.get('ratelimit-policy')).toContain('"partner"');
  });

  it('gives an anonymous caller no tenant numbers and no rateLimit', async () => {
    const answer = await post(t, undefined, RATE_LIMIT);
    expect(answer.body.data?.rateLimit ?? null).toBeNull();
    expect(answer.body.extensions?.cost).toBeUndefined();
    expect(Object.keys(parseRateLimit(answer.headers.get('ratelimit')))).toEqual(['address']);
  });

  it('charges the audit export (GET /exports/activities) to the budgets: an exhausted partner cannot stream it', async () => {
    const partner = await createPartner(t);
    await post(t, partner.token, CREATE, { input: customerInput() });
    const fine = await send(`${t.url.replace(/\/graphql$/, '')}/exports/activities?format=ndjson`, { headers: { authorization: `Bearer ${partner.token}` } });
    expect(fine.status).toBe(200);
    // every answer to a signed-in caller says where its budgets stand
    expect(fine.headers.get('ratelimit-policy')).toContain('"partner"');
    expect((await exhaust(t, partner.token)).status).toBe(429);
    const over = await send(`${t.url.replace(/\/graphql$/, '')}/exports/activities?format=ndjson`, { headers: { authorization: `Bearer ${partner.token}` } });
    expect(over.status).toBe(429);
  });

  it('charges a subscribe that replays history at least what reading that history costs (events(after:) is not a free full read)', async () => {
    const partner = await createPartner(t);
    for (let i = 0; i < 12; i++) expect((await post(t, partner.token, CREATE, { input: customerInput() })).status).toBe(200);
    const page = await post(t, partner.token, '{ events(first: 100) { edges { cursor node { id type } } } }');
    const edges = (page.body.data!.events as { edges: { cursor: string }[] }).edges;
    expect(edges.length).toBeGreaterThanOrEqual(12);
    // what reading those events by query costs
    const readCost = (await post(t, partner.token, `{ events(first: ${edges.length - 1}, after: "${edges[0].cursor}") { edges { node { id type } } } }`)).body
      .extensions!.cost!.requested;
    const before = (await buckets(t, partner.token)).user.r;
    const s = await rawSocket(t, partner.token);
    s.subscribe('replay', 'subscription($after: String) { events(after: $after) { id type } }', { after: edges[0].cursor });
    await s.until(() => s.messages.filter((m) => m.id === 'replay' && m.type === 'next').length >= edges.length - 1, 'the replayed events');
    await s.close();
    const spent = before - (await buckets(t, partner.token)).user.r - 1;
    expect(spent).toBeGreaterThanOrEqual(readCost);
  });
});

describe("the tenant's quota of live subscriptions (PARTNER_MAX_SUBSCRIPTIONS = 3) cannot be leaked", () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ PARTNER_MAX_SUBSCRIPTIONS: '3', USER_RATE_LIMIT: '100000', PARTNER_RATE_LIMIT: '100000' });
  });
  afterAll(() => t?.stop());

  it('gives the places back when sockets close right after subscribing (mid-onSubscribe)', async () => {
    const partner = await createPartner(t);
    for (let i = 0; i < 6; i++) {
      const s = await rawSocket(t, partner.token);
      s.subscribe(`a-${i}`);
      s.subscribe(`b-${i}`);
      s.ws.terminate();
      await s.closed;
    }
    expect(await freePlaces(t, await t.tokens.partner(partner.id, Role.ADMIN_AGENT, 'other-user'), 3)).toBe(3);
  });

  it('gives the places back after duplicate ids (4409) and after subscriptions refused by their resolver or their document', async () => {
    const partner = await createPartner(t);
    for (let i = 0; i < 4; i++) {
      const s = await rawSocket(t, partner.token);
      s.subscribe('dup');
      s.subscribe('dup');
      expect((await s.closed).code).toBe(4409);
    }
    const s = await rawSocket(t, partner.token);
    for (let i = 0; i < 6; i++) {
      // a cursor that is not one: refused by the resolver once the place was taken
      s.subscribe(`bad-after-${i}`, 'subscription($after: String) { events(after: $after) { id } }', { after: 'not-a-cursor' });
      await s.errorsOf(`bad-after-${i}`);
      s.subscribe(`bad-doc-${i}`, 'subscription { events { nope } }');
      await s.errorsOf(`bad-doc-${i}`);
    }
    await s.close();
    expect(await freePlaces(t, partner.token, 3)).toBe(3);
  });

  it('gives the places back when a client completes an id and subscribes it again before the first subscribe was set up', async () => {
    const partner = await createPartner(t);
    // one user, three short sockets: on each, three frames in one go: subscribe x, complete x, subscribe x
    // again (no 4409: x was completed) while the first subscribe of x is still being checked
    for (let round = 0; round < 3; round++) {
      const s = await rawSocket(t, partner.token);
      s.subscribe('x');
      s.complete('x');
      s.subscribe('x');
      // the second subscribe of x while the first is still being checked: refused as graphql-ws refuses a live
      // duplicate, the socket closed with 4409 (or, when the first was already set up, both run in turn)
      s.subscribe('probe', '{ rateLimit { cost } }');
      const ended = await Promise.race([
        s.closed,
        s.errorsOf('probe').then(
          () => null,
          () => null,
        ),
      ]);
      if (ended) expect(ended.code).toBe(4409);
      await s.close();
    }
    // every place those sockets held is given back with them: another user of the partner can subscribe 3
    expect(await freePlaces(t, await t.tokens.partner(partner.id, Role.ADMIN_AGENT, 'colleague'), 3)).toBe(3);
  });

  it("does not count one partner's subscriptions against another's quota", async () => {
    const busy = await createPartner(t);
    const other = await createPartner(t);
    const s = await rawSocket(t, busy.token);
    ['1', '2', '3'].forEach((id) => s.subscribe(id));
    s.subscribe('4');
    expect((await s.errorsOf('4'))[0].message).toMatch(/live subscriptions, the limit/);
    expect(await freePlaces(t, other.token, 3)).toBe(3);
    await s.close();
  });
});

describe('attacking idempotency keys', () => {
  let t: TestServer;
  /** the keys' and budgets' clock: follows the wall clock only when a test moves it (`catchUp`) */
  let clock: ManualTokenClock;
  const catchUp = () => clock.advance(Math.max(0, Date.now() - clock.now()));
  let contoso: TestPartner;
  let fabrikam: TestPartner;

  const createBody = (input = customerInput()) => JSON.stringify({ query: CREATE, variables: { input } });
  const newKey = () => `attack-${randomBytes(8).toString('hex')}`;
  const customerIdOf = (a: Answer) => (a.body.data?.createCustomer as { customer: { id: string } } | undefined)?.customer.id;
  const countByDomain = async (domain: string) => {
    const rows = await t.server.ds.query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM customer WHERE domain = ?', [domain]);
    return Number(rows[0].n);
  };
  const storedKeys = async () => Number((await t.server.ds.query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM idempotency_key'))[0].n);

  beforeAll(async () => {
    clock = new ManualTokenClock();
    t = await startTestServer({}, { tokenClock: clock });
    contoso = await createPartner(t);
    fabrikam = await createPartner(t);
  });
  beforeEach(catchUp);
  afterAll(() => t?.stop());

  it("never replays one caller's answer to another: another partner, another user, the same `sub` elsewhere, a customer's user", async () => {
    const key = newKey();
    const body = createBody();
    const first = await postRaw(t, contoso.token, body, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    const callers = [
      fabrikam.token,
      await t.tokens.partner(contoso.id, Role.GLOBAL_ADMIN, 'another-user-of-contoso'),
      // the same subject as contoso's first caller, at fabrikam
      await t.tokens.partner(fabrikam.id, Role.GLOBAL_ADMIN, `user-global_admin-${contoso.id.slice(-6)}`),
    ];
    for (const token of callers) {
      const answer = await postRaw(t, token, body, { 'idempotency-key': key });
      expect(answer.headers.get('idempotent-replayed')).toBeNull();
      expect(answer.text).not.toBe(first.text);
      expect(answer.text).not.toContain(customerIdOf(first)!);
    }
  });

  it('answers an expired token 401, never the stored answer', async () => {
    const clock = new ManualTokenClock();
    const own = await startTestServer({}, { tokenClock: clock });
    try {
      const partner = await createPartner(own);
      const key = newKey();
      const body = createBody();
      const first = await postRaw(own, partner.token, body, { 'idempotency-key': key });
      expect(first.status).toBe(200);
      // the token (1 h) expires; the key (24 h) does not
      clock.advance(2 * 60 * 60 * 1000);
      const replay = await postRaw(own, partner.token, body, { 'idempotency-key': key });
      expect(replay.status).toBe(401);
      expect(replay.headers.get('idempotent-replayed')).toBeNull();
      expect(replay.text).not.toContain(customerIdOf(first)!);
      expect(replay.text).not.toContain('temporaryPassword');
    } finally {
      await own.stop();
    }
  });

  it('answers a token of a partner that no longer exists 401, never the stored answer', async () => {
    const partner = await createPartner(t);
    const key = newKey();
    const body = createBody();
    const first = await postRaw(t, partner.token, body, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    const ghost = await t.tokens.partner('0e4c3d2a-1b2c-4d5e-8f90-123456789abc', Role.GLOBAL_ADMIN, `user-global_admin-${partner.id.slice(-6)}`);
    const replay = await postRaw(t, ghost, body, { 'idempotency-key': key });
    expect(replay.status).toBe(401);
    expect(replay.text).not.toContain(customerIdOf(first)!);
  });

  it('replays to the same user with a lowered role only its own answer, and runs nothing again', async () => {
    const partner = await createPartner(t);
    const sub = `lowered-${randomBytes(3).toString('hex')}`;
    const admin = await t.tokens.partner(partner.id, Role.GLOBAL_ADMIN, sub);
    const input = customerInput();
    const body = createBody(input);
    const key = newKey();
    const first = await postRaw(t, admin, body, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    // BILLING_ADMIN may not create customers
    const lowered = await t.tokens.partner(partner.id, Role.BILLING_ADMIN, sub);
    const replay = await postRaw(t, lowered, body, { 'idempotency-key': key });
    expect(await countByDomain(input.domain)).toBe(1);
    // either refused now, or the caller's own answer byte for byte (as Stripe): never something else
    if (replay.headers.get('idempotent-replayed') === 'true') expect(replay.text).toBe(first.text);
    else expect(replay.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses two Idempotency-Key headers (400) rather than reading them as one key "a, b"', async () => {
    const body = createBody();
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        t.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${contoso.token}`, 'idempotency-key': ['first-key', 'second-key'] },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status).toBe(400);
    expect(answer.text).toMatch(/Idempotency-Key/);
  });

  it('compares keys exactly: another letter case is another key; spaces around the value are not part of it (HTTP trims them)', async () => {
    const key = newKey();
    const body = createBody();
    const first = await postRaw(t, contoso.token, body, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    const padded = await postRaw(t, contoso.token, body, { 'idempotency-key': `  ${key}  ` });
    expect(padded.headers.get('idempotent-replayed')).toBe('true');
    expect(padded.text).toBe(first.text);
    const upper = await postRaw(t, contoso.token, body, { 'idempotency-key': key.toUpperCase() });
    expect(upper.headers.get('idempotent-replayed')).toBeNull();
  });

  it('reads the operation Apollo runs: a query picked by operationName in a document with a mutation is not stored, the mutation is', async () => {
    const input = customerInput();
    const doc = `query Peek { rateLimit { cost } } mutation Make($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }`;
    const key = newKey();
    const before = await storedKeys();
    const peek = await postRaw(t, contoso.token, JSON.stringify({ query: doc, operationName: 'Peek', variables: { input } }), { 'idempotency-key': key });
    expect(peek.status).toBe(200);
    expect(await countByDomain(input.domain)).toBe(0);
    expect(await storedKeys()).toBe(before);
    // the key is still free: the same key with the mutation selected runs it once, then replays
    const makeBody = JSON.stringify({ query: doc, operationName: 'Make', variables: { input } });
    const make = await postRaw(t, contoso.token, makeBody, { 'idempotency-key': key });
    expect(make.status).toBe(200);
    const again = await postRaw(t, contoso.token, makeBody, { 'idempotency-key': key });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await countByDomain(input.domain)).toBe(1);
    // an operationName that is not a string: refused by Apollo (400), nothing runs
    const odd = await postRaw(t, contoso.token, JSON.stringify({ query: doc, operationName: ['Make'], variables: { input: customerInput() } }), {
      'idempotency-key': newKey(),
    });
    expect(odd.status).toBe(400);
  });

  it('never runs a mutation twice for one key, whatever mix of bodies races for it (replays, 409 or 422 only)', async () => {
    const key = newKey();
    const inputA = customerInput();
    const inputB = customerInput();
    const bodies = Array.from({ length: 12 }, (_, i) => (i % 2 ? createBody(inputB) : createBody(inputA)));
    const answers = await Promise.all(bodies.map((body) => postRaw(t, contoso.token, body, { 'idempotency-key': key })));
    const made = (await countByDomain(inputA.domain)) + (await countByDomain(inputB.domain));
    expect(made).toBe(1);
    const executed = answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') === null);
    expect(executed).toHaveLength(1);
    const winner = executed[0].text;
    for (const a of answers) {
      if (a.status === 200) expect(a.text).toBe(winner);
      else expect([409, 422]).toContain(a.status);
    }
  });

  it('treats a body with a BOM or other whitespace as another body (422), never as a second run', async () => {
    const input = customerInput();
    const key = newKey();
    const body = createBody(input);
    expect((await postRaw(t, contoso.token, body, { 'idempotency-key': key })).status).toBe(200);
    const spaced = await postRaw(t, contoso.token, JSON.stringify(JSON.parse(body), null, 2), { 'idempotency-key': key });
    expect(spaced.status).toBe(422);
    const bom = await postRaw(t, contoso.token, `\uFEFF${body}`, { 'idempotency-key': key });
    expect([400, 422]).toContain(bom.status);
    expect(await countByDomain(input.domain)).toBe(1);
  });

  it('refuses a body over the limit before the key is claimed: the key stays free', async () => {
    const key = newKey();
    const input = customerInput();
    const huge = JSON.stringify({ query: CREATE, variables: { input }, padding: 'x'.repeat(300 * 1024) });
    const refused = await postRaw(t, contoso.token, huge, { 'idempotency-key': key });
    expect(refused.status).toBe(413);
    const runs = await postRaw(t, contoso.token, createBody(input), { 'idempotency-key': key });
    expect(runs.status).toBe(200);
    expect(runs.headers.get('idempotent-replayed')).toBeNull();
  });

  it('ignores a key on a mutation sent by GET (refused) and on the export: nothing stored', async () => {
    const before = await storedKeys();
    const key = newKey();
    const get = await send(`${t.url}?query=${encodeURIComponent('mutation { __typename }')}`, {
      headers: { authorization: `Bearer ${contoso.token}`, 'idempotency-key': key },
    });
    expect(get.status).toBe(405);
    const exported = await send(`${t.url.replace(/\/graphql$/, '')}/exports/activities?format=csv`, {
      headers: { authorization: `Bearer ${contoso.token}`, 'idempotency-key': key },
    });
    expect(exported.status).toBe(200);
    expect(await storedKeys()).toBe(before);
  });

  it("carries only the caller's own budget numbers on a replay, a 409 or a 422", async () => {
    // now on the clock, which then stands still: no refill between the requests below
    catchUp();
    const key = newKey();
    const body = createBody();
    const first = await postRaw(t, contoso.token, body, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    // fabrikam floods a little; contoso's numbers must not move with it
    for (let i = 0; i < 3; i++) await post(t, fabrikam.token, PAGE);
    const mine = await buckets(t, contoso.token);
    const replay = await postRaw(t, contoso.token, body, { 'idempotency-key': key });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(parseRateLimit(replay.headers.get('ratelimit')).partner.r).toBe(mine.partner.r - 1);
    const reused = await postRaw(t, contoso.token, createBody(), { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(parseRateLimit(reused.headers.get('ratelimit')).partner.r).toBe(mine.partner.r - 2);
  });

  it('answers a persisted query sent by its hash alone with a key as Apollo would: a bad token is 401 before anything else', async () => {
    const hash = createHash('sha256').update('mutation { __typename }').digest('hex');
    const answer = await postRaw(t, 'not-a-token', JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }), {
      'idempotency-key': newKey(),
    });
    expect(answer.status).toBe(401);
  });
});
