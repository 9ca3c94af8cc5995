/**
 * Audit export memory: `GET /exports/activities` against the built server in its own process, so that
 * its resident memory (VmRSS, /proc/<pid>/status) is its own. One partner's trail is seeded in bulk
 * straight into the server's database (multi-row INSERTs, 20,000 rows per transaction, with the
 * tallies), then exported as CSV and as NDJSON; each export must have as many rows as the query's
 * totalCount. The server's RSS is read before each export, every 50 ms during it (the peak), and a
 * second after it; the target is a growth (highest peak − RSS before the first export) under 50 MB,
 * however many rows.
 *
 *   NODE_ENV=production npm run bench:audit-export [-- --rows 1000000] [-- --port 4730]
 *   NODE_ENV=production MYSQL_URL=mariadb://pc:…@127.0.0.1:3307/partner_center npm run bench:audit-export -- --db mysql
 *   … -- --heap   also the server's JS heap in use, before and after each export, after a full GC
 *
 * On MariaDB (a fresh database `pc_bench_audit_export` next to the one MYSQL_URL names) the RSS is the
 * Node server's only, not the database server's. `--heap` is a diagnosis: the server then runs with
 * --expose-gc and a SIGUSR2 handler preloaded by this benchmark (a full GC, then memoryUsage() written
 * to a file; nothing of it is in the server's code), and the GC before each export changes what the
 * export starts from; the figures of record are those of a run without it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createPool } from 'mysql2/promise';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { newId } from '../src/common/ids';
import { freshMysqlDatabase } from './dashboard';
import { arg, BENCH_SECRET, startBenchServer } from './support';

const TARGET_MB = 50;
const mb = (kb: number) => (kb / 1024).toFixed(1);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const thousands = (n: number) => Math.round(n).toLocaleString('en');

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, ''));
}

async function graphql<T>(url: string, token: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(JSON.stringify(body.errors ?? body));
  return body.data;
}

const COLUMNS = [
  'id',
  'occurredAt',
  'action',
  'actorUserId',
  'actorRoles',
  'actorPartnerId',
  'partnerId',
  'customerId',
  'subjectId',
  'subjectType',
  'changeSet',
  'correlationId',
  'via',
];
/** Rows per INSERT (13 values each: under SQLite's 32,766 variables), and per transaction. */
const INSERT_ROWS = 2000;
const TRANSACTION_ROWS = 20_000;

/** Runs one transaction of multi-row INSERTs (and the tallies' increments), on SQLite or MySQL. */
interface Writer {
  transaction(inserts: unknown[][][], tally: number): Promise<void>;
  close(): Promise<void>;
}

const insertSql = (rows: number) =>
  `INSERT INTO activity (${COLUMNS.join(', ')}) VALUES ${Array.from({ length: rows }, () => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ')}`;

function sqliteWriter(file: string, partnerId: string): Writer {
  const db = new Database(file);
  db.pragma('busy_timeout = 10000');
  db.pragma('synchronous = OFF'); // this connection's commits only: a benchmark's throwaway file
  db.pragma('cache_size = -262144'); // 256 MB of pages: the 16 indexes grow without rereading them
  const statements = new Map<number, Database.Statement>();
  const tally = db.prepare('INSERT INTO tally (name, owner, total) VALUES (?, ?, ?) ON CONFLICT (name, owner) DO UPDATE SET total = total + excluded.total');
  return {
    transaction: (inserts, n) => {
      db.transaction(() => {
        for (const rows of inserts) {
          let statement = statements.get(rows.length);
          if (!statement) statements.set(rows.length, (statement = db.prepare(insertSql(rows.length))));
          statement.run(rows.flat());
        }
        tally.run('activities', partnerId, n);
        tally.run('activities', '*', n);
      })();
      return Promise.resolve();
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

function mysqlWriter(url: string, partnerId: string): Writer {
  const pool = createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), timezone: 'Z', connectionLimit: 1 });
  const tally = 'INSERT INTO tally (name, owner, total) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE total = total + VALUES(total)';
  return {
    transaction: async (inserts, n) => {
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        for (const rows of inserts) await conn.query(insertSql(rows.length), rows.flat());
        await conn.query(tally, ['activities', partnerId, n]);
        await conn.query(tally, ['activities', '*', n]);
        await conn.commit();
      } finally {
        conn.release();
      }
    },
    close: () => pool.end(),
  };
}

/** `rows` records of one partner (one every 10 ms, the newest now), with the partner's and everyone's tallies. */
async function seed(w: Writer, partnerId: string, rows: number): Promise<void> {
  const customers = Array.from({ length: 50 }, () => newId());
  const start = Date.now() - rows * 10;
  for (let i = 0; i < rows; i += TRANSACTION_ROWS) {
    const n = Math.min(TRANSACTION_ROWS, rows - i);
    const inserts: unknown[][][] = [];
    for (let j = 0; j < n; j += INSERT_ROWS) {
      const values: unknown[][] = [];
      for (let k = i + j; k < i + Math.min(n, j + INSERT_ROWS); k++) {
        const at = new Date(start + k * 10).toISOString().replace('T', ' ').replace('Z', '');
        const changes = JSON.stringify([{ field: 'quantity', before: String(k % 300), after: String((k % 300) + 1) }]);
        // every 1,000th actor is a would-be formula, for the CSV's quoting
        const actor = k % 1000 === 0 ? '=HYPERLINK("https://attacker.example")' : `user-${k % 20}@bench.example`;
        values.push([
          newId(),
          at,
          'SUBSCRIPTION_UPDATED',
          actor,
          'GLOBAL_ADMIN',
          partnerId,
          partnerId,
          customers[k % 50],
          newId(),
          'SUBSCRIPTION',
          changes,
          `req-${String(k).padStart(8, '0')}`,
          'API',
        ]);
      }
      inserts.push(values);
    }
    await w.transaction(inserts, n);
  }
}

const CSV_HEADER =
  'id,occurredAt,action,subjectType,subjectId,partnerId,customerId,actorUserId,actorRoles,actorPartnerId,actorCustomerId,via,correlationId,attestation,changes';

/** Streams one export, counting its rows (and checking its first line), while the server's RSS is sampled. */
async function exportOnce(base: string, token: string, format: 'csv' | 'ndjson', pid: number) {
  const before = rssKb(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKb(pid))), 50);
  const started = process.hrtime.bigint();
  const res = await fetch(`${base}/exports/activities?format=${format}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`export ${format}: ${res.status} ${await res.text()}`);
  let lines = 0;
  let bytes = 0;
  let first: string | undefined;
  const separator = format === 'csv' ? '\r\n' : '\n';
  let tail = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    const text = tail + decoder.decode(chunk, { stream: true });
    const parts = text.split(separator);
    tail = parts.pop()!;
    first ??= parts[0];
    lines += parts.length;
  }
  clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peak = Math.max(peak, rssKb(pid));
  if (tail !== '') throw new Error(`export ${format}: the last line has no line end`);
  if (format === 'csv' && first !== CSV_HEADER) throw new Error(`export csv: header ${first}`);
  if (format === 'ndjson' && lines && Object.keys(JSON.parse(first!) as object).join(',') !== CSV_HEADER) throw new Error(`export ndjson: first line ${first}`);
  await pause(1000);
  const after = rssKb(pid);
  return { rows: format === 'csv' ? lines - 1 : lines, bytes, seconds, before, peak, after };
}

async function main() {
  const rows = arg('rows', 100_000);
  const db = option('db', 'sqlite') as 'sqlite' | 'mysql';
  const heap = process.argv.includes('--heap');
  const env: Record<string, string> = { NODE_ENV: 'production', EXPLORER: 'off' };
  if (db === 'mysql') Object.assign(env, { DB_TYPE: 'mysql', MYSQL_URL: await freshMysqlDatabase('pc_bench_audit_export') });
  // --heap only: a full GC and the memory figures on SIGUSR2, preloaded into the server
  const dir = mkdtempSync(join(tmpdir(), 'pc-audit-export-'));
  const memoryFile = join(dir, 'memory.json');
  const preload = `import { writeFileSync } from 'node:fs'; process.on('SIGUSR2', () => { globalThis.gc(); writeFileSync(${JSON.stringify(memoryFile)}, JSON.stringify(process.memoryUsage())); });`;
  const server = await startBenchServer(
    arg('port', 4730),
    env,
    heap ? ['--expose-gc', '--import', `data:text/javascript,${encodeURIComponent(preload)}`] : undefined,
  );
  /** the server's JS heap in use after a full GC, in KB (--heap) */
  const heapAfterGc = async () => {
    if (!heap) return undefined;
    rmSync(memoryFile, { force: true });
    process.kill(server.pid, 'SIGUSR2');
    await pause(1000);
    return (JSON.parse(readFileSync(memoryFile, 'utf8')) as { heapUsed: number }).heapUsed / 1024;
  };
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
    const t0 = Date.now();
    const writer = db === 'sqlite' ? sqliteWriter(server.sqlitePath, partnerId) : mysqlWriter(env.MYSQL_URL, partnerId);
    await seed(writer, partnerId, rows);
    await writer.close();
    console.log(`${db}: seeded ${thousands(rows)} audit records in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // the seeding held this process's event loop: let the keep-alive socket the server closed meanwhile be seen closed
    await pause(200);
    const { activities } = await graphql<{ activities: { totalCount: number } }>(server.url, token, '{ activities(first: 1) { totalCount } }');
    // one small export first: what any first request loads (the route, the statements) is not the export's growth
    await fetch(`${base}/exports/activities?format=csv&to=2000-01-01T00:00:00Z`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text());
    const heapBefore = await heapAfterGc();
    const start = rssKb(server.pid);
    const table: string[][] = [
      ['format', 'rows', 'totalCount', 'MB', 's', 'rows/s', 'RSS before', 'peak', 'after (1 s)', 'growth (peak − before)', ...(heap ? ['heap after GC'] : [])],
    ];
    let counts = true;
    let peakAll = start;
    for (const format of ['csv', 'ndjson'] as const) {
      const r = await exportOnce(base, token, format, server.pid);
      const heapAfter = await heapAfterGc();
      peakAll = Math.max(peakAll, r.peak);
      counts &&= r.rows === activities.totalCount;
      table.push([
        format,
        thousands(r.rows),
        `${thousands(activities.totalCount)} ${r.rows === activities.totalCount ? '=' : '≠'}`,
        (r.bytes / 1024 / 1024).toFixed(1),
        r.seconds.toFixed(1),
        thousands(r.rows / r.seconds),
        `${mb(r.before)} MB`,
        `${mb(r.peak)} MB`,
        `${mb(r.after)} MB`,
        `+${mb(r.peak - r.before)} MB`,
        ...(heap ? [`${mb(heapAfter!)} MB`] : []),
      ]);
    }
    const widths = table[0].map((_h, i) => Math.max(...table.map((row) => row[i].length)));
    for (const row of table) console.log(row.map((cell, i) => (i < 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
    const growth = peakAll - start;
    const ok = counts && growth < TARGET_MB * 1024;
    if (heap) console.log(`server JS heap in use after a full GC, before the exports: ${mb(heapBefore!)} MB`);
    console.log(
      `server RSS before the exports ${mb(start)} MB, highest peak ${mb(peakAll)} MB, after ${mb(rssKb(server.pid))} MB: growth ${mb(growth)} MB (target < ${TARGET_MB} MB); ` +
        `rows = totalCount: ${counts ? 'yes' : 'NO'}; ${ok ? 'OK' : 'FAILED'}`,
    );
    process.exitCode = ok ? 0 : 1;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    if (db === 'mysql') {
      const pool = createPool({ uri: env.MYSQL_URL.replace(/^mariadb:/, 'mysql:') });
      await pool.query('DROP DATABASE IF EXISTS `pc_bench_audit_export`');
      await pool.end();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
