/**
 * Issue 23's acceptance: a subscription over its whole life (the 7-day windows, cancellation with a
 * prorated refund, suspension, scheduled changes, renewal and expiry, reminders, upgrades, history,
 * who may do what), driven only through GraphQL, with time moved by the test clock (advanceTestClock).
 * One database for the file: the clock only moves forward, so each test makes its own customer and
 * subscriptions and counts days from their creation.
 */
import { Role } from '../src/common/auth/roles';
import { ConfigError, loadConfig } from '../src/common/config';
import type { TestClock } from '../src/modules/clock/test-clock';
import { gqlOn, type Money, SCHEDULED, SUB, type Sub } from './support/subscriptions';
import { createCustomer, createPartner, type TestPartner } from './support/factories';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer } from './support/test-server';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

// ---------------------------------------------------------------- GraphQL calls

let t: TestServer;
const { call, ok } = gqlOn(() => t);
let seller: TestPartner;

/** The operation's first error (code and message); fails if it succeeded. */
async function refused(token: string, query: string, variables: Record<string, unknown> = {}, server = t): Promise<{ code?: string; message: string }> {
  const res = await call(token, query, variables, server);
  if (!res.errors?.length) throw new Error(`expected an error, got ${JSON.stringify(res.data)}`);
  return { code: res.errors[0].extensions?.code, message: res.errors[0].message };
}

const Q = {
  create: `mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { ${SUB} } } }`,
  update: `mutation($input: UpdateSubscriptionInput!) { updateSubscription(input: $input) { subscription { ${SUB} } removedScheduledChange { ${SCHEDULED} } } }`,
  cancel: `mutation($input: CancelSubscriptionInput!) { cancelSubscription(input: $input) { subscription { ${SUB} } refund { amount currency } } }`,
  suspend: `mutation($input: SuspendSubscriptionInput!) { suspendSubscription(input: $input) { subscription { ${SUB} } removedScheduledChange { ${SCHEDULED} } } }`,
  reactivate: `mutation($input: ReactivateSubscriptionInput!) { reactivateSubscription(input: $input) { subscription { ${SUB} } removedScheduledChange { ${SCHEDULED} } } }`,
  autoRenew: `mutation($input: SetSubscriptionAutoRenewInput!) { setSubscriptionAutoRenew(input: $input) { subscription { ${SUB} } removedScheduledChange { ${SCHEDULED} } } }`,
  schedule: `mutation($input: ScheduleSubscriptionChangeInput!) { scheduleSubscriptionChange(input: $input) { subscription { ${SUB} } removedScheduledChange { ${SCHEDULED} } } }`,
  unschedule: `mutation($input: CancelScheduledSubscriptionChangeInput!) { cancelScheduledSubscriptionChange(input: $input) { subscription { ${SUB} } removedScheduledChange { ${SCHEDULED} } } }`,
  upgrade: `mutation($input: UpgradeSubscriptionInput!) { upgradeSubscription(input: $input) { subscription { ${SUB} } previousSubscription { ${SUB} } customer { id } removedScheduledChange { ${SCHEDULED} } } }`,
  preview: `query($id: ID!) { cancellationPreview(subscriptionId: $id) { subscription { id } cancellable refund { amount currency } unusedDays termDays cancellableUntil reason } }`,
  upgrades: `query($id: ID!) { subscriptionUpgrades(subscriptionId: $id) { id } }`,
  subscription: `query($id: ID!) { node(id: $id) { ... on CustomerSubscription { ${SUB} } } }`,
  subscriptionCount: `query($id: ID!) { customer(id: $id) { subscriptions(first: 1) { totalCount } } }`,
  history: `query($id: ID!) { node(id: $id) { ... on CustomerSubscription { history(first: 30) { totalCount edges { node {
    action occurredAt actor { userId roles partnerId } details changes { field before after } } } } } } }`,
  events: `query($filter: EventFilter) { events(first: 100, filter: $filter) { totalCount edges { node {
    type subscriptionId occurredAt actor { userId }
    ... on SubscriptionRenewedEvent { previousTermEndsAt scheduledChangeApplied subscription { quantity termDuration billingFrequency termStartsAt termEndsAt } }
    ... on SubscriptionExpiringEvent { daysBefore }
    ... on SubscriptionScheduledChangeCancelledEvent { cancelledBy scheduledChange { quantity } } } } } }`,
  offers: `{ offers { id terms { termDuration billingFrequency unitPrice { amount currency } } } }`,
  serverTime: `{ serverTime }`,
  advance: `mutation($by: String!) { advanceTestClock(input: { by: $by }) { previous now } }`,
};

const create = async (input: Record<string, unknown>, token = seller.token) =>
  (await ok<{ createSubscription: { subscription: Sub } }>(token, Q.create, { input })).createSubscription.subscription;
const update = async (subscriptionId: string, quantity: number, token = seller.token) =>
  (
    await ok<{ updateSubscription: { subscription: Sub; removedScheduledChange: Sub['scheduledChange'] } }>(token, Q.update, {
      input: { subscriptionId, quantity },
    })
  ).updateSubscription;
const schedule = async (input: Record<string, unknown>, token = seller.token) =>
  (await ok<{ scheduleSubscriptionChange: { subscription: Sub } }>(token, Q.schedule, { input })).scheduleSubscriptionChange.subscription;
const suspend = async (subscriptionId: string, reason: string, token = seller.token) =>
  (
    await ok<{ suspendSubscription: { subscription: Sub; removedScheduledChange: Sub['scheduledChange'] } }>(token, Q.suspend, {
      input: { subscriptionId, reason },
    })
  ).suspendSubscription;
const reactivate = async (subscriptionId: string, token = seller.token) =>
  (
    await ok<{ reactivateSubscription: { subscription: Sub; removedScheduledChange: Sub['scheduledChange'] } }>(token, Q.reactivate, {
      input: { subscriptionId },
    })
  ).reactivateSubscription;
const cancel = async (subscriptionId: string, reason: string, token = seller.token) =>
  (await ok<{ cancelSubscription: { subscription: Sub; refund: Money } }>(token, Q.cancel, { input: { subscriptionId, reason } })).cancelSubscription;
const preview = async (id: string, token = seller.token) =>
  (
    await ok<{
      cancellationPreview: {
        subscription: { id: string };
        cancellable: boolean;
        refund: Money | null;
        unusedDays: number;
        termDays: number;
        cancellableUntil: string;
        reason: string | null;
      };
    }>(token, Q.preview, { id })
  ).cancellationPreview;
const read = async (id: string, token = seller.token, server = t) => (await ok<{ node: Sub }>(token, Q.subscription, { id }, server)).node;
const subscriptionCount = async (customerId: string, token = seller.token) =>
  (await ok<{ customer: { subscriptions: { totalCount: number } } }>(token, Q.subscriptionCount, { id: customerId })).customer.subscriptions.totalCount;

interface Activity {
  action: string;
  occurredAt: string;
  actor: { userId: string; roles: string[]; partnerId: string | null };
  details: string | null;
  changes: { field: string; before: string | null; after: string | null }[];
}
const history = async (id: string) =>
  (await ok<{ node: { history: { totalCount: number; edges: { node: Activity }[] } } }>(seller.token, Q.history, { id })).node.history.edges.map((e) => e.node);

interface Ev {
  type: string;
  subscriptionId: string | null;
  occurredAt: string;
  actor: { userId: string } | null;
  previousTermEndsAt?: string;
  scheduledChangeApplied?: boolean;
  subscription?: { quantity: number; termDuration: string; billingFrequency: string; termStartsAt: string; termEndsAt: string };
  daysBefore?: number;
  cancelledBy?: string;
  scheduledChange?: { quantity: number };
}
/** The seller's events of these types about one subscription (its customer's, filtered by subscriptionId). */
async function events(customerId: string, subscriptionId: string, types: string[], server = t): Promise<Ev[]> {
  const { events: page } = await ok<{ events: { totalCount: number; edges: { node: Ev }[] } }>(
    seller.token,
    Q.events,
    { filter: { customerId, types } },
    server,
  );
  expect(page.totalCount).toBeLessThan(100);
  return page.edges.map((e) => e.node).filter((e) => e.subscriptionId === subscriptionId);
}

async function serverTime(server = t): Promise<number> {
  return Date.parse((await ok<{ serverTime: string }>(seller.token, Q.serverTime, {}, server)).serverTime);
}

/** Moves the test clock forward by an ISO 8601 duration (the sweep runs before it answers); the new time. */
async function advance(by: string, server = t): Promise<number> {
  const { advanceTestClock } = await ok<{ advanceTestClock: { previous: string; now: string } }>(await server.tokens.operator(), Q.advance, { by }, server);
  return Date.parse(advanceTestClock.now);
}

/** Moves the test clock to just after `target` (ms). */
async function advanceTo(target: number, server = t): Promise<number> {
  const seconds = Math.ceil((target - (await serverTime(server))) / 1000);
  if (seconds <= 0) throw new Error(`the clock is already past ${new Date(target).toISOString()}`);
  return advance(`P${Math.floor(seconds / 86400)}DT${seconds % 86400}S`, server);
}

/** The end of a term of `months` starting at `start`, as the calendar counts it (the 31st of January plus a month: the 28th or 29th of February). */
function addMonths(start: string, months: number): string {
  const from = new Date(start);
  const end = new Date(from.getTime());
  end.setUTCDate(1);
  end.setUTCMonth(end.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate();
  end.setUTCDate(Math.min(from.getUTCDate(), lastDay));
  return end.toISOString();
}

const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/** The catalog price of one licence for a term, in cents. */
async function unitPriceCents(offerId: string, termDuration: string, billingFrequency: string): Promise<{ cents: bigint; currency: string }> {
  const { offers } = await ok<{ offers: { id: string; terms: { termDuration: string; billingFrequency: string; unitPrice: Money }[] }[] }>(
    seller.token,
    Q.offers,
  );
  const term = offers.find((o) => o.id === offerId)!.terms.find((r) => r.termDuration === termDuration && r.billingFrequency === billingFrequency)!;
  const [whole, fraction = ''] = term.unitPrice.amount.split('.');
  return { cents: BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0')), currency: term.unitPrice.currency };
}

/** cents as a decimal string: 50124n → "501.24" */
const decimal = (cents: bigint) => `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;

/** numerator / denominator, rounded half up (positive integers). */
const roundHalfUp = (numerator: bigint, denominator: bigint) => (2n * numerator + denominator) / (2n * denominator);

/** Named operations (query, variables). */
type Calls = Record<string, [string, Record<string, unknown>]>;

/** Each operation's error code, one after the other (fails on one that succeeds). */
async function errorCodes(token: string, calls: Calls): Promise<Record<string, string | undefined>> {
  const codes: Record<string, string | undefined> = {};
  for (const [name, [query, variables]] of Object.entries(calls)) codes[name] = (await refused(token, query, variables)).code;
  return codes;
}

const everyOne = (calls: Calls, code: string) => Object.fromEntries(Object.keys(calls).map((name) => [name, code]));

const newCustomer = async (token = seller.token) => (await createCustomer(t, token)).id;

const yearly = (customerId: string, quantity: number, token = seller.token) =>
  create({ customerId, offerId: 'm365-business-basic', quantity, termDuration: 'P1Y', billingFrequency: 'ANNUAL' }, token);

// ---------------------------------------------------------------- the server

beforeAll(async () => {
  t = await startTestServer({ TEST_CLOCK: 'true' });
  seller = await createPartner(t, 'DIRECT_RESELLER');
});
afterAll(() => t.stop());

describe('subscription lifecycle, with the test clock', () => {
  it('1. reduces licences bought at day 0 at day 3; at day 8 it is CONFLICT, saying until when what could be reduced', async () => {
    const customerId = await newCustomer();
    const s = await yearly(customerId, 10);
    expect(s).toMatchObject({ status: 'ACTIVE', quantity: 10, termDuration: 'P1Y', billingFrequency: 'ANNUAL', autoRenew: true });
    expect(s.cancellableUntil).toBe(plus(s.termStartsAt, 168 * HOUR_MS));
    expect(s.termEndsAt).toBe(addMonths(s.termStartsAt, 12));

    await advance('P3D');
    expect((await update(s.id, 8)).subscription.quantity).toBe(8);

    await advance('P5D');
    const refusal = await refused(seller.token, Q.update, { input: { subscriptionId: s.id, quantity: 7 } });
    expect(refusal.code).toBe('CONFLICT');
    expect(refusal.message).toContain('no licences can be reduced now');
    expect(refusal.message).toContain(`the last window closed at ${s.cancellableUntil}`);
    expect((await read(s.id)).quantity).toBe(8);
    // an increase is possible any time while ACTIVE
    expect((await update(s.id, 9)).subscription.quantity).toBe(9);
  });

  it('2. licences added at day 10 can be reduced until day 17, the day-0 ones not', async () => {
    const customerId = await newCustomer();
    const s = await yearly(customerId, 10);
    await advance('P10D');
    const increased = (await update(s.id, 15)).subscription;
    expect(increased.quantity).toBe(15);
    const until = plus(increased.updatedAt, 168 * HOUR_MS);

    // the 5 added can go, not a sixth of the day-0 ones
    const tooMany = await refused(seller.token, Q.update, { input: { subscriptionId: s.id, quantity: 9 } });
    expect(tooMany.code).toBe('CONFLICT');
    expect(tooMany.message).toContain('only 5 of the 6 licences can be reduced now');
    expect(tooMany.message).toContain(`5 until ${until}`);

    await advance('P6D'); // day 16
    expect((await update(s.id, 14)).subscription.quantity).toBe(14);

    await advance('P1DT1M'); // just after day 17
    const late = await refused(seller.token, Q.update, { input: { subscriptionId: s.id, quantity: 13 } });
    expect(late.code).toBe('CONFLICT');
    expect(late.message).toContain(`the last window closed at ${until}`);
    expect((await read(s.id)).quantity).toBe(14);
  });

  it('3. a cancellation at day 2 refunds the prorated amount (as previewed); at day 8 it is CONFLICT', async () => {
    const customerId = await newCustomer();
    const quantity = 7;
    const s = await yearly(customerId, quantity);
    const late = await yearly(customerId, 3);
    const { cents, currency } = await unitPriceCents('m365-business-basic', 'P1Y', 'ANNUAL');
    const termDays = Math.round((Date.parse(s.termEndsAt) - Date.parse(s.termStartsAt)) / DAY_MS);
    expect([365, 366]).toContain(termDays);

    await advance('P2D');
    const unusedDays = termDays - 2;
    const refund = { amount: decimal(roundHalfUp(cents * BigInt(quantity) * BigInt(unusedDays), BigInt(termDays))), currency };
    expect(refund.amount).toBe(termDays === 365 ? '501.24' : '501.25');

    expect(await preview(s.id)).toEqual({
      subscription: { id: s.id },
      cancellable: true,
      refund,
      unusedDays,
      termDays,
      cancellableUntil: s.cancellableUntil,
      reason: null,
    });
    const cancelled = await cancel(s.id, 'Ordered the wrong plan');
    expect(cancelled.refund).toEqual(refund);
    expect(cancelled.subscription).toMatchObject({ id: s.id, status: 'CANCELLED', scheduledChange: null });
    expect(cancelled.subscription.endedAt).not.toBeNull();
    expect((await preview(s.id)).cancellable).toBe(false);

    await advance('P6D'); // day 8
    const verdict = await preview(late.id);
    expect(verdict).toMatchObject({ cancellable: false, refund: null, cancellableUntil: late.cancellableUntil, termDays });
    expect(verdict.reason).toContain(`until ${late.cancellableUntil}`);
    const refusal = await refused(seller.token, Q.cancel, { input: { subscriptionId: late.id, reason: 'Too late' } });
    expect(refusal).toEqual({ code: 'CONFLICT', message: verdict.reason });
    expect((await read(late.id)).status).toBe('ACTIVE');
  });

  it('4. suspension removes the scheduled change and blocks changes until reactivation', async () => {
    const customerId = await newCustomer();
    const s = await yearly(customerId, 10);
    const scheduled = await schedule({ subscriptionId: s.id, quantity: 12 });
    expect(scheduled.scheduledChange).toEqual({ quantity: 12, termDuration: 'P1Y', billingFrequency: 'ANNUAL', offer: { id: 'm365-business-basic' } });

    const suspended = await suspend(s.id, 'Payment overdue');
    expect(suspended.subscription).toMatchObject({ status: 'SUSPENDED', scheduledChange: null, quantity: 10 });
    expect(suspended.removedScheduledChange).toEqual(scheduled.scheduledChange);
    const removedEvents = await events(customerId, s.id, ['SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED']);
    expect(removedEvents).toEqual([
      expect.objectContaining({ type: 'SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED', cancelledBy: 'CHANGE', scheduledChange: { quantity: 12 } }),
    ]);
    expect(await events(customerId, s.id, ['SUBSCRIPTION_SUSPENDED'])).toHaveLength(1);

    for (const [query, input] of [
      [Q.update, { subscriptionId: s.id, quantity: 11 }],
      [Q.update, { subscriptionId: s.id, quantity: 9 }],
      [Q.schedule, { subscriptionId: s.id, quantity: 12 }],
    ] as const) {
      expect((await refused(seller.token, query, { input })).code).toBe('CONFLICT');
    }
    expect(await read(s.id)).toMatchObject({ status: 'SUSPENDED', quantity: 10, scheduledChange: null });

    const reactivated = await reactivate(s.id);
    expect(reactivated).toMatchObject({ subscription: { status: 'ACTIVE', quantity: 10 }, removedScheduledChange: null });
    expect(await events(customerId, s.id, ['SUBSCRIPTION_REACTIVATED'])).toHaveLength(1);
    expect((await update(s.id, 11)).subscription.quantity).toBe(11);
    expect((await schedule({ subscriptionId: s.id, quantity: 12 })).scheduledChange).toMatchObject({ quantity: 12 });
  });

  it('4b. a payload names the scheduled change it replaced (a new schedule) or removed (an upgrade)', async () => {
    const customerId = await newCustomer();
    const s = await yearly(customerId, 10);
    await schedule({ subscriptionId: s.id, quantity: 12 });
    const replaced = await ok<{ scheduleSubscriptionChange: { subscription: Sub; removedScheduledChange: Sub['scheduledChange'] } }>(seller.token, Q.schedule, {
      input: { subscriptionId: s.id, quantity: 14 },
    });
    expect(replaced.scheduleSubscriptionChange.removedScheduledChange).toEqual({
      quantity: 12,
      termDuration: 'P1Y',
      billingFrequency: 'ANNUAL',
      offer: { id: s.offer.id },
    });
    expect(replaced.scheduleSubscriptionChange.subscription.scheduledChange).toMatchObject({ quantity: 14 });
    const upgraded = await ok<{ upgradeSubscription: { previousSubscription: Sub; removedScheduledChange: Sub['scheduledChange'] } }>(seller.token, Q.upgrade, {
      input: { subscriptionId: s.id, targetOfferId: 'm365-business-premium' },
    });
    expect(upgraded.upgradeSubscription.removedScheduledChange).toMatchObject({ quantity: 14 });
    expect(upgraded.upgradeSubscription.previousSubscription.scheduledChange).toBeNull();
  });

  it('5. a scheduled change of quantity and term is applied at renewal exactly once, with two servers sweeping', async () => {
    const customerId = await newCustomer();
    const s = await create({ customerId, offerId: 'm365-business-standard', quantity: 5, termDuration: 'P1M', billingFrequency: 'MONTHLY' });
    const scheduled = await schedule({ subscriptionId: s.id, quantity: 8, termDuration: 'P1Y', billingFrequency: 'ANNUAL' });
    expect(scheduled.scheduledChange).toEqual({ quantity: 8, termDuration: 'P1Y', billingFrequency: 'ANNUAL', offer: { id: 'm365-business-standard' } });

    const t2 = await startTestServer({ TEST_CLOCK: 'true' }, { sameDatabaseAs: t });
    try {
      // both servers answer the clock as the last advance left it, whichever made it
      for (const [mover, other] of [
        [t, t2],
        [t2, t],
      ]) {
        const moved = await advance('PT1H', mover);
        const a = await serverTime(other);
        const b = await serverTime(mover);
        const c = await serverTime(other);
        expect(a).toBeGreaterThanOrEqual(moved);
        expect(b).toBeGreaterThanOrEqual(a);
        expect(c).toBeGreaterThanOrEqual(b);
      }

      // one server moves the clock to a minute before the term end (its sweep finds nothing due); then the shared
      // clock moves past the end as advanceTestClock moves it, but without its sweep, and both servers sweep at once, twice each
      const end = Date.parse(s.termEndsAt);
      await advanceTo(end - 60_000, t2);
      expect(await read(s.id)).toMatchObject({ termEndsAt: s.termEndsAt, quantity: 5 });
      const clock = t2.server.deps.clock as TestClock;
      await t2.server.ds.transaction((em) => clock.advance(em, (from) => end + 1000 - from.getTime()));
      expect(await serverTime(t)).toBeGreaterThan(end);
      const swept = await Promise.all([t, t2, t, t2].map((server) => server.server.services.sweeps.run()));
      expect(swept.map((run) => (run.subscription as { renewed: number }).renewed).reduce((a, b) => a + b)).toBe(1);
      await Promise.all([t.server.services.sweeps.run(), t2.server.services.sweeps.run()]);

      const renewed = await read(s.id, seller.token, t2);
      expect(renewed).toMatchObject({
        status: 'ACTIVE',
        quantity: 8,
        termDuration: 'P1Y',
        billingFrequency: 'ANNUAL',
        termStartsAt: s.termEndsAt,
        termEndsAt: addMonths(s.termEndsAt, 12),
        cancellableUntil: plus(s.termEndsAt, 168 * HOUR_MS),
        scheduledChange: null,
      });
      const renewals = await events(customerId, s.id, ['SUBSCRIPTION_RENEWED']);
      expect(renewals).toEqual([
        expect.objectContaining({
          actor: null,
          previousTermEndsAt: s.termEndsAt,
          scheduledChangeApplied: true,
          subscription: { quantity: 8, termDuration: 'P1Y', billingFrequency: 'ANNUAL', termStartsAt: s.termEndsAt, termEndsAt: renewed.termEndsAt },
        }),
      ]);
      expect((await history(s.id)).filter((a) => a.action === 'SUBSCRIPTION_RENEWED')).toHaveLength(1);
    } finally {
      await t2.stop();
    }
  });

  it('6. without autoRenew it expires at the term end', async () => {
    const customerId = await newCustomer();
    const s = await create({ customerId, offerId: 'm365-business-basic', quantity: 2, termDuration: 'P1M', billingFrequency: 'MONTHLY', autoRenew: false });
    expect(s.autoRenew).toBe(false);
    await advance('P1MT1H');
    expect(await read(s.id)).toMatchObject({ status: 'EXPIRED', endedAt: s.termEndsAt, termEndsAt: s.termEndsAt, quantity: 2 });
    expect(await events(customerId, s.id, ['SUBSCRIPTION_EXPIRED'])).toHaveLength(1);
    expect(await events(customerId, s.id, ['SUBSCRIPTION_RENEWED'])).toHaveLength(0);
  });

  it('7. a P1Y term gets one reminder each at 30, 7 and 1 days before its end; a P1M term none', async () => {
    const customerId = await newCustomer();
    const year = await yearly(customerId, 4);
    const month = await create({ customerId, offerId: 'm365-business-basic', quantity: 4, termDuration: 'P1M', billingFrequency: 'MONTHLY' });
    const end = Date.parse(year.termEndsAt);
    const reminders = async () => (await events(customerId, year.id, ['SUBSCRIPTION_EXPIRING'])).map((e) => e.daysBefore);

    await advanceTo(end - 31 * DAY_MS);
    expect(await reminders()).toEqual([]);
    await advanceTo(end - 30 * DAY_MS + 60_000);
    expect(await reminders()).toEqual([30]);
    await advance('P1D'); // still in the 30-day window
    expect(await reminders()).toEqual([30]);
    await advanceTo(end - 7 * DAY_MS + 60_000);
    expect(await reminders()).toEqual([30, 7]);
    await advance('P2D');
    expect(await reminders()).toEqual([30, 7]);
    await advanceTo(end - DAY_MS + 60_000);
    expect(await reminders()).toEqual([30, 7, 1]);
    await advance('PT12H');
    expect(await reminders()).toEqual([30, 7, 1]);

    expect(await events(customerId, month.id, ['SUBSCRIPTION_EXPIRING'])).toEqual([]);
    // the monthly one renewed term after term meanwhile, without a reminder
    expect((await events(customerId, month.id, ['SUBSCRIPTION_RENEWED'])).length).toBeGreaterThanOrEqual(10);
    expect(await read(year.id)).toMatchObject({ status: 'ACTIVE', termEndsAt: year.termEndsAt });
  });

  it('8. an upgrade ends one and starts the other atomically; of 20 concurrent upgrades or cancellations one succeeds', async () => {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    await partner(t, provider, reseller);
    const customerId = await newCustomer(provider.token);
    const token = provider.token;
    const s = await create(
      {
        customerId,
        offerId: 'm365-business-basic',
        quantity: 10,
        termDuration: 'P1Y',
        billingFrequency: 'ANNUAL',
        resellerId: reseller.id,
        supportContactId: reseller.id,
      },
      token,
    );
    expect((await ok<{ subscriptionUpgrades: { id: string }[] }>(token, Q.upgrades, { id: s.id })).subscriptionUpgrades).toEqual([
      { id: 'm365-business-standard' },
      { id: 'm365-business-premium' },
    ]);

    await advance('P1D');
    const { upgradeSubscription: up } = await ok<{ upgradeSubscription: { subscription: Sub; previousSubscription: Sub; customer: { id: string } } }>(
      token,
      Q.upgrade,
      { input: { subscriptionId: s.id, targetOfferId: 'm365-business-premium' } },
    );
    const next = up.subscription;
    expect(up.previousSubscription).toMatchObject({ id: s.id, status: 'CANCELLED', upgradedTo: { id: next.id }, scheduledChange: null });
    expect(next).toMatchObject({
      status: 'ACTIVE',
      offer: { id: 'm365-business-premium' },
      quantity: 10,
      termDuration: 'P1Y',
      billingFrequency: 'ANNUAL',
      autoRenew: true,
      upgradedFrom: { id: s.id },
      upgradedTo: null,
      reseller: { id: reseller.id },
      supportContact: { id: reseller.id },
      termStartsAt: up.previousSubscription.endedAt,
      termEndsAt: addMonths(next.termStartsAt, 12),
      cancellableUntil: plus(next.termStartsAt, 168 * HOUR_MS),
    });
    expect(Date.parse(next.termStartsAt)).toBeGreaterThanOrEqual(Date.parse(s.termStartsAt) + DAY_MS);
    expect(up.customer.id).toBe(customerId);
    // the same seller: only the seller may change (and preview cancelling) a subscription
    expect((await preview(next.id, token)).cancellable).toBe(true);
    expect((await refused(reseller.token, Q.preview, { id: next.id })).code).toBe('NOT_FOUND');
    const upgradedEvents = await ok<{ events: { edges: { node: Ev }[] } }>(token, Q.events, { filter: { customerId, types: ['SUBSCRIPTION_UPGRADED'] } });
    expect(upgradedEvents.events.edges.map((e) => e.node.subscriptionId)).toEqual([s.id]);

    // 20 at once, upgrades and cancellations mixed: one wins, the others are CONFLICT
    const raced = async (calls: (i: number) => [string, Record<string, unknown>]) => {
      const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => call<Record<string, unknown>>(token, ...calls(i))));
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
      const won = responses.filter((r) => !r.errors?.length);
      expect(won).toHaveLength(1);
      expect(responses.filter((r) => r.errors?.length).map((r) => r.errors![0].extensions?.code)).toEqual(Array(19).fill('CONFLICT'));
      return won[0].data!;
    };
    const mixed = await yearly(customerId, 3, token);
    const before = await subscriptionCount(customerId, token);
    const winner = await raced((i) =>
      i % 2 === 0
        ? [Q.upgrade, { input: { subscriptionId: mixed.id, targetOfferId: 'm365-business-standard' } }]
        : [Q.cancel, { input: { subscriptionId: mixed.id, reason: `Race ${i}` } }],
    );
    const after = await read(mixed.id, token);
    expect(after.status).toBe('CANCELLED');
    if ('upgradeSubscription' in winner) {
      expect(after.upgradedTo).not.toBeNull();
      expect(await subscriptionCount(customerId, token)).toBe(before + 1);
    } else {
      expect(after.upgradedTo).toBeNull();
      expect(await subscriptionCount(customerId, token)).toBe(before);
    }

    // 20 upgrades at once: exactly one new subscription
    const once = await yearly(customerId, 3, token);
    const count = await subscriptionCount(customerId, token);
    const won = (await raced(() => [Q.upgrade, { input: { subscriptionId: once.id, targetOfferId: 'm365-business-standard' } }])) as {
      upgradeSubscription: { subscription: Sub };
    };
    expect(await subscriptionCount(customerId, token)).toBe(count + 1);
    expect(await read(once.id, token)).toMatchObject({ status: 'CANCELLED', upgradedTo: { id: won.upgradeSubscription.subscription.id } });
  });

  it('9. history lists every step with its actor and reason', async () => {
    const customerId = await newCustomer();
    const alice = await t.tokens.partner(seller.id, Role.GLOBAL_ADMIN, 'alice@seller.example');
    const bob = await t.tokens.partner(seller.id, Role.ADMIN_AGENT, 'bob@seller.example');
    const s = await yearly(customerId, 10);
    // (created by the factory's GLOBAL_ADMIN token)
    await update(s.id, 12, bob);
    await schedule({ subscriptionId: s.id, quantity: 15, termDuration: 'P3Y', billingFrequency: 'ANNUAL' }, alice);
    await suspend(s.id, 'Payment overdue since March', bob);
    await reactivate(s.id, alice);
    await ok(alice, Q.autoRenew, { input: { subscriptionId: s.id, autoRenew: false } });
    await cancel(s.id, 'Customer is moving to another plan', bob);

    const steps = await history(s.id);
    expect(steps.map((a) => [a.action, a.actor.userId])).toEqual([
      ['SUBSCRIPTION_CREATED', `user-global_admin-${seller.id.slice(-6)}`],
      ['SUBSCRIPTION_UPDATED', 'bob@seller.example'],
      ['SUBSCRIPTION_SCHEDULED_CHANGE_SET', 'alice@seller.example'],
      ['SUBSCRIPTION_SUSPENDED', 'bob@seller.example'],
      ['SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED', 'bob@seller.example'],
      ['SUBSCRIPTION_REACTIVATED', 'alice@seller.example'],
      ['SUBSCRIPTION_UPDATED', 'alice@seller.example'],
      ['SUBSCRIPTION_CANCELLED', 'bob@seller.example'],
    ]);
    expect(steps.every((a) => a.actor.partnerId === seller.id)).toBe(true);
    expect(steps[1].actor.roles).toEqual(['ADMIN_AGENT']);
    const change = (a: Activity, field: string) => a.changes.find((c) => c.field === field);
    expect(change(steps[1], 'quantity')).toEqual({ field: 'quantity', before: '10', after: '12' });
    expect(JSON.parse(steps[2].details!)).toMatchObject({ quantity: 15, termDuration: 'P3Y', billingFrequency: 'ANNUAL' });
    expect(JSON.parse(steps[3].details!)).toMatchObject({ reason: 'Payment overdue since March' });
    expect(change(steps[3], 'status')).toEqual({ field: 'status', before: '"ACTIVE"', after: '"SUSPENDED"' });
    expect(change(steps[5], 'status')).toEqual({ field: 'status', before: '"SUSPENDED"', after: '"ACTIVE"' });
    expect(change(steps[6], 'autoRenew')).toEqual({ field: 'autoRenew', before: 'true', after: 'false' });
    expect(JSON.parse(steps[7].details!)).toMatchObject({ reason: 'Customer is moving to another plan' });
    expect(change(steps[7], 'status')).toEqual({ field: 'status', before: '"ACTIVE"', after: '"CANCELLED"' });
  });

  it('10. a SALES_AGENT creates and increases only; another partner gets NOT_FOUND on every lifecycle operation', async () => {
    const customerId = await newCustomer();
    const sales = await t.tokens.partner(seller.id, Role.SALES_AGENT);
    const s = await create({ customerId, offerId: 'm365-business-basic', quantity: 5, termDuration: 'P1Y', billingFrequency: 'ANNUAL' }, sales);
    expect((await update(s.id, 7, sales)).subscription.quantity).toBe(7);
    const id = s.id;
    const managerOnly: Calls = {
      decrease: [Q.update, { input: { subscriptionId: id, quantity: 6 } }],
      cancelSubscription: [Q.cancel, { input: { subscriptionId: id, reason: 'No' } }],
      suspendSubscription: [Q.suspend, { input: { subscriptionId: id, reason: 'No' } }],
      reactivateSubscription: [Q.reactivate, { input: { subscriptionId: id } }],
      setSubscriptionAutoRenew: [Q.autoRenew, { input: { subscriptionId: id, autoRenew: false } }],
      scheduleSubscriptionChange: [Q.schedule, { input: { subscriptionId: id, quantity: 9 } }],
      cancelScheduledSubscriptionChange: [Q.unschedule, { input: { subscriptionId: id } }],
      upgradeSubscription: [Q.upgrade, { input: { subscriptionId: id, targetOfferId: 'm365-business-standard' } }],
    };
    expect(await errorCodes(sales, managerOnly)).toEqual(everyOne(managerOnly, 'FORBIDDEN'));
    expect(await preview(id, sales)).toMatchObject({ cancellable: false, refund: null, reason: expect.stringContaining('GLOBAL_ADMIN or ADMIN_AGENT') });

    await schedule({ subscriptionId: id, quantity: 9 });
    const stranger = await createPartner(t, 'DIRECT_RESELLER');
    const everything: Calls = {
      ...managerOnly,
      increase: [Q.update, { input: { subscriptionId: id, quantity: 8 } }],
      cancellationPreview: [Q.preview, { id }],
      subscriptionUpgrades: [Q.upgrades, { id }],
    };
    expect(await errorCodes(stranger.token, everything)).toEqual(everyOne(everything, 'NOT_FOUND'));
    expect(await read(id)).toMatchObject({ status: 'ACTIVE', quantity: 7, autoRenew: true, scheduledChange: { quantity: 9 }, upgradedTo: null });
    expect(await events(customerId, id, ['SUBSCRIPTION_CANCELLED', 'SUBSCRIPTION_SUSPENDED', 'SUBSCRIPTION_UPGRADED'])).toEqual([]);
  });

  it('11. advanceTestClock is refused without TEST_CLOCK and to non-operators; production refuses TEST_CLOCK', async () => {
    for (const token of [seller.token, await t.tokens.partner(seller.id, Role.ADMIN_AGENT)]) {
      expect((await refused(token, Q.advance, { by: 'P1D' })).code).toBe('FORBIDDEN');
    }
    const before = await serverTime();

    const plain = await startTestServer();
    try {
      const refusal = await refused(await plain.tokens.operator(), Q.advance, { by: 'P1D' }, plain);
      expect(refusal.code).toBe('FORBIDDEN');
      expect(refusal.message).toContain('TEST_CLOCK');
      expect(Date.parse((await ok<{ serverTime: string }>(await plain.tokens.operator(), Q.serverTime, {}, plain)).serverTime)).toBeLessThan(before);
    } finally {
      await plain.stop();
    }

    const production = {
      APP_ENV: 'production',
      JWT_SECRET: 'x'.repeat(40),
      WEBHOOK_SECRET_KEY: 'y'.repeat(40),
      CORS_ORIGINS: 'https://portal.example.com',
    };
    expect(loadConfig(production).testClock).toBe(false);
    expect(() => loadConfig({ ...production, TEST_CLOCK: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...production, TEST_CLOCK: 'true' })).toThrow(/TEST_CLOCK/);
  });
});
