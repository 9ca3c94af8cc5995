import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { CreateCustomerDocument, CreatePartnerDocument, OffersDocument, UpdateSubscriptionDocument } from './generated/graphql';
import { GqlClient, WsClient } from './support/client';
import { EVENT_FIELDS, type EventView, pause, positionOf, stream } from './support/events';
import { customerInput, uniqueMpnId } from './support/factories';
import { freshDatabase, spawnServer, TEST_JWT_SECRET, UNBUDGETED } from './support/test-server';

/**
 * Event-producing writes of 40 concurrent writers (partners changing their subscriptions at once), on
 * the suite's database (SQLite, and MariaDB in .ci/run): positions stay gapless and in commit order for
 * every reader, a reader paging `events` while they commit never skips one, and after a SIGKILL in the
 * middle of them a reader resuming from its last cursor gets every committed event once.
 */
const WRITERS = 40;
const PARTNERS = 8;

interface Writer {
  client: GqlClient;
  subscriptionId: string;
}

type Spawned = Awaited<ReturnType<typeof spawnServer>>;

async function seed(url: string): Promise<{ operator: GqlClient; operatorToken: string; writers: Writer[] }> {
  const operatorToken = await signDevToken(TEST_JWT_SECRET, { sub: 'op', roles: [Role.PLATFORM_ADMIN] });
  const operator = new GqlClient(url, operatorToken);
  const { offers } = await operator.data(OffersDocument);
  const offer = offers.find((o) => o.minQuantity <= 1 && o.maxQuantity >= 10)!;
  const partners = await Promise.all(
    Array.from({ length: PARTNERS }, async (_, i) => {
      const { createPartner } = await operator.data(CreatePartnerDocument, {
        input: { name: `Writer ${i} Ltd`, mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'w@writers.example' },
      });
      const id = createPartner.partner.id;
      return new GqlClient(url, await signDevToken(TEST_JWT_SECRET, { sub: `admin-${id}`, roles: [Role.GLOBAL_ADMIN], partnerId: id }));
    }),
  );
  const writers: Writer[] = [];
  for (let i = 0; i < WRITERS; i += 8) {
    writers.push(
      ...(await Promise.all(
        Array.from({ length: 8 }, async (_, j) => {
          const client = partners[(i + j) % PARTNERS];
          const { createCustomer } = await client.data(CreateCustomerDocument, {
            input: customerInput({ companyName: `Writes ${i + j} Corporation`, subscriptions: [{ offerId: offer.id, quantity: 1 }] }),
          });
          return { client, subscriptionId: createCustomer.customer.subscriptions.edges[0].node.id };
        }),
      )),
    );
  }
  return { operator, operatorToken, writers };
}

/** Each writer changes its subscription's quantity `times` times, one call after the other, all writers at once; resolves with the answered calls. */
async function write(writers: Writer[], times: number, stop?: () => boolean): Promise<number> {
  let answered = 0;
  await Promise.all(
    writers.map(async (w) => {
      for (let n = 0; n < times && !stop?.(); n++) {
        try {
          await w.client.data(UpdateSubscriptionDocument, { input: { subscriptionId: w.subscriptionId, quantity: 2 - (n % 2) } });
          answered++;
        } catch (err) {
          if (!stop?.()) throw err;
        }
      }
    }),
  );
  return answered;
}

/** One page of the operator's events after `after` (every event of the platform). */
async function page(operator: GqlClient, after: string | undefined): Promise<{ nodes: EventView[]; endCursor: string | null }> {
  const res = await operator.raw<{ events: { edges: { node: EventView }[]; pageInfo: { endCursor: string | null } } }>({
    query: `query ($after: String) { events(first: 100, after: $after) { edges { node { ${EVENT_FIELDS} } } pageInfo { endCursor } } }`,
    variables: { after },
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return { nodes: res.data!.events.edges.map((e) => e.node), endCursor: res.data!.events.pageInfo.endCursor };
}

async function readAllAfter(operator: GqlClient, after: string | undefined): Promise<EventView[]> {
  const out: EventView[] = [];
  for (let cursor = after; ;) {
    const { nodes, endCursor } = await page(operator, cursor);
    out.push(...nodes);
    if (nodes.length < 100) return out;
    cursor = endCursor!;
  }
}

const contiguous = (positions: number[]) => positions.every((p, i) => i === 0 || p === positions[i - 1] + 1);

describe(`events of ${WRITERS} concurrent writers`, () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let server: Spawned | undefined;

  beforeEach(async () => {
    db = await freshDatabase();
    server = await spawnServer(db.env, UNBUDGETED);
  });

  afterEach(async () => {
    server?.child.kill('SIGKILL');
    await server?.exited;
    await db.cleanup();
  });

  it('keeps positions gapless and in commit order for a live stream and for a reader paging while they commit', async () => {
    const { operator, operatorToken, writers } = await seed(server!.url);
    const [last] = (await readAllAfter(operator, undefined)).slice(-1);
    const live = new WsClient(server!.wsUrl, operatorToken);
    await live.ready();
    const streamed = stream(live, last.cursor);
    await pause(200);

    // a reader pages `events` from the same cursor while the writers commit: it never skips an event
    let done = false;
    const paged: EventView[] = [];
    const reader = (async () => {
      let cursor: string | undefined = last.cursor;
      for (let caughtUp = false; !caughtUp;) {
        const finished = done;
        const { nodes, endCursor } = await page(operator, cursor);
        paged.push(...nodes);
        if (endCursor) cursor = endCursor;
        caughtUp = finished && nodes.length < 100;
      }
    })();
    const answered = await write(writers, 5);
    done = true;
    await reader;
    expect(answered).toBe(WRITERS * 5);

    const stored = await readAllAfter(operator, last.cursor);
    const positions = stored.map((e) => positionOf(e.cursor));
    expect(stored).toHaveLength(WRITERS * 5);
    expect(stored.every((e) => e.type === 'SUBSCRIPTION_UPDATED')).toBe(true);
    expect(positions[0]).toBe(positionOf(last.cursor) + 1);
    expect(contiguous(positions)).toBe(true);
    // the reader that paged during the writes saw exactly the stored events, in order
    expect(paged.map((e) => e.id)).toEqual(stored.map((e) => e.id));
    // and the live stream too
    await streamed.waitFor(WRITERS * 5, 30_000);
    await pause(200);
    expect(streamed.events.map((e) => e.events.id)).toEqual(stored.map((e) => e.id));
    await live.close();
  }, 180_000);

  it('after a SIGKILL in the middle of the writes, a reader resuming from its last cursor gets every committed event once', async () => {
    const { operator, operatorToken, writers } = await seed(server!.url);
    const [last] = (await readAllAfter(operator, undefined)).slice(-1);
    const live = new WsClient(server!.wsUrl, operatorToken);
    await live.ready();
    const before = stream(live, last.cursor);
    await pause(200);

    let killed = false;
    const writing = write(writers, 50, () => killed);
    // kill the server while the writers are busy
    while (before.events.length < WRITERS * 2) await pause(20);
    server!.child.kill('SIGKILL');
    killed = true;
    await server!.exited;
    const answered = await writing;
    const seen = before.events.map((e) => e.events);
    await live.closed;

    server = await spawnServer(db.env, UNBUDGETED);
    const again = new GqlClient(server.url, operatorToken);
    const stored = await readAllAfter(again, last.cursor);
    // every answered write committed its event; some in flight at the kill may have committed too
    expect(stored.length).toBeGreaterThanOrEqual(answered);
    expect(contiguous(stored.map((e) => positionOf(e.cursor)))).toBe(true);
    // what the stream saw is a prefix of what is stored
    expect(seen.map((e) => e.id)).toEqual(stored.slice(0, seen.length).map((e) => e.id));

    // resuming from the last cursor the stream saw: the rest, once, in order
    const resumedSocket = new WsClient(server.wsUrl, operatorToken);
    await resumedSocket.ready();
    const resumed = stream(resumedSocket, seen[seen.length - 1].cursor);
    await resumed.waitFor(stored.length - seen.length, 30_000);
    await pause(300);
    expect([...seen, ...resumed.events.map((e) => e.events)].map((e) => e.id)).toEqual(stored.map((e) => e.id));
    await resumedSocket.close();
  }, 180_000);
});
