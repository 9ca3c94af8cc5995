/**
 * Time from a customer's acceptCustomerInvitation to the invitationAccepted push arriving at each of
 * N subscribed dashboards of the inviting partner (graphql-ws over real sockets, server in its own process).
 *
 *   npm run bench:accept-push -- --dashboards 1000 --rounds 20
 *
 * Prints p50/p99/max of the push latency over all deliveries, and of the accept round trip.
 */
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import {
  AcceptCustomerInvitationDocument,
  CreateCustomerDocument,
  CreateCustomerInvitationDocument,
  CreatePartnerDocument,
  InvitationAcceptedDocument,
} from '../test/generated/graphql';
import { GqlClient } from '../test/support/client';
import { customerInput, uniqueMpnId } from '../test/support/factories';
import { arg, BENCH_SECRET, percentile, startBenchServer } from './support';

async function main() {
  const dashboards = arg('dashboards', 1000);
  const rounds = arg('rounds', 20);
  const server = await startBenchServer(arg('port', 4610));
  try {
    const operator = new GqlClient(server.url, await signDevToken(BENCH_SECRET, { sub: 'bench-op', roles: [Role.PLATFORM_ADMIN] }));
    const { createPartner } = await operator.data(CreatePartnerDocument, {
      input: { name: 'Bench Partner Ltd', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'b@bench.example' },
    });
    const partnerId = createPartner.partner.id;
    const partnerToken = await signDevToken(BENCH_SECRET, { sub: 'bench-admin', roles: [Role.GLOBAL_ADMIN], partnerId });
    const { createCustomer } = await operator.data(CreateCustomerDocument, { input: customerInput({ companyName: 'Bench Customer Corporation' }) });
    const customerToken = await signDevToken(BENCH_SECRET, { sub: 'bench-customer', roles: [Role.CUSTOMER_ADMIN], customerId: createCustomer.customer.id });
    const partner = new GqlClient(server.url, partnerToken);
    const customer = new GqlClient(server.url, customerToken);

    // N dashboards, each its own socket and subscription
    let roundStart = 0;
    let expected = '';
    const latencies: number[] = [];
    let received = 0;
    const connected: Promise<void>[] = [];
    const clients = Array.from({ length: dashboards }, (_, i) => {
      let onConnected!: () => void;
      connected.push(new Promise((r) => (onConnected = r)));
      const client = createClient({
        url: server.wsUrl,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${partnerToken}` },
        on: { connected: () => onConnected() },
      });
      client.subscribe(
        { query: print(InvitationAcceptedDocument) },
        {
          next: (msg) => {
            const id = (msg.data as { invitationAccepted?: { invitation: { id: string } } })?.invitationAccepted?.invitation.id;
            if (id === expected) {
              latencies.push(performance.now() - roundStart);
              received++;
            }
          },
          error: (err) => console.error(`dashboard ${i}:`, err),
          complete: () => {},
        },
      );
      return client;
    });
    await Promise.all(connected);
    await new Promise((r) => setTimeout(r, 1000)); // let every subscription register

    const acceptTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const { createCustomerInvitation } = await partner.data(CreateCustomerInvitationDocument, { input: { includeDelegatedAdminPrivileges: true } });
      expected = createCustomerInvitation.invitation.id;
      received = 0;
      roundStart = performance.now();
      await customer.data(AcceptCustomerInvitationDocument, { input: { token: createCustomerInvitation.token } });
      acceptTimes.push(performance.now() - roundStart);
      const deadline = Date.now() + 10_000;
      while (received < dashboards && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      if (received < dashboards) console.error(`round ${round}: only ${received}/${dashboards} pushes within 10 s`);
    }
    await Promise.all(clients.map((c) => Promise.resolve(c.dispose())));

    latencies.sort((a, b) => a - b);
    acceptTimes.sort((a, b) => a - b);
    const f = (n: number) => `${n.toFixed(1)} ms`;
    console.log(`accept-to-push: ${dashboards} dashboards x ${rounds} accepts = ${latencies.length} deliveries (expected ${dashboards * rounds})`);
    console.log(`  push latency   p50 ${f(percentile(latencies, 50))}  p99 ${f(percentile(latencies, 99))}  max ${f(latencies[latencies.length - 1])}`);
    console.log(`  accept request p50 ${f(percentile(acceptTimes, 50))}  p99 ${f(percentile(acceptTimes, 99))}`);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
