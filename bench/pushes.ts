/**
 * The push figure of issue 28: N sockets of one partner subscribed to
 *   subscription { invitationAccepted { occurredAt invitation { invitationId status } customer { customerId companyName } } }
 * (the issue's selection; the snapshots name their ids `invitationId` and `customerId`), then R rounds in
 * which a customer accepts one of the partner's invitations (acceptCustomerInvitation over HTTP). Each
 * socket's receipt is timed from the moment the mutation was sent. Then the same sockets against the bare
 * baseline (bench/bare-broadcast-server.ts): a plain `ws` server that, when the broadcast is triggered
 * (POST /next, timed from the moment it was sent), sends one pre-serialized graphql-transport-ws
 * `next` message (the same text our server pushed, with each socket's subscription id) to every socket.
 * The rounds alternate: ours, then the bare server with the payload ours just pushed (both servers and
 * both sets of sockets stay connected throughout, idle while the other's round runs), so that other
 * work on the machine weighs on both alike. Round 0 warms up and is not counted.
 *
 * How the time is measured: the sockets live in a child process of this script (the same code, the
 * same process layout for both servers): they record the wall time of each message's arrival
 * (performance.timeOrigin + performance.now(), comparable across processes on one machine) before
 * anything else, and check the message afterwards; this process records the wall time at which it
 * sent the mutation (or the broadcast). So the server, the client sockets and this driver each run in
 * their own process (the 2 CPUs are shared by the server and the clients in both runs alike).
 * The sockets belong to N / 20 users of the partner (20 sockets each, MAX_SOCKETS_PER_PRINCIPAL's default);
 * each subscribes with an id of its own (a UUID, as graphql-ws clients do).
 *
 *   NODE_ENV=production npm run bench:pushes -- --sockets 5000 --rounds 10
 *
 * Prints p50/p99 of both and `pushes p99 ratio ours/bare: x.xx (N sockets)` (issue 28's target: <= 1.5).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { CreateCustomerDocument, CreateCustomerInvitationDocument, CreatePartnerDocument } from '../test/generated/graphql';
import { GqlClient } from '../test/support/client';
import { customerInput, uniqueMpnId } from '../test/support/factories';
import { arg, BENCH_SECRET, percentile, startBenchServer } from './support';

const QUERY = 'subscription { invitationAccepted { occurredAt invitation { invitationId status } customer { customerId companyName } } }';
const SOCKETS_PER_USER = 20;
const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- the client sockets (child process)

type ToClients = { cmd: 'connect'; url: string; tokens: string[]; n: number } | { cmd: 'arm'; expect: string } | { cmd: 'close' };
type FromClients = { connected: number; failed: number } | { armed: true } | { times: number[]; wrong: number; sample: string };

function clients() {
  const send = (m: FromClients) => process.send!(m);
  const sockets: WebSocket[] = [];
  let times: number[] = [];
  let messages: Buffer[] = [];
  let pending = 0;
  let expect = '';
  let timer: NodeJS.Timeout | undefined;
  const finish = () => {
    clearTimeout(timer);
    let wrong = 0;
    // checked after the round: the receipt time is taken before anything else
    for (const m of messages) if (!m.includes(expect)) wrong++;
    send({ times, wrong, sample: messages[0]?.toString() ?? '' });
    messages = [];
  };
  process.on('message', (m: ToClients) => {
    if (m.cmd === 'close') {
      sockets.forEach((s) => s.terminate());
      process.exit(0);
    }
    if (m.cmd === 'arm') {
      expect = m.expect;
      times = [];
      messages = [];
      pending = sockets.length;
      timer = setTimeout(finish, 20_000);
      send({ armed: true });
      return;
    }
    void (async () => {
      let failed = 0;
      const batch = 200;
      for (let i = 0; i < m.n; i += batch) {
        await Promise.all(
          Array.from(
            { length: Math.min(batch, m.n - i) },
            (_, j) =>
              new Promise<void>((resolve) => {
                const token = m.tokens[Math.floor((i + j) / SOCKETS_PER_USER)];
                const socket = new WebSocket(m.url, 'graphql-transport-ws');
                let acked = false;
                socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
                socket.on('error', () => {
                  failed++;
                  resolve();
                });
                socket.on('close', () => {
                  if (!acked) resolve();
                });
                socket.on('message', (data: Buffer) => {
                  if (!acked) {
                    acked = true;
                    sockets.push(socket);
                    // an id of its own, as graphql-ws clients give each subscription
                    socket.send(JSON.stringify({ id: randomUUID(), type: 'subscribe', payload: { query: QUERY } }));
                    resolve();
                    return;
                  }
                  times.push(now());
                  messages.push(data);
                  if (--pending === 0) finish();
                });
              }),
          ),
        );
      }
      send({ connected: sockets.length, failed });
    })();
  });
}

// ---------------------------------------------------------------- the driver

class Clients {
  private readonly child: ChildProcess;
  private waiting: ((m: FromClients) => void) | null = null;

  constructor() {
    this.child = fork(__filename, ['--clients'], { execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: 'inherit' });
    this.child.on('message', (m: FromClients) => this.waiting?.(m));
  }

  private ask<T extends FromClients>(m: ToClients): Promise<T> {
    return new Promise((resolve) => {
      this.waiting = (answer) => resolve(answer as T);
      this.child.send(m);
    });
  }

  connect(url: string, tokens: string[], n: number) {
    return this.ask<{ connected: number; failed: number }>({ cmd: 'connect', url, tokens, n });
  }

  /** Arms the sockets for a round, then runs `trigger`; resolves with the latency (ms) of each socket's push from the trigger's start. */
  async round(expect: string, trigger: () => Promise<unknown>): Promise<{ latencies: number[]; wrong: number; sample: string }> {
    await this.ask({ cmd: 'arm', expect });
    const received = new Promise<{ times: number[]; wrong: number; sample: string }>((resolve) => (this.waiting = (m) => resolve(m as never)));
    const start = now();
    await trigger();
    const { times, wrong, sample } = await received;
    return { latencies: times.map((t) => t - start), wrong, sample };
  }

  close() {
    this.child.send({ cmd: 'close' });
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f = (n: number) => `${n.toFixed(1)} ms`;
/** one round's first, median, p99 and last push (PUSHES_VERBOSE=1) */
function roundFigures(latencies: number[]): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  return `min ${f(sorted[0])} p50 ${f(percentile(sorted, 50))} p99 ${f(percentile(sorted, 99))} max ${f(sorted[sorted.length - 1])}`;
}

async function main() {
  const n = arg('sockets', 5000);
  const rounds = arg('rounds', 10);

  const server = await startBenchServer(arg('port', 4720));
  const port = arg('bare-port', 4721);
  const bare = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/bare-broadcast-server.ts', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ours: number[] = [];
  const baseline: number[] = [];
  let [oursWrong, oursMissing, bareWrong, bareMissing] = [0, 0, 0, 0];
  let message = '';
  try {
    await new Promise<void>((resolve) => bare.stdout.once('data', () => resolve()));
    const operator = new GqlClient(server.url, await signDevToken(BENCH_SECRET, { sub: 'bench-op', roles: [Role.PLATFORM_ADMIN] }));
    const { createPartner } = await operator.data(CreatePartnerDocument, {
      input: { name: 'Pushes Partner Ltd', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'p@bench.example' },
    });
    const partnerId = createPartner.partner.id;
    const partner = new GqlClient(server.url, await signDevToken(BENCH_SECRET, { sub: 'bench-admin', roles: [Role.GLOBAL_ADMIN], partnerId }));
    const { createCustomer } = await operator.data(CreateCustomerDocument, { input: customerInput({ companyName: 'Pushes Customer Corporation' }) });
    const customer = new GqlClient(
      server.url,
      await signDevToken(BENCH_SECRET, { sub: 'bench-customer', roles: [Role.CUSTOMER_ADMIN], customerId: createCustomer.customer.id }),
    );
    const invitations: { id: string; token: string }[] = [];
    for (let r = 0; r < rounds + 1; r++) {
      const { createCustomerInvitation } = await partner.data(CreateCustomerInvitationDocument, { input: { includeDelegatedAdminPrivileges: true } });
      invitations.push({ id: createCustomerInvitation.invitation.id, token: createCustomerInvitation.token });
    }
    const tokens = await Promise.all(
      Array.from({ length: Math.ceil(n / SOCKETS_PER_USER) }, (_, u) =>
        signDevToken(BENCH_SECRET, { sub: `bench-dashboard-${u}`, roles: [Role.GLOBAL_ADMIN], partnerId }),
      ),
    );
    // the same client code, one process of sockets per server
    const oursSockets = new Clients();
    const bareSockets = new Clients();
    try {
      const connected = [await oursSockets.connect(server.wsUrl, tokens, n), await bareSockets.connect(`ws://127.0.0.1:${port}/graphql`, ['bare'], n)];
      if (connected.some((c) => c.connected < n))
        throw new Error(`sockets connected: ours ${connected[0].connected}/${n}, bare ${connected[1].connected}/${n}`);
      await pause(2000); // every subscription registered
      // rounds alternate between the servers, so that whatever else runs on the machine weighs on both alike
      for (let r = 0; r < rounds + 1; r++) {
        const accept = () =>
          customer.raw({
            query: 'mutation ($input: AcceptCustomerInvitationInput!) { acceptCustomerInvitation(input: $input) { invitation { id } } }',
            variables: { input: { token: invitations[r].token } },
          });
        const got = await oursSockets.round(invitations[r].id, accept);
        message = got.sample;
        if (!message.includes('"invitationAccepted"')) throw new Error(`ours pushed ${message.slice(0, 300)}`);
        await pause(300);
        // the bare server sends the same payload, framed with each socket's subscription id
        const payload = JSON.stringify((JSON.parse(message) as { payload: unknown }).payload);
        const bareGot = await bareSockets.round(invitations[r].id, () =>
          fetch(`http://127.0.0.1:${port}/next`, { method: 'POST', body: payload }).then((res) => res.text()),
        );
        if (process.env.PUSHES_VERBOSE) console.error(`round ${r}: ours ${roundFigures(got.latencies)}\n         bare ${roundFigures(bareGot.latencies)}`);
        for (const [name, g] of [
          ['ours', got],
          ['bare', bareGot],
        ] as const) {
          if (g.latencies.length < n) console.error(`${name} round ${r}: ${g.latencies.length}/${n} pushes within 20 s`);
        }
        if (r > 0) {
          // round 0 warms up
          ours.push(...got.latencies);
          baseline.push(...bareGot.latencies);
          oursWrong += got.wrong;
          bareWrong += bareGot.wrong;
          oursMissing += n - got.latencies.length;
          bareMissing += n - bareGot.latencies.length;
        }
        await pause(300);
      }
    } finally {
      oursSockets.close();
      bareSockets.close();
    }
  } finally {
    bare.kill('SIGTERM');
    await server.stop();
  }

  ours.sort((a, b) => a - b);
  baseline.sort((a, b) => a - b);
  const [o50, o99, b50, b99] = [percentile(ours, 50), percentile(ours, 99), percentile(baseline, 50), percentile(baseline, 99)];
  console.log(`pushes: ${n} sockets x ${rounds} acceptances (message ${message.length} bytes), NODE_ENV=${process.env.NODE_ENV ?? ''}`);
  console.log(`  ours (acceptCustomerInvitation sent -> push)  p50 ${f(o50)}  p99 ${f(o99)}  (${oursMissing} missing, ${oursWrong} wrong)`);
  console.log(`  bare ws (broadcast sent -> push)             p50 ${f(b50)}  p99 ${f(b99)}  (${bareMissing} missing, ${bareWrong} wrong)`);
  console.log(`pushes p99 ratio ours/bare: ${(o99 / b99).toFixed(2)} (${n} sockets)   p50 ratio ${(o50 / b50).toFixed(2)}   (target p99 <= 1.5)`);
}

if (process.argv.includes('--clients')) clients();
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
