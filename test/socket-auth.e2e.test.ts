/**
 * Sockets fail fast with a code: graphql-ws's `createClient` with its default options (lazy, five
 * retries with backoff, its own `shouldRetry`) reports a missing, bad or expired token at once, with
 * close code 4401 (graphql-ws's Unauthorized, which its clients do not retry), over one socket only.
 * Before, a refused token closed with 4403, which the client retries: the app saw an error only after
 * 6 sockets and about 37 s, without a code.
 */
import { decodeJwt, SignJWT } from 'jose';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { ManualTokenClock } from '../src/common/clock';
import { createPartner } from './support/factories';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from './support/test-server';

let t: TestServer;
/** sockets the server has accepted (upgrades), all tests together */
let accepted = 0;

/** the time the server reads tokens against: still until a test advances it */
const tokenClock = new ManualTokenClock();

beforeAll(async () => {
  t = await startTestServer({}, { tokenClock });
  t.server.wsServer.on('connection', () => accepted++);
});
afterAll(() => t.stop());

const operatorClaims = { sub: 'socket-auth-operator', roles: [Role.PLATFORM_ADMIN] };
const LIVE = 'subscription { events { id type occurredAt } }';

interface Outcome {
  /** the close event graphql-ws hands the subscription's sink */
  error: { code: number; reason: string };
  ms: number;
  /** sockets the client opened (its own `opened` event) */
  opened: number;
  /** sockets the server acknowledged (the client's `connected` event) */
  connected: number;
  /** sockets the server accepted meanwhile */
  accepted: number;
}

/**
 * Subscribes with graphql-ws's client with its defaults (only the URL, the WebSocket class: Node 20
 * has none built in, the token or `params` as they are, and counters of its sockets) and waits for the sink's error (the cap only ends a hung test);
 * `onConnected` runs once the server has acknowledged the socket.
 */
async function firstFailure(token: string | undefined, params?: Record<string, unknown>, onConnected?: () => void): Promise<Outcome> {
  const counters = { opened: 0, connected: 0 };
  const before = accepted;
  const client = createClient({
    url: t.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token === undefined ? params : { authorization: `Bearer ${token}` },
    on: {
      opened: () => counters.opened++,
      connected: () => {
        counters.connected++;
        onConnected?.();
      },
    },
  });
  const start = performance.now();
  try {
    const error = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
      const cap = setTimeout(() => reject(new Error(`no failure after 20 s; sockets opened: ${counters.opened}`)), 20_000);
      client.subscribe(
        { query: LIVE },
        {
          next: () => {},
          error: (err) => {
            clearTimeout(cap);
            const e = err as { code?: number; reason?: string };
            resolve({ code: e.code ?? 0, reason: String(e.reason ?? '') });
          },
          complete: () => {
            clearTimeout(cap);
            reject(new Error('the subscription completed instead of failing'));
          },
        },
      );
    });
    return { error, ms: performance.now() - start, ...counters, accepted: accepted - before };
  } finally {
    await client.dispose();
  }
}

describe('a socket refused at connection_init (default graphql-ws client)', () => {
  it('an expired token: 4401 "Token expired" within 2 s, one socket', async () => {
    const expired = await signDevToken(TEST_JWT_SECRET, operatorClaims, '2 minutes ago');
    const outcome = await firstFailure(expired);
    expect(outcome.error).toEqual({ code: 4401, reason: 'Token expired' });
    expect(outcome.ms).toBeLessThan(2000);
    expect(outcome).toMatchObject({ opened: 1, connected: 0, accepted: 1 });
  });

  it('a token signed with another key: 4401 "Invalid token" within 2 s, one socket', async () => {
    const forged = await signDevToken('not-the-server-secret-but-long-enough-0123456789', operatorClaims, '1h');
    const outcome = await firstFailure(forged);
    expect(outcome.error).toEqual({ code: 4401, reason: 'Invalid token' });
    expect(outcome.ms).toBeLessThan(2000);
    expect(outcome).toMatchObject({ opened: 1, connected: 0, accepted: 1 });
  });

  it('no token: 4401 "Missing token" within 2 s, one socket', async () => {
    // no connection params at all, and an empty authorization
    for (const params of [undefined, { authorization: '' }]) {
      const outcome = await firstFailure(undefined, params);
      expect(outcome.error.code).toBe(4401);
      expect(outcome.error.reason).toMatch(/^Missing token/);
      expect(outcome.ms).toBeLessThan(2000);
      expect(outcome).toMatchObject({ opened: 1, connected: 0, accepted: 1 });
    }
  });

  it('a token the verifier refuses for a claim: 4401 with the rule in words, never the token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const noExpiry = await new SignJWT({ roles: ['PLATFORM_ADMIN'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('no-exp')
      .setIssuedAt(now)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const outcome = await firstFailure(noExpiry);
    expect(outcome.error.code).toBe(4401);
    expect(outcome.error.reason).toMatch(/no expiry/);
    expect(outcome.error.reason).not.toContain(noExpiry.split('.')[1]);
    expect(outcome).toMatchObject({ opened: 1, connected: 0, accepted: 1 });
    const unknownPartner = await signDevToken(TEST_JWT_SECRET, { sub: 'ghost', roles: [Role.GLOBAL_ADMIN], partnerId: '0190a0a0-0000-7000-8000-000000000000' });
    const ghost = await firstFailure(unknownPartner);
    expect(ghost.error).toEqual({ code: 4401, reason: 'Your token names a partner that does not exist' });
  });
});

describe('a token that expires while its socket lives', () => {
  it('closes the socket with 4401 "Token expired" at the token\'s expiry on the token clock: the default client reports it and does not reconnect', async () => {
    const partner = await createPartner(t);
    const token = await signDevToken(TEST_JWT_SECRET, { sub: 'short-lived', roles: [Role.GLOBAL_ADMIN], partnerId: partner.id }, '10m');
    const lifeMs = decodeJwt(token).exp! * 1000 - tokenClock.now();
    let waitingAtOneSecondBefore = -1;
    const outcome = await firstFailure(token, undefined, () => {
      // acknowledged: the socket's expiry timer waits on the token clock; a second before the expiry it
      // still waits, at the expiry it closes the socket
      tokenClock.advance(lifeMs - 1000);
      waitingAtOneSecondBefore = tokenClock.pending;
      tokenClock.advance(1000);
    });
    expect(waitingAtOneSecondBefore).toBe(1);
    expect(tokenClock.pending).toBe(0);
    expect(outcome.error).toEqual({ code: 4401, reason: 'Token expired' });
    expect(outcome).toMatchObject({ opened: 1, connected: 1, accepted: 1 });
  });
});
