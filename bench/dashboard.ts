/**
 * The dashboard read path against a hand-written server, in the same run on the same database.
 *
 *   NODE_ENV=production npm run bench:dashboard -- --customers 1000 --db sqlite
 *   NODE_ENV=production MYSQL_URL=mariadb://pc:…@127.0.0.1:3307/partner_center npm run bench:dashboard -- --db mysql
 *
 * Seeds an indirect provider with N customers through the API (half of them through its indirect
 * reseller, one subscription each), then starts the bare baseline (bench/bare-dashboard-server.ts:
 * node:http and the driver, one JOIN and one COUNT) on the same database, checks that both answer
 * the same JSON data, and loads each with autocannon (same connections, same duration, alternately,
 * `rounds` times). Prints req/s, p50 and p99 latency of both and the ratio ours / bare.
 */
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import { seedProvider } from './seed';
import { arg, startBenchServer } from './support';

export const DASHBOARD_QUERY =
  '{ customers(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id companyName domain cloud address { city country } relationship { status establishedAt } delegatedAdminPrivileges { status } indirectReseller { id name mpnId } } } } }';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** A fresh, empty MySQL/MariaDB database next to the one MYSQL_URL names; returns its URL. */
export async function freshMysqlDatabase(name: string): Promise<string> {
  const base = process.env.MYSQL_URL;
  if (!base) throw new Error('--db mysql needs MYSQL_URL (e.g. mariadb://pc:pc-dev-password@127.0.0.1:3307/partner_center)');
  const url = new URL(base);
  const conn = await createConnection({ uri: base.replace(/^mariadb:/, 'mysql:') });
  await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  url.pathname = `/${name}`;
  return url.toString();
}

/** Starts bench/bare-dashboard-server.ts as its own process and waits for its "ready". */
export async function startBareServer(port: number, partnerId: string, db: 'sqlite' | 'mysql', location: string) {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/bare-dashboard-server.ts', String(port), partnerId, db, location], {
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => String(d).includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

async function post(url: string, token: string, query: string): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return res.json();
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

export async function load(url: string, token: string, query: string, connections: number, seconds: number): Promise<LoadResult> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function main() {
  const customers = arg('customers', 1000);
  const connections = arg('connections', 10);
  const seconds = arg('duration', 10);
  const rounds = arg('rounds', 2);
  const db = option('db', 'sqlite') as 'sqlite' | 'mysql';
  const env: Record<string, string> = { DB_TYPE: db };
  if (db === 'mysql') env.MYSQL_URL = await freshMysqlDatabase('pc_bench_dashboard');

  const server = await startBenchServer(arg('port', 4630), env);
  let bare: Awaited<ReturnType<typeof startBareServer>> | undefined;
  try {
    console.log(`seeding ${customers} customers through the API…`);
    const data = await seedProvider(server.url, customers, 0);
    bare = await startBareServer(arg('bare-port', 4631), data.providerId, db, db === 'sqlite' ? server.sqlitePath : env.MYSQL_URL);

    const ours = (await post(server.url, data.providerToken, DASHBOARD_QUERY)) as { data?: unknown };
    const theirs = (await post(bare.url, data.providerToken, DASHBOARD_QUERY)) as { data?: unknown };
    if (JSON.stringify(ours.data) !== JSON.stringify(theirs.data)) {
      throw new Error(`the two servers answer different data:\nours: ${JSON.stringify(ours).slice(0, 600)}\nbare: ${JSON.stringify(theirs).slice(0, 600)}`);
    }
    console.log(`both answer the same ${JSON.stringify(ours.data).length} bytes of data`);

    // warm both (statement caches, JIT), then alternate
    await load(bare.url, data.providerToken, DASHBOARD_QUERY, connections, 2);
    await load(server.url, data.providerToken, DASHBOARD_QUERY, connections, 2);
    const runs: { ours: LoadResult; bare: LoadResult }[] = [];
    for (let i = 0; i < rounds; i++) {
      const b = await load(bare.url, data.providerToken, DASHBOARD_QUERY, connections, seconds);
      const o = await load(server.url, data.providerToken, DASHBOARD_QUERY, connections, seconds);
      runs.push({ ours: o, bare: b });
    }
    const mean = (pick: (r: { ours: LoadResult; bare: LoadResult }) => number) => runs.reduce((s, r) => s + pick(r), 0) / runs.length;
    const errors = runs.reduce((s, r) => s + r.ours.errors + r.bare.errors, 0);
    console.log(
      `\nNODE_ENV=${process.env.NODE_ENV ?? 'development'}, ${db}, ${customers} customers, ${connections} connections, ${rounds} × ${seconds} s each`,
    );
    console.log('| server | req/s | p50 ms | p99 ms |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| ours | ${mean((r) => r.ours.rps).toFixed(0)} | ${mean((r) => r.ours.p50).toFixed(1)} | ${mean((r) => r.ours.p99).toFixed(1)} |`);
    console.log(
      `| bare node:http + driver | ${mean((r) => r.bare.rps).toFixed(0)} | ${mean((r) => r.bare.p50).toFixed(1)} | ${mean((r) => r.bare.p99).toFixed(1)} |`,
    );
    console.log(`\nratio ours / bare (req/s): ${(mean((r) => r.ours.rps) / mean((r) => r.bare.rps)).toFixed(2)}   errors: ${errors}`);
  } finally {
    await bare?.stop();
    await server.stop();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
