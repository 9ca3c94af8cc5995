/**
 * The abuse cases of issue 8, each answered quickly with a coded error while a normal dashboard
 * query keeps answering fast.
 *
 *   NODE_ENV=production npm run bench:abuse -- --customers 1000 --rounds 3
 *
 * Each round sends five copies of the abusive request at once (over HTTP or WebSocket) and, 5 ms
 * later, one normal query (`customers(first: 20)` with its relation fields). Prints, per case, the
 * slowest abusive answer and its code, and the slowest normal answer sent meanwhile; the baseline
 * is the normal query alone on the same server.
 *
 * Then the introspection floods: 8 senders each send 30 aliases of a wide `__schema` query (a new
 * text every time, so nothing is served from a parse cache) without pause, without a token and then
 * with one, while the normal query runs 200 times; and 8 signed-in senders polling the standard
 * introspection (GraphiQL's, answered from the introspection cache). Prints the normal query's p50 and
 * p99 under each flood against the same 200 runs alone. (`--only introspection` runs only these.)
 */
import { Worker } from 'node:worker_threads';
import { getIntrospectionQuery, type GraphQLFormattedError } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { seedProvider } from './seed';
import { arg, cpuMs, percentile, startBenchServer } from './support';

interface Outcome {
  ms: number;
  code: string;
}

const list = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(' ');
const NORMAL =
  '{ customers(first: 20) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id companyName domain cloud address { city country } relationship { status establishedAt } delegatedAdminPrivileges { status } indirectReseller { id name mpnId } } } } }';

async function overHttp(url: string, token: string | undefined, body: string, contentType = 'application/json'): Promise<Outcome> {
  const start = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  const text = await res.text();
  const ms = performance.now() - start;
  let code = `HTTP ${res.status}`;
  try {
    const json = JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
    code = `${res.status} ${json.errors?.[0]?.extensions?.code ?? 'ok'}`;
  } catch {
    code = `${res.status} (not JSON)`;
  }
  return { ms, code };
}

async function overSocket(wsUrl: string, token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<Outcome> {
  let onConnected!: () => void;
  const connected = new Promise<void>((r) => (onConnected = r));
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: { connected: () => onConnected() },
    onNonLazyError: () => {},
  });
  await connected;
  const start = performance.now();
  const code = await new Promise<string>((resolve) => {
    client.subscribe(
      { query, variables },
      {
        next: (v) => resolve(v.errors ? String(v.errors[0].extensions?.code) : 'accepted'),
        error: (e) =>
          resolve(Array.isArray(e) ? String((e as GraphQLFormattedError[])[0]?.extensions?.code) : `closed: ${String((e as { code?: number }).code ?? e)}`),
        complete: () => resolve('complete'),
      },
    );
  });
  const ms = performance.now() - start;
  await client.dispose();
  return { ms, code: `ws ${code}` };
}

/**
 * 5,000 subscribes on one socket: 50 are accepted; the time is that of the 51st one's refusal. The
 * other 4,949 are then sent at once, and the server closes the socket that ignores its refusals.
 */
async function manySubscriptions(wsUrl: string, token: string): Promise<Outcome> {
  let onConnected!: () => void;
  const connected = new Promise<void>((r) => (onConnected = r));
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
    on: { connected: () => onConnected() },
    onNonLazyError: () => {},
  });
  await connected;
  const closed = new Promise<number>((resolve) => client.on('closed', (e) => resolve((e as { code?: number }).code ?? 0)));
  const subscribe = () =>
    new Promise<string>((resolve) =>
      client.subscribe(
        { query: 'subscription { invitationAccepted { occurredAt } }' },
        {
          next: () => {},
          error: (e) => resolve(Array.isArray(e) ? String((e as GraphQLFormattedError[])[0]?.extensions?.code) : 'closed'),
          complete: () => {},
        },
      ),
    );
  for (let i = 0; i < 50; i++) void subscribe();
  await new Promise((r) => setTimeout(r, 200));
  const start = performance.now();
  const code = await subscribe();
  const ms = performance.now() - start;
  // sent in chunks, so that this process (five such clients at once) still reads its sockets
  for (let i = 0; i < 4949; i++) {
    void subscribe();
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  const closeCode = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(0), 5000))]);
  await client.dispose();
  return { ms, code: `ws ${code}${closeCode ? `; the flood that follows: close ${closeCode}` : ''}` };
}

/** A wide introspection: every type, its fields with their arguments and types, input fields, enum values. */
const WIDE_INTROSPECTION =
  '__schema { types { name kind description fields { name description args { name description type { name kind } } type { name kind ofType { name kind } } } inputFields { name description type { name kind } } enumValues { name description } } }';

interface Flood {
  answered: number;
  codes: Set<string>;
  times: number[];
  /** the server's CPU time (user + system) per flood request, ms */
  cpuPerRequest: number;
}

/** `senders` clients send without pause while the normal query runs `samples` times (one after another). */
async function flood(pid: number, senders: number, samples: number, send: (i: number) => Promise<Outcome>, normal: () => Promise<number>): Promise<Flood> {
  const cpuBefore = cpuMs(pid);
  let running = true;
  let answered = 0;
  const codes = new Set<string>();
  const loops = Array.from({ length: senders }, async () => {
    while (running) {
      const outcome = await send(answered);
      answered++;
      codes.add(outcome.code);
    }
  });
  // let the flood build up first
  await new Promise((r) => setTimeout(r, 200));
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await normal());
  running = false;
  await Promise.all(loops);
  // the normal queries' share is small: `samples` queries of a few ms
  return { answered, codes, times: times.sort((a, b) => a - b), cpuPerRequest: (cpuMs(pid) - cpuBefore) / answered };
}

async function main() {
  const customers = arg('customers', 1000);
  const rounds = arg('rounds', 3);
  const server = await startBenchServer(arg('port', 4630), { ANONYMOUS_RATE_LIMIT: '1000000' });
  try {
    console.log(`seeding ${customers} customers…`);
    const data = await seedProvider(server.url, customers, 10);
    const token = data.providerToken;
    const operator = data.operatorToken;
    // the normal query runs in its own thread, so that the abusive clients' own CPU work here does not delay it
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       parentPort.on('message', async () => {
         const start = performance.now();
         const res = await fetch(workerData.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + workerData.token }, body: JSON.stringify({ query: workerData.query }) });
         const body = await res.json();
         parentPort.postMessage(body.errors ? -1 : performance.now() - start);
       });`,
      { eval: true, workerData: { url: server.url, token, query: NORMAL } },
    );
    const normal = () =>
      new Promise<number>((resolve, reject) => {
        worker.once('message', (ms: number) => (ms < 0 ? reject(new Error('the normal query failed')) : resolve(ms)));
        worker.postMessage('go');
      });

    const alone: number[] = [];
    for (let i = 0; i < 20; i++) alone.push(await normal());
    alone.sort((a, b) => a - b);

    const json = (query: string, variables?: unknown) => JSON.stringify({ query, variables });
    const wsQuery40k = `subscription { invitationAccepted { ${list(6000, (i) => `a${i}: occurredAt`)} } }`;
    const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
    const cases: [string, () => Promise<Outcome>][] = [
      [
        'ws: query costing 40,401',
        () =>
          overSocket(
            server.wsUrl,
            token,
            '{ customers(first: 100) { edges { node { id subscriptions(first: 100) { edges { node { id quantity offer { id } reseller { id } supportContact { id } } } } } } } }',
          ),
      ],
      ['ws: 10,000 aliases', () => overSocket(server.wsUrl, token, `{ ${list(10_000, (i) => `a${i}: __typename`)} }`)],
      ['ws: subscription with 6,000 aliases', () => overSocket(server.wsUrl, token, wsQuery40k)],
      [
        'ws: createPartner mutation',
        () =>
          overSocket(
            server.wsUrl,
            operator,
            'mutation { createPartner(input: { name: "X Ltd", mpnId: "1234567", type: DIRECT_RESELLER, cloud: PUBLIC, contactEmail: "x@y.example" }) { partner { id } } }',
          ),
      ],
      ['ws: 5,000 subscriptions on one socket (the 51st)', () => manySubscriptions(server.wsUrl, token)],
      ['http: wrong-type variable', () => overHttp(server.url, token, json('query ($n: Int) { customers(first: $n) { totalCount } }', { n: 'many' }))],
      [
        'http: 200 KB anonymous bad variable',
        () => overHttp(server.url, undefined, json('query ($t: String!) { invitationPreview(token: $t) { status } }', { t: { big: 'x'.repeat(200_000) } })),
      ],
      [
        'http: 2,000 aliases of customers { totalCount }',
        () => overHttp(server.url, token, json(`{ ${list(2000, (i) => `c${i}: customers(first: 1) { totalCount }`)} }`)),
      ],
      [
        'http anonymous: 2,400 aliases of invitationPreview',
        () => overHttp(server.url, undefined, json(`{ ${list(2400, (i) => `p${i}: invitationPreview(token: "t${i}") { status }`)} }`)),
      ],
      ['http: 10,000 aliases of __typename', () => overHttp(server.url, token, json(`{ ${list(10_000, (i) => `a${i}: __typename`)} }`))],
      ['http: malformed JSON', () => overHttp(server.url, token, '{"query": "{ viewer { roles } }"')],
      ['http: 300 KB body (413)', () => overHttp(server.url, token, json(`{ viewer { roles } } #${'x'.repeat(300 * 1024)}`))],
      ['http: text/plain body (415)', () => overHttp(server.url, token, '{ viewer { roles } }', 'text/plain')],
      [
        'http: 9 aliases of customers { totalCount } (accepted: cost 2,799 of 3,000)',
        () => overHttp(server.url, token, json(`{ ${list(9, (i) => `c${i}: customers(first: 1) { totalCount }`)} }`)),
      ],
    ];

    console.log(
      `\nNODE_ENV=${process.env.NODE_ENV ?? 'development'}, ${customers} customers; normal query alone: p50 ${percentile(alone, 50).toFixed(1)} ms, max ${alone[alone.length - 1].toFixed(1)} ms`,
    );
    console.log(`${rounds} rounds of 5 parallel abusive requests + 1 normal query sent 5 ms later\n`);
    console.log('| abuse case | answer | slowest abusive answer ms | slowest normal query meanwhile ms |');
    console.log('| --- | --- | --- | --- |');
    for (const [name, fire] of cases.filter(([name]) => !only || name.includes(only))) {
      let worstAbuse = 0;
      let worstNormal = 0;
      const codes = new Set<string>();
      for (let r = 0; r < rounds; r++) {
        const abusive = Array.from({ length: 5 }, () => fire());
        const meanwhile = new Promise((res) => setTimeout(res, 5)).then(normal);
        const [outcomes, normalMs] = await Promise.all([Promise.all(abusive), meanwhile]);
        for (const o of outcomes) {
          worstAbuse = Math.max(worstAbuse, o.ms);
          codes.add(o.code);
        }
        worstNormal = Math.max(worstNormal, normalMs);
      }
      console.log(`| ${name} | ${[...codes].join(', ')} | ${worstAbuse.toFixed(1)} | ${worstNormal.toFixed(1)} |`);
    }

    // the introspection floods, against a baseline of as many normal queries alone
    const samples = arg('samples', 200);
    const senders = arg('senders', 8);
    const baseline: number[] = [];
    for (let i = 0; i < samples; i++) baseline.push(await normal());
    baseline.sort((a, b) => a - b);
    const wide = (i: number) => json(`{ ${list(30, (a) => `s${a}: ${WIDE_INTROSPECTION}`)} } # ${i}`);
    const floods: [string, (i: number) => Promise<Outcome>][] = [
      // the floor: the cheapest operation there is, as fast as the senders can send it
      [`${senders} senders without a token, { __typename } (for comparison)`, () => overHttp(server.url, undefined, json('{ __typename }'))],
      [`${senders} senders without a token, 30 aliases of a wide __schema`, (i) => overHttp(server.url, undefined, wide(i))],
      [`${senders} senders with a token, 30 aliases of a wide __schema`, (i) => overHttp(server.url, token, wide(i))],
      [
        `${senders} senders with a token polling GraphiQL's introspection`,
        () =>
          overHttp(
            server.url,
            token,
            json(
              getIntrospectionQuery({
                descriptions: true,
                specifiedByUrl: true,
                directiveIsRepeatable: true,
                schemaDescription: true,
                inputValueDeprecation: true,
              }),
            ),
          ),
      ],
    ];
    console.log(
      `\nNODE_ENV=${process.env.NODE_ENV ?? 'development'}, INTROSPECTION=${process.env.INTROSPECTION ?? 'default'}: the normal query ${samples} times, alone and under each flood\n`,
    );
    console.log('| flood | answers | flood requests answered | server CPU per flood request ms | normal query p50 ms | p99 ms |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    console.log(`| none (baseline, same run) | | | | ${percentile(baseline, 50).toFixed(1)} | ${percentile(baseline, 99).toFixed(1)} |`);
    for (const [name, send] of floods) {
      const result = await flood(server.pid, senders, samples, send, normal);
      console.log(
        `| ${name} | ${[...result.codes].join(', ')} | ${result.answered} | ${result.cpuPerRequest.toFixed(2)} | ${percentile(result.times, 50).toFixed(1)} | ${percentile(result.times, 99).toFixed(1)} |`,
      );
    }
    await worker.terminate();
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
