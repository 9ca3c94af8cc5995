/**
 * The bare baseline of bench/dashboard.ts: `node:http` and the database driver, nothing else. For
 * every POST it checks the HS256 bearer token (signature with the bench server's secret, BENCH_SECRET,
 * and its `exp`; 401 otherwise), takes the partner from the token's `partner_id` claim as our server
 * does, reads the body, runs one prepared JOIN (the page) and one prepared COUNT on the covering
 * index of reseller_relationship (partnerId, status), and answers the same JSON data the GraphQL
 * server gives for
 *
 *   customers(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id
 *   companyName domain cloud address { city country } relationship { status establishedAt }
 *   delegatedAdminPrivileges { status } indirectReseller { id name mpnId } } } }
 *
 * No parsing of GraphQL, no validation of the query: the floor a hand-written server reaches.
 *
 *   ts-node bench/bare-dashboard-server.ts <port> sqlite <file>
 *   ts-node bench/bare-dashboard-server.ts <port> mysql <mysql://user:pass@host:port/db>
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import Database from 'better-sqlite3';
import { createPool } from 'mysql2/promise';
import { BENCH_SECRET } from './support';

const [portArg, dbType, location] = process.argv.slice(2);

/** The partner id of a valid HS256 token (signature, alg, exp), else undefined. */
function partnerOf(authorization: string | undefined): string | undefined {
  if (!authorization?.startsWith('Bearer ')) return undefined;
  const token = authorization.slice(7);
  const [header, payload, signature] = token.split('.');
  if (signature === undefined || (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg !== 'HS256') return undefined;
  const expected = createHmac('sha256', BENCH_SECRET).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown; partner_id?: unknown };
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now() || typeof claims.partner_id !== 'string') return undefined;
  return claims.partner_id;
}
const FIRST = 50;

const PAGE_SQL = `
  SELECT c.id, c.companyName, c.domain, c.cloud, c.addressCity AS city, c.addressCountry AS country,
         rr.status AS rrStatus, rr.establishedAt, dap.status AS dapStatus,
         p.id AS resellerId, p.name AS resellerName, p.mpnId AS resellerMpnId
  FROM reseller_relationship rr
  JOIN customer c ON c.id = rr.customerId
  LEFT JOIN delegated_admin_privilege dap ON dap.partnerId = rr.partnerId AND dap.customerId = rr.customerId
  LEFT JOIN partner p ON p.id = c.indirectResellerId
  WHERE rr.partnerId = ? AND rr.status = 'ACTIVE'
  ORDER BY rr.customerId
  LIMIT ${FIRST + 1}`;
const COUNT_SQL = `SELECT COUNT(*) AS n FROM reseller_relationship WHERE partnerId = ? AND status = 'ACTIVE'`;

type Row = Record<string, string | null | Date>;

const cursor = (id: string) => Buffer.from(`k1:${id}`, 'utf8').toString('base64url');
/** SQLite keeps TypeORM's `YYYY-MM-DD HH:MM:SS.SSS` (UTC); mysql2 hands back a Date. */
const iso = (value: string | Date) => (value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`)).toISOString();

function page(rows: Row[], total: number) {
  const hasNextPage = rows.length > FIRST;
  const edges = rows.slice(0, FIRST).map((r) => ({
    cursor: cursor(r.id as string),
    node: {
      id: r.id,
      companyName: r.companyName,
      domain: r.domain,
      cloud: r.cloud,
      address: { city: r.city, country: r.country },
      relationship: { status: r.rrStatus, establishedAt: iso(r.establishedAt as string | Date) },
      delegatedAdminPrivileges: r.dapStatus === null ? null : { status: r.dapStatus },
      indirectReseller: r.resellerId === null ? null : { id: r.resellerId, name: r.resellerName, mpnId: r.resellerMpnId },
    },
  }));
  return {
    data: {
      customers: {
        totalCount: total,
        pageInfo: { hasNextPage, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
        edges,
      },
    },
  };
}

function main() {
  let load: (partnerId: string) => Promise<{ rows: Row[]; total: number }>;
  if (dbType === 'sqlite') {
    const db = new Database(location, { readonly: true });
    const pageStmt = db.prepare(PAGE_SQL);
    const countStmt = db.prepare(COUNT_SQL);
    load = (partnerId) => Promise.resolve({ rows: pageStmt.all(partnerId) as Row[], total: Number((countStmt.get(partnerId) as { n: number }).n) });
  } else {
    const pool = createPool({ uri: location.replace(/^mariadb:/, 'mysql:'), timezone: 'Z', connectionLimit: 10 });
    load = async (partnerId) => {
      const [[rows], [counted]] = await Promise.all([pool.execute(PAGE_SQL, [partnerId]), pool.execute(COUNT_SQL, [partnerId])]);
      return { rows: rows as Row[], total: Number((counted as { n: number }[])[0].n) };
    };
  }
  const server = createServer((req, res) => {
    const partnerId = partnerOf(req.headers.authorization);
    if (partnerId === undefined) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"errors":[{"message":"Invalid or expired token","extensions":{"code":"UNAUTHENTICATED"}}]}');
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const answer = async () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const { rows, total } = await load(partnerId);
        const body = JSON.stringify(page(rows, total));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      } catch (err) {
        res.writeHead(500);
        res.end(String(err));
      }
    };
    req.on('end', () => void answer());
  });
  server.listen(Number(portArg), '127.0.0.1', () => console.log('ready'));
}

main();
