/**
 * Audit export memory: `GET /exports/activities` against the built server in its own process, so that
 * its resident memory (VmRSS, /proc/<pid>/status) is its own. One partner's trail is seeded in bulk
 * straight into the server's SQLite file (with its tallies), then exported as CSV and as NDJSON; each
 * export must have as many rows as the query's totalCount. The server's RSS is read before, every
 * 50 ms during the exports (the peak), and after; the target is a growth under 50 MB, however many rows.
 *
 *   NODE_ENV=production npm run bench:audit-export [-- --rows 1000000] [-- --port 4730]
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { newId } from '../src/common/ids';
import { arg, BENCH_SECRET, startBenchServer } from './support';

const mb = (kb: number) => (kb / 1024).toFixed(1);
const TARGET_MB = 50;

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, ''));
}

async function graphql<T>(url: string, token: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(JSON.stringify(body.errors ?? body));
  return body.data;
}

/** `rows` records of one partner, written in one transaction per 10,000, with the partner's and everyone's tallies. */
function seed(sqlitePath: string, partnerId: string, rows: number): void {
  const db = new Database(sqlitePath);
  db.pragma('busy_timeout = 10000');
  const insert = db.prepare(
    `INSERT INTO activity (id, occurredAt, action, actorUserId, actorRoles, actorPartnerId, actorCustomerId, partnerId, customerId, subjectId, subjectType, attestation, details, changeSet, correlationId, via)
     VALUES (?, ?, 'SUBSCRIPTION_UPDATED', ?, 'GLOBAL_ADMIN', ?, NULL, ?, ?, ?, 'SUBSCRIPTION', NULL, NULL, ?, ?, 'API')`,
  );
  const tally = db.prepare('INSERT INTO tally (name, owner, total) VALUES (?, ?, ?) ON CONFLICT (name, owner) DO UPDATE SET total = total + excluded.total');
  const customers = Array.from({ length: 50 }, () => newId());
  const start = Date.now() - rows * 10;
  for (let i = 0; i < rows; i += 10_000) {
    const n = Math.min(10_000, rows - i);
    db.transaction(() => {
      for (let j = 0; j < n; j++) {
        const k = i + j;
        const at = new Date(start + k * 10).toISOString().replace('T', ' ').replace('Z', '');
        const changes = JSON.stringify([{ field: 'quantity', before: String(k % 300), after: String((k % 300) + 1) }]);
        // every 1,000th actor is a would-be formula, for the CSV's quoting
        const actor = k % 1000 === 0 ? '=HYPERLINK("https://attacker.example")' : `user-${k % 20}@bench.example`;
        insert.run(newId(), at, actor, partnerId, partnerId, customers[k % 50], newId(), changes, `req-${k}`);
      }
      tally.run('activities', partnerId, n);
      tally.run('activities', '*', n);
    })();
  }
  db.close();
}

/** Streams one export, counting its rows, while the server's RSS is sampled. */
async function exportOnce(base: string, token: string, format: 'csv' | 'ndjson', pid: number) {
  let peak = rssKb(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssKb(pid))), 50);
  const started = process.hrtime.bigint();
  const res = await fetch(`${base}/exports/activities?format=${format}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`export ${format}: ${res.status} ${await res.text()}`);
  let lines = 0;
  let bytes = 0;
  const separator = format === 'csv' ? '\r\n' : '\n';
  let tail = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    const text = tail + decoder.decode(chunk, { stream: true });
    const parts = text.split(separator);
    tail = parts.pop()!;
    lines += parts.length;
  }
  clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peak = Math.max(peak, rssKb(pid));
  const rows = format === 'csv' ? lines - 1 : lines;
  return { rows, bytes, seconds, peak, type: res.headers.get('content-type') };
}

async function main() {
  const rows = arg('rows', 100_000);
  const server = await startBenchServer(arg('port', 4730), { NODE_ENV: 'production', EXPLORER: 'off' });
  try {
    const base = server.url.replace(/\/graphql$/, '');
    const operator = await signDevToken(BENCH_SECRET, { sub: 'bench-operator', roles: [Role.PLATFORM_ADMIN] }, '1h');
    const { createPartner } = await graphql<{ createPartner: { partner: { id: string } } }>(
      server.url,
      operator,
      'mutation ($input: CreatePartnerInput!) { createPartner(input: $input) { partner { id } } }',
      { input: { name: 'Audit Export Bench Ltd', mpnId: '7000001', type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'bench@audit.example' } },
    );
    const partnerId = createPartner.partner.id;
    const token = await signDevToken(BENCH_SECRET, { sub: 'bench-admin', roles: [Role.GLOBAL_ADMIN], partnerId }, '1h');
    let t0 = Date.now();
    seed(server.sqlitePath, partnerId, rows);
    console.log(`seeded ${rows.toLocaleString('en')} audit records in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // the seeding held this process's event loop: let the keep-alive socket the server closed meanwhile be seen closed
    await new Promise((r) => setTimeout(r, 200));
    const { activities } = await graphql<{ activities: { totalCount: number } }>(server.url, token, '{ activities(first: 1) { totalCount } }');
    // one small export first: what any first request loads (the route, the statements) is not the export's growth
    await fetch(`${base}/exports/activities?format=csv&to=2000-01-01T00:00:00Z`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text());
    const before = rssKb(server.pid);
    console.log(`server RSS before: ${mb(before)} MB; totalCount ${activities.totalCount.toLocaleString('en')}`);
    let ok = true;
    let peakAll = before;
    for (const format of ['csv', 'ndjson'] as const) {
      t0 = Date.now();
      const r = await exportOnce(base, token, format, server.pid);
      peakAll = Math.max(peakAll, r.peak);
      const match = r.rows === activities.totalCount;
      ok &&= match;
      console.log(
        `${format.padEnd(6)} ${r.rows.toLocaleString('en')} rows (${match ? '= totalCount' : `≠ totalCount ${activities.totalCount}`}), ` +
          `${(r.bytes / 1024 / 1024).toFixed(1)} MB in ${r.seconds.toFixed(1)} s: ${Math.round(r.rows / r.seconds).toLocaleString('en')} rows/s; ` +
          `server RSS peak ${mb(r.peak)} MB (+${mb(r.peak - before)} MB)`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
    const after = rssKb(server.pid);
    const growth = peakAll - before;
    ok &&= growth < TARGET_MB * 1024;
    console.log(`server RSS before ${mb(before)} MB, peak ${mb(peakAll)} MB, after ${mb(after)} MB: growth ${mb(growth)} MB (target < ${TARGET_MB} MB) ${ok ? 'OK' : 'FAILED'}`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
