/**
 * The bare baseline of bench/dashboard.ts: `node:http` and the database driver, nothing else. For
 * every POST it reads the body, runs one JOIN (the page) and one COUNT for the partner named on the
 * command line, and answers the same JSON data the GraphQL server gives for
 *
 *   customers(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id
 *   companyName domain cloud address { city country } relationship { status establishedAt }
 *   delegatedAdminPrivileges { status } indirectReseller { id name mpnId } } } }
 *
 * No parsing of GraphQL, no validation, no token: the floor a hand-written server reaches.
 *
 *   ts-node bench/bare-dashboard-server.ts <port> <partnerId> sqlite <file>
 *   ts-node bench/bare-dashboard-server.ts <port> <partnerId> mysql <mysql://user:pass@host:port/db>
 */
import { createServer } from 'node:http';
import Database from 'better-sqlite3';
import { createPool } from 'mysql2/promise';

const [portArg, partnerId, dbType, location] = process.argv.slice(2);
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
  let load: () => Promise<{ rows: Row[]; total: number }>;
  if (dbType === 'sqlite') {
    const db = new Database(location, { readonly: true });
    const pageStmt = db.prepare(PAGE_SQL);
    const countStmt = db.prepare(COUNT_SQL);
    load = () => Promise.resolve({ rows: pageStmt.all(partnerId) as Row[], total: Number((countStmt.get(partnerId) as { n: number }).n) });
  } else {
    const pool = createPool({ uri: location.replace(/^mariadb:/, 'mysql:'), timezone: 'Z', connectionLimit: 10 });
    load = async () => {
      const [[rows], [counted]] = await Promise.all([pool.query(PAGE_SQL, [partnerId]), pool.query(COUNT_SQL, [partnerId])]);
      return { rows: rows as Row[], total: Number((counted as { n: number }[])[0].n) };
    };
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const answer = async () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const { rows, total } = await load();
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
