import { SignJWT, base64url } from 'jose';
import { CreateCustomerDocument, CreatePartnerDocument, ViewerDocument } from './generated/graphql';
import { customerInput, createPartner, uniqueMpnId } from './support/factories';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from './support/test-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

describe('authentication', () => {
  it('answers UNAUTHENTICATED without a token', async () => {
    const res = await t.client().request(ViewerDocument);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.data).toBeNull();
  });

  it('still answers introspection without a token', async () => {
    const res = await t.client().raw<{ __schema: { queryType: { name: string } } }>({ query: '{ __schema { queryType { name } } }' });
    expect(res.errors).toBeUndefined();
    expect(res.data?.__schema.queryType.name).toBe('Query');
  });

  it('refuses a token signed with another secret', async () => {
    const forged = await new SignJWT({ roles: ['PLATFORM_ADMIN'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('not-the-server-secret-but-long-enough-0123456789'));
    const res = await t.client(forged).request(ViewerDocument);
    expect(res.status).toBe(401);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired token', async () => {
    const expired = await new SignJWT({ roles: ['PLATFORM_ADMIN'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('operator')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const res = await t.client(expired).request(ViewerDocument);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an alg:none token', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ sub: 'mallory', roles: ['PLATFORM_ADMIN'], exp: Math.floor(Date.now() / 1000) + 3600 }));
    const res = await t.client(`${header}.${payload}.`).request(ViewerDocument);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token whose roles claim is unknown', async () => {
    const token = await new SignJWT({ roles: ['SUPERUSER'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const res = await t.client(token).request(ViewerDocument);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('tells the viewer who it is', async () => {
    const partner = await createPartner(t);
    const { viewer } = await t.client(partner.token).data(ViewerDocument);
    expect(viewer.roles).toEqual(['GLOBAL_ADMIN']);
    expect(viewer.partner?.id).toBe(partner.id);
    expect(viewer.customer).toBeNull();
  });
});

describe('roles', () => {
  it('lets only the operator create partners', async () => {
    const partner = await createPartner(t);
    const input = { name: 'Sneaky Partner', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER' as const, cloud: 'PUBLIC' as const, contactEmail: 'a@b.example' };
    expect(await t.client(partner.token).errorCode(CreatePartnerDocument, { input })).toBe('FORBIDDEN');
    expect(await t.client().errorCode(CreatePartnerDocument, { input })).toBe('UNAUTHENTICATED');
  });

  it('does not let a BILLING_ADMIN create customers', async () => {
    const partner = await createPartner(t);
    const billing = await t.tokens.partner(partner.id, 'BILLING_ADMIN' as never);
    expect(await t.client(billing).errorCode(CreateCustomerDocument, { input: customerInput() })).toBe('FORBIDDEN');
  });

  it('lets a USER_ADMIN and a SALES_AGENT create customers', async () => {
    const partner = await createPartner(t);
    for (const role of ['USER_ADMIN', 'SALES_AGENT']) {
      const token = await t.tokens.partner(partner.id, role as never);
      const res = await t.client(token).data(CreateCustomerDocument, { input: customerInput() });
      expect(res.createCustomer.customer.relationship?.status).toBe('ACTIVE');
    }
  });
});

describe('token lifetime', () => {
  const now = () => Math.floor(Date.now() / 1000);
  /** an operator token with exactly these time claims (and a partner one when partnerId is given) */
  const sign = (times: { exp?: number; iat?: number; nbf?: number }, claims: Record<string, unknown> = { roles: ['PLATFORM_ADMIN'] }) => {
    const jwt = new SignJWT({ ...claims, ...times }).setProtectedHeader({ alg: 'HS256' }).setSubject('lifetime-user');
    return jwt.sign(new TextEncoder().encode(TEST_JWT_SECRET));
  };
  const refusals: [string, () => Promise<string>, RegExp][] = [
    ['no exp', () => sign({ iat: now() }), /no expiry/],
    ['exp: 1e20', () => sign({ iat: now(), exp: 1e20 }), /lives too long/],
    ['exp 25 h after iat', () => sign({ iat: now(), exp: now() + 25 * 3600 }), /lives too long/],
    ['no iat and exp 25 h ahead', () => sign({ exp: now() + 25 * 3600 }), /lives too long/],
    ['iat a year ahead', () => sign({ iat: now() + 365 * 86400, exp: now() + 365 * 86400 + 3600 }), /issued in the future/],
    ['iat 2 minutes ahead', () => sign({ iat: now() + 120, exp: now() + 3600 }), /issued in the future/],
    ['nbf 2 minutes ahead', () => sign({ iat: now(), nbf: now() + 120, exp: now() + 3600 }), /./],
  ];

  it.each(refusals)('refuses a token with %s over HTTP (401 UNAUTHENTICATED)', async (_what, make, message) => {
    const res = await t.client(await make()).request(ViewerDocument);
    expect(res.status).toBe(401);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.errors?.[0].message).toMatch(message);
    expect(res.data ?? null).toBeNull();
  });

  it.each(refusals)('refuses a token with %s over WebSocket (4401, no socket left open)', async (_what, make) => {
    const ws = t.ws(await make());
    expect((await ws.closed).code).toBe(4401);
  });

  it('accepts a token that lives exactly JWT_MAX_AGE, and iat a few seconds ahead (clock skew)', async () => {
    for (const token of [
      await sign({ iat: now(), exp: now() + 24 * 3600 }),
      await sign({ iat: now() + 30, exp: now() + 3600 }),
      await sign({ exp: now() + 3600 }),
    ]) {
      const res = await t.client(token).request(ViewerDocument);
      expect(res.errors).toBeUndefined();
    }
  });

  it('reads JWT_MAX_AGE from the configuration', async () => {
    const short = await startTestServer({ JWT_MAX_AGE: '10m' });
    try {
      const hour = await sign({ iat: now(), exp: now() + 3600 });
      expect((await short.client(hour).request(ViewerDocument)).errors?.[0].message).toMatch(/lives too long: at most 600 s/);
      expect((await short.client(await sign({ iat: now(), exp: now() + 600 })).request(ViewerDocument)).errors).toBeUndefined();
    } finally {
      await short.stop();
    }
  });

  it('takes the partner id of a token in lower case, and refuses one that is not an id', async () => {
    const partner = await createPartner(t, 'DIRECT_RESELLER');
    const claims = (partnerId: string) => ({ roles: ['GLOBAL_ADMIN'], partner_id: partnerId });
    const upper = await sign({ iat: now(), exp: now() + 600 }, claims(partner.id.toUpperCase()));
    const res = await t.client(upper).raw<{ viewer: { partner: { id: string } } }>({ query: '{ viewer { partner { id } } }' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.viewer.partner.id).toBe(partner.id);
    for (const bad of [`${partner.id} `, `${partner.id.slice(0, -1)}\u0130`, 'x'.repeat(36), "' OR 1=1 --"]) {
      const refused = await t.client(await sign({ iat: now(), exp: now() + 600 }, claims(bad))).request(ViewerDocument);
      expect(refused.errors?.[0].message).toMatch(/partner_id" claim is malformed/);
    }
  });
});

describe('WebSocket authentication', () => {
  it('closes a socket with a bad token with 4401', async () => {
    const ws = t.ws('not-a-jwt');
    const closed = await ws.closed;
    expect(closed).toEqual({ code: 4401, reason: 'Invalid token' });
  });

  it('closes a socket when its token expires (4401)', async () => {
    const shortLived = await new SignJWT({ roles: ['PLATFORM_ADMIN'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('operator')
      .setExpirationTime(Math.floor(Date.now() / 1000) + 2)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const ws = t.ws(shortLived);
    await ws.ready();
    const closed = await ws.closed;
    expect(closed.code).toBe(4401);
  });

  it('accepts a socket with a good token', async () => {
    const ws = t.ws(await t.tokens.operator());
    await ws.ready();
    await ws.close();
  });
});

describe('HTTP endpoints', () => {
  it('answers /healthz and /readyz', async () => {
    const base = t.url.replace('/graphql', '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok', events: 'ok', webhooks: 'ok' } });
  });

  it('serves Apollo Sandbox to a browser on GET /graphql', async () => {
    const res = await fetch(t.url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('embeddable-sandbox');
  });

  it('refuses a query that would cost more than the limit, before running it', async () => {
    const token = await t.tokens.operator();
    const cheap = '{ customers(first: 10) { edges { node { id subscriptions(first: 10) { edges { node { id } } } } } } }';
    expect((await t.client(token).raw({ query: cheap })).errors).toBeUndefined();
    const before = t.queryCount();
    const costly =
      '{ customers(first: 100) { edges { node { id subscriptions(first: 100) { edges { node { id offer { id } reseller { id } supportContact { id } } } } } } } }';
    const res = await t.client(token).raw({ query: costly });
    expect(res.status).toBe(400);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 3000 });
    expect(res.errors?.[0].message).toMatch(/costs \d+; the limit is 3000/);
    expect(t.queryCount()).toBe(before);
  });
});
