import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type KeyLike, SignJWT } from 'jose';
import { ViewerDocument } from './generated/graphql';
import { startTestServer, type TestServer } from './support/test-server';

/** Production mode: tokens verified against a JWKS URL, with issuer and audience checked. */
let jwks: Server;
let t: TestServer;
let privateKey: KeyLike;
let otherKey: KeyLike;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const { port } = jwks.address() as AddressInfo;
  t = await startTestServer({
    NODE_ENV: 'production',
    CORS_ORIGINS: 'https://portal.example.test',
    JWT_SECRET: '',
    JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    JWT_ISSUER: 'https://login.partner.example',
    JWT_AUDIENCE: 'partner-center-api',
  });
});
afterAll(async () => {
  await t.stop();
  await new Promise((r) => jwks.close(r));
});

const sign = (key: KeyLike, claims: { iss?: string; aud?: string } = {}) =>
  new SignJWT({ roles: ['PLATFORM_ADMIN'] })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject('operator-sso')
    .setIssuer(claims.iss ?? 'https://login.partner.example')
    .setAudience(claims.aud ?? 'partner-center-api')
    .setExpirationTime('5m')
    .sign(key);

it('accepts a token signed by a key of the JWKS, with the configured issuer and audience', async () => {
  const { viewer } = await t.client(await sign(privateKey)).data(ViewerDocument);
  expect(viewer).toMatchObject({ id: 'operator-sso', roles: ['PLATFORM_ADMIN'] });
});

it('refuses another key, another issuer, another audience, and HS256 tokens', async () => {
  for (const token of [
    await sign(otherKey),
    await sign(privateKey, { iss: 'https://evil.example' }),
    await sign(privateKey, { aud: 'another-api' }),
    await new SignJWT({ roles: ['PLATFORM_ADMIN'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('dev-only-secret-change-me-do-not-use-in-production')),
  ]) {
    const res = await t.client(token).request(ViewerDocument);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  }
});

it('refuses to start in production with the development secret', async () => {
  await expect(startTestServer({ NODE_ENV: 'production', CORS_ORIGINS: 'https://portal.example.test', JWT_SECRET: '' })).rejects.toThrow(/JWT_SECRET/);
});
