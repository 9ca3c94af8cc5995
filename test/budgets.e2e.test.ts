import { getIntrospectionQuery, parse } from 'graphql';
import { ManualTokenClock } from '../src/common/clock';
import { Role } from '../src/common/auth/roles';
import { firstAnswerOverSocket } from './support/client';
import { createPartner, customerInput } from './support/factories';
import { redisAvailable, startRedis } from './support/redis';
import { startTestServer, type TestServer } from './support/test-server';
import { parseRateLimit } from './support/rate-limit';

/**
 * Cost budgets per tenant and per user (src/pipeline/budgets.ts): every answer says where they stand
 * (RateLimit-Policy, RateLimit, extensions.cost, Query.rateLimit), an operation beyond them is 429
 * RATE_LIMITED with Retry-After and runs nothing, and they refill with time (the server's token
 * clock, moved here instead of waited for).
 */

const RATE_LIMIT = '{ rateLimit { policy limit cost remaining used resetAt } }';
const CUSTOMERS = '{ customers(first: 20) { totalCount edges { node { id companyName domain } } } }';
const CREATE = 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }';

interface Answer {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
    extensions?: { cost?: { requested: number; remaining: number; limit: number; resetAt: string } };
  };
}

async function post(t: TestServer, token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

describe('cost budgets', () => {
  const clock = new ManualTokenClock();
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ PARTNER_RATE_LIMIT: '3000', USER_RATE_LIMIT: '1200' }, { tokenClock: clock });
  });
  afterAll(() => t?.stop());

  it('every answer carries RateLimit-Policy, RateLimit and extensions.cost, consistent with Query.rateLimit; they fall with each operation and refill with time', async () => {
    const partner = await createPartner(t);
    const first = await post(t, partner.token, RATE_LIMIT);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"partner";q=3000;w=60, "user";q=1200;w=60');
    // the user's bucket binds (it is the smaller); rateLimit itself costs 1
    const rl = first.body.data!.rateLimit as { policy: string; limit: number; cost: number; remaining: number; used: number; resetAt: string };
    expect(rl).toMatchObject({ policy: 'user', limit: 1200, cost: 1, remaining: 1199, used: 1 });
    expect(first.body.extensions!.cost).toEqual({ requested: 1, remaining: 1199, limit: 1200, resetAt: rl.resetAt });
    expect(parseRateLimit(first.headers.get('ratelimit'))).toEqual({ partner: { r: 2999, t: 1 }, user: { r: 1199, t: 1 } });
    // 1 point of 1,200 per minute comes back in 50 ms
    expect(Date.parse(rl.resetAt) - clock.now()).toBe(50);

    const page = await post(t, partner.token, CUSTOMERS);
    const cost = page.body.extensions!.cost!;
    expect(cost.requested).toBeGreaterThan(20);
    expect(cost.remaining).toBe(1199 - cost.requested);
    const header = parseRateLimit(page.headers.get('ratelimit'));
    expect(header.user.r).toBe(cost.remaining);
    expect(header.partner.r).toBe(2999 - cost.requested);
    expect(header.user.t).toBe(Math.ceil(((1 + cost.requested) * 60) / 1200));

    // 15 s later a quarter of each budget has come back (capped at the limit)
    clock.advance(15_000);
    const later = await post(t, partner.token, RATE_LIMIT);
    const after = later.body.data!.rateLimit as { remaining: number; used: number };
    expect(after.remaining).toBe(Math.min(1200, 1199 - cost.requested + 300) - 1);
    expect(after.used).toBe(1200 - after.remaining);
    expect(parseRateLimit(later.headers.get('ratelimit')).partner.r).toBe(Math.min(3000, 2999 - cost.requested + 750) - 1);
    // a minute idle: full again
    clock.advance(60_000);
    expect(((await post(t, partner.token, RATE_LIMIT)).body.data!.rateLimit as { remaining: number }).remaining).toBe(1199);
  });

  it('over the user budget: 429 RATE_LIMITED with Retry-After, nothing runs, and it passes once refilled', async () => {
    const partner = await createPartner(t);
    const operator = t.client(await t.tokens.operator());
    // spend the user's 1,200 points on pages of customers
    let answer: Answer;
    let spent = 0;
    do {
      answer = await post(t, partner.token, CUSTOMERS);
      if (answer.status === 200) spent += answer.body.extensions!.cost!.requested;
    } while (answer.status === 200 && spent < 5000);
    expect(answer.status).toBe(429);
    expect(spent).toBeLessThanOrEqual(1200);
    const error = answer.body.errors![0];
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', policy: 'user' });
    expect(error.message).toMatch(/budget of 1200 cost points per minute/);
    const retryAfter = Number(answer.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(error.extensions!.retryAfterSeconds).toBe(retryAfter);
    expect(answer.headers.get('ratelimit-policy')).toBe('"partner";q=3000;w=60, "user";q=1200;w=60');
    expect(parseRateLimit(answer.headers.get('ratelimit')).user.r).toBeLessThan(100);

    // a mutation refused by the budget writes nothing
    const domain = `over-budget-${Date.now()}.example`;
    const refused = await post(t, partner.token, CREATE, { input: customerInput({ domain }) });
    expect(refused.status).toBe(429);
    expect(refused.body.data ?? null).toBeNull();
    const found = await operator.raw<{ customers: { totalCount: number } }>({
      query: 'query($s: String) { customers(first: 1, filter: { search: $s }) { totalCount } }',
      variables: { s: domain },
    });
    expect(found.data!.customers.totalCount).toBe(0);

    // after its Retry-After on the clock the same request runs
    const wait = Number(refused.headers.get('retry-after'));
    expect(refused.body.errors![0].extensions!.retryAfterSeconds).toBe(wait);
    clock.advance(wait * 1000);
    const again = await post(t, partner.token, CREATE, { input: customerInput({ domain }) });
    expect(again.status).toBe(200);
    expect(again.body.errors).toBeUndefined();
  });

  it("the partner's budget is shared by its users; another partner's is its own", async () => {
    const partner = await createPartner(t);
    const other = await createPartner(t);
    const users = await Promise.all([1, 2, 3].map((n) => t.tokens.partner(partner.id, Role.ADMIN_AGENT, `agent-${n}-${partner.id.slice(-6)}`)));
    // three users, 1,200 points each at most, against 3,000 for the partner: the partner's runs out
    let refusedBy: unknown;
    for (let i = 0; i < 200 && !refusedBy; i++) {
      const answer = await post(t, users[i % 3], CUSTOMERS);
      if (answer.status === 429) refusedBy = answer.body.errors![0].extensions!.policy;
    }
    expect(refusedBy).toBe('partner');
    const fresh = await t.tokens.partner(partner.id, Role.ADMIN_AGENT, `agent-4-${partner.id.slice(-6)}`);
    expect((await post(t, fresh, CUSTOMERS)).status).toBe(429);
    const untouched = await post(t, other.token, RATE_LIMIT);
    expect(untouched.status).toBe(200);
    expect((untouched.body.data!.rateLimit as { remaining: number }).remaining).toBe(1199);
  });

  it('introspection is charged what it costs: varied documents cannot be sent without end, even answered from the cache', async () => {
    const partner = await createPartner(t);
    const full = getIntrospectionQuery();
    // 4,939 points, more than the user's whole budget: it runs on a full budget and leaves it in debt
    const first = await post(t, partner.token, full);
    expect(first.status).toBe(200);
    expect(first.body.extensions!.cost).toMatchObject({ remaining: 0, limit: 1200 });
    expect(first.body.extensions!.cost!.requested).toBeGreaterThan(1200);
    // another spelling of it (not the cached text), and the same one again: refused until the debt is paid back
    const varied = await post(t, partner.token, `${full}\n# variant 2`);
    expect(varied.status).toBe(429);
    expect(Number(varied.headers.get('retry-after'))).toBeGreaterThan(60);
    expect((await post(t, partner.token, full)).status).toBe(429);
    clock.advance(Number(varied.headers.get('retry-after')) * 1000);
    expect((await post(t, partner.token, `${full}\n# variant 3`)).status).toBe(200);
  });

  it('a document refused before it is priced costs one point and still carries the headers', async () => {
    const partner = await createPartner(t);
    const bad = await post(t, partner.token, '{ customers(first: 1) { nope } }');
    expect(bad.status).toBe(400);
    expect(parseRateLimit(bad.headers.get('ratelimit')).user.r).toBe(1199);
    expect(bad.body.extensions!.cost).toMatchObject({ requested: 1, remaining: 1199 });
  });

  it('the operator has no budget: no RateLimit headers, rateLimit is null', async () => {
    const answer = await post(t, await t.tokens.operator(), RATE_LIMIT);
    expect(answer.status).toBe(200);
    expect(answer.body.data!.rateLimit).toBeNull();
    expect(answer.headers.get('ratelimit')).toBeNull();
    expect(answer.body.extensions?.cost).toBeUndefined();
  });

  it('without a token, the per-address count is in the headers', async () => {
    const answer = await post(t, undefined, '{ __typename }');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('ratelimit-policy')).toBe('"address";q=60;w=60');
    expect(parseRateLimit(answer.headers.get('ratelimit')).address.r).toBeLessThan(60);
  });

  it('over the WebSocket, a subscribe beyond the budget is refused with RATE_LIMITED', async () => {
    const partner = await createPartner(t);
    for (let i = 0; i < 100 && (await post(t, partner.token, CUSTOMERS)).status === 200; i++);
    const answer = await firstAnswerOverSocket(t.ws(partner.token), 'subscription { events { id type } }');
    expect(answer.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', policy: 'user' });
    expect(answer.errors?.[0].extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });
});

describe("a tenant's operations in flight (PARTNER_MAX_IN_FLIGHT)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ PARTNER_MAX_IN_FLIGHT: '1' });
  });
  afterAll(() => t?.stop());

  it('take turns: every one is answered, failures end their turn too, and another partner is not held by them', async () => {
    const partner = await createPartner(t);
    const other = await createPartner(t);
    const missing = '{ customer(id: "00000000-0000-4000-8000-000000000000") { id } }';
    // twenty at once, half of them failing in their resolver (NOT_FOUND), half refused by validation
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(t, partner.token, i % 3 === 0 ? missing : i % 3 === 1 ? CUSTOMERS : '{ customers { nope } }')),
    );
    expect(answers.map((a) => a.status).sort()).toEqual(answers.map((_, i) => (i % 3 === 2 ? 400 : 200)).sort());
    expect(answers.filter((_, i) => i % 3 === 0).every((a) => a.body.errors?.[0].extensions?.code === 'NOT_FOUND')).toBe(true);
    // nothing left holding the turn: the next ones of both partners run
    const [mine, theirs] = await Promise.all([post(t, partner.token, CUSTOMERS), post(t, other.token, CUSTOMERS)]);
    expect([mine.status, theirs.status]).toEqual([200, 200]);
  });
});

describe('budgets set to 0', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ PARTNER_RATE_LIMIT: '0', USER_RATE_LIMIT: '0' });
  });
  afterAll(() => t?.stop());

  it('are off: no headers, no extensions.cost, rateLimit null', async () => {
    const partner = await createPartner(t);
    const answer = await post(t, partner.token, RATE_LIMIT);
    expect(answer.body.data!.rateLimit).toBeNull();
    expect(answer.headers.get('ratelimit-policy')).toBeNull();
    expect(answer.body.extensions?.cost).toBeUndefined();
  });
});

describe('live subscriptions per partner (PARTNER_MAX_SUBSCRIPTIONS)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ PARTNER_MAX_SUBSCRIPTIONS: '3' });
  });
  afterAll(() => t?.stop());

  it("count across the partner's sockets and users, come back when one ends, and leave other partners alone", async () => {
    const partner = await createPartner(t);
    const other = await createPartner(t);
    const agent = await t.tokens.partner(partner.id, Role.ADMIN_AGENT);
    const one = t.ws(partner.token);
    const two = t.ws(agent);
    await Promise.all([one.ready(), two.ready()]);
    const live = [one.subscribe(SUB), one.subscribe(SUB), two.subscribe(SUB)];
    const fourth = two.subscribe(SUB);
    await waitUntil(() => fourth.errors.length > 0);
    expect((fourth.errors[0] as { extensions: Record<string, unknown> }[])[0].extensions).toMatchObject({ code: 'BAD_REQUEST', limit: 3 });
    expect(live.every((s) => s.errors.length === 0)).toBe(true);
    // another partner has its own
    expect((await firstAnswerOverSocket(t.ws(other.token), 'subscription { events { id type } }', undefined, 300)).errors).toBeUndefined();
    // one completes: its place is free again
    live[0].dispose();
    await waitUntil(async () => {
      const next = two.subscribe(SUB);
      await new Promise((r) => setTimeout(r, 50));
      if (next.errors.length) return false;
      next.dispose();
      return true;
    });
    // a socket that closes gives back all of its places
    await one.close();
    const three = t.ws(partner.token);
    const again = [three.subscribe(SUB), three.subscribe(SUB)];
    await new Promise((r) => setTimeout(r, 200));
    expect(again.every((s) => s.errors.length === 0)).toBe(true);
    await Promise.all([two.close(), three.close()]);
  });
});

const SUB = parse('subscription { events { id type } }') as never;

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const withRedis = redisAvailable('test/budgets.e2e.test.ts', 'the shared-budget test over Redis does');
(withRedis ? describe : describe.skip)('two servers on Redis', () => {
  const clock = new ManualTokenClock();
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, PARTNER_RATE_LIMIT: '3000', USER_RATE_LIMIT: '1200' };
    a = await startTestServer(env, { tokenClock: clock });
    b = await startTestServer(env, { sameDatabaseAs: a, tokenClock: clock });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await redis?.stop();
  });

  it('share one budget: what one server charged, the other sees and refuses', async () => {
    const partner = await createPartner(a);
    const onA = await post(a, partner.token, CUSTOMERS);
    const cost = onA.body.extensions!.cost!.requested;
    const onB = await post(b, partner.token, RATE_LIMIT);
    expect((onB.body.data!.rateLimit as { remaining: number }).remaining).toBe(1200 - cost - 1);
    // alternate servers until one refuses: the total charged never exceeds the one budget
    let spent = cost + 1;
    let answer: Answer;
    let i = 0;
    do {
      answer = await post(i++ % 2 ? a : b, partner.token, CUSTOMERS);
      if (answer.status === 200) spent += answer.body.extensions!.cost!.requested;
    } while (answer.status === 200 && i < 200);
    expect(answer.status).toBe(429);
    expect(spent).toBeLessThanOrEqual(1200);
    // and the other server refuses the same
    expect((await post(i % 2 ? a : b, partner.token, CUSTOMERS)).status).toBe(429);
  });
});
