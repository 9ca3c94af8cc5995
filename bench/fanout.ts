/**
 * Fan-out: N dashboards subscribed to `events` (graphql-ws over real sockets, one socket each), one
 * partner; each round a partner's mutation (createCustomerInvitation) makes one event, and every
 * socket's receipt is timed from the moment the mutation was sent. The same sockets-and-timing
 * against a bare `ws` server that broadcasts the same message text (bench/bare-broadcast-server.ts),
 * in the same run. Also the server's resident memory per idle subscribed connection (VmRSS before
 * and after connecting, both servers).
 *
 *   NODE_ENV=production npm run bench:fanout -- --dashboards 5000 --rounds 10
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { CreatePartnerDocument } from '../test/generated/graphql';
import { GqlClient } from '../test/support/client';
import { uniqueMpnId } from '../test/support/factories';
import { arg, BENCH_SECRET, percentile, startBenchServer } from './support';

const QUERY = 'subscription { events { id cursor type occurredAt partnerId invitationId data } }';

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, ''));
}

interface Dashboards {
  /** resolves with the latency (ms from `start`) of every socket's next message */
  round(start: number): Promise<number[]>;
  lastMessage(): string;
  close(): void;
}

/** N raw graphql-transport-ws sockets (cheap on the client side, the same for both servers). */
async function connect(url: string, n: number, token: string | undefined, subscribe: boolean): Promise<Dashboards> {
  const sockets: WebSocket[] = [];
  let pending = 0;
  let roundStart = 0;
  let latencies: number[] = [];
  let last = '';
  let done: (() => void) | null = null;
  const batch = 200;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from(
        { length: Math.min(batch, n - i) },
        () =>
          new Promise<void>((resolve, reject) => {
            const socket = new WebSocket(url, 'graphql-transport-ws');
            sockets.push(socket);
            socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} })));
            socket.on('error', reject);
            socket.on('message', (data) => {
              const text = (data as Buffer).toString();
              if (text.startsWith('{"type":"connection_ack"')) {
                if (subscribe) socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY } }));
                resolve();
                return;
              }
              last = text;
              latencies.push(performance.now() - roundStart);
              if (--pending === 0) done?.();
            });
          }),
      ),
    );
  }
  return {
    round: (start) => {
      roundStart = start;
      latencies = [];
      pending = n;
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(latencies), 20_000);
        done = () => {
          clearTimeout(timer);
          resolve(latencies);
        };
      });
    },
    lastMessage: () => last,
    close: () => sockets.forEach((s) => s.terminate()),
  };
}

const f = (n: number) => `${n.toFixed(1)} ms`;

async function main() {
  const n = arg('dashboards', 5000);
  const rounds = arg('rounds', 10);
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  // ---- ours
  const server = await startBenchServer(arg('port', 4700));
  const operator = new GqlClient(server.url, await signDevToken(BENCH_SECRET, { sub: 'bench-op', roles: [Role.PLATFORM_ADMIN] }));
  const { createPartner } = await operator.data(CreatePartnerDocument, {
    input: { name: 'Fanout Partner Ltd', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'f@bench.example' },
  });
  const token = await signDevToken(BENCH_SECRET, { sub: 'bench-admin', roles: [Role.GLOBAL_ADMIN], partnerId: createPartner.partner.id });
  const partner = new GqlClient(server.url, token);
  const invite = () => partner.raw({ query: 'mutation { createCustomerInvitation(input: { includeDelegatedAdminPrivileges: true }) { invitation { id } } }' });
  await invite(); // warm
  await pause(1000);
  const oursIdle = rssKb(server.pid);
  const ours = await connect(server.wsUrl, n, token, true);
  await pause(3000);
  const oursSubscribed = rssKb(server.pid);
  const oursLatency: number[] = [];
  const mutation: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    const start = performance.now();
    const received = ours.round(start);
    await invite();
    mutation.push(performance.now() - start);
    const got = await received;
    if (got.length < n) console.error(`ours round ${r}: ${got.length}/${n} within 20 s`);
    if (r > 0) oursLatency.push(...got); // round 0 warms the JIT
    await pause(200);
  }
  const message = ours.lastMessage();
  ours.close();
  await server.stop();

  // ---- the bare broadcast, same clients, same message
  const port = arg('bare-port', 4701);
  const bare = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/bare-broadcast-server.ts', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => bare.stdout.once('data', () => resolve()));
  await pause(500);
  const bareIdle = rssKb(bare.pid!);
  const baseline = await connect(`ws://127.0.0.1:${port}/graphql`, n, undefined, false);
  await pause(3000);
  const bareConnected = rssKb(bare.pid!);
  const bareLatency: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    const start = performance.now();
    const received = baseline.round(start);
    await fetch(`http://127.0.0.1:${port}/broadcast`, { method: 'POST', body: message });
    const got = await received;
    if (r > 0) bareLatency.push(...got);
    await pause(200);
  }
  baseline.close();
  bare.kill('SIGTERM');

  for (const list of [oursLatency, bareLatency, mutation]) list.sort((a, b) => a - b);
  const [o50, o99, b50, b99] = [percentile(oursLatency, 50), percentile(oursLatency, 99), percentile(bareLatency, 50), percentile(bareLatency, 99)];
  console.log(`fan-out: ${n} subscribed sockets x ${rounds} events (message ${message.length} bytes), NODE_ENV=${process.env.NODE_ENV ?? ''}`);
  console.log(`  ours (mutation -> push)  p50 ${f(o50)}  p99 ${f(o99)}   [the mutation itself: p50 ${f(percentile(mutation, 50))}]`);
  console.log(`  bare ws broadcast        p50 ${f(b50)}  p99 ${f(b99)}`);
  console.log(`  ratio ours/bare          p50 ${(o50 / b50).toFixed(2)}x  p99 ${(o99 / b99).toFixed(2)}x   (target p99 <= 2x)`);
  console.log(
    `  memory per idle subscribed connection: ours ${((oursSubscribed - oursIdle) / n).toFixed(1)} KB, bare ws ${((bareConnected - bareIdle) / n).toFixed(1)} KB   (target ours <= 20 KB)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
