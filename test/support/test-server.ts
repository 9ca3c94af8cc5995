import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { signDevToken } from '../../src/common/auth/jwt';
import type { Clock, TokenClock } from '../../src/common/clock';
import { Role } from '../../src/common/auth/roles';
import { type AppConfig, loadConfig } from '../../src/common/config';
import { parseMysqlUrl, queryCounter } from '../../src/common/database';
import { type RunningServer, startServer } from '../../src/server';
import { GqlClient, WsClient } from './client';

/**
 * The per-minute cost budgets raised out of reach (src/pipeline/budgets.ts), for a test file whose one
 * caller sends hundreds of operations (a corpus, an attack, a state read around every case) and tests
 * something else; test/budgets.e2e.test.ts tests the budgets.
 */
export const UNBUDGETED = { PARTNER_RATE_LIMIT: '1000000000', USER_RATE_LIMIT: '1000000000' } as const;

export const TEST_JWT_SECRET = 'test-secret-for-e2e-tests-only-0123456789abcdef';

export interface TestServer {
  server: RunningServer;
  url: string;
  wsUrl: string;
  client(token?: string): GqlClient;
  ws(token?: string): WsClient;
  tokens: {
    operator(): Promise<string>;
    partner(partnerId: string, role?: Role, sub?: string): Promise<string>;
    customer(customerId: string, sub?: string): Promise<string>;
  };
  /** SQL statements run by the server so far. */
  queryCount(): number;
  stop(): Promise<void>;
}

const isMysql = () => process.env.DB_TYPE === 'mysql';

/** A throwaway MariaDB database per test file, so files run in parallel without sharing rows. */
async function createMysqlDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/partner_center';
  const { host, port, username, password } = parseMysqlUrl(base);
  const name = `pc_test_${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection({ host, port, user: username, password });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const conn = await mysql.createConnection({ host, port, user: username, password });
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}

/** A new empty database for one server: a SQLite file in a temporary folder, or a MariaDB database when DB_TYPE=mysql. */
export async function freshDatabase(): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  if (isMysql()) {
    const db = await createMysqlDatabase();
    return { env: { DB_TYPE: 'mysql', MYSQL_URL: db.url }, cleanup: db.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), 'pc-test-'));
  return {
    env: { DB_TYPE: 'sqlite', SQLITE_PATH: join(dir, 'test.sqlite') },
    cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
}

/** Starts the real server on an ephemeral port over a fresh database (SQLite file, or MariaDB when DB_TYPE=mysql). */
/**
 * `clock`: the business rules' clock (ManualClock to move through days); `tokenClock`: the time tokens
 * are read against and socket expiry timers run on (ManualTokenClock to expire a token without waiting).
 */
export async function startTestServer(
  env: Record<string, string> = {},
  opts: { sameDatabaseAs?: TestServer; clock?: Clock; tokenClock?: TokenClock } = {},
): Promise<TestServer> {
  const shared = opts.sameDatabaseAs?.server.config;
  // a second server instance over the first one's database (the first one cleans it up)
  const { env: dbEnv, cleanup } = shared
    ? { env: { DB_TYPE: shared.dbType, SQLITE_PATH: shared.sqlitePath, MYSQL_URL: shared.mysqlUrl }, cleanup: async () => {} }
    : await freshDatabase();
  let config: AppConfig;
  let server: RunningServer;
  try {
    config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      DEMO_SEED: 'false',
      JWT_SECRET: TEST_JWT_SECRET,
      WEBHOOK_SECRET_KEY: 'test-webhook-key-for-e2e-tests-only-0123456789',
      // no background polling unless a test asks for it: tests that count SQL statements see only their own
      // (one server gets its events through the pubsub; new events wake the webhook worker by themselves)
      EVENT_POLL_INTERVAL: '1h',
      WEBHOOK_POLL_INTERVAL: '1h',
      PUBLIC_URL: 'https://partner.example.test',
      LOG_LEVEL: process.env.LOG_LEVEL || 'fatal',
      ...dbEnv,
      ...env,
    });
    server = await startServer(config, { clock: opts.clock, tokenClock: opts.tokenClock });
  } catch (err) {
    await cleanup();
    throw err;
  }
  const sign = (claims: Parameters<typeof signDevToken>[1]) => signDevToken(TEST_JWT_SECRET, claims, '1h');
  return {
    server,
    url: server.url,
    wsUrl: server.wsUrl,
    client: (token) => new GqlClient(server.url, token),
    ws: (token) => new WsClient(server.wsUrl, token),
    tokens: {
      operator: () => sign({ sub: 'operator-1', roles: [Role.PLATFORM_ADMIN] }),
      partner: (partnerId, role = Role.GLOBAL_ADMIN, sub) =>
        sign({ sub: sub ?? `user-${role.toLowerCase()}-${partnerId.slice(-6)}`, roles: [role], partnerId }),
      customer: (customerId, sub) => sign({ sub: sub ?? `customer-admin-${customerId.slice(-6)}`, roles: [Role.CUSTOMER_ADMIN], customerId }),
    },
    queryCount: () => queryCounter(server.ds).count,
    stop: async () => {
      await server.stop();
      await cleanup();
    },
  };
}

/** The real entry point (src/main.ts) as its own process, on the given database; resolves once it listens. */
export async function spawnServer(dbEnv: Record<string, string>, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', 'src/main.ts'], {
    env: {
      ...process.env,
      ...dbEnv,
      TS_NODE_TRANSPILE_ONLY: 'true',
      NODE_ENV: 'development',
      PORT: '0',
      DEMO_SEED: 'false',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; i < 300 && !/GraphQL server ready/.test(out) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
  const line = out.split('\n').find((l) => l.includes('GraphQL server ready'));
  if (!line) {
    child.kill('SIGKILL');
    throw new Error(`the server did not start:\n${out}`);
  }
  const { url } = JSON.parse(line) as { url: string };
  return { child, url, wsUrl: url.replace(/^http/, 'ws'), output: () => out, exited };
}
