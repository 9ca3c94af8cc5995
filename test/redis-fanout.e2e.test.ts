import { InvitationAcceptedDocument } from './generated/graphql';
import { readAll, stream } from './support/events';
import { createPartner } from './support/factories';
import { accept, invite, standaloneCustomer } from './support/invitations';
import { redisAvailable, startRedis } from './support/redis';
import { startTestServer, type TestServer } from './support/test-server';

/** With REDIS_URL, a push crosses server instances: accept on one, the dashboard is on the other. */
let redis: Awaited<ReturnType<typeof startRedis>>;
let a: TestServer;
let b: TestServer;
const withRedis = redisAvailable();
const itWithRedis = withRedis ? it : it.skip;

beforeAll(async () => {
  if (!withRedis) return;
  redis = await startRedis();
  // the servers' own catch-up poll of the database is slowed to an hour: only Redis can carry a push in time
  const env = { REDIS_URL: redis.url, ANONYMOUS_RATE_LIMIT: '4', EVENT_POLL_INTERVAL: '1h' };
  a = await startTestServer(env);
  b = await startTestServer(env, { sameDatabaseAs: a });
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await redis?.stop();
});

itWithRedis('delivers invitationAccepted from one server to a dashboard on another, and only to the inviting partner', async () => {
  const inviter = await createPartner(a);
  const other = await createPartner(a);
  const customer = await standaloneCustomer(a);
  const onB = b.ws(inviter.token);
  const otherOnB = b.ws(other.token);
  const onA = a.ws(inviter.token);
  await Promise.all([onB.ready(), otherOnB.ready(), onA.ready()]);
  const subs = [onB, otherOnB, onA].map((ws) => ws.subscribe(InvitationAcceptedDocument));
  await new Promise((r) => setTimeout(r, 500));

  const { invitation, token } = await invite(a, inviter.token);
  await accept(a, customer.token, token);

  const [fromB] = await subs[0].waitFor(1);
  expect(fromB.invitationAccepted.invitation.invitationId).toBe(invitation.id);
  expect(fromB.invitationAccepted.customer.customerId).toBe(customer.id);
  await subs[2].waitFor(1);
  await new Promise((r) => setTimeout(r, 300));
  expect(subs[0].events).toHaveLength(1);
  expect(subs[1].events).toHaveLength(0);
  await Promise.all([onB.close(), otherOnB.close(), onA.close()]);
});

itWithRedis('delivers each event made on one server once to live events subscribers on the other, in order', async () => {
  const p = await createPartner(a);
  const other = await createPartner(a);
  const [onB, otherOnB] = [b.ws(p.token), b.ws(other.token)];
  await Promise.all([onB.ready(), otherOnB.ready()]);
  const [mine, theirs] = [stream(onB), stream(otherOnB)];
  await new Promise((r) => setTimeout(r, 300));
  // made on both servers, interleaved
  for (let i = 0; i < 6; i++) await invite(i % 2 ? b : a, p.token);
  const stored = await readAll(a, p.token);
  expect(stored).toHaveLength(6);
  await mine.waitFor(6);
  await new Promise((r) => setTimeout(r, 300));
  expect(mine.events.map((e) => e.events.id)).toEqual(stored.map((e) => e.id));
  expect(theirs.events).toEqual([]);
  await Promise.all([onB.close(), otherOnB.close()]);
});

itWithRedis('counts the per-IP limit for callers without a token across instances (in Redis)', async () => {
  const query = '{ invitationPreview(token: "no-such-token") { status } }';
  const statuses = [];
  for (const server of [a, b, a, b, a, b]) statuses.push((await server.client().raw({ query })).status);
  // 4 per minute per address in all: the fifth and sixth, wherever they land, are refused
  expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
});
