/**
 * One partner's flood of expensive queries beside another partner's dashboard, with the default cost
 * budgets (PARTNER_RATE_LIMIT=1000000, USER_RATE_LIMIT=200000 points per minute).
 *
 *   NODE_ENV=production npm run bench:flood -- --customers 1000 --rounds 3 --duration 20
 *
 * Seeds partner B (N customers, bench/seed.ts) and, for each flood, a fresh partner A (100 customers:
 * its budgets are full at the start of every flood). Finds the largest page of A's customers with their
 * subscriptions that MAX_QUERY_COMPLEXITY accepts (its `extensions.cost.requested` is printed). Then, in
 * rounds, alternately:
 * - `alone`: B's dashboard (DASHBOARD_QUERY, `--rate` a second, open loop, over `--staff` user
 *   tokens: within B's own budgets) for `--duration` seconds;
 * - `1 user`: the same while A floods from 20 connections (autocannon, in its own process) with one
 *   user's token: A's user budget refuses first;
 * - `N users`: the same with `--users` tokens of A (round robin over the connections): A's partner
 *   budget refuses first.
 * Prints, per configuration (median of the rounds), B's p50/p99 and their ratio to `alone`, B's p99
 * before and after the flooder's first 429, the flooder's time to its first 429, its 200 and 429
 * counts, the share of its requests refused after the first 429, and the server's CPU per request.
 */
import { spawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { DASHBOARD_QUERY } from './dashboard';
import { seedProvider } from './seed';
import { arg, BENCH_SECRET, cpuMs, percentile, startBenchServer } from './support';

/** A page of `n` customers with their relations and first 5 subscriptions (a shape bench/query-cost.ts prices). */
const floodQuery = (n: number) =>
  `{ customers(first: ${n}) { totalCount edges { node { id companyName domain address { city country } relationship { status establishedAt } indirectReseller { id name } subscriptions(first: 5) { totalCount edges { node { id quantity offer { id name } reseller { id name mpnId } supportContact { id name } } } } } } } }`;

interface FloodConfig {
  url: string;
  tokens: string[];
  query: string;
  connections: number;
  seconds: number;
}

interface FloodResult {
  startedAt: number;
  first429At?: number;
  ok: number;
  limited: number;
  other: number;
  okAfter: number;
  limitedAfter: number;
}

/** The flooder's process: autocannon with each connection signed in as one of the tokens, round robin. */
async function flooder(config: FloodConfig) {
  let nextToken = 0;
  const result: FloodResult = { startedAt: Date.now(), ok: 0, limited: 0, other: 0, okAfter: 0, limitedAfter: 0 };
  // without a callback autocannon returns its instance (an emitter of each response) that is also a promise of the result
  const instance = autocannon({
    url: config.url,
    method: 'POST',
    connections: config.connections,
    duration: config.seconds,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: config.query }),
    setupClient: (client) => {
      client.setHeaders({ 'content-type': 'application/json', authorization: `Bearer ${config.tokens[nextToken++ % config.tokens.length]}` });
    },
  });
  (instance as unknown as EventEmitter).on('response', (_client: unknown, status: number) => {
    if (status === 429) {
      result.first429At ??= Date.now();
      result.limited++;
      result.limitedAfter++;
    } else if (status === 200) {
      result.ok++;
      if (result.first429At) result.okAfter++;
    } else result.other++;
  });
  process.stdout.write(`started ${result.startedAt}\n`);
  await instance;
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
}

/** Starts the flooder as its own process (its load generator must not share B's event loop); resolves once it has started. */
async function startFlooder(config: FloodConfig): Promise<{ startedAt: number; done: Promise<FloodResult> }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/flood.ts', '--flooder'], {
    env: { ...process.env, FLOOD_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let started: (at: number) => void;
  const startedAt = new Promise<number>((resolve) => (started = resolve));
  const done = new Promise<FloodResult>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += String(d);
      const s = /started (\d+)/.exec(out);
      if (s) started(Number(s[1]));
      const r = /result (.*)\n/.exec(out);
      if (r) resolve(JSON.parse(r[1]) as FloodResult);
    });
    child.once('exit', (code) => reject(new Error(`flooder exited with ${code}: ${out.slice(-500)}`)));
  });
  return { startedAt: await startedAt, done };
}

/**
 * B's dashboard, open loop: `rate` requests a second (one every 1000 / rate ms, whether the previous
 * ones have answered or not), signed in as its staff's tokens in turn; every answer's end time and latency.
 */
async function dashboard(url: string, tokens: string[], rate: number, seconds: number) {
  const agent = new Agent({ keepAlive: true });
  const body = JSON.stringify({ query: DASHBOARD_QUERY });
  const target = new URL(url);
  const samples: { at: number; ms: number }[] = [];
  const failures: number[] = [];
  const once = (token: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const count = Math.round(rate * seconds);
  const start = performance.now();
  const sent: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // latency from when it was due, so that a late send (this loop held up) counts too
    sent.push(
      once(tokens[i % tokens.length]).then((status) => {
        if (status === 200) samples.push({ at: Date.now(), ms: performance.now() - due });
        else failures.push(status);
      }),
    );
  }
  await Promise.all(sent);
  agent.destroy();
  return { samples, failures: failures.length };
}

const p = (samples: { ms: number }[], q: number) =>
  percentile(
    samples.map((s) => s.ms).sort((a, b) => a - b),
    q,
  );
const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

interface Round {
  p50: number;
  p99: number;
  p99Before?: number;
  p99After?: number;
  bRequests: number;
  bFailures: number;
  serverCpuMs: number;
  flood?: FloodResult;
}

async function main() {
  const customers = arg('customers', 1000);
  const seconds = arg('duration', 20);
  const rounds = arg('rounds', 3);
  const connections = arg('connections', 20);
  const users = arg('users', 10);
  // B's staff: 40 dashboards refreshed every 4 s (10 a second, 12,200 points a second: within B's budgets)
  const staff = arg('staff', 40);
  const rate = arg('rate', 10);
  // the default budgets: whatever this shell says
  delete process.env.PARTNER_RATE_LIMIT;
  delete process.env.USER_RATE_LIMIT;
  delete process.env.REDIS_URL;
  const server = await startBenchServer(arg('port', 4640));
  try {
    console.log(`seeding partner B with ${customers} customers through the API…`);
    const b = await seedProvider(server.url, customers, 0);
    const bTokens = await Promise.all(
      Array.from({ length: staff }, (_, i) => signDevToken(BENCH_SECRET, { sub: `staff-${i}`, roles: [Role.GLOBAL_ADMIN], partnerId: b.providerId })),
    );

    // the largest flood query the cost limit accepts, priced on a partner of its own (cost does not depend on the data)
    const probe = await seedProvider(server.url, 0, 0);
    const post = async (token: string, query: string) => {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      return { status: res.status, body: (await res.json()) as { errors?: { message: string }[]; extensions?: { cost?: { requested: number } } } };
    };
    let lo = 1;
    let hi = 100;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((await post(probe.providerToken, floodQuery(mid))).status === 200) lo = mid;
      else hi = mid - 1;
    }
    const query = floodQuery(lo);
    const priced = await post(probe.providerToken, query);
    if (priced.status !== 200 || priced.body.errors) throw new Error(`the flood query is refused: ${JSON.stringify(priced.body).slice(0, 500)}`);
    const floodCost = priced.body.extensions?.cost?.requested ?? NaN;
    const dash = await post(b.providerToken, DASHBOARD_QUERY);
    console.log(
      `flood query: customers(first: ${lo}) with relations × subscriptions(first: 5), extensions.cost.requested ${floodCost}; dashboard ${dash.body.extensions?.cost?.requested}`,
    );

    // --only 1 (one user) or --only n (several users): that flood and the baseline
    const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
    const modes = (['alone', '1 user', `${users} users`] as const).filter((m) => !only || m === 'alone' || (only === '1') === (m === '1 user'));
    const results = new Map<string, Round[]>(modes.map((m) => [m, []]));
    // warm the server (JIT, statement caches) with B's dashboard and one flood
    await dashboard(server.url, bTokens, rate, 3);
    for (let round = 0; round < rounds; round++) {
      // rotate the order so that no configuration always runs first
      const order = modes.map((_, i) => modes[(i + round) % modes.length]);
      for (const mode of order) {
        let flood: { startedAt: number; done: Promise<FloodResult> } | undefined;
        if (mode !== 'alone') {
          // a fresh flooding partner: its budgets are full
          const a = await seedProvider(server.url, 100, 0);
          const n = mode === '1 user' ? 1 : users;
          const tokens = await Promise.all(
            Array.from({ length: n }, (_, i) =>
              signDevToken(BENCH_SECRET, { sub: `flood-${a.providerId}-${i}`, roles: [Role.GLOBAL_ADMIN], partnerId: a.providerId }),
            ),
          );
          flood = await startFlooder({ url: server.url, tokens, query, connections, seconds });
        }
        const cpu0 = cpuMs(server.pid);
        const { samples, failures } = await dashboard(server.url, bTokens, rate, seconds);
        const floodResult = await flood?.done;
        const serverCpuMs = cpuMs(server.pid) - cpu0;
        const split = floodResult?.first429At;
        const r: Round = {
          p50: p(samples, 50),
          p99: p(samples, 99),
          p99Before: split
            ? p(
                samples.filter((s) => s.at <= split),
                99,
              )
            : undefined,
          p99After: split
            ? p(
                samples.filter((s) => s.at > split),
                99,
              )
            : undefined,
          bRequests: samples.length,
          bFailures: failures,
          serverCpuMs,
          flood: floodResult,
        };
        results.get(mode)!.push(r);
        const f = floodResult;
        console.log(
          `round ${round + 1} ${mode}: B p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms (${r.bRequests} answers, ${failures} failed)` +
            (f
              ? `; flooder first 429 after ${f.first429At ? ((f.first429At - f.startedAt) / 1000).toFixed(2) + ' s' : 'never'}, ${f.ok} × 200, ${f.limited} × 429, ${f.other} other; B p99 before/after it ${r.p99Before?.toFixed(1)}/${r.p99After?.toFixed(1)} ms`
              : '') +
            `; server CPU ${(serverCpuMs / seconds / 10).toFixed(0)}%`,
        );
      }
    }

    const alone = median(results.get('alone')!.map((r) => r.p99));
    console.log(
      `\nNODE_ENV=${process.env.NODE_ENV ?? 'development'}, default budgets, B: ${customers} customers, ${rate} dashboards/s over ${staff} staff tokens; A: ${connections} connections; ${rounds} rounds × ${seconds} s, medians of rounds`,
    );
    console.log(
      '| configuration | B p50 ms | B p99 ms | B p99 / alone | B p99 before / after first 429 | A first 429 after | A 200 | A 429 | A refused after first 429 | server CPU ms per request |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const mode of modes) {
      const rs = results.get(mode)!;
      const m = (pick: (r: Round) => number | undefined) => median(rs.map((r) => pick(r) ?? NaN));
      const requests = (r: Round) => r.bRequests + r.bFailures + (r.flood ? r.flood.ok + r.flood.limited + r.flood.other : 0);
      const f = (pick: (f: FloodResult) => number | undefined) => m((r) => (r.flood ? pick(r.flood) : undefined));
      console.log(
        `| ${mode === 'alone' ? 'B alone' : `B + A flooding, ${mode}`} | ${m((r) => r.p50).toFixed(1)} | ${m((r) => r.p99).toFixed(1)} | ${(m((r) => r.p99) / alone).toFixed(2)}× | ` +
          (mode === 'alone'
            ? ' | | | | | '
            : `${m((r) => r.p99Before).toFixed(1)} / ${m((r) => r.p99After).toFixed(1)} | ${(f((x) => (x.first429At ? x.first429At - x.startedAt : undefined)) / 1000).toFixed(2)} s | ${f((x) => x.ok)} | ${f((x) => x.limited)} | ${(100 * f((x) => x.limitedAfter / (x.limitedAfter + x.okAfter))).toFixed(1)}% | `) +
          `${m((r) => r.serverCpuMs / requests(r)).toFixed(2)} |`,
      );
    }
  } finally {
    await server.stop();
  }
}

if (require.main === module) {
  const run = process.argv.includes('--flooder') ? flooder(JSON.parse(process.env.FLOOD_CONFIG!) as FloodConfig) : main();
  run.catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
