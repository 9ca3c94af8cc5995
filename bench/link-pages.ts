/**
 * Does a link page tell anything by its timing? Times GET /invitations/<token> for an open invitation,
 * a used one and unknown tokens (same length), interleaved in a random order, against the server's
 * bare /healthz in the same run. The three kinds should take the same time (ratios near 1.0).
 *
 *   npm run bench:link-pages -- --rounds 2000
 */
import { randomBytes } from 'node:crypto';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { AcceptCustomerInvitationDocument, CreateCustomerDocument, CreateCustomerInvitationDocument, CreatePartnerDocument } from '../test/generated/graphql';
import { GqlClient } from '../test/support/client';
import { customerInput, uniqueMpnId } from '../test/support/factories';
import { arg, BENCH_SECRET, percentile, startBenchServer } from './support';

async function main() {
  const rounds = arg('rounds', 2000);
  const server = await startBenchServer(arg('port', 4620), { LINK_PAGES: 'true', ANONYMOUS_RATE_LIMIT: '1000000', NODE_ENV: 'production' });
  try {
    const origin = new URL(server.url).origin;
    const operator = new GqlClient(server.url, await signDevToken(BENCH_SECRET, { sub: 'bench-op', roles: [Role.PLATFORM_ADMIN] }));
    const { createPartner } = await operator.data(CreatePartnerDocument, {
      input: { name: 'Bench Partner Ltd', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'b@bench.example' },
    });
    const partner = new GqlClient(
      server.url,
      await signDevToken(BENCH_SECRET, { sub: 'bench-admin', roles: [Role.GLOBAL_ADMIN], partnerId: createPartner.partner.id }),
    );
    const { createCustomer } = await operator.data(CreateCustomerDocument, { input: customerInput({ companyName: 'Bench Customer Corporation' }) });
    const customer = new GqlClient(
      server.url,
      await signDevToken(BENCH_SECRET, { sub: 'bench-customer', roles: [Role.CUSTOMER_ADMIN], customerId: createCustomer.customer.id }),
    );
    const open = (await partner.data(CreateCustomerInvitationDocument, { input: { includeDelegatedAdminPrivileges: true } })).createCustomerInvitation.token;
    const used = (await partner.data(CreateCustomerInvitationDocument, { input: { includeDelegatedAdminPrivileges: false } })).createCustomerInvitation.token;
    await customer.data(AcceptCustomerInvitationDocument, { input: { token: used } });

    const kinds = {
      'bare /healthz': () => '/healthz',
      'open invitation': () => `/invitations/${open}`,
      'used invitation': () => `/invitations/${used}`,
      'unknown token': () => `/invitations/${randomBytes(32).toString('base64url')}`,
    };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
    const order = Object.keys(kinds) as (keyof typeof kinds)[];
    for (let i = 0; i < rounds + 200; i++) {
      for (const kind of order.sort(() => Math.random() - 0.5)) {
        const start = performance.now();
        const res = await fetch(`${origin}${kinds[kind]()}`);
        await res.arrayBuffer();
        if (i >= 200) times[kind].push(performance.now() - start); // the first 200 rounds warm up
      }
    }
    const median = (kind: string) =>
      percentile(
        [...times[kind]].sort((a, b) => a - b),
        50,
      );
    console.log(`link pages, ${rounds} requests of each kind (sequential, interleaved), NODE_ENV=production, SQLite`);
    for (const kind of Object.keys(kinds)) {
      const sorted = [...times[kind]].sort((a, b) => a - b);
      console.log(
        `  ${kind.padEnd(16)} p50 ${percentile(sorted, 50).toFixed(3)} ms  p90 ${percentile(sorted, 90).toFixed(3)} ms  ×${(median(kind) / median('open invitation')).toFixed(2)} of the open one`,
      );
    }
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
