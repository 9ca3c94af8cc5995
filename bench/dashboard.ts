/**
 * The dashboard read path against a hand-written server, in the same run on the same database.
 *
 *   NODE_ENV=production npm run bench:dashboard -- --customers 1000 --db sqlite
 *   NODE_ENV=production MYSQL_URL=mariadb://pc:…@127.0.0.1:3307/partner_center npm run bench:dashboard -- --db mysql
 *
 * Seeds an indirect provider with N customers through the API (half of them through its indirect
 * reseller, one subscription each), then starts the bare baseline (bench/bare-dashboard-server.ts:
 * node:http and the driver, an HS256 token check, one prepared JOIN and one prepared COUNT) on the
 * same database, checks that both answer the same JSON data, and loads each with autocannon (same
 * connections, same duration, alternately, `rounds` times). Prints req/s, p50 and p99 latency of
 * both and the ratio ours / bare.
 *
 *   NODE_ENV=production npm run bench:dashboard -- --tokens 1000
 *
 * `--tokens N` (default 1): the load sends N distinct tokens in rotation (N users of the provider,
 * each its own `sub`), the same rotation to both servers, so that no cache of one token carries the
 * figure.
 *
 *   NODE_ENV=production npm run bench:dashboard -- --budgets --rounds 5
 *
 * `--budgets`: what the cost budgets cost. Three of our servers on the same database (SQLite) beside the
 * bare one: budgets off (PARTNER_RATE_LIMIT=0 USER_RATE_LIMIT=0), on in memory and on in a throwaway
 * redis-server (REDIS_URL), both set to 1,000,000,000 points a minute so that nothing is refused. Loads
 * the four in turn, `rounds` times (the order rotated every round), and prints each one's req/s, p50,
 * p99, its ratio to the bare server (the median of the rounds' ratios) and that ratio against `off`.
 *
 *   NODE_ENV=production npm run bench:dashboard -- --observability --rounds 5
 *
 * `--observability`: what the metrics, the operation log lines and tracing cost (see `observability`).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { seedProvider } from './seed';
import { startRedis } from '../test/support/redis';
import { arg, BENCH_SECRET, percentile, startBenchServer } from './support';

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
export async function startBareServer(port: number, db: 'sqlite' | 'mysql', location: string) {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/bare-dashboard-server.ts', String(port), db, location], {
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

/** `token`: one token, or several sent in rotation (each request the next one). */
export async function load(url: string, token: string | string[], query: string, connections: number, seconds: number): Promise<LoadResult> {
  const tokens = typeof token === 'string' ? [token] : token;
  let next = 0;
  const headers = (t: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${t}` });
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: headers(tokens[0]),
    body: JSON.stringify({ query }),
    ...(tokens.length > 1 ? { requests: [{ setupRequest: (req) => ({ ...req, headers: headers(tokens[next++ % tokens.length]) }) }] } : {}),
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function main() {
  if (process.argv.includes('--budgets')) return budgets();
  if (process.argv.includes('--observability')) return observability();
  const customers = arg('customers', 1000);
  const connections = arg('connections', 10);
  const seconds = arg('duration', 10);
  const rounds = arg('rounds', 2);
  const db = option('db', 'sqlite') as 'sqlite' | 'mysql';
  const tokenCount = arg('tokens', 1);
  // budgets off: a single caller's load would be its budget's, not the read path's (--budgets measures them)
  const env: Record<string, string> = { DB_TYPE: db, ...UNLIMITED };
  if (db === 'mysql') env.MYSQL_URL = await freshMysqlDatabase('pc_bench_dashboard');

  const server = await startBenchServer(arg('port', 4630), env);
  let bare: Awaited<ReturnType<typeof startBareServer>> | undefined;
  try {
    console.log(`seeding ${customers} customers through the API…`);
    const data = await seedProvider(server.url, customers, 0);
    bare = await startBareServer(arg('bare-port', 4631), db, db === 'sqlite' ? server.sqlitePath : env.MYSQL_URL);
    const tokens = await partnerTokens(data.providerId, data.providerToken, tokenCount);

    const ours = (await post(server.url, data.providerToken, DASHBOARD_QUERY)) as { data?: unknown };
    const theirs = (await post(bare.url, data.providerToken, DASHBOARD_QUERY)) as { data?: unknown };
    if (JSON.stringify(ours.data) !== JSON.stringify(theirs.data)) {
      throw new Error(`the two servers answer different data:\nours: ${JSON.stringify(ours).slice(0, 600)}\nbare: ${JSON.stringify(theirs).slice(0, 600)}`);
    }
    console.log(`both answer the same ${JSON.stringify(ours.data).length} bytes of data`);

    // a token signed with another secret: refused
    const forged = await signDevToken(`${BENCH_SECRET}-not`, { sub: 'bench-forger', roles: [Role.GLOBAL_ADMIN], partnerId: data.providerId });
    const unauthorized = await fetch(bare.url, { method: 'POST', headers: { authorization: `Bearer ${forged}` }, body: '{}' });
    if (unauthorized.status !== 401) throw new Error(`the bare server answers a bad token ${unauthorized.status}`);

    // warm both (statement caches, JIT), then alternate
    await load(bare.url, tokens, DASHBOARD_QUERY, connections, 2);
    await load(server.url, tokens, DASHBOARD_QUERY, connections, 2);
    const runs: { ours: LoadResult & { cpu: number }; bare: LoadResult & { cpu: number } }[] = [];
    for (let i = 0; i < rounds; i++) {
      // the server process's CPU time per request too: what the machine's other tenants change least
      const measured = async (url: string, pid: number) => {
        const before = cpuMs(pid);
        const result = await load(url, tokens, DASHBOARD_QUERY, connections, seconds);
        return { ...result, cpu: (cpuMs(pid) - before) / (result.rps * seconds) };
      };
      const b = await measured(bare.url, bare.pid);
      const o = await measured(server.url, server.pid);
      runs.push({ ours: o, bare: b });
      console.log(
        `round ${i + 1}: ours ${o.rps.toFixed(0)} req/s (${o.cpu.toFixed(3)} CPU ms/request), bare ${b.rps.toFixed(0)} req/s (${b.cpu.toFixed(3)} CPU ms/request)`,
      );
    }
    const mean = (pick: (r: (typeof runs)[number]) => number) => runs.reduce((s, r) => s + pick(r), 0) / runs.length;
    const errors = runs.reduce((s, r) => s + r.ours.errors + r.bare.errors, 0);
    console.log(
      `\nNODE_ENV=${process.env.NODE_ENV ?? 'development'}, ${db}, ${customers} customers, ${connections} connections, ${tokenCount} tokens, ${rounds} × ${seconds} s each`,
    );
    console.log('| server | req/s | p50 ms | p99 ms |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| ours | ${mean((r) => r.ours.rps).toFixed(0)} | ${mean((r) => r.ours.p50).toFixed(1)} | ${mean((r) => r.ours.p99).toFixed(1)} |`);
    console.log(
      `| bare node:http + driver | ${mean((r) => r.bare.rps).toFixed(0)} | ${mean((r) => r.bare.p50).toFixed(1)} | ${mean((r) => r.bare.p99).toFixed(1)} |`,
    );
    const ratio = mean((r) => r.ours.rps) / mean((r) => r.bare.rps);
    console.log(`\ndashboard ratio ours/bare: ${ratio.toFixed(2)} (${db}, ${tokenCount} token${tokenCount === 1 ? '' : 's'})   errors: ${errors}`);
    console.log(`CPU per request, bare/ours: ${(mean((r) => r.bare.cpu) / mean((r) => r.ours.cpu)).toFixed(2)} (the ratio with other load on the machine)`);
  } finally {
    await bare?.stop();
    await server.stop();
  }
}

/** A process's CPU time so far (user + system), in milliseconds, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are the 14th and 15th fields of the line, in clock ticks (100 a second)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** A server variant of a comparison: its name and its environment (on top of the bench server's). */
interface Variant {
  name: string;
  env: Record<string, string>;
}

/**
 * The dashboard's ratio to the bare server for each of `variants` (each its own process, all on the first
 * one's SQLite file), loaded in turn `rounds` times with the order rotated every round; prints each
 * one's req/s, p50, p99, its ratio to the bare server (the median of the rounds' ratios) and that ratio
 * against the first variant's. `during` runs beside each load (a scraper).
 */
async function compareServers(variants: Variant[], note: string, during?: (target: string) => () => void) {
  const customers = arg('customers', 1000);
  const connections = arg('connections', 10);
  const seconds = arg('duration', 10);
  const rounds = arg('rounds', 5);
  const port = arg('port', 4632);
  const first = await startBenchServer(port, variants[0].env);
  const servers: { name: string; url: string; pid: number; stop: () => Promise<void> }[] = [{ name: variants[0].name, ...first }];
  let bare: Awaited<ReturnType<typeof startBareServer>> | undefined;
  try {
    console.log(`seeding ${customers} customers through the API…`);
    const data = await seedProvider(first.url, customers, 0);
    // the same SQLite file: the same data, each server its own process
    for (const [i, v] of variants.slice(1).entries()) {
      servers.push({ name: v.name, ...(await startBenchServer(port + 1 + i, { ...v.env, SQLITE_PATH: first.sqlitePath })) });
    }
    bare = await startBareServer(arg('bare-port', 4631), 'sqlite', first.sqlitePath);
    const targets = [{ name: 'bare node:http + driver', url: bare.url, pid: bare.pid }, ...servers];
    const expected = JSON.stringify(((await post(bare.url, data.providerToken, DASHBOARD_QUERY)) as { data?: unknown }).data);
    for (const s of servers) {
      const answer = (await post(s.url, data.providerToken, DASHBOARD_QUERY)) as { data?: unknown; extensions?: { cost?: unknown } };
      if (JSON.stringify(answer.data) !== expected) throw new Error(`${s.name} answers other data: ${JSON.stringify(answer).slice(0, 600)}`);
      console.log(`${s.name}: same data, extensions.cost ${JSON.stringify(answer.extensions?.cost ?? null)}`);
    }
    for (const t of targets) await load(t.url, data.providerToken, DASHBOARD_QUERY, connections, 2);
    const runs = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
    const ratios = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    // the server process's CPU time per request: what the machine's other tenants (steal time) change least
    const cpuPerRequest = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    for (let i = 0; i < rounds; i++) {
      const order = targets.map((_, j) => targets[(j + i) % targets.length]);
      const round = new Map<string, LoadResult>();
      for (const t of order) {
        const stop = during?.(t.url);
        const cpuBefore = cpuMs(t.pid);
        const result = await load(t.url, data.providerToken, DASHBOARD_QUERY, connections, seconds);
        cpuPerRequest.get(t.name)!.push((cpuMs(t.pid) - cpuBefore) / (result.rps * seconds));
        round.set(t.name, result);
        stop?.();
      }
      for (const [name, r] of round) runs.get(name)!.push(r);
      const bareRps = round.get(targets[0].name)!.rps;
      for (const s of servers) ratios.get(s.name)!.push(round.get(s.name)!.rps / bareRps);
      console.log(`round ${i + 1}: ${[...round].map(([name, r]) => `${name} ${r.rps.toFixed(0)} req/s`).join(', ')}`);
    }
    const median = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        50,
      );
    const errors = [...runs.values()].flat().reduce((sum, r) => sum + r.errors, 0);
    console.log(
      `\nNODE_ENV=${process.env.NODE_ENV ?? 'development'}, sqlite, ${customers} customers, ${connections} connections, ${rounds} rounds × ${seconds} s each, medians of rounds; ${note}`,
    );
    console.log(`| server | req/s | p50 ms | p99 ms | ratio to bare | against ${variants[0].name} | CPU ms per request | against ${variants[0].name} |`);
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    const off = median(ratios.get(variants[0].name)!);
    const offCpu = median(cpuPerRequest.get(variants[0].name)!);
    for (const t of targets) {
      const rs = runs.get(t.name)!;
      const ratio = ratios.get(t.name);
      const cpu = median(cpuPerRequest.get(t.name)!);
      console.log(
        `| ${t.name} | ${median(rs.map((r) => r.rps)).toFixed(0)} | ${median(rs.map((r) => r.p50)).toFixed(1)} | ${median(rs.map((r) => r.p99)).toFixed(1)} | ` +
          (ratio ? `${median(ratio).toFixed(3)} | ${((median(ratio) / off - 1) * 100).toFixed(1)}% | ` : '1 | | ') +
          `${cpu.toFixed(3)} | ${ratio ? `${((cpu / offCpu - 1) * 100).toFixed(1)}%` : ''} |`,
      );
    }
    console.log(`\nerrors: ${errors}`);
  } finally {
    await bare?.stop();
    for (const s of servers) await s.stop();
  }
}

/** `count` tokens of distinct users of the partner (GLOBAL_ADMIN, each its own `sub`); the first is `first`. */
async function partnerTokens(partnerId: string, first: string, count: number): Promise<string[]> {
  const others = await Promise.all(
    Array.from({ length: count - 1 }, (_, i) => signDevToken(BENCH_SECRET, { sub: `bench-user-${i}-${partnerId}`, roles: [Role.GLOBAL_ADMIN], partnerId })),
  );
  return [first, ...others];
}

/** The dashboard's ratio to the bare server with the budgets off, on in memory and on in Redis (too high to refuse anything). */
async function budgets() {
  const high = '1000000000';
  const redis = await startRedis();
  const on = { PARTNER_RATE_LIMIT: high, USER_RATE_LIMIT: high };
  try {
    await compareServers(
      [
        { name: 'budgets off', env: { PARTNER_RATE_LIMIT: '0', USER_RATE_LIMIT: '0' } },
        { name: 'budgets in memory', env: on },
        { name: 'budgets in Redis', env: { ...on, REDIS_URL: redis.url } },
      ],
      `budgets on: ${high} points a minute`,
    );
  } finally {
    await redis.stop();
  }
}

const METRICS_TOKEN = 'bench-metrics-token-0123456789';
/** A local OTLP/HTTP receiver: answers every export 200, prints its port, and on SIGTERM what it received. */
const OTLP_RECEIVER = `
let requests = 0, bytes = 0;
const server = require('node:http').createServer((req, res) => {
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => { requests++; res.writeHead(200, { 'content-type': 'application/json' }).end('{}'); });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => { console.log(requests + ' exports, ' + (bytes / 1e6).toFixed(1) + ' MB of spans'); process.exit(0); });
`;

/** the cost budgets off: one caller's load measures the server, not its budget (bench:dashboard -- --budgets measures those) */
const UNLIMITED = { PARTNER_RATE_LIMIT: '0', USER_RATE_LIMIT: '0' };

/**
 * What operating the server costs: everything off (production without METRICS_PORT or METRICS_TOKEN,
 * logs at warn), the metrics on (METRICS_TOKEN; scraped every second during the load, 15 times more
 * often than Prometheus's default), the metrics and one info log line per operation, and tracing on
 * (OTEL_EXPORTER_OTLP_ENDPOINT) sending its spans to a local OTLP/HTTP receiver (its own process) that counts them,
 * every request traced, then one request in ten (OTEL_TRACES_SAMPLER=parentbased_traceidratio).
 * Prints each one's CPU time per request too: on a shared machine it moves less than req/s.
 */
async function observability() {
  // the receiver runs in a process of its own: in this one it would take the load generator's turns
  const receiver = spawn(process.execPath, ['-e', OTLP_RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  receiver.stdout.on('data', (d: Buffer) => lines.push(...String(d).split('\n').filter(Boolean)));
  const port = await new Promise<number>((resolve, reject) => {
    receiver.stdout.once('data', (d: Buffer) => resolve(Number(String(d).split('\n')[0])));
    receiver.once('exit', (code) => reject(new Error(`OTLP receiver exited with ${code}`)));
  });
  const otlp = `http://127.0.0.1:${port}`;
  let scrapes = 0;
  try {
    await compareServers(
      [
        { name: 'all off', env: { ...UNLIMITED } },
        { name: 'metrics on', env: { ...UNLIMITED, METRICS_TOKEN } },
        { name: 'metrics and info logs', env: { ...UNLIMITED, METRICS_TOKEN, LOG_LEVEL: 'info' } },
        { name: 'tracing on', env: { ...UNLIMITED, OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_SERVICE_NAME: 'bench' } },
        {
          name: 'tracing on, 1 in 10 sampled',
          env: {
            ...UNLIMITED,
            OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
            OTEL_SERVICE_NAME: 'bench',
            OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
            OTEL_TRACES_SAMPLER_ARG: '0.1',
          },
        },
      ],
      'metrics scraped every second; info logs to /dev/null; spans to a local OTLP/HTTP receiver',
      (target) => {
        const url = target.replace(/\/graphql$/, '/metrics');
        const timer = setInterval(() => {
          void fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then(
            (res) => res.ok && scrapes++,
            () => {},
          );
        }, 1000);
        return () => clearInterval(timer);
      },
    );
  } finally {
    const exited = new Promise((resolve) => receiver.once('exit', resolve));
    receiver.kill('SIGTERM');
    await exited;
  }
  console.log(`metrics scrapes answered: ${scrapes}; OTLP receiver: ${lines[lines.length - 1]}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
