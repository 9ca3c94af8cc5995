/**
 * Socket memory: the attack of the hardening issue replayed against the built server, which runs in
 * its own process so that its resident memory (VmRSS, /proc/<pid>/status) is its own. Read before
 * the attack, every 100 ms during it (the peak), and every second for up to 60 s after every client
 * socket is gone. An idle process collects its garbage only when V8's memory reducer gets to it (in
 * seconds or in minutes), so the start and the end are also read right after a forced full GC,
 * with the JS heap in use (process.memoryUsage().heapUsed): what is still in use then is retained, not
 * garbage. For that only, the server runs with --expose-gc and a SIGUSR2 handler preloaded by this
 * benchmark (a full GC, then memoryUsage() written to a file); nothing of it is in the server's code.
 *
 *   NODE_ENV=production npm run bench:socket-memory [-- --users 5] [-- --wide]
 *
 * The attack, by one signed-in user as in the issue (`--users 5`: five accounts of one partner
 * sharing the sockets, each with its own share); each phase keeps its sockets open while the next runs:
 * 1. 100 sockets, each sending 50 subscribes with ids of 100 KB (over WS_MAX_PAYLOAD: refused by ws,
 *    1009) or 60 KB (under it: refused by the id limit, 4400);
 * 2. 100 sockets with 50 subscriptions each (ids of 128 characters; the dashboard's query, or with
 *    --wide 30 aliases of `data`, about 10 KB a message) that stop reading while the partner's events
 *    are pushed;
 * 3. 1,000 sockets of one user, and 1,000 without a token, from this one client (a socket without a
 *    token is closed at once with 4401: they check that such sockets hold nothing).
 * Before the fixes the first phase alone took the server from 250 MB to 2,083 MB, which stayed.
 * Targets: growth under 300 MB at the peak; within 50 MB of the start once the sockets are closed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { CreateCustomerDocument, CreatePartnerDocument } from '../test/generated/graphql';
import { GqlClient } from '../test/support/client';
import { customerInput, uniqueMpnId } from '../test/support/factories';
import { arg, BENCH_SECRET, startBenchServer } from './support';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (kb: number) => kb / 1024;

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, ''));
}

interface Client {
  socket: WebSocket;
  /** 'acked', or the close code the server sent */
  outcome: 'acked' | number;
  /** the close code, once closed */
  closed: Promise<number>;
  nexts: number;
}

/** A raw graphql-transport-ws socket after connection_init: acknowledged or closed. */
function connect(url: string, token: string | undefined): Promise<Client> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const client: Client = { socket, outcome: 0, closed: new Promise((r) => socket.once('close', (code) => r(code))), nexts: 0 };
    socket.on('error', () => {});
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} })));
    socket.on('message', (data) => {
      const text = (data as Buffer).toString();
      if (text.startsWith('{"type":"connection_ack"')) {
        client.outcome = 'acked';
        resolve(client);
      } else if (text.includes('"type":"next"')) client.nexts++;
    });
    void client.closed.then((code) => {
      if (client.outcome === 0) client.outcome = code;
      resolve(client);
    });
  });
}

async function connectMany(url: string, n: number, token: (i: number) => string | undefined): Promise<Client[]> {
  const out: Client[] = [];
  for (let i = 0; i < n; i += 100) out.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, j) => connect(url, token(i + j))))));
  return out;
}

/** Close codes and acknowledged sockets, counted: "acked ×20, 4429 ×980". */
function tally(values: (string | number)[]): string {
  const counts = new Map<string | number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${v} ×${n}`).join(', ');
}

const send = (socket: WebSocket, text: string) =>
  new Promise<boolean>((resolve) => (socket.readyState === WebSocket.OPEN ? socket.send(text, (err) => resolve(!err)) : resolve(false)));

async function main() {
  // bench-only instrumentation: SIGUSR2 runs a full GC in the server process and writes its memoryUsage()
  const dir = mkdtempSync(join(tmpdir(), 'pc-socket-memory-'));
  const memoryFile = join(dir, 'memory.json');
  const preload = `import { writeFileSync } from 'node:fs'; process.on('SIGUSR2', () => { globalThis.gc(); writeFileSync(${JSON.stringify(memoryFile)}, JSON.stringify(process.memoryUsage())); });`;
  const server = await startBenchServer(arg('port', 4720), {}, ['--expose-gc', '--import', `data:text/javascript,${encodeURIComponent(preload)}`]);
  /** a full GC in the server, then (once its allocator has given pages back) its RSS and JS heap in use, in KB */
  const afterFullGc = async () => {
    rmSync(memoryFile, { force: true });
    process.kill(server.pid, 'SIGUSR2');
    await pause(2000);
    return { rss: rssKb(server.pid), heapUsed: (JSON.parse(readFileSync(memoryFile, 'utf8')) as { heapUsed: number }).heapUsed / 1024 };
  };
  const samples: number[] = [];
  try {
    const operator = new GqlClient(server.url, await signDevToken(BENCH_SECRET, { sub: 'bench-op', roles: [Role.PLATFORM_ADMIN] }));
    const { createPartner } = await operator.data(CreatePartnerDocument, {
      input: { name: 'Socket Memory Partner Ltd', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'm@bench.example' },
    });
    const partnerId = createPartner.partner.id;
    const user = (sub: string) => signDevToken(BENCH_SECRET, { sub, roles: [Role.GLOBAL_ADMIN], partnerId });
    const admin = new GqlClient(server.url, await user('bench-admin'));
    let customers = 0;
    const pushEvent = () =>
      admin.data(CreateCustomerDocument, { input: customerInput({ companyName: `Northwind Wholesale Distribution Partners ${++customers} Corporation` }) });
    const WIDE = `subscription { events { id cursor type ${Array.from({ length: 30 }, (_, i) => `d${i}: data`).join(' ')} } }`;
    const wide = process.argv.includes('--wide');
    const READER = wide ? WIDE : 'subscription { events { id cursor type occurredAt customerId data } }';

    // warm up: a socket, a subscription and a few events, so that start-up work is not counted as growth
    const warm = await connect(server.wsUrl, await user('bench-warm'));
    await send(warm.socket, JSON.stringify({ id: 'w', type: 'subscribe', payload: { query: WIDE } }));
    for (let i = 0; i < 5; i++) await pushEvent();
    warm.socket.close();
    await pause(3000);
    const start = await afterFullGc();
    const before = start.rss;
    const sampler = setInterval(() => samples.push(rssKb(server.pid)), 100);

    // 1. 100 sockets (5 users × 20) × 50 subscribes with ids of 100 KB or 60 KB
    const users = arg('users', 1);
    const tokensA = await Promise.all(Array.from({ length: users }, (_, i) => user(`attacker-a${i}`)));
    const phase1 = await connectMany(server.wsUrl, 100, (i) => tokensA[i % users]);
    await Promise.all(
      phase1.map(async (c, i) => {
        if (c.outcome !== 'acked') return;
        const idLength = i % 2 ? 60_000 : 100_000;
        const stem = 'x'.repeat(idLength - 3);
        for (let s = 0; s < 50; s++) {
          if (!(await send(c.socket, JSON.stringify({ id: `${stem}${String(s).padStart(3, '0')}`, type: 'subscribe', payload: { query: WIDE } })))) break;
        }
      }),
    );
    const phase1Codes = await Promise.all(phase1.map((c) => Promise.race([c.closed, pause(5000).then(() => 'still open')])));
    const peakOf = (from: number) => Math.max(before, ...samples.slice(from));
    const peak1 = peakOf(0);
    const mark2 = samples.length;

    // 2. 100 slow readers (5 users × 20) × 50 subscriptions, then they stop reading while events are pushed
    const tokensB = await Promise.all(Array.from({ length: users }, (_, i) => user(`slow-reader-b${i}`)));
    const phase2 = await connectMany(server.wsUrl, 100, (i) => tokensB[i % users]);
    const readers = phase2.filter((c) => c.outcome === 'acked');
    for (const c of readers) {
      for (let s = 0; s < 50; s++)
        void send(c.socket, JSON.stringify({ id: `${'s'.repeat(125)}${String(s).padStart(3, '0')}`, type: 'subscribe', payload: { query: READER } }));
    }
    await pause(2000);
    await pushEvent();
    for (let i = 0; i < 100 && readers.some((c) => c.nexts < 50); i++) await pause(100);
    const live = readers.filter((c) => c.nexts >= 50).length;
    for (const c of readers) c.socket.pause();
    const pushStart = performance.now();
    const pushed = arg('events', 40);
    for (let i = 0; i < pushed; i++) await pushEvent();
    const pushMs = performance.now() - pushStart;

    const peak2 = peakOf(mark2);
    const mark3 = samples.length;
    // 3. 1,000 sockets of one user and 1,000 without a token (each closed at once, 4401), from this one client
    const one = await user('many-sockets-c0');
    const phase3User = await connectMany(server.wsUrl, 1000, () => one);
    const phase3Anonymous = await connectMany(server.wsUrl, 1000, () => undefined);
    await pause(2000);
    const during = rssKb(server.pid);
    const peak3 = peakOf(mark3);

    // the slow readers read again: what did the server tell them?
    for (const c of readers) c.socket.resume();
    const phase2Codes = await Promise.all(readers.map((c) => Promise.race([c.closed, pause(3000).then(() => 'still open')])));

    // every client socket goes (without a close handshake, as clients that vanish)
    for (const c of [...phase1, ...phase2, ...phase3User, ...phase3Anonymous]) c.socket.terminate();
    clearInterval(sampler);
    const peak = Math.max(before, during, ...samples);
    await pause(5000);
    const after5 = rssKb(server.pid);
    let after = after5;
    let waited = 5;
    for (; waited < 60 && mb(after - before) > 50; waited++) {
      await pause(1000);
      after = rssKb(server.pid);
    }

    const end = await afterFullGc();
    const growth = mb(peak - before);
    const held = mb(end.rss - before);
    const left = mb(after - before);
    console.log(`socket memory: the server's RSS (its own process), ${users} signed-in user(s) attacking, NODE_ENV=${process.env.NODE_ENV ?? ''}`);
    console.log(
      `  1. 100 sockets x 50 subscribes, ids of 100 KB / 60 KB: ${tally(phase1.map((c) => c.outcome))}; then ${tally(phase1Codes)} (1006: cut before reading the close frame)`,
    );
    console.log(
      `  2. 100 slow readers x 50 subscriptions (${wide ? 'wide query, ~10 KB a message' : "the dashboard's query"}): ${tally(phase2.map((c) => c.outcome))}; ${live} sockets live, ${pushed} customers created while they did not read (${(pushMs / 1000).toFixed(1)} s): ${tally(phase2Codes)}`,
    );
    console.log(
      `  3. 1,000 sockets of one user: ${tally(phase3User.map((c) => c.outcome))}; 1,000 without a token: ${tally(phase3Anonymous.map((c) => c.outcome))}`,
    );
    console.log(`  peak RSS by phase: 1. ${mb(peak1).toFixed(0)} MB, 2. ${mb(peak2).toFixed(0)} MB, 3. ${mb(peak3).toFixed(0)} MB`);
    console.log(
      `  RSS before ${mb(before).toFixed(0)} MB, peak during ${mb(peak).toFixed(0)} MB (+${growth.toFixed(0)} MB), with everything open ${mb(during).toFixed(0)} MB`,
    );
    console.log(
      `  RSS after the sockets closed: +5 s ${mb(after5).toFixed(0)} MB, +${waited} s ${mb(after).toFixed(0)} MB (${left >= 0 ? '+' : ''}${left.toFixed(0)} MB from before)`,
    );
    const heapHeld = mb(end.heapUsed - start.heapUsed);
    console.log(
      `  after one forced full GC: RSS ${mb(end.rss).toFixed(0)} MB (${held >= 0 ? '+' : ''}${held.toFixed(0)} MB from before); JS heap in use ${mb(start.heapUsed).toFixed(0)} MB before, ${mb(end.heapUsed).toFixed(0)} MB now (${heapHeld >= 0 ? '+' : ''}${heapHeld.toFixed(1)} MB retained)`,
    );
    console.log(
      `  target growth < 300 MB: ${growth < 300 ? 'held' : 'MISSED'}; target back within 50 MB of before: ${left <= 50 ? 'held' : 'MISSED'} without forcing a GC, ${held <= 50 ? 'held' : 'MISSED'} after one`,
    );
    console.log('  (before the fixes, phase 1 alone: 250 MB -> 2,083 MB, and it stayed after the sockets closed)');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
