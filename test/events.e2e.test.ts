import { inTransaction } from '../src/common/database';
import { EventType } from '../src/events/catalog';
import {
  CreateSubscriptionDocument,
  DeclineCustomerInvitationDocument,
  InvitationAcceptedDocument,
  OffersDocument,
  RemoveCustomerRelationshipDocument,
  RemovePartnershipDocument,
  RevokeCustomerInvitationDocument,
  RevokeDelegatedAdminPrivilegesDocument,
  UpdateSubscriptionDocument,
} from './generated/graphql';
import type { WsClient } from './support/client';
import { type EventView, pause, positionOf, readAll, stream } from './support/events';
import { createCustomer, createPartner, customerInput, type TestPartner } from './support/factories';
import { accept, invite, standaloneCustomer } from './support/invitations';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer } from './support/test-server';

let t: TestServer;
const sockets: WsClient[] = [];
const ws = async (token: string) => {
  const socket = t.ws(token);
  sockets.push(socket);
  await socket.ready();
  return socket;
};

beforeAll(async () => {
  t = await startTestServer({ MAX_QUERY_COMPLEXITY: '100000' });
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await t.stop();
});

/** The last event any caller may see (the operator sees all). */
async function lastEvent(): Promise<EventView | undefined> {
  const all = await readAll(t, await t.tokens.operator());
  return all[all.length - 1];
}

describe('the catalog: each change emits its event once, to exactly its audience', () => {
  it('streams and lists each type to its audience and to no one else, live and from storage alike', async () => {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    const direct = await createPartner(t, 'DIRECT_RESELLER');
    const unrelated = await createPartner(t, 'DIRECT_RESELLER');
    const stranger = await standaloneCustomer(t);
    const operator = await t.tokens.operator();
    const start = (await lastEvent())?.cursor;

    // every viewer's live stream, opened before anything happens
    const viewers: Record<string, string> = {
      provider: provider.token,
      reseller: reseller.token,
      direct: direct.token,
      unrelated: unrelated.token,
      stranger: stranger.token,
    };
    const live: Record<string, ReturnType<typeof stream>> = {};
    for (const [name, token] of Object.entries(viewers)) live[name] = stream(await ws(token));
    const operatorLive = stream(await ws(operator));
    await pause(200);

    const expected: Record<string, string[]> = { provider: [], reseller: [], direct: [], unrelated: [], stranger: [] };
    let total = 0;
    const expect_ = (type: string, ...who: string[]) => {
      total++;
      for (const w of who) expected[w].push(type);
    };

    const partnershipId = await partner(t, provider, reseller);
    expect_(EventType.PARTNERSHIP_REQUESTED, 'provider');
    expect_(EventType.PARTNERSHIP_ACCEPTED, 'provider', 'reseller');

    const { offers } = await t.client(operator).data(OffersDocument);
    const offerId = offers.find((o) => o.minQuantity <= 1 && o.maxQuantity >= 3)!.id;
    const customer = await createCustomer(t, provider.token, { indirectResellerId: reseller.id, subscriptions: [{ offerId, quantity: 1 }] });
    const customerToken = await t.tokens.customer(customer.id);
    viewers.customer = customerToken;
    expected.customer = [];
    // the customer's stream starts now: replay from the start cursor shows what came before
    live.customer = stream(await ws(customerToken), start);
    expect_(EventType.CUSTOMER_CREATED, 'provider', 'reseller', 'customer');
    expect_(EventType.DELEGATED_ADMIN_GRANTED, 'reseller', 'customer');
    expect_(EventType.SUBSCRIPTION_CREATED, 'provider', 'reseller', 'customer');

    const first = await invite(t, direct.token);
    expect_(EventType.INVITATION_CREATED, 'direct');
    await accept(t, customerToken, first.token);
    expect_(EventType.INVITATION_ACCEPTED, 'direct', 'customer');
    expect_(EventType.DELEGATED_ADMIN_GRANTED, 'direct', 'customer');

    const second = await invite(t, direct.token);
    expect_(EventType.INVITATION_CREATED, 'direct');
    await t.client(customerToken).data(DeclineCustomerInvitationDocument, { input: { token: second.token } });
    expect_(EventType.INVITATION_DECLINED, 'direct', 'customer');

    const third = await invite(t, direct.token);
    expect_(EventType.INVITATION_CREATED, 'direct');
    await t.client(direct.token).data(RevokeCustomerInvitationDocument, { input: { invitationId: third.invitation.id } });
    expect_(EventType.INVITATION_REVOKED, 'direct');

    await t.client(customerToken).data(RevokeDelegatedAdminPrivilegesDocument, { input: { partnerId: direct.id } });
    expect_(EventType.DELEGATED_ADMIN_REVOKED, 'direct', 'customer');
    await t.client(direct.token).data(RemoveCustomerRelationshipDocument, { input: { customerId: customer.id, attestation: true } });
    expect_(EventType.RELATIONSHIP_REMOVED, 'direct');

    const { createSubscription } = await t.client(provider.token).data(CreateSubscriptionDocument, {
      input: { customerId: customer.id, offerId, quantity: 1, supportContactId: reseller.id },
    });
    expect_(EventType.SUBSCRIPTION_CREATED, 'provider', 'reseller', 'customer');
    await t.client(provider.token).data(UpdateSubscriptionDocument, { input: { subscriptionId: createSubscription.subscription.id, quantity: 3 } });
    expect_(EventType.SUBSCRIPTION_UPDATED, 'provider', 'reseller', 'customer');

    await t.client(provider.token).data(RemovePartnershipDocument, { input: { partnershipId, confirm: true, attestation: true } });
    expect_(EventType.PARTNERSHIP_REMOVED, 'provider', 'reseller');

    for (const [name, sub] of Object.entries(live)) {
      if (expected[name].length) await sub.waitFor(expected[name].length);
    }
    await operatorLive.waitFor(total);
    await pause(300); // anything extra would have arrived by now
    for (const [name, token] of Object.entries(viewers)) {
      const streamed = live[name].events.map((e) => e.events.type);
      const listed = (await readAll(t, token, start)).map((e) => e.type);
      expect({ name, streamed, listed }).toEqual({ name, streamed: expected[name], listed: expected[name] });
      expect(live[name].errors).toEqual([]);
    }
    // the operator sees every event once, in position order
    const positions = operatorLive.events.map((e) => positionOf(e.events.cursor));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(total);

    // the ids and data say what happened
    const accepted = live.direct.events.map((e) => e.events).find((e) => e.type === 'INVITATION_ACCEPTED')!;
    expect(accepted).toMatchObject({
      invitationId: first.invitation.id,
      partnerId: direct.id,
      customerId: customer.id,
      actor: { kind: 'CUSTOMER_USER', customerId: customer.id },
      customer: { domain: customer.domain },
      invitation: { status: 'ACCEPTED', includeDelegatedAdminPrivileges: true },
    });
    const removed = live.reseller.events.map((e) => e.events).find((e) => e.type === 'PARTNERSHIP_REMOVED')!;
    expect(removed).toMatchObject({ partnershipId, providerId: provider.id, resellerId: reseller.id, status: 'REMOVED' });
  });

  it('filters by type, customer and time, and refuses a bogus cursor or an empty time range by name', async () => {
    const p = await createPartner(t);
    const c1 = await createCustomer(t, p.token);
    await createCustomer(t, p.token);
    const all = await readAll(t, p.token);
    expect(all.map((e) => e.type)).toEqual([
      EventType.CUSTOMER_CREATED,
      EventType.DELEGATED_ADMIN_GRANTED,
      EventType.CUSTOMER_CREATED,
      EventType.DELEGATED_ADMIN_GRANTED,
    ]);
    expect((await readAll(t, p.token, undefined, { customerId: c1.id })).every((e) => e.customerId === c1.id)).toBe(true);
    expect(await readAll(t, p.token, undefined, { types: ['CUSTOMER_CREATED'] })).toHaveLength(2);
    expect(await readAll(t, p.token, undefined, { occurredFrom: new Date(Date.now() + 60_000).toISOString() })).toHaveLength(0);
    const bad = await t.client(p.token).raw({ query: '{ events(after: "bm90LWEtY3Vyc29y") { edges { cursor } } }' });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['after'] });
    const empty = await t.client(p.token).raw({
      query: 'query ($f: EventFilter) { events(filter: $f) { edges { cursor } } }',
      variables: { f: { occurredFrom: '2026-01-02T00:00:00Z', occurredBefore: '2026-01-01T00:00:00Z' } },
    });
    expect(empty.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['filter.occurredBefore'] });
    const anonymous = await t.client().raw({ query: '{ events { edges { cursor } } }' });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    // the same over the WebSocket: a bogus cursor is refused, a socket without a token is closed (4401) before it can subscribe; nothing streams
    const bogus = stream(await ws(p.token), 'bm90LWEtY3Vyc29y');
    const unsigned = t.ws();
    sockets.push(unsigned);
    expect((await unsigned.closed).code).toBe(4401);
    await pause(300);
    expect(JSON.stringify(bogus.errors)).toMatch(/BAD_USER_INPUT/);
    expect(bogus.events).toEqual([]);
  });
});

describe('the outbox: events exist only when their transaction commits', () => {
  it('writes no event for a mutation that fails part-way, and the positions stay gapless', async () => {
    const p = await createPartner(t);
    const operator = await t.tokens.operator();
    const { offers } = await t.client(operator).data(OffersDocument);
    const before = (await lastEvent())!;
    // the first order line is placed, the second names no offer: the whole customer rolls back
    const input = customerInput({
      subscriptions: [
        { offerId: offers[0].id, quantity: offers[0].minQuantity },
        { offerId: 'no-such-offer', quantity: 1 },
      ],
    });
    const res = await t
      .client(p.token)
      .raw({ query: 'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }', variables: { input } });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await lastEvent())!.id).toBe(before.id);
    const made = await createCustomer(t, p.token);
    const after = await readAll(t, operator, before.cursor);
    expect(after.map((e) => [e.type, e.customerId])).toEqual([
      [EventType.CUSTOMER_CREATED, made.id],
      [EventType.DELEGATED_ADMIN_GRANTED, made.id],
    ]);
    expect(positionOf(after[0].cursor)).toBe(positionOf(before.cursor) + 1);
  });

  it('drops events recorded in a transaction that rolls back after recording them (no row, no push)', async () => {
    const p = await createPartner(t);
    const live = stream(await ws(p.token));
    await pause(200);
    const before = (await lastEvent())!;
    await expect(
      inTransaction(t.server.ds, (em) => {
        const written = t.server.services.events.record(em, null, [{ type: EventType.INVITATION_CREATED, partnerId: p.id }]);
        expect(written).toHaveLength(1);
        throw new Error('the change fails after its event was recorded');
      }),
    ).rejects.toThrow('fails after');
    const { invitation } = await invite(t, p.token);
    const [only] = (await live.waitFor(1)).map((e) => e.events);
    expect(only).toMatchObject({ type: EventType.INVITATION_CREATED, invitationId: invitation.id });
    expect(positionOf(only.cursor)).toBe(positionOf(before.cursor) + 1);
    await pause(200);
    expect(live.events).toHaveLength(1);
    expect(await readAll(t, p.token)).toHaveLength(1);
  });
});

describe('resuming: Subscription.events(after:)', () => {
  let p: TestPartner;
  beforeAll(async () => {
    p = await createPartner(t);
  });

  it('replays exactly the events after the cursor, in order, then continues live without gap or repeat', async () => {
    for (let i = 0; i < 5; i++) await invite(t, p.token);
    const stored = await readAll(t, p.token);
    const from = stored[1];
    const sub = stream(await ws(p.token), from.cursor);
    await sub.waitFor(3);
    // live ones while, and after, the replay
    const more = await Promise.all(Array.from({ length: 10 }, () => invite(t, p.token)));
    const all = await readAll(t, p.token);
    await sub.waitFor(all.length - 2);
    await pause(300);
    expect(sub.events.map((e) => e.events.id)).toEqual(all.slice(2).map((e) => e.id));
    expect(more).toHaveLength(10);
  });

  it('switches from replay to live with no gap and no repeat while events keep coming', async () => {
    const q = await createPartner(t);
    await invite(t, q.token);
    const [first] = await readAll(t, q.token);
    const writing = (async () => {
      for (let i = 0; i < 30; i++) await invite(t, q.token);
    })();
    // subscribers join at different moments of the writing
    const subs = [];
    for (let i = 0; i < 5; i++) {
      subs.push(stream(await ws(q.token), first.cursor));
      await pause(15);
    }
    await writing;
    const all = await readAll(t, q.token);
    for (const sub of subs) {
      await sub.waitFor(all.length - 1);
      await pause(100);
      expect(sub.events.map((e) => e.events.id)).toEqual(all.slice(1).map((e) => e.id));
    }
  });

  it('keeps invitationAccepted a partners-only view of the same stream', async () => {
    const customer = await standaloneCustomer(t);
    const refused = (await ws(customer.token)).subscribe(InvitationAcceptedDocument);
    const inviter = await createPartner(t);
    const view = (await ws(inviter.token)).subscribe(InvitationAcceptedDocument);
    await pause(200);
    const { invitation, token } = await invite(t, inviter.token);
    await accept(t, customer.token, token);
    const [pushed] = await view.waitFor(1);
    const [stored] = await readAll(t, inviter.token, undefined, { types: ['INVITATION_ACCEPTED'] });
    expect(pushed.invitationAccepted).toMatchObject({ invitation: { invitationId: invitation.id, status: 'ACCEPTED' }, customer: { customerId: customer.id } });
    expect(pushed.invitationAccepted.occurredAt).toBe(stored.occurredAt);
    expect(JSON.stringify(refused.errors)).toMatch(/FORBIDDEN/);
    expect(refused.events).toEqual([]);
  });
});

describe('expiry', () => {
  it('emits INVITATION_EXPIRED once, found by the sweep, and the invitation reads EXPIRED', async () => {
    const short = await startTestServer({ INVITATION_TTL: '1s', EXPIRY_SWEEP_INTERVAL: '200ms' });
    try {
      const p = await createPartner(short);
      const socket = short.ws(p.token);
      await socket.ready();
      const live = stream(socket, undefined, ['INVITATION_EXPIRED']);
      const { invitation } = await invite(short, p.token);
      const [expired] = await live.waitFor(1, 5000);
      expect(expired.events).toMatchObject({ type: 'INVITATION_EXPIRED', invitationId: invitation.id, partnerId: p.id, actor: null });
      await pause(800); // several more sweeps
      expect(live.events).toHaveLength(1);
      const listed = await short.client(p.token).raw<{ invitations: { edges: { node: { id: string; status: string } }[] } }>({
        query: '{ invitations(filter: { status: EXPIRED }) { edges { node { id status } } } }',
      });
      expect(listed.data!.invitations.edges.map((e) => e.node)).toEqual([{ id: invitation.id, status: 'EXPIRED' }]);
      await socket.close();
    } finally {
      await short.stop();
    }
  });
});

describe('the subscription lifecycle (a server on the test clock)', () => {
  it('streams and lists each lifecycle event to the audience of SUBSCRIPTION_UPDATED and to no one else, the sweep’s ones without an actor', async () => {
    const c = await startTestServer({ TEST_CLOCK: 'true', MAX_QUERY_COMPLEXITY: '100000' });
    const opened: WsClient[] = [];
    try {
      const provider = await createPartner(c, 'INDIRECT_PROVIDER');
      const reseller = await createPartner(c, 'INDIRECT_RESELLER');
      const otherReseller = await createPartner(c, 'INDIRECT_RESELLER');
      const direct = await createPartner(c, 'DIRECT_RESELLER');
      const stranger = await standaloneCustomer(c);
      const operator = await c.tokens.operator();
      await partner(c, provider, reseller);
      await partner(c, provider, otherReseller);
      const customer = await createCustomer(c, provider.token, { indirectResellerId: reseller.id });
      const customerToken = await c.tokens.customer(customer.id);
      // another partner of the same customer sees nothing of the provider's subscriptions
      await accept(c, customerToken, (await invite(c, direct.token, true)).token);

      const ask = async <T>(token: string, query: string, input: Record<string, unknown>): Promise<T> => {
        const res = await c.client(token).raw<T>({ query, variables: { input } });
        expect(res.errors).toBeUndefined();
        return res.data!;
      };
      const viewers: Record<string, string> = {
        provider: provider.token,
        reseller: reseller.token,
        otherReseller: otherReseller.token,
        direct: direct.token,
        customer: customerToken,
        stranger: stranger.token,
      };
      const all = await readAll(c, operator);
      const start = all[all.length - 1].cursor;
      const live: Record<string, ReturnType<typeof stream>> = {};
      for (const [name, token] of Object.entries(viewers)) {
        const socket = c.ws(token);
        opened.push(socket);
        await socket.ready();
        live[name] = stream(socket);
      }
      await pause(200);

      // what the seller, its reseller of record and the customer each see
      const expected: string[] = [];
      const sell = async (offerId: string, termDuration: string, autoRenew: boolean) => {
        const data = await ask<{ createSubscription: { subscription: { id: string; termEndsAt: string } } }>(
          provider.token,
          'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id termEndsAt } } }',
          { customerId: customer.id, offerId, quantity: 2, termDuration, autoRenew, resellerId: reseller.id },
        );
        expected.push(EventType.SUBSCRIPTION_CREATED);
        return data.createSubscription.subscription;
      };
      const change = async (mutation: string, input: Record<string, unknown>, ...types: string[]) => {
        const typeName = `${mutation[0].toUpperCase()}${mutation.slice(1)}Input`;
        await ask(provider.token, `mutation ($input: ${typeName}!) { ${mutation}(input: $input) { subscription { id } } }`, input);
        expected.push(...types);
      };
      const advanceTo = async (target: Date, ...types: string[]) => {
        const { serverTime } = (await c.client(operator).raw<{ serverTime: string }>({ query: '{ serverTime }' })).data!;
        const seconds = Math.ceil((target.getTime() - new Date(serverTime).getTime()) / 1000);
        await ask(operator, 'mutation ($input: AdvanceTestClockInput!) { advanceTestClock(input: $input) { now } }', {
          by: `PT${Math.floor(seconds / 3600)}H${seconds % 3600}S`,
        });
        expected.push(...types);
      };

      const yearly = await sell('m365-business-basic', 'P1Y', true);
      await change('scheduleSubscriptionChange', { subscriptionId: yearly.id, quantity: 4 }, EventType.SUBSCRIPTION_SCHEDULED_CHANGE_SET);
      await change('cancelScheduledSubscriptionChange', { subscriptionId: yearly.id }, EventType.SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED);
      await change('suspendSubscription', { subscriptionId: yearly.id, reason: 'Unpaid invoice' }, EventType.SUBSCRIPTION_SUSPENDED);
      await change('reactivateSubscription', { subscriptionId: yearly.id }, EventType.SUBSCRIPTION_REACTIVATED);
      // a change of the reseller of record: the one replaced learns it, then sees no more of it
      const moved = await sell('power-bi-pro', 'P1M', true);
      await change('updateSubscription', { subscriptionId: moved.id, resellerId: otherReseller.id }, EventType.SUBSCRIPTION_UPDATED);
      await change('cancelSubscription', { subscriptionId: moved.id, reason: 'Ordered by mistake' }); // to the provider, otherReseller and the customer
      const upgraded = await sell('m365-business-standard', 'P1M', false);
      await change(
        'upgradeSubscription',
        { subscriptionId: upgraded.id, targetOfferId: 'm365-business-premium' },
        EventType.SUBSCRIPTION_CREATED,
        EventType.SUBSCRIPTION_UPGRADED,
      );
      const end = new Date(yearly.termEndsAt).getTime();
      const day = 24 * 3600 * 1000;
      // the upgrade's monthly term (no auto-renewal) expires first; then the yearly term's reminders and its renewal
      await advanceTo(new Date(end - 29.5 * day), EventType.SUBSCRIPTION_EXPIRED, EventType.SUBSCRIPTION_EXPIRING);
      await advanceTo(new Date(end - 6.5 * day), EventType.SUBSCRIPTION_EXPIRING);
      await advanceTo(new Date(end - 0.5 * day), EventType.SUBSCRIPTION_EXPIRING);
      await advanceTo(new Date(end + 3600 * 1000), EventType.SUBSCRIPTION_RENEWED);

      const sorted = (types: string[]) => [...types].sort();
      const want: Record<string, string[]> = { reseller: expected, customer: [...expected, EventType.SUBSCRIPTION_CANCELLED] };
      want.provider = want.customer;
      want.otherReseller = [EventType.SUBSCRIPTION_UPDATED, EventType.SUBSCRIPTION_CANCELLED];
      want.direct = [];
      want.stranger = [];
      for (const name of Object.keys(viewers)) if (want[name].length) await live[name].waitFor(want[name].length);
      const operatorListed = await readAll(c, operator, start);
      expect(sorted(operatorListed.map((e) => e.type))).toEqual(sorted(want.provider));
      await pause(300); // anything extra would have arrived by now
      for (const [name, token] of Object.entries(viewers)) {
        const streamed = live[name].events.map((e) => e.events);
        const listed = await readAll(c, token, start);
        // in the same order live and from storage; each to exactly its audience
        expect({ name, streamed: streamed.map((e) => e.id) }).toEqual({ name, streamed: listed.map((e) => e.id) });
        expect({ name, types: sorted(listed.map((e) => e.type)) }).toEqual({ name, types: sorted(want[name]) });
        expect(live[name].errors).toEqual([]);
      }
      // what the seller did names its user; what the sweep did has no actor
      const listed = await readAll(c, provider.token, start);
      const swept = [EventType.SUBSCRIPTION_EXPIRED, EventType.SUBSCRIPTION_EXPIRING, EventType.SUBSCRIPTION_RENEWED] as string[];
      for (const e of listed) {
        expect({ type: e.type, actor: e.actor }).toEqual({
          type: e.type,
          actor: swept.includes(e.type) ? null : expect.objectContaining({ partnerId: provider.id, customerId: null }),
        });
      }
    } finally {
      await Promise.all(opened.map((s) => s.close()));
      await c.stop();
    }
  });
});
