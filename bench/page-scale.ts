/**
 * How the dashboard's pages grow with the partner: the first page, a deep page (by cursor, 90% of
 * the way down) and the page with `totalCount`, for one indirect provider with 10k, 100k and 1M
 * customers (half of them through its indirect reseller), on SQLite or MariaDB; and the same pages
 * backward (`last`, and `last` + `before` a cursor 10% of the way down: as deep from the end), with
 * the ratio of each backward page to its forward twin.
 *
 *   NODE_ENV=production npm run bench:page-scale -- --db sqlite
 *   NODE_ENV=production MYSQL_URL=mariadb://pc:…@127.0.0.1:3307/partner_center npm run bench:page-scale -- --db mysql
 *   (--sizes 10000,100000,1000000 --runs 30)
 *
 * The rows are written with bulk SQL, not the API (a million createCustomer calls would take hours):
 * customers, the provider's ACTIVE relationships, the reseller's for half of them, and delegated admin
 * privileges. The counters (src/counts/) are then dropped, and the server rebuilds them at its start,
 * as it does for a database from before them. Each size is measured on a freshly started server
 * (after 20 requests of the same query to warm it), as the p50 and p90 of `runs` sequential requests.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createPool, type Pool } from 'mysql2/promise';
import { signDevToken } from '../src/common/auth/jwt';
import { newId } from '../src/common/ids';
import { Role } from '../src/common/auth/roles';
import { DASHBOARD_QUERY, freshMysqlDatabase } from './dashboard';
import { arg, BENCH_SECRET, percentile, startBenchServer } from './support';

const NODE =
  '{ id companyName domain cloud address { city country } relationship { status establishedAt } delegatedAdminPrivileges { status } indirectReseller { id name mpnId } }';
const FIRST_PAGE = `{ customers(first: 50) { pageInfo { hasNextPage endCursor } edges { cursor node ${NODE} } } }`;
const deepPage = (cursor: string) => `{ customers(first: 50, after: "${cursor}") { pageInfo { hasNextPage endCursor } edges { cursor node ${NODE} } } }`;
const LAST_PAGE = `{ customers(last: 50) { pageInfo { hasPreviousPage startCursor } edges { cursor node ${NODE} } } }`;
const deepBackPage = (cursor: string) =>
  `{ customers(last: 50, before: "${cursor}") { pageInfo { hasPreviousPage startCursor } edges { cursor node ${NODE} } } }`;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** Runs statements on the bench database, SQLite or MySQL, in one transaction per call. */
interface Writer {
  batch(statements: { sql: string; params: unknown[] }[]): Promise<void>;
  close(): Promise<void>;
}

function sqliteWriter(file: string): Writer {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  return {
    batch: (statements) => {
      db.transaction((): void => {
        for (const s of statements) db.prepare(s.sql).run(...s.params);
      })();
      return Promise.resolve();
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

function mysqlWriter(url: string): Writer {
  const pool: Pool = createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), timezone: 'Z', connectionLimit: 2 });
  return {
    batch: async (statements) => {
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        for (const s of statements) await conn.query(s.sql, s.params);
        await conn.commit();
      } finally {
        conn.release();
      }
    },
    close: () => pool.end(),
  };
}

const stamp = '2026-01-15 10:00:00.000';

function insert(table: string, columns: string[], rows: unknown[][]) {
  return {
    sql: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ')}`,
    params: rows.flat(),
  };
}

/** Customers number `from` to `to - 1` of the provider, as bulk INSERTs of 500 rows. */
async function seedCustomers(w: Writer, providerId: string, resellerId: string, from: number, to: number, ids: string[]) {
  const CHUNK = 500;
  for (let start = from; start < to; start += CHUNK * 4) {
    const statements = [];
    for (let s = start; s < Math.min(to, start + CHUNK * 4); s += CHUNK) {
      const customers: unknown[][] = [];
      const relationships: unknown[][] = [];
      const privileges: unknown[][] = [];
      for (let i = s; i < Math.min(to, s + CHUNK); i++) {
        const id = newId();
        ids.push(id);
        const viaReseller = i % 2 === 1;
        customers.push([
          id,
          `Scale Customer ${i} Corporation`,
          `scale-${i}.example.com`,
          'PUBLIC',
          viaReseller ? resellerId : null,
          stamp,
          '1 Main Street',
          null,
          'Seattle',
          'WA',
          '98052',
          'US',
          'Ada',
          'Lovelace',
          `admin@scale-${i}.example.com`,
          '+1 425 555 0100',
          'Ada Lovelace',
          `admin@scale-${i}.example.com`,
          stamp,
        ]);
        relationships.push([newId(), providerId, id, 'ACTIVE', stamp, null]);
        if (viaReseller) {
          relationships.push([newId(), resellerId, id, 'ACTIVE', stamp, null]);
          privileges.push([newId(), resellerId, id, 'ACTIVE', stamp, null]);
        } else {
          privileges.push([newId(), providerId, id, 'ACTIVE', stamp, null]);
        }
      }
      statements.push(
        insert(
          'customer',
          [
            'id',
            'companyName',
            'domain',
            'cloud',
            'indirectResellerId',
            'createdAt',
            'addressAddressline1',
            'addressAddressline2',
            'addressCity',
            'addressState',
            'addressPostalcode',
            'addressCountry',
            'contactFirstname',
            'contactLastname',
            'contactEmail',
            'contactPhonenumber',
            'agreementSignatoryname',
            'agreementSignatoryemail',
            'agreementAcceptedat',
          ],
          customers,
        ),
        insert('reseller_relationship', ['id', 'partnerId', 'customerId', 'status', 'establishedAt', 'removedAt'], relationships),
        insert('delegated_admin_privilege', ['id', 'partnerId', 'customerId', 'status', 'grantedAt', 'revokedAt'], privileges),
      );
    }
    await w.batch(statements);
  }
}

async function timed(url: string, token: string, query: string, runs: number, check: (data: unknown) => void) {
  const times: number[] = [];
  const WARM = 20; // the first requests warm V8 and the statement caches
  for (let i = 0; i < runs + WARM; i++) {
    const start = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    const body = (await res.json()) as { data?: unknown; errors?: unknown[] };
    if (i >= WARM) times.push(performance.now() - start);
    if (body.errors?.length || !body.data) throw new Error(JSON.stringify(body.errors ?? body));
    check(body.data);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p90: percentile(times, 90) };
}

async function main() {
  const db = option('db', 'sqlite') as 'sqlite' | 'mysql';
  const sizes = option('sizes', '10000,100000,1000000').split(',').map(Number);
  const runs = arg('runs', 50);
  const env: Record<string, string> = { DB_TYPE: db };
  if (db === 'mysql') env.MYSQL_URL = await freshMysqlDatabase('pc_bench_page_scale');
  const dir = mkdtempSync(join(tmpdir(), 'pc-page-scale-'));
  if (db === 'sqlite') env.SQLITE_PATH = join(dir, 'scale.sqlite');

  // the first start creates the schema (SQLite from the entities, MySQL through the migrations)
  const first = await startBenchServer(arg('port', 4650), env);
  await first.stop();
  const writer = db === 'sqlite' ? sqliteWriter(env.SQLITE_PATH) : mysqlWriter(env.MYSQL_URL);

  const providerId = newId();
  const resellerId = newId();
  await writer.batch([
    insert(
      'partner',
      ['id', 'name', 'mpnId', 'type', 'cloud', 'contactEmail', 'createdAt'],
      [
        [providerId, 'Scale Provider Ltd', '7000001', 'INDIRECT_PROVIDER', 'PUBLIC', 'p@scale.example', stamp],
        [resellerId, 'Scale Reseller Ltd', '7000002', 'INDIRECT_RESELLER', 'PUBLIC', 'r@scale.example', stamp],
      ],
    ),
    insert(
      'partnership',
      ['id', 'providerId', 'resellerId', 'status', 'establishedAt', 'removedAt'],
      [[newId(), providerId, resellerId, 'ACTIVE', stamp, null]],
    ),
  ]);
  const token = await signDevToken(BENCH_SECRET, { sub: 'scale-admin', roles: [Role.GLOBAL_ADMIN], partnerId: providerId });

  const ids: string[] = [];
  const results: {
    size: number;
    firstPage: { p50: number; p90: number };
    deep: { p50: number; p90: number };
    last: { p50: number; p90: number };
    deepBack: { p50: number; p90: number };
    counted: { p50: number; p90: number };
    seedSeconds: number;
  }[] = [];
  for (const size of sizes) {
    const seedStart = performance.now();
    await seedCustomers(writer, providerId, resellerId, ids.length, size, ids);
    // the counters are rebuilt by the next start, as for a database from before them
    await writer.batch([{ sql: 'DELETE FROM tally', params: [] }]);
    const seedSeconds = (performance.now() - seedStart) / 1000;

    const server = await startBenchServer(arg('port', 4650), env);
    try {
      const sorted = [...ids].sort();
      const cursor = Buffer.from(`k1:${sorted[Math.floor(size * 0.9)]}`, 'utf8').toString('base64url');
      const page = (data: unknown) => {
        const edges = (data as { customers: { edges: unknown[] } }).customers.edges;
        if (edges.length !== 50) throw new Error(`a page of ${edges.length}`);
      };
      const firstPage = await timed(server.url, token, FIRST_PAGE, runs, page);
      const deep = await timed(server.url, token, deepPage(cursor), runs, (data) => {
        page(data);
        const edge = (data as { customers: { edges: { node: { id: string } }[] } }).customers.edges[0];
        if (edge.node.id !== sorted[Math.floor(size * 0.9) + 1]) throw new Error('the deep page does not start after its cursor');
      });
      const back = Math.floor(size * 0.1);
      const backCursor = Buffer.from(`k1:${sorted[back]}`, 'utf8').toString('base64url');
      const last = await timed(server.url, token, LAST_PAGE, runs, (data) => {
        page(data);
        const edges = (data as { customers: { edges: { node: { id: string } }[] } }).customers.edges;
        if (edges[49].node.id !== sorted[size - 1]) throw new Error('the last page does not end with the last customer');
      });
      const deepBack = await timed(server.url, token, deepBackPage(backCursor), runs, (data) => {
        page(data);
        const edges = (data as { customers: { edges: { node: { id: string } }[] } }).customers.edges;
        if (edges[49].node.id !== sorted[back - 1]) throw new Error('the deep backward page does not end before its cursor');
      });
      const counted = await timed(server.url, token, DASHBOARD_QUERY, runs, (data) => {
        page(data);
        const total = (data as { customers: { totalCount: number } }).customers.totalCount;
        if (total !== size) throw new Error(`totalCount ${total}, expected ${size}`);
      });
      results.push({ size, firstPage, deep, last, deepBack, counted, seedSeconds });
      console.log(
        `${size} customers: seeded in ${seedSeconds.toFixed(1)} s; first page p50 ${firstPage.p50.toFixed(1)} ms, deep ${deep.p50.toFixed(1)} ms, last ${last.p50.toFixed(1)} ms, deep backward ${deepBack.p50.toFixed(1)} ms, with totalCount ${counted.p50.toFixed(1)} ms`,
      );
    } finally {
      await server.stop();
    }
  }
  await writer.close();
  rmSync(dir, { recursive: true, force: true });

  const base = results[0];
  console.log(`\nNODE_ENV=${process.env.NODE_ENV ?? 'development'}, ${db}, ${runs} sequential requests per figure (ms, p50 / p90)`);
  console.log(`| customers | first page | deep page (90%) | page with totalCount | vs ${base.size}: first / deep / totalCount |`);
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of results) {
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    console.log(
      `| ${r.size} | ${r.firstPage.p50.toFixed(1)} / ${r.firstPage.p90.toFixed(1)} | ${r.deep.p50.toFixed(1)} / ${r.deep.p90.toFixed(1)} | ${r.counted.p50.toFixed(1)} / ${r.counted.p90.toFixed(1)} | ${ratio(r.firstPage.p50, base.firstPage.p50)} / ${ratio(r.deep.p50, base.deep.p50)} / ${ratio(r.counted.p50, base.counted.p50)} |`,
    );
  }
  console.log('\nBackward pages (`last`), and their ratio to the forward page of the same depth (p50; target: within 1.5×)');
  console.log('| customers | last page | deep backward (10%) | last / first | deep backward / deep |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of results) {
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    console.log(
      `| ${r.size} | ${r.last.p50.toFixed(1)} / ${r.last.p90.toFixed(1)} | ${r.deepBack.p50.toFixed(1)} / ${r.deepBack.p90.toFixed(1)} | ${ratio(r.last.p50, r.firstPage.p50)} | ${ratio(r.deepBack.p50, r.deep.p50)} |`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
