import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { parseMysqlUrl } from '../src/common/database';
import { CreatePartnerDocument } from './generated/graphql';
import { GqlClient, WsClient } from './support/client';
import { customerInput, uniqueMpnId } from './support/factories';
import { freshDatabase, spawnServer, TEST_JWT_SECRET } from './support/test-server';
import { startReceiver, until } from './support/webhooks';

/** A span as an OTLP/HTTP JSON export carries it, its attributes flattened. */
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer */
  kind: number;
  status?: { code?: number; message?: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttributes = { key: string; value: OtlpValue }[] | undefined;

function flatten(attributes: OtlpAttributes): Record<string, unknown> {
  return Object.fromEntries((attributes ?? []).map(({ key, value }) => [key, value.stringValue ?? value.boolValue ?? value.doubleValue ?? value.intValue]));
}

/** An OTLP/HTTP receiver of our own: POST /v1/traces in JSON (OTEL_EXPORTER_OTLP_PROTOCOL=http/json). */
async function startCollector(): Promise<{ url: string; spans: ExportedSpan[]; stop: () => Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: OtlpAttributes };
          scopeSpans: { spans: (Omit<ExportedSpan, 'attributes' | 'resource'> & { attributes: OtlpAttributes })[] }[];
        }[];
      };
      expect(req.url).toBe('/v1/traces');
      for (const { resource, scopeSpans } of body.resourceSpans) {
        for (const scope of scopeSpans) {
          for (const span of scope.spans) spans.push({ ...span, attributes: flatten(span.attributes), resource: flatten(resource.attributes) });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, stop: () => new Promise((r) => server.close(() => r())) };
}

const newTraceId = () => randomBytes(16).toString('hex');
const traceparentOf = (traceId: string, spanId = randomBytes(8).toString('hex')) => `00-${traceId}-${spanId}-01`;

const operatorToken = () => signDevToken(TEST_JWT_SECRET, { sub: 'operator-1', roles: [Role.PLATFORM_ADMIN] });

async function onboard(url: string): Promise<{ partnerId: string; token: string }> {
  const { createPartner } = await new GqlClient(url, await operatorToken()).data(CreatePartnerDocument, {
    input: { name: 'Traced Partner Ltd', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'ops@traced.example' },
  });
  const partnerId = createPartner.partner.id;
  return { partnerId, token: await signDevToken(TEST_JWT_SECRET, { sub: 'admin', roles: [Role.GLOBAL_ADMIN], partnerId }) };
}

async function createEndpoint(url: string, token: string, hookUrl: string): Promise<void> {
  const res = await new GqlClient(url, token).raw({
    query: 'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }',
    variables: { input: { url: hookUrl, eventTypes: ['INVITATION_CREATED'] } },
  });
  expect(res.errors).toBeUndefined();
}

const INVITE = 'mutation InviteCustomer { createCustomerInvitation(input: { includeDelegatedAdminPrivileges: true }) { invitation { id partner { id } } } }';

/** The traceparent stored with each event, read straight from the database. */
async function storedTraceparents(dbEnv: Record<string, string>): Promise<(string | null)[]> {
  if (dbEnv.DB_TYPE === 'mysql') {
    const { host, port, username, password, database } = parseMysqlUrl(dbEnv.MYSQL_URL);
    const conn = await mysql.createConnection({ host, port, user: username, password, database });
    const [rows] = await conn.query('SELECT traceparent FROM event ORDER BY position');
    await conn.end();
    return (rows as { traceparent: string | null }[]).map((r) => r.traceparent);
  }
  const db = new Database(dbEnv.SQLITE_PATH, { readonly: true });
  const rows = db.prepare('SELECT traceparent FROM event ORDER BY position').all() as { traceparent: string | null }[];
  db.close();
  return rows.map((r) => r.traceparent);
}

/** A file the server process writes the OpenTelemetry modules it loaded into, when it exits (NODE_OPTIONS --require). */
function loadedModulesProbe(): { env: Record<string, string>; read: () => string[]; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pc-otel-probe-'));
  const out = join(dir, 'loaded.json');
  const probe = join(dir, 'probe.js');
  writeFileSync(
    probe,
    // @opentelemetry/api itself is prom-client's (its default metrics can attach exemplars); what must not be there is any
    // other OpenTelemetry module (the SDK, an exporter, an instrumentation) nor a tracer or context manager registered with the API
    `process.on('exit', () => {
      const api = globalThis[Symbol.for('opentelemetry.js.api.1')] ?? {};
      const modules = Object.keys(require.cache).filter((p) => p.includes('@opentelemetry') && !p.includes('@opentelemetry/api/'));
      const registered = ['trace', 'context', 'propagation'].filter((name) => api[name] !== undefined);
      require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify([...modules, ...registered.map((name) => 'registered: ' + name)]));
    });`,
  );
  return {
    env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${probe}`.trim() },
    read: () => JSON.parse(readFileSync(out, 'utf8')) as string[],
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const sqlSystem = process.env.DB_TYPE === 'mysql' ? 'mysql' : 'sqlite';

describe('traces on (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  let server: Awaited<ReturnType<typeof spawnServer>>;
  let partner: { partnerId: string; token: string };

  beforeAll(async () => {
    db = await freshDatabase();
    collector = await startCollector();
    hooks = await startReceiver([200]);
    server = await spawnServer(db.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    partner = await onboard(server.url);
    await createEndpoint(server.url, partner.token, hooks.url);
  }, 60_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await Promise.all([collector?.stop(), hooks?.stop()]);
    await db?.cleanup();
  });

  const inTrace = (traceId: string) => collector.spans.filter((s) => s.traceId === traceId);
  const byId = (spanId: string | undefined) => collector.spans.find((s) => s.spanId === spanId);
  /** the spans above `span`, nearest first */
  const ancestors = (span: ExportedSpan) => {
    const above: ExportedSpan[] = [];
    for (let p = byId(span.parentSpanId); p; p = byId(p.parentSpanId)) above.push(p);
    return above;
  };

  it('continues an incoming traceparent: the HTTP span, the operation span with its attributes, resolver and SQL spans; the webhook delivery carries the trace', async () => {
    const traceId = newTraceId();
    const incoming = traceparentOf(traceId);
    const res = await new GqlClient(server.url, partner.token).raw<{ createCustomerInvitation: { invitation: { id: string } } }>(
      { query: INVITE },
      { traceparent: incoming, 'x-request-id': 'traced-invite-1' },
    );
    expect(res.errors).toBeUndefined();

    // the webhook the mutation's event causes, sent in the same trace
    const hook = await until(
      'the webhook delivery',
      () => hooks.received.find((h) => (JSON.parse(h.body) as { invitationId?: string }).invitationId === res.data!.createCustomerInvitation.invitation.id),
      (h) => h !== undefined,
    );
    const delivered = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(hook!.headers.traceparent));
    expect(delivered?.[1]).toBe(traceId);

    const spans = await until(
      'the trace with its webhook POST',
      () => inTrace(traceId),
      (found) => found.some((s) => s.spanId === delivered?.[2]),
    );
    const http = spans.find((s) => s.kind === 2 && s.attributes['http.request.method'] === 'POST' && s.attributes['http.route'] === '/graphql');
    expect(http).toBeDefined();
    // the caller's span is the HTTP span's parent: the trace continues
    expect(http!.parentSpanId).toBe(incoming.split('-')[2]);
    expect(http!.resource['service.name']).toBe('partner-center-graphql');

    const operation = spans.find((s) => s.name === 'mutation InviteCustomer');
    expect(operation?.attributes).toMatchObject({
      'graphql.operation.name': 'InviteCustomer',
      'graphql.operation.type': 'mutation',
      'partner.id': partner.partnerId,
      'request.id': 'traced-invite-1',
    });
    expect(operation!.attributes['error.type']).toBeUndefined();
    expect(ancestors(operation!)).toContain(http);

    const resolver = spans.find((s) => s.name === 'graphql.resolve createCustomerInvitation');
    expect(resolver?.attributes).toMatchObject({ 'graphql.field.name': 'createCustomerInvitation', 'graphql.parent.name': 'Mutation' });
    expect(resolver!.parentSpanId).toBe(operation!.spanId);
    // TRACE_RESOLVER_DEPTH (2 by default): no resolver deeper than two fields (createCustomerInvitation.invitation.partner has one)
    const resolvers = spans.filter((s) => s.name.startsWith('graphql.resolve '));
    for (const r of resolvers)
      expect(
        String(r.attributes['graphql.field.path'])
          .split('.')
          .filter((k) => !/^\d+$/.test(k)).length,
      ).toBeLessThanOrEqual(2);

    const sql = spans.filter((s) => s.kind === 3 && s.attributes['db.system.name'] === sqlSystem);
    const insert = sql.find((s) => /^INSERT INTO [`"]customer_invitation[`"]/.test(String(s.attributes['db.query.text'])));
    expect(insert).toBeDefined();
    expect(ancestors(insert!)).toContain(resolver);
    // the statement as sent: placeholders, never the values
    expect(insert!.attributes['db.query.text']).toContain('?');
    expect(insert!.attributes['db.query.text']).not.toContain(partner.partnerId);

    // the delivery: a span under the span that recorded the event (the mutation's resolver), its POST a child of it
    const post = byId(delivered![2])!;
    expect(post).toMatchObject({ kind: 3, attributes: expect.objectContaining({ 'http.request.method': 'POST' }) });
    // a webhook URL's path is often its credential: the span keeps its origin only
    expect(post.attributes['url.full']).toBe(new URL(hooks.url).origin);
    expect(JSON.stringify(spans)).not.toContain(new URL(hooks.url).pathname);
    const delivery = byId(post.parentSpanId)!;
    expect(delivery).toMatchObject({
      name: 'webhook delivery',
      kind: 4,
      attributes: expect.objectContaining({ 'webhook.event.type': 'INVITATION_CREATED', 'webhook.attempt': 1 }),
    });
    expect(delivery.parentSpanId).toBe(resolver!.spanId);
    expect(await storedTraceparents(db.env)).toContain(`00-${traceId}-${resolver!.spanId}-01`);
  });

  it('spans carry no GET query string (documents, variables) and no personal link token', async () => {
    const traceId = newTraceId();
    const params = new URLSearchParams({
      query: 'query Find($q: String) { customers(first: 1, filter: { search: $q }) { totalCount } }',
      variables: JSON.stringify({ q: 'jane.private@example.test' }),
    });
    const got = await fetch(`${server.url}?${params}`, { headers: { authorization: `Bearer ${partner.token}`, traceparent: traceparentOf(traceId) } });
    expect(got.status).toBe(200);
    const linkTrace = newTraceId();
    const page = await fetch(server.url.replace('/graphql', '/invitations/secret-link-token-0123456789'), {
      headers: { traceparent: traceparentOf(linkTrace) },
    });
    expect(page.status).toBe(404);
    const [get] = await until(
      'the GET span',
      () => inTrace(traceId).filter((s) => s.kind === 2),
      (found) => found.length > 0,
    );
    expect(get.attributes['url.query']).toBe('REDACTED');
    const [link] = await until(
      'the link page span',
      () => inTrace(linkTrace).filter((s) => s.kind === 2),
      (found) => found.length > 0,
    );
    expect(link.attributes['url.path']).toBe('/invitations/{token}');
    const exported = JSON.stringify(collector.spans);
    expect(exported).not.toContain('jane.private');
    expect(exported).not.toContain('secret-link-token');
  });

  it('a failing operation: its span carries the error code and the status ERROR', async () => {
    const traceId = newTraceId();
    const res = await new GqlClient(server.url, partner.token).raw(
      {
        query: 'mutation RevokeNothing($id: ID!) { revokeCustomerInvitation(input: { invitationId: $id }) { invitation { id } } }',
        variables: { id: '01a22d57-0000-7000-8000-000000000000' },
      },
      { traceparent: traceparentOf(traceId) },
    );
    const code = res.errors?.[0].extensions?.code;
    expect(code).toBe('NOT_FOUND');
    const spans = await until(
      'the failing operation span',
      () => inTrace(traceId),
      (found) => found.some((s) => s.name === 'mutation RevokeNothing'),
    );
    const operation = spans.find((s) => s.name === 'mutation RevokeNothing')!;
    expect(operation.attributes).toMatchObject({ 'graphql.operation.type': 'mutation', 'error.type': code, 'partner.id': partner.partnerId });
    expect(operation.status).toMatchObject({ code: 2, message: code });
    expect(operation.attributes['request.id']).toEqual(expect.any(String));
  });

  it('a WebSocket subscribe gets its span, named by the operation', async () => {
    const ws = new WsClient(server.wsUrl, partner.token);
    await ws.ready();
    const dispose = ws.client.subscribe(
      { query: 'subscription LiveEvents { events { id } }', extensions: { requestId: 'traced-subscribe-1' } },
      { next: () => {}, error: () => {}, complete: () => {} },
    );
    try {
      const [subscribe] = await until(
        'the subscribe span',
        () => collector.spans.filter((s) => s.attributes['request.id'] === 'traced-subscribe-1'),
        (found) => found.length > 0,
      );
      expect(subscribe).toMatchObject({
        name: 'subscription LiveEvents',
        kind: 2,
        attributes: expect.objectContaining({
          'graphql.operation.type': 'subscription',
          'graphql.operation.name': 'LiveEvents',
          'partner.id': partner.partnerId,
        }),
      });
    } finally {
      dispose();
      await ws.close();
    }
  });

  it("a subscribe's operationName is an attribute only when it is a GraphQL name", async () => {
    const ws = new WsClient(server.wsUrl, partner.token);
    await ws.ready();
    const forged = `Live\n{"level":50,"msg":"FORGEDMARK"}${'x'.repeat(5000)}`;
    const dispose = ws.client.subscribe(
      { query: 'subscription LiveEvents { events { id } }', operationName: forged, extensions: { requestId: 'traced-forged-name' } },
      { next: () => {}, error: () => {}, complete: () => {} },
    );
    try {
      const [subscribe] = await until(
        'the subscribe span',
        () => collector.spans.filter((s) => s.attributes['request.id'] === 'traced-forged-name'),
        (found) => found.length > 0,
      );
      expect(subscribe.attributes['graphql.operation.name']).toBeUndefined();
      expect(JSON.stringify(collector.spans).includes('FORGEDMARK')).toBe(false);
    } finally {
      dispose();
      await ws.close();
    }
  });

  it('a failed statement: its span carries the error code, never the values the error quotes', async () => {
    // the same domain at once: the unique index refuses all but one (CONFLICT), and the driver's message quotes the domain
    const domain = `duplicate-${newTraceId().slice(0, 12)}.onmicrosoft.com`;
    const traceId = newTraceId();
    const client = new GqlClient(server.url, partner.token);
    const create = () =>
      client.raw(
        {
          query: 'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }',
          variables: { input: customerInput({ domain }) },
        },
        { traceparent: traceparentOf(traceId) },
      );
    const answers = await Promise.all(Array.from({ length: 6 }, create));
    expect(answers.filter((a) => !a.errors).length).toBe(1);
    expect(answers.filter((a) => a.errors?.[0].extensions?.code === 'CONFLICT').length).toBe(5);
    const spans = await until(
      'the operations of the trace',
      () => inTrace(traceId),
      (found) => found.filter((s) => s.name.startsWith('mutation')).length === 6,
    );
    const refused = spans.filter((s) => s.status?.code === 2);
    expect(refused.length).toBeGreaterThan(0);
    expect(JSON.stringify(spans).includes(domain)).toBe(false);
  });
});

describe('traces off', () => {
  it('without OTEL_EXPORTER_OTLP_ENDPOINT no OpenTelemetry SDK, exporter or instrumentation loads, none is registered, no traceparent is stored or sent', async () => {
    const db = await freshDatabase();
    const hooks = await startReceiver([200]);
    const probe = loadedModulesProbe();
    const server = await spawnServer(db.env, { ...probe.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' });
    try {
      const partner = await onboard(server.url);
      await createEndpoint(server.url, partner.token, hooks.url);
      const res = await new GqlClient(server.url, partner.token).raw({ query: INVITE }, { traceparent: traceparentOf(newTraceId()) });
      expect(res.errors).toBeUndefined();
      const [hook] = await until(
        'the webhook delivery',
        () => hooks.received,
        (received) => received.length > 0,
      );
      expect(hook.headers.traceparent).toBeUndefined();
      const stored = await storedTraceparents(db.env);
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.every((t) => t === null)).toBe(true);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      await hooks.stop();
      await db.cleanup();
    }
    expect(probe.read()).toEqual([]);
    probe.cleanup();
  }, 60_000);

  it('with OTEL_SDK_DISABLED=true nothing reaches the collector, not even at shutdown', async () => {
    const db = await freshDatabase();
    const collector = await startCollector();
    const probe = loadedModulesProbe();
    const server = await spawnServer(db.env, {
      ...probe.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SDK_DISABLED: 'true',
    });
    try {
      const partner = await onboard(server.url);
      const res = await new GqlClient(server.url, partner.token).raw({ query: INVITE }, { traceparent: traceparentOf(newTraceId()) });
      expect(res.errors).toBeUndefined();
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      await db.cleanup();
    }
    // a running SDK would have exported what it held at shutdown
    expect(collector.spans).toEqual([]);
    expect(probe.read()).toEqual([]);
    await collector.stop();
    probe.cleanup();
  }, 60_000);
});

it('the spans still buffered at SIGTERM are exported before the process ends', async () => {
  const db = await freshDatabase();
  const collector = await startCollector();
  // a batch exported only every 10 minutes: what arrives, arrives through the shutdown's flush
  const server = await spawnServer(db.env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '600000',
  });
  const traceId = newTraceId();
  try {
    const res = await new GqlClient(server.url, await operatorToken()).raw(
      { query: 'query Offers { offers { id } }' },
      { traceparent: traceparentOf(traceId) },
    );
    expect(res.errors).toBeUndefined();
    expect(collector.spans).toEqual([]);
  } finally {
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await db.cleanup();
  }
  expect(collector.spans.filter((s) => s.traceId === traceId).map((s) => s.name)).toContain('query Offers');
  await collector.stop();
}, 60_000);
