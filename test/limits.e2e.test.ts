import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createHash } from 'node:crypto';
import { parse } from 'graphql';
import { logger } from '../src/common/logger';
import { CreatePartnerDocument, InvitationAcceptedDocument } from './generated/graphql';
import { firstAnswerOverSocket, type GqlError } from './support/client';
import { createPartner, uniqueMpnId } from './support/factories';
import { startTestServer, type TestServer } from './support/test-server';

/**
 * One pipeline: HTTP and WebSocket run the same limits (depth, aliases, tokens, cost with
 * variables), the same variable checks and the same error formatting; the socket runs only
 * subscriptions, a bounded number at a time; callers without a token get a small budget and a
 * per-IP rate limit.
 */
let t: TestServer;
let tight: TestServer;

beforeAll(async () => {
  t = await startTestServer({ ANONYMOUS_RATE_LIMIT: '1000' });
  // a server with tiny limits, to show the same refusals on both transports
  tight = await startTestServer({ MAX_QUERY_DEPTH: '2', MAX_QUERY_COMPLEXITY: '12', MAX_SUBSCRIPTIONS_PER_SOCKET: '3' }, { sameDatabaseAs: t });
});
afterAll(async () => {
  await tight?.stop();
  await t?.stop();
});

/** Sends one operation over a fresh socket and returns what came back (data or errors). */
function overSocket(server: TestServer, token: string | undefined, query: string, variables?: Record<string, unknown>) {
  return firstAnswerOverSocket(server.ws(token), query, variables);
}

/** a subscription small enough for the tight server's limits */
const OccurredAtDocument = parse('subscription { invitationAccepted { occurredAt } }') as TypedDocumentNode<unknown, Record<string, never>>;

const mutation = `mutation { createPartner(input: { name: "Socket Partner Ltd", mpnId: "5550001", type: DIRECT_RESELLER, cloud: PUBLIC, contactEmail: "a@b.example" }) { partner { id } } }`;

describe('over WebSocket', () => {
  it('refuses a mutation and a query before running them: only subscriptions use the socket', async () => {
    const operator = await t.tokens.operator();
    const before = t.queryCount();
    const m = await overSocket(t, operator, mutation);
    expect(m.errors?.[0].extensions?.code).toBe('BAD_REQUEST');
    expect(m.errors?.[0].message).toMatch(/Only subscriptions run over WebSocket/);
    const q = await overSocket(t, operator, '{ partners { totalCount } }');
    expect(q.errors?.[0].extensions?.code).toBe('BAD_REQUEST');
    expect(t.queryCount()).toBe(before); // nothing ran
  });

  it('refuses a subscription over the depth or cost limit before it runs, as HTTP refuses a query', async () => {
    const partner = await createPartner(t);
    const deep = 'subscription { invitationAccepted { invitation { invitationId } } }';
    const depth = await overSocket(tight, partner.token, deep);
    expect(depth.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(depth.errors?.[0].message).toMatch(/depth limit of 2/i);
    const overHttp = await tight.client(partner.token).raw({ query: '{ viewer { partner { id } } }' });
    expect(overHttp.status).toBe(400);
    expect(overHttp.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const costly = 'subscription { invitationAccepted { occurredAt a: occurredAt b: occurredAt } }';
    const cost = await overSocket(tight, partner.token, costly);
    expect(cost.errors?.[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 12 });
    const costlyHttp = await tight.client(partner.token).raw({ query: '{ offers { id name } }' });
    expect(costlyHttp.errors?.[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 12 });
  });

  it('refuses bad variables with BAD_USER_INPUT naming the variable, as over HTTP', async () => {
    const partner = await createPartner(t);
    const doc = 'subscription ($b: Boolean!) { invitationAccepted { occurredAt @include(if: $b) } }';
    const res = await overSocket(t, partner.token, doc, { b: 'yes' });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['b'] });
  });

  it('accepts at most the configured number of live subscriptions per socket (the next one gets a clear error)', async () => {
    const partner = await createPartner(t);
    const ws = tight.ws(partner.token);
    await ws.ready();
    const subs = [1, 2, 3].map(() => ws.subscribe(OccurredAtDocument));
    await new Promise((r) => setTimeout(r, 300));
    const fourth = ws.subscribe(OccurredAtDocument);
    await new Promise((r) => setTimeout(r, 300));
    expect(subs.every((s) => s.errors.length === 0)).toBe(true);
    expect(fourth.errors).toHaveLength(1);
    expect((fourth.errors[0] as GqlError[])[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST', limit: 3 } });
    // completing one frees a place
    subs[0].dispose();
    await new Promise((r) => setTimeout(r, 200));
    const again = ws.subscribe(OccurredAtDocument);
    await new Promise((r) => setTimeout(r, 300));
    expect(again.errors).toHaveLength(0);
    await ws.close();
  });

  it('accepts 50 live subscriptions on one socket by default and refuses the 51st', async () => {
    const partner = await createPartner(t);
    const ws = t.ws(partner.token);
    await ws.ready();
    const subs = Array.from({ length: 51 }, () => ws.subscribe(InvitationAcceptedDocument));
    await new Promise((r) => setTimeout(r, 800));
    const refused = subs.filter((s) => s.errors.length > 0);
    expect(refused).toHaveLength(1);
    expect((refused[0].errors[0] as GqlError[])[0].message).toMatch(/already has 50 live subscriptions/);
    await ws.close();
  });
});

describe('document limits (HTTP)', () => {
  it('refuses more aliases than the limit, and 10,000 aliases of __typename, with 400 and a code', async () => {
    const token = await t.tokens.operator();
    const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: offers { id }`).join(' ')} }`;
    const res = await t.client(token).raw({ query: aliases });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(res.errors?.[0].message).toMatch(/Aliases limit of 30/);
    const typenames = `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const big = await t.client(token).raw({ query: typenames });
    expect(big.status).toBe(400);
    expect(big.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(big.errors?.[0].message).toMatch(/more th\w+ 3000 tokens/);
  });

  it('prices a list without `first` at the default page size, and `totalCount` above a plain field', async () => {
    const pricing = await startTestServer({ MAX_QUERY_COMPLEXITY: '12' }, { sameDatabaseAs: t });
    const token = await t.tokens.operator();
    const costOf = async (query: string) => {
      const res = await pricing.client(token).raw({ query });
      return Number(/costs (\d+)/.exec(res.errors?.[0].message ?? '')?.[1]);
    };
    // every one of these is over this server's limit of 12, so its refusal tells its cost
    const node = '{ id name mpnId }';
    const defaultPage = await costOf(`{ partners { edges { node ${node} } } }`);
    const explicit = await costOf(`{ partners(first: 20) { edges { node ${node} } } }`);
    const one = await costOf(`{ partners(first: 1) { edges { node ${node} } } }`);
    const counted = await costOf(`{ partners(first: 1) { totalCount edges { node ${node} } } }`);
    expect(defaultPage).toBe(explicit);
    expect(defaultPage).toBeGreaterThan(one);
    expect(counted - one).toBeGreaterThan(1);
    const twice = await costOf(`{ a: partners(first: 1) { edges { node ${node} } } b: partners(first: 1) { edges { node ${node} } } }`);
    expect(twice).toBe(2 * one); // aliases count
    await pricing.stop();
  });
});

describe('bad variables', () => {
  it('answers BAD_USER_INPUT naming each failing path, with 400, without echoing a large value', async () => {
    const client = t.client(await t.tokens.operator());
    const huge = 'x'.repeat(200_000);
    const input = { name: 'Variables Ltd', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: huge, contactEmail: 'a@b.example' };
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${client.token}` },
      body: JSON.stringify({ query: 'mutation ($input: CreatePartnerInput!) { createPartner(input: $input) { partner { id } } }', variables: { input } }),
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(2000);
    expect((JSON.parse(text) as { errors: { extensions: unknown }[] }).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['input.cloud'] });

    const missing = await client.raw({
      query: 'mutation ($input: CreatePartnerInput!) { createPartner(input: $input) { partner { id } } }',
      variables: { input: { name: 'Variables Ltd', mpnId: 7, type: 'DIRECT_RESELLER', extra: 1 } },
    });
    expect(missing.status).toBe(400);
    expect(missing.errors?.[0].extensions?.fields).toEqual(['input.mpnId', 'input.cloud', 'input.contactEmail', 'input.extra']);

    const range = await client.raw({
      query: 'query ($n: Int) { partners(first: $n) { totalCount } }',
      variables: { n: 2 ** 40 },
    });
    expect(range.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['n'] });
    const absent = await client.raw({ query: 'query ($n: Int!) { partners(first: $n) { totalCount } }' });
    expect(absent.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['n'] });
  });
});

describe('callers without a token', () => {
  it('get a small budget: a few invitationPreview aliases, no more', async () => {
    const anon = t.client();
    const previews = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `p${i}: invitationPreview(token: "t${i}") { status }`).join(' ')} }`;
    const few = await anon.raw({ query: previews(2) });
    expect(few).toMatchObject({ status: 200, data: { p0: null, p1: null } });
    const many = await anon.raw({ query: previews(20) });
    expect(many.status).toBe(400);
    expect(many.errors?.[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 50 });
    expect(many.errors?.[0].message).toMatch(/without a token/);
  });

  it('are rate-limited per IP (429 with Retry-After); callers with a token are not', async () => {
    const limited = await startTestServer({ ANONYMOUS_RATE_LIMIT: '5' });
    try {
      const anon = limited.client();
      const query = '{ invitationPreview(token: "nope") { status } }';
      for (let i = 0; i < 5; i++) expect((await anon.raw({ query })).status).toBe(200);
      const res = await fetch(limited.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await res.json()) as { errors: GqlError[] };
      expect(body.errors[0].extensions?.code).toBe('RATE_LIMITED');
      // the socket is no way around it: a socket without a token is closed at once (4401), before any operation
      expect((await limited.ws().closed).code).toBe(4401);
      const operator = limited.client(await limited.tokens.operator());
      expect((await operator.raw({ query })).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});

describe('HTTP hardening', () => {
  const base = () => t.url.replace(/\/graphql$/, '');

  it('answers JSON, never an HTML page or a stack, for malformed, oversized, non-JSON bodies and unknown routes', async () => {
    const post = (body: string, type = 'application/json') => fetch(t.url, { method: 'POST', headers: { 'content-type': type }, body });
    const cases: [Promise<Response>, number, string][] = [
      [post('{"query": '), 400, 'BAD_REQUEST'],
      [post(JSON.stringify({ query: 'x'.repeat(300 * 1024) })), 413, 'PAYLOAD_TOO_LARGE'],
      [post('{ viewer { roles } }', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [post('{}', 'application/json; charset=latin9'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [fetch(`${base()}/no/such/route`), 404, 'NOT_FOUND'],
      // an operation name the document lacks, or none for several operations (was a 500 through the executor)
      [post(JSON.stringify({ query: 'query A { __typename }', operationName: 'B' })), 400, 'BAD_REQUEST'],
      [post(JSON.stringify({ query: 'query A { __typename } query B { __typename }' })), 400, 'BAD_REQUEST'],
      // subscriptions belong on the socket
      [post(JSON.stringify({ query: 'subscription { invitationAccepted { occurredAt } }' })), 400, 'BAD_REQUEST'],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      const text = await res.text();
      expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status, type: expect.stringMatching(/^application\/json/) });
      expect((JSON.parse(text) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe(code);
      expect(text).not.toMatch(/<html|<pre|\bat \/|node_modules/i);
    }
  });

  it('sends helmet security headers', async () => {
    const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  });

  it('allows any origin in development and only the listed ones when CORS_ORIGINS is set', async () => {
    const preflight = (url: string, origin: string) =>
      fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect((await preflight(t.url, 'https://anything.example')).headers.get('access-control-allow-origin')).toBe('https://anything.example');
    const listed = await startTestServer({ CORS_ORIGINS: 'https://portal.example.com' });
    try {
      expect((await preflight(listed.url, 'https://portal.example.com')).headers.get('access-control-allow-origin')).toBe('https://portal.example.com');
      expect((await preflight(listed.url, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await listed.stop();
    }
  });

  it('runs a simple GET (no content type, no custom header: what a cross-site page can send) only as the anonymous caller', async () => {
    const res = await fetch(`${t.url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
    // it carries no credentials: what needs a token is UNAUTHENTICATED (mutations by GET: test/urql.e2e.test.ts)
    const viewer = await fetch(`${t.url}?query=${encodeURIComponent('{ viewer { roles } }')}`);
    expect(await viewer.json()).toMatchObject({ data: null, errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('refuses to start in production without CORS_ORIGINS', async () => {
    await expect(startTestServer({ NODE_ENV: 'production' })).rejects.toThrow(/CORS_ORIGINS/);
  });
});

it('createPartner over HTTP still works with the same pipeline', async () => {
  const operator = t.client(await t.tokens.operator());
  const res = await operator.data(CreatePartnerDocument, {
    input: { name: 'Pipeline Partner Ltd', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'p@pipeline.example' },
  });
  expect(res.createPartner.partner.id).toBeTruthy();
});

it('answers a bad persisted-query hash or version with 400 and a client code, logged as a refusal, never as an internal error', async () => {
  const errorLog = jest.spyOn(logger, 'error');
  const warnLog = jest.spyOn(logger, 'warn');
  try {
    const client = t.client(await t.tokens.operator());
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const query = '{ __typename }';
    const cases: unknown[] = [
      // a junk hash, alone or with a query it does not match
      { extensions: { persistedQuery: { version: 1, sha256Hash: 'junk' } } },
      { query, extensions: { persistedQuery: { version: 1, sha256Hash: 'junk' } } },
      { query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ other }') } } },
      { extensions: { persistedQuery: { version: 1, sha256Hash: 'g'.repeat(64) } } },
      { extensions: { persistedQuery: { version: 1, sha256Hash: 42 } } },
      { extensions: { persistedQuery: 'yes' } },
      // a wrong version
      { query, extensions: { persistedQuery: { version: 2, sha256Hash: sha256(query) } } },
      { extensions: { persistedQuery: { version: '1', sha256Hash: sha256(query) } } },
    ];
    for (const body of cases) {
      const res = await client.raw(body);
      expect({ body, status: res.status, code: res.errors?.[0].extensions?.code }).toEqual({ body, status: 400, code: 'BAD_REQUEST' });
      expect(res.errors?.[0].message).toMatch(/persisted/i);
    }
    // the protocol itself still works: an unknown well-formed hash is PERSISTED_QUERY_NOT_FOUND, then the
    // query with its hash registers it, and the hash alone runs it
    const apq = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ viewer { roles } }') } } };
    expect((await client.raw(apq)).errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await client.raw({ ...apq, query: '{ viewer { roles } }' })).toMatchObject({ status: 200, data: { viewer: { roles: ['PLATFORM_ADMIN'] } } });
    expect(await client.raw(apq)).toMatchObject({ status: 200, data: { viewer: { roles: ['PLATFORM_ADMIN'] } } });
    expect(errorLog).not.toHaveBeenCalled();
    expect(warnLog).toHaveBeenCalledWith(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringMatching(/persisted/i) }), 'operation refused');
  } finally {
    errorLog.mockRestore();
    warnLog.mockRestore();
  }
});

it('sends Cache-Control: no-store on every answer to a request with a token, errors too', async () => {
  const token = await t.tokens.operator();
  const post = (body: unknown, auth?: string) =>
    fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) });
  const signedIn: [unknown, number][] = [
    [{ query: '{ viewer { roles } }' }, 200],
    // refused by the resolver, by validation, by cost, for its variables, as a bad request, by APQ
    [{ query: '{ partner(id: "nope") { id } }' }, 200],
    [{ query: '{ nope }' }, 400],
    [{ query: '{ customers(first: 100) { edges { node { id subscriptions(first: 100) { edges { node { id quantity } } } } } } }' }, 400],
    [{ query: 'query ($n: Int) { customers(first: $n) { totalCount } }', variables: { n: 'x' } }, 400],
    [{ query: 'subscription { invitationAccepted { occurredAt } }' }, 400],
    [{ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }, 200],
    [{ extensions: { persistedQuery: { version: 1, sha256Hash: 'junk' } } }, 400],
  ];
  for (const [body, status] of signedIn) {
    const res = await post(body, `Bearer ${token}`);
    expect({ body, status: res.status, cacheControl: res.headers.get('cache-control') }).toEqual({ body, status, cacheControl: 'no-store' });
  }
  // a bad token is refused (401) without caching either
  const bad = await post({ query: '{ viewer { roles } }' }, 'Bearer not-a-token');
  expect({ status: bad.status, cacheControl: bad.headers.get('cache-control') }).toEqual({ status: 401, cacheControl: 'no-store' });
  // and when a layer before the API answers (a body that is not JSON, too large, of another type), or a GET
  const raw = (init: RequestInit, url = t.url) =>
    fetch(url, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });
  const before: [string, Promise<Response>, number][] = [
    ['malformed JSON', raw({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' }), 400],
    ['over 256 KB', raw({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'x'.repeat(300_000) }) }), 413],
    ['text/plain', raw({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{ viewer { roles } }' }), 415],
    ['a GET without a content type (urql)', raw({ method: 'GET' }, `${t.url}?query=${encodeURIComponent('{ viewer { roles } }')}`), 200],
  ];
  for (const [what, answer, status] of before) {
    const res = await answer;
    expect({ what, status: res.status, cacheControl: res.headers.get('cache-control') }).toEqual({ what, status, cacheControl: 'no-store' });
  }
  // anonymous answers keep today's headers
  const anonymous = await post({ query: '{ __typename }' });
  expect(anonymous.status).toBe(200);
  expect(anonymous.headers.get('cache-control')).not.toBe('no-store');
});
