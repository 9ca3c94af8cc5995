/**
 * What one caller can hold on the WebSocket: the size of a message, the length of a subscription
 * id, the number of open sockets per user (none without a token), the unsent buffer of a
 * reader that stopped reading, and which browser pages may open a socket at all. Raw `ws` sockets
 * speaking graphql-transport-ws, so that a test controls every frame (and can stop reading).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { partnerKey } from '../src/events/catalog';
import { createCustomer, createPartner, type TestPartner } from './support/factories';
import { startTestServer, type TestServer } from './support/test-server';

/** A socket after connection_init: acknowledged, or closed by the server (with its code and reason). */
interface Opened {
  socket: WebSocket;
  outcome: 'acked' | { code: number; reason: string };
  closed: Promise<{ code: number; reason: string }>;
  /** `next` messages received so far, by subscription id */
  received: Map<string, number>;
  errors: unknown[];
}

function open(t: TestServer, token?: string, headers: Record<string, string> = {}): Promise<Opened> {
  const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws', { headers });
  const received = new Map<string, number>();
  const errors: unknown[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} })));
    socket.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString()) as { type: string; id?: string; payload?: unknown };
      if (message.type === 'connection_ack') resolve({ socket, outcome: 'acked', closed, received, errors });
      else if (message.type === 'next') received.set(message.id!, (received.get(message.id!) ?? 0) + 1);
      else if (message.type === 'error') errors.push(message.payload);
    });
    void closed.then((outcome) => resolve({ socket, outcome, closed, received, errors }));
  });
}

/** The HTTP status of an upgrade the server refuses (or 101 when it accepts). */
function upgradeStatus(t: TestServer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws', { headers });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.close();
    });
    socket.once('error', () => {});
  });
}

const subscribe = (id: string, query: string, variables?: Record<string, unknown>) => JSON.stringify({ id, type: 'subscribe', payload: { query, variables } });

/** Polls a condition of the server's state (not a time limit on the server: the cap only ends a hung test). */
async function until(condition: () => boolean, what: string, capMs = 10_000): Promise<void> {
  for (const start = Date.now(); !condition();) {
    if (Date.now() - start > capMs) throw new Error(`still waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The server's side of the next socket accepted. */
function nextServerSocket(t: TestServer): Promise<WebSocket> {
  return new Promise((resolve) => t.server.wsServer.once('connection', resolve));
}

const noSockets = () => until(() => t.server.wsServer.clients.size === 0, 'the server to release every socket');

async function closeAll(sockets: Opened[]) {
  for (const s of sockets) s.socket.close();
  await noSockets();
}

let t: TestServer;
let partner: TestPartner;

beforeAll(async () => {
  // the smallest buffer allowed, so that a few events fill it once the kernel's socket buffers are full
  t = await startTestServer({ WS_MAX_BUFFERED: '16384', CORS_ORIGINS: 'https://portal.example.com' });
  partner = await createPartner(t);
});
afterAll(() => t.stop());
afterEach(() => noSockets());

const LIVE = 'subscription { events { id type } }';

describe('messages', () => {
  it('reads a message up to WS_MAX_PAYLOAD (64 KB) and closes the socket on a larger one (1009)', async () => {
    const fits = await open(t, partner.token);
    // whitespace: no tokens, so only the size matters
    fits.socket.send(subscribe('fits', `${' '.repeat(60_000)}${LIVE}`));
    await until(() => t.server.services.events.hub['byKey'].get(partnerKey(partner.id))?.size === 1, 'the subscription to be live');
    expect(fits.socket.readyState).toBe(WebSocket.OPEN);

    const big = await open(t, partner.token);
    big.socket.send(subscribe('big', `${' '.repeat(70_000)}${LIVE}`));
    expect((await big.closed).code).toBe(1009);
    expect(fits.socket.readyState).toBe(WebSocket.OPEN);
    await closeAll([fits]);
  });

  it('closes with 4400 a socket that sends a subscription id longer than 128 characters, and runs nothing for it', async () => {
    const s = await open(t, partner.token);
    s.socket.send(subscribe('i'.repeat(128), LIVE));
    await until(() => t.server.services.events.hub['byKey'].get(partnerKey(partner.id))?.size === 1, 'the subscription to be live');
    s.socket.send(subscribe('x'.repeat(100_000 / 2), LIVE));
    const closed = await s.closed;
    expect(closed.code).toBe(4400);
    expect(closed.reason).toMatch(/id/);
    // the first subscription went with its socket; the long one never ran
    await noSockets();
    expect(t.server.services.events.hub['byKey'].get(partnerKey(partner.id))).toBeUndefined();
  });
});

describe('open sockets per caller', () => {
  it('closes the 21st socket of a user with 4429 while another user of the same partner still connects', async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, () => open(t, partner.token)));
    expect(sockets.map((s) => s.outcome)).toEqual(Array(20).fill('acked'));
    const extra = await open(t, partner.token);
    expect(extra.outcome).toEqual({ code: 4429, reason: expect.stringMatching(/too many open sockets/i) });
    // counted by who signs in, not by partner nor address
    const colleague = await open(t, await t.tokens.partner(partner.id, undefined, 'another-user'));
    expect(colleague.outcome).toBe('acked');
    const operator = await open(t, await t.tokens.operator());
    expect(operator.outcome).toBe('acked');
    await closeAll([...sockets, colleague, operator]);
  });

  it('closes every socket without a token at once (4401): an address holds none open, a signed-in user from there still connects', async () => {
    const anonymous = await Promise.all(Array.from({ length: 21 }, () => open(t)));
    expect(anonymous.map((s) => s.outcome)).toEqual(Array(21).fill({ code: 4401, reason: expect.stringMatching(/missing token/i) }));
    await noSockets();
    const signedIn = await open(t, partner.token);
    expect(signedIn.outcome).toBe('acked');
    await closeAll([signedIn]);
  });

  it('gives the count back when a socket closes, whatever the way', async () => {
    const first = await Promise.all(Array.from({ length: 20 }, () => open(t, partner.token)));
    expect(first.every((s) => s.outcome === 'acked')).toBe(true);
    // a third close normally, a third vanish without a close frame, the rest are closed by the server
    first.slice(0, 7).forEach((s) => s.socket.close(1000));
    first.slice(7, 14).forEach((s) => s.socket.terminate());
    first.slice(14).forEach((s, i) => s.socket.send(subscribe(`${i}`.repeat(200), LIVE)));
    expect((await Promise.all(first.slice(14).map((s) => s.closed))).map((c) => c.code)).toEqual(Array(6).fill(4400));
    await noSockets();

    const again = await Promise.all(Array.from({ length: 20 }, () => open(t, partner.token)));
    expect(again.map((s) => s.outcome)).toEqual(Array(20).fill('acked'));
    expect((await open(t, partner.token)).outcome).toMatchObject({ code: 4429 });
    await closeAll(again);
  });
});

describe('a reader that stops reading', () => {
  // 30 copies of the event's company name (its typed field): about 6 KB a message, so that a few events fill the kernel's
  // buffers. Then either the unsent pushes pass WS_MAX_BUFFERED, or (graphql-ws waits for each write to reach the network)
  // the socket's writes stall below it and its streams fall MAX_BEHIND (250) events behind in the hub: closed (1013) either way
  const WIDE = `subscription { events { id ... on CustomerCreatedEvent { ${Array.from({ length: 30 }, (_, i) => `d${i}: companyName`).join(' ')} } } }`;
  const companyName = `Slow Reader ${'Consulting '.repeat(15)}Ltd`;

  /** A socket with 50 live subscriptions, each of which has received one event. Returns the server's side too. */
  async function subscribed(who: TestPartner) {
    const serverSide = nextServerSocket(t);
    const client = await open(t, who.token);
    const server = await serverSide;
    for (let i = 0; i < 50; i++) client.socket.send(subscribe(`s${i}`, WIDE));
    await until(() => t.server.services.events.hub['byKey'].get(partnerKey(who.id))?.size === 50, 'the subscriptions to be live');
    await createCustomer(t, who.token, { companyName });
    await until(() => client.received.size === 50, 'one event on each subscription');
    return { client, server };
  }

  it('closes a slow consumer (1013) once its unsent buffer passes WS_MAX_BUFFERED, and keeps nothing of it', async () => {
    const who = await createPartner(t);
    // phase 1 in its own function: afterwards only a WeakRef points at the server's side of the socket
    const { client, serverRef, serverClosed } = await (async () => {
      const { client, server } = await subscribed(who);
      const serverClosed = new Promise<number>((resolve) => server.once('close', resolve));
      // stop reading: the kernel's buffers fill first, then the server's
      client.socket.pause();
      for (let i = 0; i < 600 && server.readyState === WebSocket.OPEN; i++) await createCustomer(t, who.token, { companyName });
      expect(server.readyState).toBe(WebSocket.CLOSING);
      return { client, serverRef: new WeakRef(server), serverClosed };
    })();
    // reading again, it gets what was sent, then the reason
    client.socket.resume();
    const closed = await client.closed;
    expect(closed.code).toBe(1013);
    expect(closed.reason).toMatch(/slow/i);
    await serverClosed;
    await noSockets();

    // no listener of the hub, no socket, no buffer left
    expect(t.server.services.events.hub['byKey'].get(partnerKey(who.id))).toBeUndefined();
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    for (let i = 0; i < 20 && serverRef.deref(); i++) {
      await new Promise((r) => setTimeout(r, 50));
      gc();
    }
    expect(serverRef.deref()).toBeUndefined();
  });

  it('terminates a slow consumer that never reads again, and its count comes back', async () => {
    const who = await createPartner(t);
    const { client, server } = await subscribed(who);
    const serverClosed = new Promise<number>((resolve) => server.once('close', resolve));
    client.socket.pause();
    for (let i = 0; i < 600 && server.readyState === WebSocket.OPEN; i++) await createCustomer(t, who.token, { companyName });
    expect(server.readyState).toBe(WebSocket.CLOSING);
    // the client never reads: the server does not wait for its close frame
    expect(await serverClosed).toBe(1006);
    expect(t.server.services.events.hub['byKey'].get(partnerKey(who.id))).toBeUndefined();
    const again = await Promise.all(Array.from({ length: 20 }, () => open(t, who.token)));
    expect(again.every((s) => s.outcome === 'acked')).toBe(true);
    client.socket.terminate();
    await closeAll(again);
  });
});

describe('browser origins', () => {
  it('refuses the upgrade (403, no socket) from an Origin outside CORS_ORIGINS and accepts a listed one or none', async () => {
    expect(await upgradeStatus(t, { Origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(t, { Origin: 'null' })).toBe(403);
    expect(t.server.wsServer.clients.size).toBe(0);
    expect((await open(t, partner.token, { Origin: 'https://portal.example.com' })).outcome).toBe('acked');
    // no Origin: not a browser
    expect((await open(t, partner.token)).outcome).toBe('acked');
    for (const s of t.server.wsServer.clients) s.close();
  });

  it('accepts any Origin when CORS_ORIGINS is * (the development default)', async () => {
    const any = await startTestServer();
    try {
      expect(await upgradeStatus(any, { Origin: 'https://anything.example' })).toBe(101);
    } finally {
      await any.stop();
    }
  });
});
