import { Agent, request } from 'node:http';
import WebSocket from 'ws';
import { connect } from 'node:net';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { parseMysqlUrl } from '../src/common/database';
import { uniqueMpnId } from './support/factories';
import { freshDatabase, spawnServer, startTestServer, TEST_JWT_SECRET } from './support/test-server';

/**
 * Graceful shutdown (src/pipeline/drain.ts): on SIGTERM requests in flight finish and are answered,
 * new ones on kept-alive connections answer 503 with `Connection: close`, sockets close with 1001,
 * and the process exits 0. Every acknowledged write is stored and every stored write acknowledged.
 */

const CREATE_PARTNER = 'mutation ($input: CreatePartnerInput!) { createPartner(input: $input) { partner { id mpnId } } }';

/** The MPN IDs of the partners stored, read straight from the database the server used. */
async function storedMpnIds(dbEnv: Record<string, string>): Promise<Set<string>> {
  if (dbEnv.DB_TYPE === 'mysql') {
    const { host, port, username, password, database } = parseMysqlUrl(dbEnv.MYSQL_URL);
    const conn = await mysql.createConnection({ host, port, user: username, password, database });
    const [rows] = await conn.query('SELECT mpnId FROM partner');
    await conn.end();
    return new Set((rows as { mpnId: string }[]).map((r) => r.mpnId));
  }
  const db = new Database(dbEnv.SQLITE_PATH, { readonly: true });
  const rows = db.prepare('SELECT mpnId FROM partner').all() as { mpnId: string }[];
  db.close();
  return new Set(rows.map((r) => r.mpnId));
}

it('SIGTERM with 80 writes in flight: every request answered (200 or 503), acknowledged = stored, exit 0', async () => {
  const db = await freshDatabase();
  const server = await spawnServer(db.env, { SHUTDOWN_GRACE_MS: '10000' });
  try {
    const token = await signDevToken(TEST_JWT_SECRET, { sub: 'op', roles: [Role.PLATFORM_ADMIN] });
    const mpnIds = Array.from({ length: 80 }, () => uniqueMpnId());
    const { port } = new URL(server.url);
    const sent: Promise<void>[] = [];
    // each on its own connection; the signal goes once all 80 are written out, before most are answered
    const outcomes = mpnIds.map((mpnId, i) => {
      const body = JSON.stringify({
        query: CREATE_PARTNER,
        variables: { input: { name: `Drain Partner ${i} Ltd`, mpnId, type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: `p${i}@drain.example` } },
      });
      let written!: () => void;
      sent.push(new Promise<void>((resolve) => (written = resolve)));
      const answer = post(Number(port), false, body, token, written);
      return answer.then(
        (res) => {
          const json = JSON.parse(res.body) as { data?: { createPartner?: { partner: { mpnId: string } } } };
          return { mpnId, status: res.status, stored: json.data?.createPartner?.partner.mpnId };
        },
        (err: Error) => ({ mpnId, status: 0, stored: undefined, error: err.message }),
      );
    });
    await Promise.all(sent);
    server.child.kill('SIGTERM');
    const results = await Promise.all(outcomes);
    const exitCode = await server.exited;

    const unanswered = results.filter((r) => r.status !== 200 && r.status !== 503);
    expect(unanswered).toEqual([]);
    const acknowledged = new Set(results.filter((r) => r.status === 200 && r.stored).map((r) => r.mpnId));
    const stored = await storedMpnIds(db.env);
    // every acknowledged write is stored, and every stored write was acknowledged
    expect([...acknowledged].sort()).toEqual([...stored].sort());
    // a 200 without a partner would be an error answered as 200: none
    expect(results.filter((r) => r.status === 200 && !r.stored)).toEqual([]);
    expect(exitCode).toBe(0);
    console.log(
      `SIGTERM drain: ${acknowledged.size} acknowledged and stored, ${results.filter((r) => r.status === 503).length} answered 503, 0 reset; exit ${exitCode}`,
    );
    expect(server.output()).toMatch(/stopped cleanly/);
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await db.cleanup();
  }
});

/** One HTTP/1.1 POST over the given agent; resolves with the status, the Connection header and the body. */
function post(
  port: number,
  agent: Agent | false,
  body: string,
  token?: string,
  written?: () => void,
): Promise<{ status: number; connection?: string; retryAfter?: string; cacheControl?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            connection: res.headers.connection,
            retryAfter: res.headers['retry-after'],
            cacheControl: res.headers['cache-control'],
            body: text,
          }),
        );
      },
    );
    req.on('error', reject);
    // written: once connected and the whole request is sent
    let connected = false;
    let finished = false;
    const check = () => connected && finished && written?.();
    req.once('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => ((connected = true), check()));
    });
    req.end(body, () => ((finished = true), check()));
  });
}

it('while draining: requests on kept-alive and new connections, and WebSocket upgrades, answer 503 Connection: close, the one in flight finishes, sockets close 1001, then nothing listens', async () => {
  const t = await startTestServer({ SHUTDOWN_GRACE_MS: '10000' });
  const { port } = t.server;
  const token = await t.tokens.operator();
  const keptAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  let stopped: Promise<void> | undefined;
  try {
    const viewer = JSON.stringify({ query: '{ viewer { id roles } }' });
    expect((await post(port, keptAlive, viewer, token)).status).toBe(200);
    const ws = t.ws(token);
    await ws.ready();

    // a request in flight: its headers are in, its body not yet
    const body = JSON.stringify({ query: '{ viewer { id roles } }' });
    const slow = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    let slowAnswer = '';
    const slowDone = new Promise<void>((resolve) => slow.on('data', (d) => (slowAnswer += d.toString())).once('end', () => resolve()));
    slow.write(
      `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`,
    );
    // the server has read the headers once a kept-alive request sent after them is answered
    expect((await post(port, keptAlive, viewer, token)).status).toBe(200);

    stopped = t.stop();
    // the socket is told the server is going away
    expect((await ws.closed).code).toBe(1001);
    // the kept-alive connection gets a clear 503 asking it to close, not a reset
    const refused = await post(port, keptAlive, viewer, token);
    expect(refused.status).toBe(503);
    expect(refused.connection).toBe('close');
    expect(refused.retryAfter).toBe('1');
    // an answer to a request with a token, refusals included, is never cached
    expect(refused.cacheControl).toBe('no-store');
    expect((JSON.parse(refused.body) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    // a WebSocket upgrade too: the socket server is closed, and the connection is not left open
    const upgrade = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => reject(new Error('a socket opened while draining')));
      socket.once('error', () => {});
    });
    expect(upgrade).toBe(503);
    // so does a new connection while the drain lasts (closing the listener now would reset those queued)
    const fresh = await post(port, new Agent(), viewer, token);
    expect([fresh.status, fresh.connection]).toEqual([503, 'close']);

    // the request in flight finishes and is answered, with Connection: close
    slow.write(body.slice(5));
    await slowDone;
    expect(slowAnswer).toMatch(/^HTTP\/1\.1 200/);
    expect(slowAnswer).toMatch(/\r\nConnection: close\r\n/i);
    expect(slowAnswer).toMatch(/"roles":\["PLATFORM_ADMIN"\]/);
    await stopped;
    // once drained, nothing listens
    await expect(post(port, new Agent(), viewer, token)).rejects.toThrow(/ECONNREFUSED/);
  } finally {
    keptAlive.destroy();
    await (stopped ?? t.stop());
  }
});

it('SIGTERM with a socket that never answers the close: it is dropped, and the process still exits 0', async () => {
  const db = await freshDatabase();
  // the process gives up (exit 1) SHUTDOWN_GRACE_MS + 5 s after the signal; ws would wait 30 s for the answer
  const server = await spawnServer(db.env, { SHUTDOWN_GRACE_MS: '500' });
  try {
    const token = await signDevToken(TEST_JWT_SECRET, { sub: 'op', roles: [Role.PLATFORM_ADMIN] });
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      socket.once('message', () => resolve()); // connection_ack
    });
    // the client stops reading: it will never see the server's close frame, nor answer it
    (socket as unknown as { _socket: import('node:net').Socket })._socket.pause();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/stopped cleanly/);
    socket.terminate();
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await db.cleanup();
  }
});
