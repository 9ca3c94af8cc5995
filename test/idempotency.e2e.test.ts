import { createHash } from 'node:crypto';
import { print } from 'graphql';
import { ManualTokenClock } from '../src/common/clock';
import { IDEMPOTENCY_LEASE_MS, principalKey } from '../src/idempotency/idempotency.store';
import { CreateCustomerDocument, CustomersDocument } from './generated/graphql';
import { createPartner, customerInput, type TestPartner } from './support/factories';
import { freshDatabase, startTestServer, type TestServer } from './support/test-server';

/** An answer as the client reads it: status, the headers that matter here, the body's exact text. */
interface Answer {
  status: number;
  replayed: string | null;
  /** the budgets' RateLimit header (src/pipeline/budgets.ts): every answer has it, a replay too */
  rateLimit: string | null;
  retryAfter: string | null;
  requestId: string | null;
  contentType: string | null;
  cacheControl: string | null;
  text: string;
}

/** POSTs `body` (the exact bytes) to /graphql with the token and, when given, the Idempotency-Key. */
async function post(url: string, token: string | undefined, body: string, key?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(key !== undefined ? { 'idempotency-key': key } : {}),
      ...headers,
    },
    body,
  });
  return {
    status: res.status,
    replayed: res.headers.get('idempotent-replayed'),
    retryAfter: res.headers.get('retry-after'),
    requestId: res.headers.get('x-request-id'),
    contentType: res.headers.get('content-type'),
    cacheControl: res.headers.get('cache-control'),
    rateLimit: res.headers.get('ratelimit'),
    text: await res.text(),
  };
}

const CREATE = print(CreateCustomerDocument);
const createBody = (input = customerInput()) => JSON.stringify({ query: CREATE, variables: { input } });
const json = (a: Answer) =>
  JSON.parse(a.text) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions: Record<string, unknown> }[] };
const newKey = () => `key-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 24)}`;

async function customerCount(t: TestServer, partner: TestPartner): Promise<number> {
  const res = await t.client(partner.token).data(CustomersDocument, { first: 1 });
  return res.customers.totalCount;
}

async function storedKeys(t: TestServer): Promise<number> {
  const rows = await t.server.ds.query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM idempotency_key');
  return Number(rows[0].n);
}

describe('idempotent mutations', () => {
  let t: TestServer;
  let other: TestServer;
  let contoso: TestPartner;
  let fabrikam: TestPartner;
  const tokenClock = new ManualTokenClock();

  beforeAll(async () => {
    // the wall clock of keys (their expiry, the lease of a claim) is the token clock: moved here, never waited for
    t = await startTestServer({ IDEMPOTENCY_TTL: '10m' }, { tokenClock });
    // a second server over the same database: keys hold across servers
    other = await startTestServer({ IDEMPOTENCY_TTL: '10m' }, { sameDatabaseAs: t, tokenClock });
    contoso = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Contoso Idempotent Ltd');
    fabrikam = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Fabrikam Idempotent Ltd');
  });
  afterAll(async () => {
    await other?.stop();
    await t?.stop();
  });

  it('runs 20 concurrent identical createCustomer requests with one key once: one answer executed, the others byte-identical replays or 409', async () => {
    const before = await customerCount(t, contoso);
    const body = createBody();
    const key = newKey();
    // half to each server, all at once
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post((i % 2 ? other : t).url, contoso.token, body, key)));
    const executed = answers.filter((a) => a.status === 200 && a.replayed === null);
    expect(executed).toHaveLength(1);
    const [first] = executed;
    expect(json(first).errors).toBeUndefined();
    expect(json(first).data).toMatchObject({ createCustomer: { customer: { companyName: 'Proseware Incorporated' } } });
    for (const a of answers.filter((x) => x !== first)) {
      if (a.status === 409) {
        expect(json(a).errors?.[0].extensions.code).toBe('IDEMPOTENCY_KEY_IN_USE');
        expect(a.retryAfter).toBe('1');
      } else {
        expect(a.status).toBe(200);
        expect(a.replayed).toBe('true');
        expect(a.text).toBe(first.text);
      }
    }
    expect(await customerCount(t, contoso)).toBe(before + 1);

    // once answered, every retry is the same answer, byte for byte, with its own request id, uncacheable
    const retry = await post(other.url, contoso.token, body, key, { 'x-request-id': 'retry-of-the-create' });
    expect(retry).toMatchObject({
      status: 200,
      replayed: 'true',
      requestId: 'retry-of-the-create',
      contentType: 'application/json; charset=utf-8',
      cacheControl: 'no-store',
      text: first.text,
    });
    // a replay costs the request's one point: the budgets' headers say where they stand now
    expect(retry.rateLimit).toMatch(/^"partner";r=\d+;t=\d+, "user";r=\d+;t=\d+$/);
    expect(await customerCount(t, contoso)).toBe(before + 1);
  });

  it('stores neither the key nor the answer in clear: a copy of the table does not reveal the temporary password', async () => {
    const key = newKey();
    const first = await post(t.url, contoso.token, createBody(), key);
    const password = (json(first).data as { createCustomer: { adminCredentials: { temporaryPassword: string } } }).createCustomer.adminCredentials
      .temporaryPassword;
    const rows = await t.server.ds.query<Record<string, unknown>[]>('SELECT * FROM idempotency_key');
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(password);
    expect(dump).not.toContain(key);
    expect(dump).not.toContain('Proseware');
  });

  it('answers the same key with another body 422 IDEMPOTENCY_KEY_REUSED, and runs nothing', async () => {
    const key = newKey();
    expect((await post(t.url, contoso.token, createBody(), key)).status).toBe(200);
    const before = await customerCount(t, contoso);
    const changed = await post(other.url, contoso.token, createBody(customerInput({ companyName: 'Another Company Inc' })), key);
    expect(changed.status).toBe(422);
    expect(changed.replayed).toBeNull();
    const [error] = json(changed).errors!;
    expect(error.extensions).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', requestId: changed.requestId });
    expect(error.message).toContain('Idempotency-Key');
    expect(await customerCount(t, contoso)).toBe(before);
  });

  it('scopes a key to its caller: another partner’s identical key and body creates its own customer', async () => {
    const key = newKey();
    const input = customerInput();
    const mine = await post(t.url, contoso.token, createBody(input), key);
    const fabrikamBefore = await customerCount(t, fabrikam);
    // another partner may not reuse the domain: the same input with its own domain, the same key
    const theirs = await post(t.url, fabrikam.token, createBody({ ...input, domain: `other-${input.domain}` }), key);
    expect(theirs.status).toBe(200);
    expect(theirs.replayed).toBeNull();
    const id = (a: Answer) => (json(a).data as { createCustomer: { customer: { id: string } } }).createCustomer.customer.id;
    expect(id(theirs)).not.toBe(id(mine));
    expect(await customerCount(t, fabrikam)).toBe(fabrikamBefore + 1);
    // another user of the same partner is another caller too
    const colleague = await t.tokens.partner(contoso.id, undefined, 'another-contoso-admin');
    const colleagues = await post(t.url, colleague, createBody(input), key);
    expect(colleagues.replayed).toBeNull();
    expect(json(colleagues).errors?.[0].extensions.code).toBe('CONFLICT'); // it ran: the domain is taken
  });

  it.each([
    ['an empty key', '', 'an empty key'],
    ['a key of 256 characters', 'k'.repeat(256), '256 characters'],
    ['a non-ASCII key', 'clé-1', 'outside printable ASCII'],
    ['a key with a tab', 'a\tb', 'outside printable ASCII'],
  ])('refuses %s with 400 naming the header, and creates nothing', async (_what, key, got) => {
    const before = await customerCount(t, contoso);
    const keysBefore = await storedKeys(t);
    const answer = await post(t.url, contoso.token, createBody(), key);
    expect(answer.status).toBe(400);
    const [error] = json(answer).errors!;
    expect(error.message).toContain('Idempotency-Key');
    expect(error.message).toContain(got);
    expect(error.extensions).toEqual({ code: 'BAD_REQUEST', requestId: answer.requestId });
    expect(await customerCount(t, contoso)).toBe(before);
    expect(await storedKeys(t)).toBe(keysBefore);
  });

  it('takes a key of 255 printable ASCII characters', async () => {
    const key = 'Az09 !~'.repeat(40).slice(0, 255);
    expect(key).toHaveLength(255);
    const body = createBody();
    expect((await post(t.url, contoso.token, body, key)).status).toBe(200);
    expect((await post(t.url, contoso.token, body, key)).replayed).toBe('true');
  });

  it('refuses a key without a token (a key belongs to a caller) with 400, and a bad token as without a key (401), storing nothing', async () => {
    const keysBefore = await storedKeys(t);
    const anonymous = await post(t.url, undefined, createBody(), newKey());
    expect(anonymous.status).toBe(400);
    expect(json(anonymous).errors![0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' } });
    expect(json(anonymous).errors![0].message).toMatch(/Idempotency-Key needs a signed-in caller/);
    const badToken = await post(t.url, 'not-a-token', createBody(), newKey());
    expect(badToken.status).toBe(401);
    expect(json(badToken).errors![0].extensions.code).toBe('UNAUTHENTICATED');
    expect(await storedKeys(t)).toBe(keysBefore);
  });

  it('ignores a key on a query: answered as without it, nothing stored, the key still free for a mutation', async () => {
    const key = newKey();
    const keysBefore = await storedKeys(t);
    const query = JSON.stringify({ query: print(CustomersDocument), variables: { first: 1 } });
    const answer = await post(t.url, contoso.token, query, key);
    expect(answer.status).toBe(200);
    expect(answer.replayed).toBeNull();
    expect(json(answer).data).toHaveProperty('customers');
    expect(await storedKeys(t)).toBe(keysBefore);
    // not even its format is checked on a query
    expect((await post(t.url, contoso.token, query, '')).status).toBe(200);
    expect((await post(t.url, contoso.token, createBody(), key)).replayed).toBeNull();
  });

  it('does not store a refusal before anything ran (a bad document, bad variables: 400): the same key with the fixed body runs', async () => {
    const key = newKey();
    const before = await customerCount(t, contoso);
    const badDocument = await post(t.url, contoso.token, JSON.stringify({ query: 'mutation { createCustomer(input: {}) { nope } }' }), key);
    expect(badDocument.status).toBe(400);
    const badVariables = await post(t.url, contoso.token, JSON.stringify({ query: CREATE, variables: { input: { companyName: 'No Domain Ltd' } } }), key);
    expect(badVariables.status).toBe(400);
    expect(json(badVariables).errors![0].extensions.code).toBe('BAD_USER_INPUT');
    const syntax = await post(t.url, contoso.token, JSON.stringify({ query: 'mutation {' }), key);
    expect(syntax.status).toBe(400);
    expect(await customerCount(t, contoso)).toBe(before);
    const fixed = await post(t.url, contoso.token, createBody(), key);
    expect(fixed.status).toBe(200);
    expect(fixed.replayed).toBeNull();
    expect(json(fixed).errors).toBeUndefined();
    expect(await customerCount(t, contoso)).toBe(before + 1);
  });

  it('stores an answer the mutation gave once running (BAD_USER_INPUT from its rules): replayed, and a fixed body needs a new key', async () => {
    const key = newKey();
    const invalid = createBody(customerInput({ domain: 'not a domain' }));
    const first = await post(t.url, contoso.token, invalid, key);
    // the input's rules run in the resolver: the operation ran, its answer is a 200 with the error
    expect(first.status).toBe(200);
    expect(json(first).errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['input.domain'] });
    const again = await post(t.url, contoso.token, invalid, key);
    expect(again).toMatchObject({ status: 200, replayed: 'true', text: first.text });
    expect((await post(t.url, contoso.token, createBody(), key)).status).toBe(422);
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_USE while a claim runs, and lets a retry take over a claim past its lease (its server died)', async () => {
    const key = newKey();
    const sub = 'lease-test-admin';
    const token = await t.tokens.partner(contoso.id, undefined, sub);
    const body = createBody();
    const hash = createHash('sha256').update(body).digest('hex');
    // a server claimed the key for this very request, and died before answering
    const owner = principalKey({ kind: 'partner', partnerId: contoso.id, userId: sub, roles: [] });
    expect(await t.server.services.idempotency.claim(owner, key, hash)).toEqual({ outcome: 'claimed' });
    const busy = await post(other.url, token, body, key);
    expect(busy.status).toBe(409);
    expect(busy.retryAfter).toBe('1');
    expect(json(busy).errors![0].extensions).toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE', requestId: busy.requestId });
    // another body is a misuse whatever the state
    expect((await post(other.url, token, createBody(), key)).status).toBe(422);
    tokenClock.advance(IDEMPOTENCY_LEASE_MS + 1000);
    const before = await customerCount(t, contoso);
    const taken = await post(other.url, token, body, key);
    expect(taken.status).toBe(200);
    expect(taken.replayed).toBeNull();
    expect(await customerCount(t, contoso)).toBe(before + 1);
    expect(await post(t.url, token, body, key)).toMatchObject({ replayed: 'true', text: taken.text });
  });

  it('lets a page send the key and read whether the answer is a replay (CORS)', async () => {
    const preflight = await fetch(t.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://portal.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,idempotency-key' },
    });
    expect(preflight.headers.get('access-control-allow-headers')?.split(',')).toContain('idempotency-key');
    const answer = await fetch(t.url, {
      method: 'POST',
      headers: { origin: 'https://portal.example', 'content-type': 'application/json', authorization: `Bearer ${contoso.token}`, 'idempotency-key': newKey() },
      body: createBody(),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-expose-headers')?.split(',')).toEqual(
      expect.arrayContaining(['idempotent-replayed', 'retry-after', 'ratelimit', 'ratelimit-policy']),
    );
  });

  it('forgets a key after IDEMPOTENCY_TTL: the sweep deletes it, and the key runs again', async () => {
    const key = newKey();
    const body = createBody();
    const first = await post(t.url, contoso.token, body, key);
    expect(first.status).toBe(200);
    tokenClock.advance(9 * 60_000);
    expect((await post(t.url, contoso.token, body, key)).replayed).toBe('true');
    tokenClock.advance(60_000 + 1000);
    // past its expiry and not swept yet: as if never sent (another body runs, no 422)
    const before = await customerCount(t, contoso);
    const reused = await post(t.url, contoso.token, createBody(), key);
    expect(reused.status).toBe(200);
    expect(reused.replayed).toBeNull();
    expect(await customerCount(t, contoso)).toBe(before + 1);
    // the sweep deletes what expired: every key of the earlier tests (the clock moved 10 minutes and more)
    tokenClock.advance(10 * 60_000 + 1000);
    const swept = await t.server.services.sweeps.run();
    expect(swept.idempotencyKeys).toBeGreaterThan(0);
    expect(await storedKeys(t)).toBe(0);
  });
});

it('replays an answer byte for byte after the server restarts over the same database', async () => {
  const db = await freshDatabase();
  let second: TestServer | undefined;
  try {
    const first = await startTestServer(db.env);
    const partner = await createPartner(first);
    const body = createBody();
    const key = newKey();
    const answer = await post(first.url, partner.token, body, key);
    expect(answer.status).toBe(200);
    expect(json(answer).errors).toBeUndefined();
    await first.stop();

    second = await startTestServer(db.env);
    const replay = await post(second.url, partner.token, body, key, { 'x-request-id': 'after-the-restart' });
    expect(replay).toMatchObject({ status: 200, replayed: 'true', requestId: 'after-the-restart', text: answer.text });
    expect(await customerCount(second, partner)).toBe(1);
  } finally {
    await second?.stop();
    await db.cleanup();
  }
});
