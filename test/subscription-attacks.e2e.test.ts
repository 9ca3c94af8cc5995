/**
 * An attacker's pass over the subscription lifecycle (issue 23), against the real server with the test
 * clock: other tenants' ids and ids of other kinds on every new operation, the partners a subscription
 * names (reseller of record, support contact) and its customer's admin trying to change it, tokens with
 * stray claims, ended subscriptions, reading the other side of an upgrade; requests racing each other
 * and the renewal sweep (never a 5xx, exactly the allowed outcomes, a refund paid at most once, no lost
 * update); refunds to the cent at the edges; the test clock in the wrong hands and with odd durations;
 * huge and invisible reasons; lifecycle mutations sent over the WebSocket.
 * Each test asserts the correct, safe behaviour. One server (and database) for the file: the clock only
 * moves forward, so each test makes its own subscriptions and counts from their creation.
 */
import { randomUUID } from 'node:crypto';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { firstAnswerOverSocket } from './support/client';
import { gqlOn, type Money, SUB, type Sub } from './support/subscriptions';
import { createCustomer, createPartner, type TestPartner } from './support/factories';
import { partner } from './support/partnerships';
import { spawnServer, startTestServer, TEST_JWT_SECRET, type TestServer, UNBUDGETED } from './support/test-server';

const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

interface HistoryEntry {
  action: string;
  actor: { userId: string; partnerId: string | null };
  details: string | null;
  changes: { field: string; before: string | null; after: string | null }[];
}

const Q = {
  create: `mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { ${SUB} } } }`,
  update: `mutation($input: UpdateSubscriptionInput!) { updateSubscription(input: $input) { subscription { ${SUB} } } }`,
  cancel: `mutation($input: CancelSubscriptionInput!) { cancelSubscription(input: $input) { subscription { ${SUB} } refund { amount currency } } }`,
  suspend: `mutation($input: SuspendSubscriptionInput!) { suspendSubscription(input: $input) { subscription { ${SUB} } } }`,
  reactivate: `mutation($input: ReactivateSubscriptionInput!) { reactivateSubscription(input: $input) { subscription { ${SUB} } } }`,
  autoRenew: `mutation($input: SetSubscriptionAutoRenewInput!) { setSubscriptionAutoRenew(input: $input) { subscription { ${SUB} } } }`,
  schedule: `mutation($input: ScheduleSubscriptionChangeInput!) { scheduleSubscriptionChange(input: $input) { subscription { ${SUB} } } }`,
  unschedule: `mutation($input: CancelScheduledSubscriptionChangeInput!) { cancelScheduledSubscriptionChange(input: $input) { subscription { ${SUB} } } }`,
  upgrade: `mutation($input: UpgradeSubscriptionInput!) { upgradeSubscription(input: $input) { subscription { ${SUB} } previousSubscription { ${SUB} } } }`,
  preview: `query($id: ID!) { cancellationPreview(subscriptionId: $id) { cancellable refund { amount currency } unusedDays termDays cancellableUntil reason } }`,
  upgrades: `query($id: ID!) { subscriptionUpgrades(subscriptionId: $id) { id } }`,
  node: `query($id: ID!) { node(id: $id) { ... on CustomerSubscription { ${SUB} } } }`,
  history: `query($id: ID!) { node(id: $id) { ... on CustomerSubscription { history(first: 100) { totalCount edges { node {
    action actor { userId partnerId } details changes { field before after } } } } } } }`,
  subscriptions: `query($id: ID!) { customer(id: $id) { subscriptions(first: 100) { edges { node { ${SUB} } } } } }`,
  events: `query($filter: EventFilter, $after: String) { events(first: 100, after: $after, filter: $filter) {
    edges { node { type subscriptionId ... on SubscriptionCancelledEvent { refund { amount } } } } pageInfo { hasNextPage endCursor } } }`,
  activities: `query($filter: ActivityFilter) { activities(first: 100, filter: $filter) { edges { node { action changes { field before after } } } } }`,
  offers: `{ offers { id terms { termDuration billingFrequency unitPrice { amount currency } } } }`,
  serverTime: `{ serverTime }`,
  advance: `mutation($by: String!) { advanceTestClock(input: { by: $by }) { previous now } }`,
};

let t: TestServer;
const { call, ok } = gqlOn(() => t);
let operator: string;
let provider: TestPartner;
let reseller: TestPartner;
let contact: TestPartner;
let rival: TestPartner;
let customerId: string;
let rivalCustomerId: string;

/** What a refused call answered: the HTTP status, the first error's code and message (`ok` when it succeeded). */
async function outcome(token: string | undefined, query: string, variables: Record<string, unknown> = {}, server = t) {
  const res = await call<Record<string, unknown>>(token, query, variables, server);
  const error = res.errors?.[0];
  return { status: res.status, code: error ? String(error.extensions?.code) : 'ok', message: error?.message ?? '', data: res.data };
}

const create = async (input: Record<string, unknown>, token = provider.token) =>
  (await ok<{ createSubscription: { subscription: Sub } }>(token, Q.create, { input })).createSubscription.subscription;
const read = async (id: string, token = provider.token, server = t) => (await ok<{ node: Sub | null }>(token, Q.node, { id }, server)).node;
const history = async (id: string, token = provider.token, server = t) =>
  (await ok<{ node: { history: { totalCount: number; edges: { node: HistoryEntry }[] } } }>(token, Q.history, { id }, server)).node.history.edges.map(
    (e) => e.node,
  );
const preview = async (id: string, token = provider.token) =>
  (
    await ok<{
      cancellationPreview: {
        cancellable: boolean;
        refund: Money | null;
        unusedDays: number;
        termDays: number;
        cancellableUntil: string;
        reason: string | null;
      };
    }>(token, Q.preview, { id })
  ).cancellationPreview;
const subscriptionsOf = async (id: string, token = provider.token) =>
  (await ok<{ customer: { subscriptions: { edges: { node: Sub }[] } } }>(token, Q.subscriptions, { id })).customer.subscriptions.edges.map((e) => e.node);

/** Every event of these types the operator reads about one customer. */
async function events(
  ofCustomer: string,
  types: string[],
  server = t,
): Promise<{ type: string; subscriptionId: string | null; refund?: { amount: string } }[]> {
  const out: { type: string; subscriptionId: string | null; refund?: { amount: string } }[] = [];
  let after: string | undefined;
  for (;;) {
    const { events: page } = await ok<{
      events: { edges: { node: { type: string; subscriptionId: string | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
    }>(operator, Q.events, { filter: { customerId: ofCustomer, types }, after }, server);
    out.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

async function serverTime(server = t): Promise<number> {
  return Date.parse((await ok<{ serverTime: string }>(operator, Q.serverTime, {}, server)).serverTime);
}

async function advance(by: string, server = t): Promise<{ previous: number; now: number }> {
  const { advanceTestClock } = await ok<{ advanceTestClock: { previous: string; now: string } }>(await server.tokens.operator(), Q.advance, { by }, server);
  return { previous: Date.parse(advanceTestClock.previous), now: Date.parse(advanceTestClock.now) };
}

/** An ISO 8601 duration of whole seconds covering `ms` (at least one second). */
function durationOf(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return `P${Math.floor(seconds / 86400)}DT${seconds % 86400}S`;
}

/** Moves the test clock to just after `target` (ms since the epoch). */
async function advanceTo(target: number, server = t): Promise<number> {
  const now = await serverTime(server);
  if (now >= target) throw new Error(`the clock is already past ${new Date(target).toISOString()}`);
  return (await advance(durationOf(target - now), server)).now;
}

/** The catalog price of one licence for a term, in cents. */
async function unitPriceCents(offerId: string, termDuration: string, billingFrequency: string): Promise<bigint> {
  const { offers } = await ok<{ offers: { id: string; terms: { termDuration: string; billingFrequency: string; unitPrice: Money }[] }[] }>(
    provider.token,
    Q.offers,
  );
  const term = offers.find((o) => o.id === offerId)!.terms.find((r) => r.termDuration === termDuration && r.billingFrequency === billingFrequency)!;
  const [whole, fraction = ''] = term.unitPrice.amount.split('.');
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
}
const decimal = (cents: bigint) => `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
const roundHalfUp = (numerator: bigint, denominator: bigint) => (2n * numerator + denominator) / (2n * denominator);
const cents = (amount: string) => {
  const [whole, fraction = ''] = amount.split('.');
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
};

const BASIC = 'm365-business-basic';
const yearly = (quantity: number, extra: Record<string, unknown> = {}, token = provider.token, ofCustomer = customerId) =>
  create({ customerId: ofCustomer, offerId: BASIC, quantity, termDuration: 'P1Y', billingFrequency: 'ANNUAL', ...extra }, token);

/** Every new operation on one subscription id, as a partner's user sends it. */
function operations(id: string): [string, string, Record<string, unknown>][] {
  return [
    ['updateSubscription (increase)', Q.update, { input: { subscriptionId: id, quantity: 9 } }],
    ['updateSubscription (decrease)', Q.update, { input: { subscriptionId: id, quantity: 1 } }],
    ['updateSubscription (reseller)', Q.update, { input: { subscriptionId: id, resellerId: null } }],
    ['cancelSubscription', Q.cancel, { input: { subscriptionId: id, reason: 'attack' } }],
    ['suspendSubscription', Q.suspend, { input: { subscriptionId: id, reason: 'attack' } }],
    ['reactivateSubscription', Q.reactivate, { input: { subscriptionId: id } }],
    ['setSubscriptionAutoRenew', Q.autoRenew, { input: { subscriptionId: id, autoRenew: false } }],
    ['scheduleSubscriptionChange', Q.schedule, { input: { subscriptionId: id, quantity: 7 } }],
    ['cancelScheduledSubscriptionChange', Q.unschedule, { input: { subscriptionId: id } }],
    ['upgradeSubscription', Q.upgrade, { input: { subscriptionId: id, targetOfferId: 'm365-business-standard' } }],
    ['cancellationPreview', Q.preview, { id }],
    ['subscriptionUpgrades', Q.upgrades, { id }],
  ];
}

/** What a subscription looks like to its seller, and how much history it has: to show that nothing moved. */
async function fingerprint(id: string) {
  const s = await read(id);
  return { subscription: s, history: (await history(id)).length };
}

beforeAll(async () => {
  t = await startTestServer({ TEST_CLOCK: 'true', MAX_QUERY_COMPLEXITY: '1000000', ...UNBUDGETED });
  operator = await t.tokens.operator();
  provider = await createPartner(t, 'INDIRECT_PROVIDER');
  reseller = await createPartner(t, 'INDIRECT_RESELLER');
  contact = await createPartner(t, 'INDIRECT_RESELLER');
  await partner(t, provider, reseller);
  await partner(t, provider, contact);
  rival = await createPartner(t, 'DIRECT_RESELLER');
  customerId = (await createCustomer(t, provider.token)).id;
  rivalCustomerId = (await createCustomer(t, rival.token)).id;
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe('who may touch a subscription', () => {
  it('another partner gets NOT_FOUND from every new operation, with the id in any letter case, worded as for an id that does not exist; nothing moves', async () => {
    const victim = await yearly(5, { resellerId: reseller.id, supportContactId: contact.id });
    await ok(provider.token, Q.schedule, { input: { subscriptionId: victim.id, quantity: 6 } });
    const before = await fingerprint(victim.id);
    const ghost = randomUUID();
    const failures: unknown[] = [];
    for (const id of [victim.id, victim.id.toUpperCase()]) {
      for (const [name, query, variables] of operations(id)) {
        const got = await outcome(rival.token, query, variables);
        const missing = await outcome(rival.token, query, JSON.parse(JSON.stringify(variables).split(id).join(ghost)) as Record<string, unknown>);
        const same = got.message.split(victim.id).join('<id>').split(id).join('<id>') === missing.message.split(ghost).join('<id>');
        if (got.code !== 'NOT_FOUND' || got.status >= 500 || !same) failures.push({ name, id, got, missing });
      }
    }
    expect(failures).toEqual([]);
    // the rival cannot read it either, in any case
    for (const id of [victim.id, victim.id.toUpperCase()]) expect(await read(id, rival.token)).toBeNull();
    expect(await fingerprint(victim.id)).toEqual(before);
  });

  it('ids of other kinds (a customer, a partner, the seller itself, an offer) are NOT_FOUND or BAD_USER_INPUT, never a 5xx; upper case finds the own subscription', async () => {
    const own = await yearly(3);
    const before = await fingerprint(own.id);
    const failures: unknown[] = [];
    for (const id of [customerId, provider.id, reseller.id, rivalCustomerId, randomUUID()]) {
      for (const [name, query, variables] of operations(id)) {
        const got = await outcome(provider.token, query, variables);
        if (got.code !== 'NOT_FOUND' || got.status >= 500) failures.push({ name, id, got });
      }
    }
    // not a UUID: an input's subscriptionId is BAD_USER_INPUT; the queries' plain ID argument takes a slug too (an offer's id), so NOT_FOUND
    for (const id of [BASIC, 'not-an-id', `${own.id}x`, ' ', `${own.id}\u200B`]) {
      for (const [name, query, variables] of operations(id)) {
        const got = await outcome(provider.token, query, variables);
        const slug = /^[a-z0-9-]+$/.test(id) && ['cancellationPreview', 'subscriptionUpgrades'].includes(name);
        if (!(slug ? ['BAD_USER_INPUT', 'NOT_FOUND'] : ['BAD_USER_INPUT']).includes(got.code) || got.status >= 500) failures.push({ name, id, got });
      }
    }
    expect(failures).toEqual([]);
    expect(await fingerprint(own.id)).toEqual(before);
    // the seller's own id in upper case is the same id
    const upper = own.id.toUpperCase();
    expect((await preview(upper)).cancellable).toBe(true);
    expect((await ok<{ subscriptionUpgrades: { id: string }[] }>(provider.token, Q.upgrades, { id: upper })).subscriptionUpgrades.length).toBeGreaterThan(0);
    const suspended = await ok<{ suspendSubscription: { subscription: Sub } }>(provider.token, Q.suspend, {
      input: { subscriptionId: upper, reason: 'upper' },
    });
    expect(suspended.suspendSubscription.subscription).toMatchObject({ id: own.id, status: 'SUSPENDED' });
    // and an upgrade target in upper case is the same offer
    await ok(provider.token, Q.reactivate, { input: { subscriptionId: upper } });
    const up = await ok<{ upgradeSubscription: { subscription: Sub } }>(provider.token, Q.upgrade, {
      input: { subscriptionId: upper, targetOfferId: 'M365-BUSINESS-STANDARD' },
    });
    expect(up.upgradeSubscription.subscription.offer.id).toBe('m365-business-standard');
  });

  it('its reseller of record and support contact read it, but every change, the preview and the upgrade list are NOT_FOUND to them', async () => {
    const s = await yearly(4, { resellerId: reseller.id, supportContactId: contact.id });
    const before = await fingerprint(s.id);
    const failures: unknown[] = [];
    for (const who of [reseller, contact]) {
      expect((await read(s.id, who.token))?.id).toBe(s.id);
      for (const role of [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT]) {
        const token = await t.tokens.partner(who.id, role);
        for (const [name, query, variables] of operations(s.id)) {
          const got = await outcome(token, query, variables);
          // a SALES_AGENT is refused by its role before the lookup: FORBIDDEN is as safe as NOT_FOUND
          const allowed = role === Role.SALES_AGENT ? ['NOT_FOUND', 'FORBIDDEN'] : ['NOT_FOUND'];
          if (!allowed.includes(got.code) || got.status >= 500) failures.push({ who: who.name, role, name, got });
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await fingerprint(s.id)).toEqual(before);
  });

  it("the customer's own admin, the operator and anonymous callers change nothing (FORBIDDEN, UNAUTHENTICATED); the seller's SALES_AGENT only adds licences", async () => {
    const s = await yearly(4);
    const before = await fingerprint(s.id);
    const customerAdmin = await t.tokens.customer(customerId);
    const failures: unknown[] = [];
    // an anonymous caller may also be refused earlier, by the cost limit without a token (GRAPHQL_VALIDATION_FAILED)
    for (const [who, token, codes] of [
      ['customer admin', customerAdmin, ['FORBIDDEN']],
      ['operator', operator, ['FORBIDDEN']],
      ['anonymous', undefined, ['UNAUTHENTICATED', 'GRAPHQL_VALIDATION_FAILED']],
    ] as const) {
      for (const [name, query, variables] of operations(s.id)) {
        const got = await outcome(token, query, variables);
        if (!(codes as readonly string[]).includes(got.code) || got.status >= 500) failures.push({ who, name, got });
      }
    }
    const sales = await t.tokens.partner(provider.id, Role.SALES_AGENT);
    for (const [name, query, variables] of operations(s.id)) {
      if (['updateSubscription (increase)', 'cancellationPreview', 'subscriptionUpgrades'].includes(name)) continue;
      const got = await outcome(sales, query, variables);
      if (got.code !== 'FORBIDDEN' || got.status >= 500) failures.push({ who: 'sales agent', name, got });
    }
    expect(failures).toEqual([]);
    expect(await fingerprint(s.id)).toEqual(before);
    // the sales agent's preview says it may not cancel, and offers no refund
    expect(await preview(s.id, sales)).toMatchObject({ cancellable: false, refund: null, reason: expect.stringContaining('GLOBAL_ADMIN') });
    const added = await ok<{ updateSubscription: { subscription: Sub } }>(sales, Q.update, { input: { subscriptionId: s.id, quantity: 9 } });
    expect(added.updateSubscription.subscription.quantity).toBe(9);
  });

  it('tokens with stray claims are UNAUTHENTICATED on every new operation: partner + customer ids, an unknown role, the operator role with a partner id, mixed roles', async () => {
    const s = await yearly(2);
    const before = await fingerprint(s.id);
    const sign = (claims: { sub: string; roles: string[]; partnerId?: string; customerId?: string }) =>
      signDevToken(TEST_JWT_SECRET, claims as Parameters<typeof signDevToken>[1], '10m');
    const tokens: [string, string][] = [
      ['partner and customer ids', await sign({ sub: 'mixed-1', roles: [Role.GLOBAL_ADMIN], partnerId: provider.id, customerId })],
      ['an unknown role', await sign({ sub: 'mixed-2', roles: ['SUPER_ADMIN'], partnerId: provider.id })],
      ['a known and an unknown role', await sign({ sub: 'mixed-3', roles: [Role.GLOBAL_ADMIN, 'OWNER'], partnerId: provider.id })],
      ['the operator role with a partner id', await sign({ sub: 'mixed-4', roles: [Role.PLATFORM_ADMIN], partnerId: provider.id })],
      ['operator and partner roles', await sign({ sub: 'mixed-5', roles: [Role.PLATFORM_ADMIN, Role.GLOBAL_ADMIN], partnerId: provider.id })],
      ['customer and partner roles', await sign({ sub: 'mixed-6', roles: [Role.CUSTOMER_ADMIN, Role.GLOBAL_ADMIN], partnerId: provider.id, customerId })],
      ['no roles', await sign({ sub: 'mixed-7', roles: [], partnerId: provider.id })],
      [
        'a partner id in upper case and another role',
        await sign({ sub: 'mixed-8', roles: [Role.GLOBAL_ADMIN, Role.CUSTOMER_ADMIN], partnerId: provider.id.toUpperCase() }),
      ],
    ];
    const failures: unknown[] = [];
    for (const [what, token] of tokens) {
      for (const [name, query, variables] of [
        ...operations(s.id),
        ['advanceTestClock', Q.advance, { by: 'P1D' }] as [string, string, Record<string, unknown>],
      ]) {
        const got = await outcome(token, query, variables);
        if (got.code !== 'UNAUTHENTICATED' || got.status >= 500) failures.push({ what, name, got });
      }
    }
    expect(failures).toEqual([]);
    expect(await fingerprint(s.id)).toEqual(before);
  });

  it('a CANCELLED or EXPIRED subscription changes no more: every change is CONFLICT (the reseller of record included), the preview says why, no upgrade targets', async () => {
    const cancelled = await yearly(3, { resellerId: reseller.id });
    await ok(provider.token, Q.cancel, { input: { subscriptionId: cancelled.id, reason: 'ordered by mistake' } });
    const expiring = await create({ customerId, offerId: BASIC, quantity: 3, termDuration: 'P1M', autoRenew: false, resellerId: reseller.id });
    await advanceTo(Date.parse(expiring.termEndsAt) + MINUTE_MS);
    expect((await read(expiring.id))?.status).toBe('EXPIRED');

    const before = [await fingerprint(cancelled.id), await fingerprint(expiring.id)];
    const failures: unknown[] = [];
    for (const ended of [cancelled, expiring]) {
      const status = (await read(ended.id))!.status;
      const changes: [string, string, Record<string, unknown>][] = [
        ...operations(ended.id).filter(([name]) => !['cancellationPreview', 'subscriptionUpgrades'].includes(name)),
        ['updateSubscription (support contact)', Q.update, { input: { subscriptionId: ended.id, supportContactId: contact.id } }],
        ['updateSubscription (another reseller)', Q.update, { input: { subscriptionId: ended.id, resellerId: contact.id } }],
        ['setSubscriptionAutoRenew (on)', Q.autoRenew, { input: { subscriptionId: ended.id, autoRenew: true } }],
      ];
      for (const [name, query, variables] of changes) {
        const got = await outcome(provider.token, query, variables);
        if (got.code !== 'CONFLICT' || got.status >= 500) failures.push({ status, name, code: got.code });
      }
      expect(await preview(ended.id)).toMatchObject({ cancellable: false, refund: null, reason: expect.stringContaining(status) });
      expect((await ok<{ subscriptionUpgrades: unknown[] }>(provider.token, Q.upgrades, { id: ended.id })).subscriptionUpgrades).toEqual([]);
    }
    expect(failures).toEqual([]);
    expect([await fingerprint(cancelled.id), await fingerprint(expiring.id)]).toEqual(before);
  });
});

describe('reading through the new fields', () => {
  it('after an upgrade, each side shows the other only to who may read it: a reseller replaced on the new one no longer sees it through upgradedTo', async () => {
    const s = await yearly(6, { resellerId: reseller.id, supportContactId: reseller.id });
    await ok(provider.token, Q.schedule, { input: { subscriptionId: s.id, offerId: 'm365-business-standard' } });
    const up = await ok<{ upgradeSubscription: { subscription: Sub; previousSubscription: Sub } }>(provider.token, Q.upgrade, {
      input: { subscriptionId: s.id, targetOfferId: 'm365-business-premium' },
    });
    const next = up.upgradeSubscription.subscription;
    // both sides are the reseller's until the seller names another partner on the new one
    expect((await read(s.id, reseller.token))?.upgradedTo).toEqual({ id: next.id });
    await ok(provider.token, Q.update, { input: { subscriptionId: next.id, resellerId: contact.id, supportContactId: contact.id } });

    expect(await read(next.id, reseller.token)).toBeNull();
    expect((await read(s.id, reseller.token))?.upgradedTo).toBeNull();
    expect((await read(next.id, contact.token))?.upgradedFrom).toBeNull();
    expect(await read(s.id, contact.token)).toBeNull();
    // the rival sees neither side, by node or through the customer
    expect(await read(s.id, rival.token)).toBeNull();
    expect(await read(next.id, rival.token)).toBeNull();
    const throughCustomer = await call<{ customer: unknown }>(rival.token, Q.subscriptions, { id: customerId });
    expect(throughCustomer.data?.customer ?? null).toBeNull();
    // the seller and the customer's admin see both sides
    const customerAdmin = await t.tokens.customer(customerId);
    for (const token of [provider.token, customerAdmin]) {
      expect((await read(s.id, token))?.upgradedTo).toEqual({ id: next.id });
      expect((await read(next.id, token))?.upgradedFrom).toEqual({ id: s.id });
    }
    // the reseller that was replaced reads the old one's history, but not the new one's
    expect((await history(s.id, reseller.token)).map((h) => h.action)).toContain('SUBSCRIPTION_UPGRADED');
    expect((await call(reseller.token, Q.history, { id: next.id })).data).toEqual({ node: null });
  });

  it("history, scheduledChange and the other partner's data do not cross tenants: a rival sees no history, and a customer admin sees only its customer's", async () => {
    const mine = await yearly(2);
    await ok(provider.token, Q.suspend, { input: { subscriptionId: mine.id, reason: 'secret reason of the seller' } });
    const rivalSub = await create({ customerId: rivalCustomerId, offerId: BASIC, quantity: 2, termDuration: 'P1Y', billingFrequency: 'ANNUAL' }, rival.token);
    await ok(rival.token, Q.suspend, { input: { subscriptionId: rivalSub.id, reason: 'secret reason of the rival' } });

    expect((await call(rival.token, Q.history, { id: mine.id })).data).toEqual({ node: null });
    expect((await call(provider.token, Q.history, { id: rivalSub.id })).data).toEqual({ node: null });
    const otherAdmin = await t.tokens.customer(rivalCustomerId);
    expect((await call(otherAdmin, Q.history, { id: mine.id })).data).toEqual({ node: null });
    const ownAdmin = await t.tokens.customer(customerId);
    expect((await call(ownAdmin, Q.history, { id: rivalSub.id })).data).toEqual({ node: null });
    const own = await history(mine.id, ownAdmin);
    expect(own.map((h) => h.action)).toEqual(['SUBSCRIPTION_CREATED', 'SUBSCRIPTION_SUSPENDED']);
    expect(JSON.stringify(own)).not.toContain('rival');
  });
});

describe('races', () => {
  /** Sends the calls at once. */
  const race = (calls: [string, string, Record<string, unknown>][]) =>
    Promise.all(calls.map(([, query, variables]) => outcome(provider.token, query, variables)));

  it('20 cancellations of one subscription at once: one succeeds, 19 CONFLICT, one refund, one event, the refund the preview promised', async () => {
    const s = await yearly(7);
    await advance('P2D');
    const promised = await preview(s.id);
    const answers = await race(Array.from({ length: 20 }, (_, i) => ['cancel', Q.cancel, { input: { subscriptionId: s.id, reason: `attempt ${i}` } }]));
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    const won = answers.filter((a) => a.code === 'ok');
    expect({ won: won.length, codes: [...new Set(answers.filter((a) => a.code !== 'ok').map((a) => a.code))] }).toEqual({ won: 1, codes: ['CONFLICT'] });
    const refund = (won[0].data as { cancelSubscription: { refund: Money } }).cancelSubscription.refund;
    expect(refund).toEqual(promised.refund);
    const cancelledEvents = (await events(customerId, ['SUBSCRIPTION_CANCELLED'])).filter((e) => e.subscriptionId === s.id);
    expect(cancelledEvents).toHaveLength(1);
    expect((await history(s.id)).filter((h) => h.action === 'SUBSCRIPTION_CANCELLED')).toHaveLength(1);
  });

  it('cancel, suspend, upgrade and quantity changes, 20 at once (twice): only CONFLICT refusals, one ending at most, one successor at most, no lost quantity', async () => {
    for (let round = 0; round < 2; round++) {
      const s = await yearly(10);
      const calls: [string, string, Record<string, unknown>][] = [];
      for (let i = 0; i < 5; i++) {
        calls.push(['cancel', Q.cancel, { input: { subscriptionId: s.id, reason: `cancel ${i}` } }]);
        calls.push(['suspend', Q.suspend, { input: { subscriptionId: s.id, reason: `suspend ${i}` } }]);
        calls.push(['upgrade', Q.upgrade, { input: { subscriptionId: s.id, targetOfferId: i % 2 ? 'm365-business-standard' : 'm365-business-premium' } }]);
        calls.push(['quantity', Q.update, { input: { subscriptionId: s.id, quantity: 11 + i } }]);
      }
      const answers = await race(calls);
      const failures = answers.filter((a) => a.status >= 500 || !['ok', 'CONFLICT'].includes(a.code));
      expect(failures).toEqual([]);
      const won = (kind: string) => calls.filter(([k], i) => k === kind && answers[i].code === 'ok').length;
      expect(won('cancel') + won('upgrade')).toBeLessThanOrEqual(1);
      expect(won('suspend')).toBeLessThanOrEqual(1);

      const after = (await read(s.id))!;
      const successors = (await subscriptionsOf(customerId)).filter((x) => x.upgradedFrom?.id === s.id);
      expect(successors).toHaveLength(won('upgrade'));
      const mine = (await events(customerId, ['SUBSCRIPTION_CANCELLED', 'SUBSCRIPTION_UPGRADED', 'SUBSCRIPTION_SUSPENDED'])).filter(
        (e) => e.subscriptionId === s.id,
      );
      expect(mine.filter((e) => e.type === 'SUBSCRIPTION_CANCELLED')).toHaveLength(won('cancel'));
      expect(mine.filter((e) => e.type === 'SUBSCRIPTION_UPGRADED')).toHaveLength(won('upgrade'));
      expect(mine.filter((e) => e.type === 'SUBSCRIPTION_SUSPENDED')).toHaveLength(won('suspend'));
      expect(after.status).toBe(won('cancel') + won('upgrade') ? 'CANCELLED' : won('suspend') ? 'SUSPENDED' : 'ACTIVE');
      // the quantity's history is a chain (each change starts from the last one's value) ending at the row's value
      const quantities = (await history(s.id)).flatMap((h) => h.changes.filter((c) => c.field === 'quantity'));
      expect(quantities.length).toBe(won('quantity') + 1);
      for (let i = 1; i < quantities.length; i++) expect(quantities[i].before).toBe(quantities[i - 1].after);
      expect(Number(quantities.at(-1)!.after)).toBe(after.quantity);
      for (const next of successors) expect(next.quantity).toBe(after.quantity);
    }
  });

  it('20 upgrades of one subscription at once: one successor, 19 CONFLICT', async () => {
    const s = await yearly(5);
    const answers = await race(
      Array.from({ length: 20 }, (_, i) => [
        'upgrade',
        Q.upgrade,
        { input: { subscriptionId: s.id, targetOfferId: i % 2 ? 'm365-business-standard' : 'm365-business-premium' } },
      ]),
    );
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect({ won: answers.filter((a) => a.code === 'ok').length, codes: [...new Set(answers.filter((a) => a.code !== 'ok').map((a) => a.code))] }).toEqual({
      won: 1,
      codes: ['CONFLICT'],
    });
    expect((await subscriptionsOf(customerId)).filter((x) => x.upgradedFrom?.id === s.id)).toHaveLength(1);
  });

  it('the renewal sweep racing quantity increases and scheduled changes at the term end loses none of them', async () => {
    // a server of its own, so that the sweep's batch holds exactly these subscriptions
    const r = await startTestServer({ TEST_CLOCK: 'true', MAX_QUERY_COMPLEXITY: '1000000', ...UNBUDGETED });
    const sweep = r.server.services.subscriptions.sweep as unknown as { renew: (...args: unknown[]) => Promise<unknown> };
    const renew = sweep.renew;
    try {
      const seller = await createPartner(r, 'DIRECT_RESELLER');
      const own = (await createCustomer(r, seller.token)).id;
      const subs = (
        await Promise.all(
          Array.from({ length: 20 }, () =>
            ok<{ createSubscription: { subscription: Sub } }>(
              seller.token,
              Q.create,
              { input: { customerId: own, offerId: BASIC, quantity: 2, termDuration: 'P1M' } },
              r,
            ),
          ),
        )
      ).map((x) => x.createSubscription.subscription);
      const ends = subs.map((s) => Date.parse(s.termEndsAt));
      await advanceTo(Math.min(...ends) - MINUTE_MS, r);
      // the interleaving a busy server meets by chance, made certain: the sweep has read the due
      // subscriptions and waits before its first renewal while the seller changes them, then renews
      // (the real renewal runs; it is only held until the changes are answered)
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let reached!: () => void;
      const waiting = new Promise<void>((resolve) => (reached = resolve));
      sweep.renew = async function (this: unknown, ...args: unknown[]) {
        reached();
        await held;
        return renew.apply(this, args);
      };
      const moving = advance(durationOf(Math.max(...ends) - Math.min(...ends) + 2 * MINUTE_MS), r);
      await waiting;
      const answers = await Promise.all(
        subs.map((s, i) =>
          i % 2
            ? outcome(seller.token, Q.update, { input: { subscriptionId: s.id, quantity: 3 } }, r)
            : outcome(seller.token, Q.schedule, { input: { subscriptionId: s.id, quantity: 4 } }, r),
        ),
      );
      sweep.renew = renew;
      release();
      await moving;
      await r.server.services.sweeps.run();
      expect(answers.filter((a) => a.status >= 500 || !['ok', 'CONFLICT'].includes(a.code))).toEqual([]);

      const renewed = await events(own, ['SUBSCRIPTION_RENEWED'], r);
      const lost: unknown[] = [];
      for (const [i, s] of subs.entries()) {
        const now = (await read(s.id, seller.token, r))!;
        const steps = await history(s.id, seller.token, r);
        const actions = steps.map((h) => h.action.replace('SUBSCRIPTION_', '')).join(' > ');
        const succeeded = answers[i].code === 'ok';
        const renewals = renewed.filter((e) => e.subscriptionId === s.id).length;
        if (renewals !== 1) lost.push({ renewals, actions });
        if (i % 2) {
          // an accepted increase holds in the new term (no scheduled change: the renewal keeps the quantity)
          if (succeeded && now.quantity !== 3) lost.push({ increase: 'lost', quantity: now.quantity, actions });
          if (!succeeded && now.quantity !== 2) lost.push({ increase: 'refused but applied', quantity: now.quantity, actions });
        } else if (succeeded) {
          // an accepted scheduled change is applied at the renewal, or still scheduled for the next one
          const applied = now.quantity === 4 && now.scheduledChange === null;
          const pending = now.quantity === 2 && now.scheduledChange?.quantity === 4;
          if (!applied && !pending) lost.push({ schedule: 'lost', quantity: now.quantity, scheduledChange: now.scheduledChange, actions });
        }
        // whatever happened, the quantity is what the history says last
        const quantities = steps.flatMap((h) => h.changes.filter((c) => c.field === 'quantity'));
        if (Number(quantities.at(-1)!.after) !== now.quantity) lost.push({ history: quantities.at(-1), quantity: now.quantity, actions });
      }
      expect(lost).toEqual([]);
    } finally {
      sweep.renew = renew;
      await r.stop();
    }
  }, 120_000);

  it('cancellations racing the renewal at the term end: refused (old window closed) or refunding the new term in full, never a 5xx, one event each', async () => {
    const own = (await createCustomer(t, provider.token)).id;
    const subs = await Promise.all(Array.from({ length: 10 }, () => create({ customerId: own, offerId: BASIC, quantity: 3, termDuration: 'P1M' })));
    await advanceTo(Math.max(...subs.map((s) => Date.parse(s.termEndsAt))) - MINUTE_MS);
    const full = decimal((await unitPriceCents(BASIC, 'P1M', 'MONTHLY')) * 3n);
    const [, cancels] = await Promise.all([
      advance('PT2M'),
      Promise.all(subs.map((s) => outcome(provider.token, Q.cancel, { input: { subscriptionId: s.id, reason: 'at the end' } }))),
      t.server.services.sweeps.run(),
    ]);
    expect(cancels.filter((a) => a.status >= 500 || !['ok', 'CONFLICT'].includes(a.code))).toEqual([]);
    const cancelledEvents = await events(own, ['SUBSCRIPTION_CANCELLED']);
    for (const [i, s] of subs.entries()) {
      const now = (await read(s.id))!;
      if (cancels[i].code === 'ok') {
        expect((cancels[i].data as { cancelSubscription: { refund: Money } }).cancelSubscription.refund).toEqual({ amount: full, currency: 'USD' });
        expect(now.status).toBe('CANCELLED');
        expect(cancelledEvents.filter((e) => e.subscriptionId === s.id)).toHaveLength(1);
      } else {
        expect(now.status).toBe('ACTIVE');
        expect(Date.parse(now.termStartsAt)).toBe(Date.parse(s.termEndsAt));
        expect(cancelledEvents.filter((e) => e.subscriptionId === s.id)).toHaveLength(0);
      }
    }
  }, 60_000);
});

describe('money', () => {
  it('50,000 licences for three years, cancelled at day 2: the exact prorated cents, never above the price', async () => {
    const s = await create({ customerId, offerId: 'm365-e5', quantity: 50000, termDuration: 'P3Y', billingFrequency: 'TRIENNIAL' });
    await advance('P2D');
    const p = await preview(s.id);
    expect(p.termDays).toBe(Math.round((Date.parse(s.termEndsAt) - Date.parse(s.termStartsAt)) / DAY_MS));
    expect([1095, 1096]).toContain(p.termDays);
    expect(p.unusedDays).toBe(p.termDays - 2);
    const price = (await unitPriceCents('m365-e5', 'P3Y', 'TRIENNIAL')) * 50000n;
    const expected = decimal(roundHalfUp(price * BigInt(p.unusedDays), BigInt(p.termDays)));
    const { cancelSubscription } = await ok<{ cancelSubscription: { refund: Money } }>(provider.token, Q.cancel, {
      input: { subscriptionId: s.id, reason: 'too many' },
    });
    expect(cancelSubscription.refund).toEqual({ amount: expected, currency: 'USD' });
    expect(cents(cancelSubscription.refund.amount)).toBeLessThan(price);
    expect(cents(cancelSubscription.refund.amount)).toBeGreaterThan(0n);
  });

  it('odd quantities of a monthly term, cancelled on each day of the window: exact cents, rounded half up, never negative nor above the price', async () => {
    const quantities = [1, 3, 7, 13, 299];
    const subs = await Promise.all(quantities.map((quantity) => create({ customerId, offerId: BASIC, quantity, termDuration: 'P1M' })));
    const unit = await unitPriceCents(BASIC, 'P1M', 'MONTHLY');
    for (const [day, s] of subs.entries()) {
      if (day) await advance('P1D');
      const p = await preview(s.id);
      const price = unit * BigInt(s.quantity);
      const { cancelSubscription } = await ok<{ cancelSubscription: { refund: Money } }>(provider.token, Q.cancel, {
        input: { subscriptionId: s.id, reason: null },
      });
      expect(p.unusedDays).toBe(p.termDays - day);
      expect(cancelSubscription.refund.amount).toBe(decimal(roundHalfUp(price * BigInt(p.unusedDays), BigInt(p.termDays))));
      expect(cents(cancelSubscription.refund.amount)).toBeLessThanOrEqual(price);
      expect(cents(cancelSubscription.refund.amount)).toBeGreaterThan(0n);
    }
  });

  it('a minute before cancellableUntil it cancels (six whole days used); a second after, CONFLICT; the licences of the term start follow the same 168 hours', async () => {
    const early = await yearly(5);
    const late = await yearly(5);
    const reduce = await yearly(5);
    const until = Date.parse(early.cancellableUntil);
    await advanceTo(until - MINUTE_MS);
    const p = await preview(early.id);
    expect(p).toMatchObject({ cancellable: true, unusedDays: p.termDays - 6 });
    const { cancelSubscription } = await ok<{ cancelSubscription: { refund: Money } }>(provider.token, Q.cancel, {
      input: { subscriptionId: early.id, reason: 'in time' },
    });
    expect(cancelSubscription.refund).toEqual(p.refund);
    expect(
      (await ok<{ updateSubscription: { subscription: Sub } }>(provider.token, Q.update, { input: { subscriptionId: reduce.id, quantity: 4 } }))
        .updateSubscription.subscription.quantity,
    ).toBe(4);

    await advanceTo(Math.max(Date.parse(late.cancellableUntil), Date.parse(reduce.cancellableUntil)) + 1000);
    expect((await outcome(provider.token, Q.cancel, { input: { subscriptionId: late.id, reason: 'too late' } })).code).toBe('CONFLICT');
    expect(await preview(late.id)).toMatchObject({ cancellable: false, refund: null, reason: expect.stringContaining(late.cancellableUntil) });
    const refusal = await outcome(provider.token, Q.update, { input: { subscriptionId: reduce.id, quantity: 3 } });
    expect(refusal.code).toBe('CONFLICT');
    expect(refusal.message).toContain(reduce.cancellableUntil);
    expect((await read(late.id))?.status).toBe('ACTIVE');
    expect((await read(reduce.id))?.quantity).toBe(4);
  });

  it('after a renewal a new 7-day window opens: the cancellation refunds the new term, and the old term is not refunded twice', async () => {
    const s = await create({ customerId, offerId: BASIC, quantity: 3, termDuration: 'P1M' });
    await advanceTo(Date.parse(s.cancellableUntil) + MINUTE_MS);
    expect((await outcome(provider.token, Q.cancel, { input: { subscriptionId: s.id } })).code).toBe('CONFLICT');
    await advanceTo(Date.parse(s.termEndsAt) + MINUTE_MS);
    await advance('P1D');
    const renewed = (await read(s.id))!;
    expect(renewed.termStartsAt).toBe(s.termEndsAt);
    const p = await preview(s.id);
    expect(p).toMatchObject({ cancellable: true, unusedDays: p.termDays - 1, cancellableUntil: renewed.cancellableUntil });
    const price = (await unitPriceCents(BASIC, 'P1M', 'MONTHLY')) * 3n;
    const { cancelSubscription } = await ok<{ cancelSubscription: { refund: Money } }>(provider.token, Q.cancel, {
      input: { subscriptionId: s.id, reason: 'after renewal' },
    });
    expect(cancelSubscription.refund.amount).toBe(decimal(roundHalfUp(price * BigInt(p.termDays - 1), BigInt(p.termDays))));
    expect((await events(customerId, ['SUBSCRIPTION_CANCELLED'])).filter((e) => e.subscriptionId === s.id)).toHaveLength(1);
  });
});

describe('text and types', () => {
  it('a reason of 500 emoji is kept as given; 501 characters, invisible-only, control or bidi characters are BAD_USER_INPUT naming input.reason', async () => {
    const s = await yearly(2);
    const emoji = '\u{1F4B8}'.repeat(500);
    await ok(provider.token, Q.suspend, { input: { subscriptionId: s.id, reason: emoji } });
    const suspended = (await history(s.id)).find((h) => h.action === 'SUBSCRIPTION_SUSPENDED')!;
    expect(JSON.parse(suspended.details!)).toMatchObject({ reason: emoji });
    await ok(provider.token, Q.reactivate, { input: { subscriptionId: s.id } });
    const before = await fingerprint(s.id);
    const failures: unknown[] = [];
    for (const reason of ['\u{1F4B8}'.repeat(501), '\u200B\u2060\uFEFF', 'a\u202Eb', 'a\nb', 'a\u0000b', '\u2028', 'x'.repeat(5000)]) {
      for (const query of [Q.suspend, Q.cancel]) {
        const got = await outcome(provider.token, query, { input: { subscriptionId: s.id, reason } });
        const fields = (await call(provider.token, query, { input: { subscriptionId: s.id, reason } })).errors?.[0].extensions?.fields;
        if (got.code !== 'BAD_USER_INPUT' || got.status >= 500 || !JSON.stringify(fields).includes('input.reason'))
          failures.push({ reason: reason.slice(0, 20), got: { ...got, message: got.message.slice(0, 200) }, fields });
      }
    }
    expect(failures).toEqual([]);
    expect(await fingerprint(s.id)).toEqual(before);
  });

  it('wrong-type variables and unknown enum values are refused before anything runs, never a 5xx', async () => {
    const s = await yearly(2);
    const before = await fingerprint(s.id);
    const cases: [string, string, Record<string, unknown>][] = [
      ['quantity as a string', Q.update, { input: { subscriptionId: s.id, quantity: '3' } }],
      ['quantity as a float', Q.update, { input: { subscriptionId: s.id, quantity: 3.5 } }],
      ['quantity past Int', Q.update, { input: { subscriptionId: s.id, quantity: 2 ** 53 } }],
      ['quantity as an object', Q.update, { input: { subscriptionId: s.id, quantity: { $gt: 1 } } }],
      ['subscriptionId as a list', Q.cancel, { input: { subscriptionId: [s.id] } }],
      ['subscriptionId as a number', Q.cancel, { input: { subscriptionId: 1 } }],
      ['autoRenew as a string', Q.autoRenew, { input: { subscriptionId: s.id, autoRenew: 'false' } }],
      ['autoRenew null', Q.autoRenew, { input: { subscriptionId: s.id, autoRenew: null } }],
      ['an unknown term', Q.schedule, { input: { subscriptionId: s.id, termDuration: 'P2Y' } }],
      ['an unknown billing frequency', Q.schedule, { input: { subscriptionId: s.id, billingFrequency: 'WEEKLY' } }],
      ['an unknown input field', Q.suspend, { input: { subscriptionId: s.id, reason: 'x', status: 'CANCELLED' } }],
      ['a reason as a number', Q.suspend, { input: { subscriptionId: s.id, reason: 42 } }],
      ['upgrade quantity negative', Q.upgrade, { input: { subscriptionId: s.id, targetOfferId: 'm365-business-standard', quantity: -1 } }],
      ['upgrade to an offer that is no target', Q.upgrade, { input: { subscriptionId: s.id, targetOfferId: 'm365-e5' } }],
      ['schedule an offer that is no target', Q.schedule, { input: { subscriptionId: s.id, offerId: 'm365-e5' } }],
    ];
    const failures: unknown[] = [];
    for (const [what, query, variables] of cases) {
      const got = await outcome(provider.token, query, variables);
      if (got.code !== 'BAD_USER_INPUT' || got.status >= 500) failures.push({ what, got });
    }
    expect(failures).toEqual([]);
    expect(await fingerprint(s.id)).toEqual(before);
  });

  it('the lifecycle mutations, the preview and advanceTestClock are refused over the WebSocket (only subscriptions run there)', async () => {
    const s = await yearly(2);
    const before = await fingerprint(s.id);
    const sent: [string, string, Record<string, unknown>][] = [...operations(s.id), ['advanceTestClock', Q.advance, { by: 'P1D' }]];
    const timeBefore = await serverTime();
    const failures: unknown[] = [];
    for (const [name, query, variables] of sent) {
      const token = name === 'advanceTestClock' ? operator : provider.token;
      const answer = await firstAnswerOverSocket(t.ws(token), query, variables);
      const message = JSON.stringify(answer.errors ?? answer);
      if (answer.data || !/Only subscriptions run over WebSocket/.test(message)) failures.push({ name, answer });
    }
    expect(failures).toEqual([]);
    expect(await fingerprint(s.id)).toEqual(before);
    expect((await serverTime()) - timeBefore).toBeLessThan(DAY_MS);
  });
});

describe('the test clock', () => {
  /** A server of its own: these tests move its clock far, or to a given date. */
  let c: TestServer;
  beforeAll(async () => {
    c = await startTestServer({ TEST_CLOCK: 'true', MAX_QUERY_COMPLEXITY: '1000000', ...UNBUDGETED });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("is moved only by the operator: a partner's admin, a customer's admin, a sales agent and anonymous callers are refused and the clock stays", async () => {
    const start = await serverTime(c);
    const p = await createPartner(c, 'DIRECT_RESELLER');
    const customer = (await createCustomer(c, p.token)).id;
    for (const [token, code] of [
      [p.token, 'FORBIDDEN'],
      [await c.tokens.partner(p.id, Role.SALES_AGENT), 'FORBIDDEN'],
      [await c.tokens.customer(customer), 'FORBIDDEN'],
      [undefined, 'UNAUTHENTICATED'],
    ] as const) {
      expect(await outcome(token, Q.advance, { by: 'P1D' }, c)).toMatchObject({ code });
    }
    expect((await serverTime(c)) - start).toBeLessThan(DAY_MS);
  });

  it('odd durations are BAD_USER_INPUT naming input.by and do not move it: P9999Y, P-1D, PT0S, over ten years, fractions, lower case, spaces', async () => {
    const start = await serverTime(c);
    const failures: unknown[] = [];
    for (const by of [
      'P9999Y',
      'P11Y',
      'P10Y1D',
      'P3660D',
      'P-1D',
      '-P1D',
      'PT0S',
      'P0D',
      'P0Y0M0DT0H0M0S',
      'P1.5D',
      'p1d',
      'P 1D',
      'P1D\u200B',
      'PT99999999S',
      'P1Y'.repeat(20),
      'P1DT',
    ]) {
      const got = await outcome(operator, Q.advance, { by }, c);
      const fields = (await call(operator, Q.advance, { by }, c)).errors?.[0].extensions?.fields;
      if (got.code !== 'BAD_USER_INPUT' || got.status >= 500 || !JSON.stringify(fields).includes('input.by')) failures.push({ by, got, fields });
    }
    expect(failures).toEqual([]);
    expect((await serverTime(c)) - start).toBeLessThan(DAY_MS);
  });

  it('20 advances of P1D at once add up to 20 days, each audited as its own step (the steps chain, none overlaps)', async () => {
    const start = await serverTime(c);
    const answers = await Promise.all(Array.from({ length: 20 }, () => outcome(operator, Q.advance, { by: 'P1D' }, c)));
    expect(answers.filter((a) => a.code !== 'ok')).toEqual([]);
    const end = await serverTime(c);
    expect(end - start).toBeGreaterThanOrEqual(20 * DAY_MS);
    expect(end - start).toBeLessThan(21 * DAY_MS);
    // each audit record says where that advance took the clock from and to: 20 steps of a day that do not overlap
    const { activities } = await ok<{ activities: { edges: { node: { action: string; changes: { field: string; before: string; after: string }[] } }[] } }>(
      operator,
      Q.activities,
      { filter: { actions: ['TEST_CLOCK_ADVANCED'], from: new Date(start - MINUTE_MS).toISOString() } },
      c,
    );
    const steps = activities.edges
      .map((e) => e.node.changes.find((x) => x.field === 'now')!)
      .map((x) => ({ from: Date.parse(JSON.parse(x.before) as string), to: Date.parse(JSON.parse(x.after) as string) }))
      .filter((x) => x.from >= start)
      .sort((a, b) => a.from - b.from);
    expect(steps).toHaveLength(20);
    for (const step of steps) expect(step.to - step.from).toBe(DAY_MS);
    const overlaps = steps.filter((step, i) => i > 0 && step.from < steps[i - 1].to);
    expect(overlaps).toEqual([]);
  });

  it('P1M from the 31st of January ends on the last day of February, as a monthly term does', async () => {
    const now = new Date(await serverTime(c));
    const target = Date.UTC(now.getUTCFullYear() + 1, 0, 31, 12, 0, 0);
    await advanceTo(target, c);
    const at = new Date(await serverTime(c));
    expect([at.getUTCMonth(), at.getUTCDate()]).toEqual([0, 31]);
    const { previous, now: after } = await advance('P1M', c);
    const from = new Date(previous);
    const lastOfFebruary = new Date(Date.UTC(from.getUTCFullYear(), 2, 0)).getUTCDate();
    expect([new Date(after).getUTCMonth(), new Date(after).getUTCDate()]).toEqual([1, lastOfFebruary]);
  }, 60_000);

  it('production refuses to start with TEST_CLOCK=true, saying so', async () => {
    const db = { DB_TYPE: 'sqlite', SQLITE_PATH: ':memory:' };
    await expect(spawnServer(db, { APP_ENV: 'production', TEST_CLOCK: 'true', WEBHOOK_SECRET_KEY: 'w'.repeat(40) })).rejects.toThrow(/TEST_CLOCK/);
  }, 60_000);
});
