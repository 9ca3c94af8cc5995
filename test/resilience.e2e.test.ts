import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { CreatePartnerDocument } from './generated/graphql';
import { WsClient } from './support/client';
import { uniqueMpnId } from './support/factories';
import { freshDatabase, spawnServer, startTestServer, TEST_JWT_SECRET, type TestServer } from './support/test-server';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { Partner } from '../src/modules/partner/partner.entity';

const isMysql = process.env.DB_TYPE === 'mysql';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SIGTERM', () => {
  it('closes sockets with 1001 and exits 0 (main.ts bounds the shutdown at SHUTDOWN_GRACE_MS + 0.9 s)', async () => {
    const db = await freshDatabase();
    const { child, url, output, exited } = await spawnServer(db.env);
    try {
      // a signed-in socket (one without a token is refused at once, 4401)
      const token = await signDevToken(TEST_JWT_SECRET, { sub: 'sigterm-operator', roles: [Role.PLATFORM_ADMIN] });
      const ws = new WsClient(url.replace(/^http/, 'ws'), token);
      await ws.ready();
      child.kill('SIGTERM');
      const started = Date.now();
      expect((await ws.closed).code).toBe(1001);
      expect(await exited).toBe(0);
      console.log(`SIGTERM to exit: ${Date.now() - started} ms on ${db.env.DB_TYPE}`);
      expect(output()).toMatch(/stopped cleanly/);
    } finally {
      child.kill('SIGKILL');
      await db.cleanup();
    }
  }, 60_000);
});

/** A TCP proxy in front of MariaDB that can drop every connection and refuse new ones, like a stopped server. */
async function startProxy(targetPort: number) {
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  return {
    port: () => port,
    down: async () => {
      const closed = new Promise((r) => server.close(r)); // resolves once every connection is gone
      for (const s of sockets) s.destroy();
      await closed;
    },
    up: listen,
    close: async () => {
      const closed = new Promise((r) => (server.listening ? server.close(r) : r(undefined)));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

describe('database outage', () => {
  let t: TestServer;
  let outage: { down(): Promise<void>; up(): Promise<void>; close(): Promise<void> };

  beforeAll(async () => {
    if (isMysql) {
      // the server reaches its own MariaDB database through a proxy the test can cut
      const db = await freshDatabase();
      const target = new URL(db.env.MYSQL_URL);
      const proxy = await startProxy(Number(target.port || 3306));
      const viaProxy = new URL(db.env.MYSQL_URL);
      viaProxy.port = String(proxy.port());
      t = await startTestServer({ MYSQL_URL: viaProxy.toString() });
      const stop = t.stop.bind(t);
      t.stop = async () => {
        await stop();
        await proxy.close();
        await db.cleanup();
      };
      outage = { down: proxy.down, up: proxy.up, close: proxy.close };
    } else {
      // the embedded file: another process holds the write lock (short busy timeout)
      t = await startTestServer({ SQLITE_BUSY_TIMEOUT_MS: '100' });
      let locker: Database.Database | undefined;
      outage = {
        down: () => {
          locker = new Database(t.server.config.sqlitePath);
          locker.exec('BEGIN EXCLUSIVE');
          return Promise.resolve();
        },
        up: () => {
          locker?.exec('COMMIT');
          locker?.close();
          return Promise.resolve();
        },
        close: () => {
          locker?.close();
          return Promise.resolve();
        },
      };
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers 503 SERVICE_UNAVAILABLE while the database is unavailable, recovers by itself, and loses no acknowledged write', async () => {
    const operator = t.client(await t.tokens.operator());
    const base = t.url.replace(/\/graphql$/, '');
    const create = () =>
      operator.request(CreatePartnerDocument, {
        input: {
          name: `Outage Partner ${uniqueMpnId()} Ltd`,
          mpnId: uniqueMpnId(),
          type: 'DIRECT_RESELLER',
          cloud: 'PUBLIC',
          contactEmail: 'o@outage.example',
        },
      });
    const acknowledged: string[] = [];
    const record = (res: Awaited<ReturnType<typeof create>>) => {
      if (res.data?.createPartner) acknowledged.push(res.data.createPartner.partner.id);
      return res;
    };
    record(await create());

    await outage.down();
    const during = [];
    for (let i = 0; i < 5; i++) during.push(record(await create()));
    for (const res of during) {
      expect(res.status).toBe(503);
      expect(res.errors?.[0]).toMatchObject({ message: expect.stringMatching(/database is unavailable/), extensions: { code: 'SERVICE_UNAVAILABLE' } });
    }
    if (isMysql) {
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      // a partner's socket sign-in reads the database too: it is refused with 1013 ("try again later"), which clients retry
      const ws = t.ws(await t.tokens.partner(acknowledged[0]));
      expect((await ws.closed).code).toBe(1013);
    }

    await outage.up();
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      const res = record(await create());
      recovered = res.status === 200 && !res.errors;
      if (!recovered) await pause(100);
    }
    expect(recovered).toBe(true);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect(record(await create()).status).toBe(200);

    const stored = await t.server.ds.getRepository(Partner).findBy({});
    const ids = new Set(stored.map((p) => p.id));
    expect(acknowledged.filter((id) => !ids.has(id))).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(5);
  });
});
