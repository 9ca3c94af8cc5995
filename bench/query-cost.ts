/**
 * The CPU time of the costliest operations the cost limit still accepts, on the benchmark data.
 *
 *   NODE_ENV=production npm run bench:cost -- --customers 1000 --runs 20
 *
 * For each shape of expensive operation (big pages with every relation field, many aliases of
 * COUNTs or searches, deep subscription lists, anonymous previews), the script finds the largest
 * size the server accepts (it asks the server: a refusal tells the cost), runs that operation
 * `runs` times one after another, and prints the server process's CPU time per run (from
 * /proc/<pid>/stat) and the wall time, next to a baseline: `{ viewer { roles } }` on the same server.
 */
import { GqlClient } from '../test/support/client';
import { seedProvider } from './seed';
import { arg, cpuMs, percentile, startBenchServer } from './support';

interface Shape {
  name: string;
  max: number;
  anonymous?: boolean;
  query: (n: number) => string;
}

const list = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(' ');

function shapes(invitationToken: string): Shape[] {
  return [
    {
      name: 'dashboard page, every relation field + subscriptions(first: 5)',
      max: 100,
      query: (n) =>
        `{ customers(first: ${n}) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id companyName domain cloud address { city country } relationship { status establishedAt } delegatedAdminPrivileges { status } indirectReseller { id name mpnId } partners { partner { id name } relationshipStatus } subscriptions(first: 5) { totalCount edges { node { id quantity offer { id name } reseller { id name } supportContact { id } } } } } } } }`,
    },
    {
      name: 'aliases of customers(first: 1) { totalCount }',
      max: 200,
      query: (n) => `{ ${list(n, (i) => `c${i}: customers(first: 1) { totalCount }`)} }`,
    },
    {
      name: 'aliases of a search with totalCount',
      max: 200,
      query: (n) => `{ ${list(n, (i) => `s${i}: customers(first: 1, filter: { search: "Customer ${i}" }) { totalCount edges { node { id } } }`)} }`,
    },
    {
      name: 'customers(first: n) × subscriptions(first: 100)',
      max: 100,
      query: (n) =>
        `{ customers(first: ${n}) { edges { node { id subscriptions(first: 100) { edges { node { id quantity offer { id name } reseller { id name mpnId } supportContact { id name } } } } } } } }`,
    },
    {
      name: 'invitations page with partners',
      max: 100,
      query: (n) =>
        `{ invitations(first: ${n}) { totalCount edges { node { id status expiresAt cloud customerEmail includeDelegatedAdminPrivileges partner { id name } indirectProvider { id name } } } } }`,
    },
    {
      name: 'activities page',
      max: 100,
      query: (n) => `{ activities(first: ${n}) { totalCount edges { node { id action occurredAt actorUserId actorRoles customerId attestation } } } }`,
    },
    {
      name: 'anonymous: aliases of invitationPreview',
      max: 200,
      anonymous: true,
      query: (n) =>
        `{ ${list(n, (i) => `p${i}: invitationPreview(token: "${invitationToken}") { partnerName indirectProviderName status expiresAt includeDelegatedAdminPrivileges }`)} }`,
    },
  ];
}

/** The largest size in [1, max] the server accepts, by bisection on its answers. */
async function largestAccepted(client: GqlClient, shape: Shape): Promise<{ n: number; cost: string } | undefined> {
  const accepted = async (n: number) => {
    const res = await client.raw({ query: shape.query(n) });
    const refusal = res.errors?.find((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' || e.extensions?.code === 'GRAPHQL_PARSE_FAILED');
    if (refusal) return false;
    if (res.errors?.length) throw new Error(`${shape.name}: ${JSON.stringify(res.errors[0])}`);
    return true;
  };
  if (!(await accepted(1))) return undefined;
  let lo = 1;
  let hi = shape.max;
  if (await accepted(hi)) lo = hi;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await accepted(mid)) lo = mid;
    else hi = mid;
  }
  // the cost the server computed, read from its refusal of the next size (none when the largest size fits)
  if (lo === shape.max) return { n: lo, cost: 'within the limit at the largest size' };
  const above = await client.raw({ query: shape.query(lo + 1) });
  return { n: lo, cost: /costs (\d+)/.exec(above.errors?.[0]?.message ?? '')?.[1] ?? 'refused by another limit' };
}

async function measure(pid: number, client: GqlClient, query: string, runs: number) {
  const walls: number[] = [];
  await client.raw({ query }); // warm: parse/validation caches, statement caches
  const cpuBefore = cpuMs(pid);
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const res = await client.raw({ query });
    walls.push(performance.now() - start);
    if (res.errors?.length) throw new Error(JSON.stringify(res.errors[0]));
  }
  const cpu = (cpuMs(pid) - cpuBefore) / runs;
  walls.sort((a, b) => a - b);
  return { cpu, p50: percentile(walls, 50), max: walls[walls.length - 1] };
}

async function main() {
  const customers = arg('customers', 1000);
  const runs = arg('runs', 20);
  const server = await startBenchServer(arg('port', 4620), { ANONYMOUS_RATE_LIMIT: '1000000' });
  try {
    console.log(`seeding ${customers} customers…`);
    const data = await seedProvider(server.url, customers);
    const partner = new GqlClient(server.url, data.providerToken);
    const anonymous = new GqlClient(server.url);
    const baseline = await measure(server.pid, partner, '{ viewer { roles } }', runs);
    console.log(`\nNODE_ENV=${process.env.NODE_ENV ?? 'development'}, ${customers} customers, ${runs} runs each`);
    console.log(`baseline { viewer { roles } }: CPU ${baseline.cpu.toFixed(1)} ms/run, wall p50 ${baseline.p50.toFixed(1)} ms\n`);
    console.log('| operation (largest accepted size) | size | cost of size+1 | server CPU ms/run | wall p50 ms | wall max ms | CPU vs baseline |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    let worst = 0;
    for (const shape of shapes(data.invitationTokens[0])) {
      const client = shape.anonymous ? anonymous : partner;
      const found = await largestAccepted(client, shape);
      if (!found) {
        console.log(`| ${shape.name} | refused at 1 | | | | | |`);
        continue;
      }
      const m = await measure(server.pid, client, shape.query(found.n), runs);
      worst = Math.max(worst, m.p50);
      console.log(
        `| ${shape.name} | ${found.n} | ${found.cost} | ${m.cpu.toFixed(1)} | ${m.p50.toFixed(1)} | ${m.max.toFixed(1)} | ${(m.cpu / Math.max(baseline.cpu, 0.01)).toFixed(1)}× |`,
      );
    }
    console.log(`\ncostliest accepted operation: wall p50 ${worst.toFixed(1)} ms`);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
