import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { parseMysqlUrl } from '../src/common/database';
import { CreateCustomerInvitationDocument, CreatePartnerDocument } from './generated/graphql';
import { GqlClient, WsClient } from './support/client';
import { type EventView, EVENT_FIELDS, pause, stream } from './support/events';
import { uniqueMpnId } from './support/factories';
import { freshDatabase, spawnServer, TEST_JWT_SECRET } from './support/test-server';

/** Rows of the outbox not yet handed on, read straight from the database. */
async function unpublished(dbEnv: Record<string, string>): Promise<number> {
  if (dbEnv.DB_TYPE === 'mysql') {
    const { host, port, username, password, database } = parseMysqlUrl(dbEnv.MYSQL_URL);
    const conn = await mysql.createConnection({ host, port, user: username, password, database });
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM event WHERE publishedAt IS NULL');
    await conn.end();
    return Number((rows as { n: number }[])[0].n);
  }
  const db = new Database(dbEnv.SQLITE_PATH, { readonly: true });
  const { n } = db.prepare('SELECT COUNT(*) AS n FROM event WHERE publishedAt IS NULL').get() as { n: number };
  db.close();
  return n;
}

it('resumes from its last cursor across a SIGKILL right after a mutation answered: nothing missed, nothing repeated', async () => {
  const db = await freshDatabase();
  const first = await spawnServer(db.env);
  let second: Awaited<ReturnType<typeof spawnServer>> | undefined;
  try {
    const operator = new GqlClient(first.url, await signDevToken(TEST_JWT_SECRET, { sub: 'op', roles: [Role.PLATFORM_ADMIN] }));
    const { createPartner } = await operator.data(CreatePartnerDocument, {
      input: { name: 'Restart Partner Ltd', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'r@restart.example' },
    });
    const token = await signDevToken(TEST_JWT_SECRET, { sub: 'admin', roles: [Role.GLOBAL_ADMIN], partnerId: createPartner.partner.id });
    const invite = (url: string) => new GqlClient(url, token).data(CreateCustomerInvitationDocument, { input: { includeDelegatedAdminPrivileges: true } });

    // a dashboard on the first server
    const dashboard = new WsClient(first.wsUrl, token);
    await dashboard.ready();
    const before = stream(dashboard);
    await pause(200);
    await invite(first.url);
    await invite(first.url);
    await before.waitFor(2);
    // the third answers, and the process dies at once (no shutdown, no chance to publish)
    await invite(first.url);
    first.child.kill('SIGKILL');
    await first.exited;
    await dashboard.closed;
    const seen: EventView[] = before.events.map((e) => e.events);
    console.log(`after SIGKILL: the dashboard had ${seen.length} of 3 events; ${await unpublished(db.env)} row(s) left unpublished`);

    // the next start hands on what was left, and the dashboard resumes from the last cursor it saw
    second = await spawnServer(db.env);
    expect(await unpublished(db.env)).toBe(0);
    const again = new WsClient(second.wsUrl, token);
    await again.ready();
    const resumed = stream(again, seen[seen.length - 1].cursor);
    await pause(200);
    await invite(second.url);
    const listed = await new GqlClient(second.url, token).raw<{ events: { edges: { node: EventView }[] } }>({
      query: `{ events(first: 100) { edges { node { ${EVENT_FIELDS} } } } }`,
    });
    const all = listed.data!.events.edges.map((e) => e.node);
    expect(all).toHaveLength(4);
    await resumed.waitFor(all.length - seen.length);
    await pause(300);
    const received = [...seen, ...resumed.events.map((e) => e.events)].map((e) => e.id);
    expect(received).toEqual(all.map((e) => e.id));
    await again.close();
  } finally {
    first.child.kill('SIGKILL');
    second?.child.kill('SIGTERM');
    await second?.exited;
    await db.cleanup();
  }
}, 90_000);
