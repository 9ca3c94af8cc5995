import { connect } from 'node:net';
import mysql from 'mysql2/promise';
import { parseMysqlUrl } from '../src/common/database';
import { mariadbAvailable, startMariadb, type ThrowawayMariadb } from './support/mariadb';
import { startTestServer, type TestServer } from './support/test-server';

/**
 * The probes (src/observability/health.ts): /healthz (alive) and /readyz (database, migrations, event
 * hub and dispatcher, webhook worker; draining). docs/operations.md, "Health".
 */

const ALL_OK = { database: 'ok', migrations: 'ok', events: 'ok', webhooks: 'ok' };

async function probe(t: TestServer, path: '/healthz' | '/readyz'): Promise<{ status: number; body: Record<string, unknown>; cacheControl: string | null }> {
  const res = await fetch(new URL(path, t.url));
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, cacheControl: res.headers.get('cache-control') };
}

describe('a running server', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('is alive and ready, with every part checked', async () => {
    expect(await probe(t, '/healthz')).toEqual({ status: 200, body: { status: 'ok' }, cacheControl: 'no-store' });
    expect(await probe(t, '/readyz')).toEqual({ status: 200, body: { status: 'ready', checks: ALL_OK }, cacheControl: 'no-store' });
    // HEAD too (some load balancers probe with it)
    expect((await fetch(new URL('/readyz', t.url), { method: 'HEAD' })).status).toBe(200);
  });

  it('names the webhook worker, then the event hub, when they stop, and stays alive', async () => {
    await t.server.services.webhooks.stop();
    expect(await probe(t, '/readyz')).toMatchObject({ status: 503, body: { status: 'unavailable', checks: { ...ALL_OK, webhooks: 'stopped' } } });
    await t.server.services.events.stop();
    expect(await probe(t, '/readyz')).toMatchObject({
      status: 503,
      body: { status: 'unavailable', checks: { ...ALL_OK, events: 'stopped', webhooks: 'stopped' } },
    });
    expect((await probe(t, '/healthz')).status).toBe(200);
  });
});

it('while draining: /readyz answers 503 draining, /healthz still 200', async () => {
  const t = await startTestServer({ SHUTDOWN_GRACE_MS: '10000' });
  const token = await t.tokens.operator();
  let stopped: Promise<void> | undefined;
  try {
    // a request in flight holds the drain open: its headers are in, its body not yet (as test/drain.e2e.test.ts)
    const body = JSON.stringify({ query: '{ viewer { id } }' });
    const slow = connect(t.server.port, '127.0.0.1');
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    let slowAnswer = '';
    const slowDone = new Promise<void>((resolve) => slow.on('data', (d) => (slowAnswer += d.toString())).once('end', () => resolve()));
    slow.write(
      `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`,
    );
    // the server has read the slow request's headers once a request sent after them is answered
    expect((await probe(t, '/readyz')).status).toBe(200);

    stopped = t.stop();
    const ready = await fetch(new URL('/readyz', t.url));
    expect({ status: ready.status, body: await ready.json(), connection: ready.headers.get('connection') }).toEqual({
      status: 503,
      body: { status: 'draining' },
      connection: 'close',
    });
    // a liveness probe must not kill a process that is shutting down
    expect(await probe(t, '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    // the drain's own answer to anything else is unchanged
    const other = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    expect(other.status).toBe(503);
    expect(((await other.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');

    slow.write(body.slice(5));
    await slowDone;
    expect(slowAnswer).toMatch(/^HTTP\/1\.1 200/);
    await stopped;
  } finally {
    await (stopped ?? t.stop());
  }
});

const withMariadb = mariadbAvailable('test/health.e2e.test.ts', 'the tests of /readyz against a MariaDB of their own (stopped, a migration forgotten) are');

(withMariadb ? describe : describe.skip)('a MariaDB of its own: stopped, a migration forgotten', () => {
  let db: ThrowawayMariadb | undefined;
  let t: TestServer | undefined;
  beforeAll(async () => {
    db = await startMariadb();
    t = await startTestServer({ DB_TYPE: 'mysql', MYSQL_URL: db.url, READINESS_TIMEOUT: '500ms' });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await db?.destroy();
  }, 60_000);

  it('/readyz answers 503 naming the database while it is down, and 200 once it is back, without a restart', async () => {
    const server = t!;
    expect(await probe(server, '/readyz')).toMatchObject({ status: 200, body: { status: 'ready', checks: ALL_OK } });

    await db!.stop();
    const down = await probe(server, '/readyz');
    console.log(`/readyz while MariaDB is stopped: ${down.status} ${JSON.stringify(down.body)}`);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'unavailable', checks: { database: expect.stringMatching(/^down: /), events: 'ok', webhooks: 'ok' } });
    // the reason is an error code, never a host or a port
    const { checks } = down.body as { checks: Record<string, string> };
    expect(checks.database).toMatch(/^down: [A-Z_]+$|^down: no answer within \d+ ms$/);
    expect(JSON.stringify(down.body)).not.toMatch(/127\.0\.0\.1|localhost/);
    // migrations, once applied, are not asked again: their answer stands while the database is away
    expect(checks.migrations).toBe('ok');
    // alive all the same: a liveness probe must not restart the process for the database's sake
    expect((await probe(server, '/healthz')).status).toBe(200);

    await db!.start();
    // the next probes find it again (polled: bounded at 30 s)
    let ready = await probe(server, '/readyz');
    for (let i = 0; i < 300 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await probe(server, '/readyz');
    }
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', checks: ALL_OK } });
  }, 120_000);

  it('/readyz answers 503 naming the migrations while one is pending, and keeps its answer once none is', async () => {
    // a second server on the same database (its migrations ran): then its newest migration is forgotten, as
    // when another version rolled the schema back under it
    const second = await startTestServer({ DB_TYPE: 'mysql', MYSQL_URL: db!.url });
    const { host, port, username, password, database } = parseMysqlUrl(db!.url);
    const conn = await mysql.createConnection({ host, port, user: username, password, database });
    try {
      const [rows] = await conn.query('SELECT id, timestamp, name FROM migrations ORDER BY timestamp DESC LIMIT 1');
      const newest = (rows as { id: number; timestamp: string; name: string }[])[0];
      await conn.query('DELETE FROM migrations WHERE id = ?', [newest.id]);
      expect(await probe(second, '/readyz')).toMatchObject({ status: 503, body: { status: 'unavailable', checks: { ...ALL_OK, migrations: 'pending' } } });
      await conn.query('INSERT INTO migrations (id, timestamp, name) VALUES (?, ?, ?)', [newest.id, newest.timestamp, newest.name]);
      expect(await probe(second, '/readyz')).toMatchObject({ status: 200, body: { status: 'ready', checks: ALL_OK } });
      // applied migrations are not unapplied: the answer is kept, the table not read again
      await conn.query('DELETE FROM migrations WHERE id = ?', [newest.id]);
      expect((await probe(second, '/readyz')).status).toBe(200);
      await conn.query('INSERT INTO migrations (id, timestamp, name) VALUES (?, ?, ?)', [newest.id, newest.timestamp, newest.name]);
    } finally {
      await conn.end();
      await second.stop();
    }
  }, 60_000);
});
