/**
 * Typed events: `Event` is an interface with one object type per EventType, whose typed fields are what
 * the event's `data` holds, the JSON its webhook deliveries carry (unchanged). Read over HTTP (the
 * `events` query) and over the WebSocket (the `events` subscription), through the real server (its
 * operations compiled by graphql-jit).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type FieldNode, type InlineFragmentNode, type OperationDefinitionNode, parse } from 'graphql';
import { EventType } from '../src/events/catalog';
import { type AdminRole, OffersDocument, UpdateSubscriptionDocument } from './generated/graphql';
import type { WsClient } from './support/client';
import { approveAdmin, requestAdmin } from './support/admin-relationships';
import { type EventView, LIFECYCLE_EVENT_FIELDS, pause, readAll, stream, TYPED_EVENT_FIELDS } from './support/events';
import { createCustomer, createPartner } from './support/factories';
import { accept, invite } from './support/invitations';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer } from './support/test-server';
import { createEndpoint, startReceiver, until } from './support/webhooks';

let t: TestServer;
const sockets: WsClient[] = [];

beforeAll(async () => {
  t = await startTestServer({ MAX_QUERY_COMPLEXITY: '100000' });
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await t.stop();
});

/** The event types of a subscription's life (issue 23). */
const LIFECYCLE_KINDS = [
  'SUBSCRIPTION_CANCELLED',
  'SUBSCRIPTION_SUSPENDED',
  'SUBSCRIPTION_REACTIVATED',
  'SUBSCRIPTION_RENEWED',
  'SUBSCRIPTION_EXPIRED',
  'SUBSCRIPTION_UPGRADED',
  'SUBSCRIPTION_EXPIRING',
  'SUBSCRIPTION_SCHEDULED_CHANGE_SET',
  'SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED',
];

/** The event types of a partner's profile, a customer's account, its users and their licences (issue 24). */
const DIRECTORY_KINDS = [
  'PARTNER_UPDATED',
  'CUSTOMER_UPDATED',
  'CUSTOMER_USER_CREATED',
  'CUSTOMER_USER_UPDATED',
  'CUSTOMER_USER_DELETED',
  'CUSTOMER_USER_RESTORED',
  'CUSTOMER_USER_PURGED',
  'LICENSES_ASSIGNED',
  'LICENSES_UNASSIGNED',
];

/** `INVITATION_ACCEPTED` → `InvitationAcceptedEvent` */
const typeName = (type: string) =>
  `${type
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('')}Event`;

const INTERFACE_FIELDS = [
  'id',
  'cursor',
  'type',
  'occurredAt',
  'actor',
  'partnerId',
  'customerId',
  'invitationId',
  'partnershipId',
  'subscriptionId',
  'adminRelationshipId',
  'correlationId',
];

/** A webhook delivery's JSON body (the Standard Webhooks payload). */
interface Payload {
  id: string;
  type: string;
  data: Record<string, unknown>;
  [field: string]: unknown;
}

/** An event's typed fields, as GraphQL gave them (the interface's fields left out). */
function typedFields(view: EventView): Record<string, unknown> {
  return Object.fromEntries(Object.entries(view).filter(([k]) => !INTERFACE_FIELDS.includes(k)));
}

/**
 * What the typed fields must be for a webhook payload: its `data`, field by field, and for the nested
 * snapshots the ids of what they describe (from the event's ids); SUBSCRIPTION_UPDATED's `changed`
 * names the fields set (the JSON holds them with their new values, which are the event's own).
 */
function expectedTyped(json: Payload): Record<string, unknown> {
  const d = json.data;
  switch (json.type) {
    case 'INVITATION_ACCEPTED':
      return {
        invitation: { ...(d.invitation as object), invitationId: json.invitationId, partnerId: json.partnerId },
        customer: { ...(d.customer as object), customerId: json.customerId },
      };
    case 'PARTNERSHIP_ACCEPTED':
    case 'PARTNERSHIP_REMOVED':
      return {
        ...d,
        change: json.type === 'PARTNERSHIP_ACCEPTED' ? 'ACCEPTED' : 'REMOVED',
        partnership: { partnershipId: json.partnershipId, status: d.status, providerId: d.providerId, resellerId: d.resellerId },
      };
    case 'SUBSCRIPTION_UPDATED':
      return { ...d, changed: Object.keys(d.changed as object) };
    default:
      return d;
  }
}

it('has exactly one object type implementing Event (and Node) per EventType, and the views return them', async () => {
  const res = await t.client(await t.tokens.operator()).raw<{
    __schema: {
      types: {
        name: string;
        kind: string;
        fields: { name: string }[] | null;
        interfaces: { name: string }[] | null;
        possibleTypes: { name: string }[] | null;
      }[];
    };
  }>({ query: '{ __schema { types { name kind fields { name } interfaces { name } possibleTypes { name } } } }' });
  expect(res.errors).toBeUndefined();
  const types = res.data!.__schema.types;
  const implementing = types.filter((ty) => ty.kind === 'OBJECT' && ty.interfaces?.some((i) => i.name === 'Event'));
  const kinds = Object.values(EventType);
  // the subscription lifecycle's nine among them
  expect(kinds).toEqual(expect.arrayContaining(LIFECYCLE_KINDS));
  // and the nine of a customer's account, users and licences
  expect(kinds).toEqual(expect.arrayContaining(DIRECTORY_KINDS));
  expect(implementing.map((ty) => ty.name).sort()).toEqual(kinds.map(typeName).sort());
  for (const ty of implementing) expect(ty.interfaces!.map((i) => i.name)).toContain('Node');
  // every typed field of every type is read by the tests' event selection (test/support/events.ts), which they compare with the webhooks' `data`
  const selected = new Map<string, Set<string>>();
  const selection = parse(`{ events { ${TYPED_EVENT_FIELDS} ${LIFECYCLE_EVENT_FIELDS} } }`).definitions[0] as OperationDefinitionNode;
  for (const node of (selection.selectionSet.selections[0] as FieldNode).selectionSet!.selections as InlineFragmentNode[]) {
    const names = node.selectionSet.selections.map((f) => (f as FieldNode).name.value);
    selected.set(node.typeCondition!.name.value, new Set([...(selected.get(node.typeCondition!.name.value) ?? []), ...names]));
  }
  for (const ty of implementing) {
    const reads = new Set([ty.name, ...ty.interfaces!.map((i) => i.name)].flatMap((name) => [...(selected.get(name) ?? [])]));
    const typed = ty.fields!.map((f) => f.name).filter((name) => !INTERFACE_FIELDS.includes(name));
    expect({ type: ty.name, unread: typed.filter((name) => !reads.has(name)) }).toEqual({ type: ty.name, unread: [] });
  }
  const byName = new Map(types.map((ty) => [ty.name, ty]));
  expect(byName.get('Event')).toMatchObject({ kind: 'INTERFACE', interfaces: [{ name: 'Node' }] });
  // the partnershipChanged view: an interface of the two partnership events
  expect(
    byName
      .get('PartnershipChangedEvent')!
      .possibleTypes!.map((p) => p.name)
      .sort(),
  ).toEqual(['PartnershipAcceptedEvent', 'PartnershipRemovedEvent']);
  // snapshots are values: no `id` of their own that a client cache would take for the record's
  const fields = await t.client(await t.tokens.operator()).raw<Record<string, { fields: { name: string }[] }>>({
    query: `{ c: __type(name: "CustomerSnapshot") { fields { name } } i: __type(name: "InvitationSnapshot") { fields { name } } p: __type(name: "PartnershipSnapshot") { fields { name } }
      s: __type(name: "SubscriptionSnapshot") { fields { name } } sc: __type(name: "ScheduledChangeSnapshot") { fields { name } } }`,
  });
  const snapshots: [alias: string, id: string | null][] = [
    ['c', 'customerId'],
    ['i', 'invitationId'],
    ['p', 'partnershipId'],
    ['s', null], // the subscription's id is the event's subscriptionId
    ['sc', null],
  ];
  for (const [alias, id] of snapshots) {
    const names = fields.data![alias].fields.map((f) => f.name);
    if (id) expect(names).toContain(id);
    expect(names).not.toContain('id');
  }
});

/**
 * Each event read over HTTP (`listed`) is the one its webhook delivery carries: the same interface
 * fields, and typed fields equal to its JSON `data`.
 */
function expectAsDelivered(listed: EventView[], hooks: Payload[]): void {
  for (const view of listed) {
    const json = hooks.find((b) => b.id === view.id)!;
    // the webhook's JSON keeps its shape: the ids, then everything else under `data`
    expect(Object.keys(json).sort()).toEqual([...INTERFACE_FIELDS, 'data'].sort());
    // the interface's fields are the JSON's
    const read = INTERFACE_FIELDS.filter((k) => k in view); // test/support/events.ts reads no correlationId
    expect(read).toHaveLength(INTERFACE_FIELDS.length - 1);
    expect(Object.fromEntries(read.map((k) => [k, view[k]]))).toEqual(Object.fromEntries(read.map((k) => [k, json[k]])));
    // and the typed fields are its data
    expect({ type: view.type, fields: typedFields(view) }).toEqual({ type: json.type, fields: expectedTyped(json) });
  }
}

it('gives each event its typed fields, equal over HTTP and the WebSocket to the `data` its webhook delivery carries', async () => {
  const receiver = await startReceiver([200]);
  try {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    await createEndpoint(t, provider.token, receiver.url);
    const socket = t.ws(provider.token);
    sockets.push(socket);
    await socket.ready();
    const live = stream(socket);
    await pause(200);

    // several kinds, each with data of a different shape
    const partnershipId = await partner(t, provider, reseller); // PARTNERSHIP_REQUESTED, PARTNERSHIP_ACCEPTED
    const { offers } = await t.client(await t.tokens.operator()).data(OffersDocument);
    const offerId = offers.find((o) => o.minQuantity <= 1 && o.maxQuantity >= 3)!.id;
    const customer = await createCustomer(t, provider.token, {
      indirectResellerId: reseller.id,
      externalId: 'TYPED-CRM-1',
      subscriptions: [{ offerId, quantity: 1 }],
    }); // CUSTOMER_CREATED, SUBSCRIPTION_CREATED
    const customerToken = await t.tokens.customer(customer.id);
    const subscriptionId = (await readAll(t, provider.token)).find((e) => e.type === 'SUBSCRIPTION_CREATED' && e.customerId === customer.id)!.subscriptionId!;
    const setExternalId = 'mutation ($input: SetSubscriptionExternalIdInput!) { setSubscriptionExternalId(input: $input) { subscription { id } } }';
    expect(
      (await t.client(provider.token).raw({ query: setExternalId, variables: { input: { subscriptionId, externalId: 'TYPED-SUB-1' } } })).errors,
    ).toBeUndefined(); // SUBSCRIPTION_EXTERNAL_ID_SET
    await t.client(provider.token).data(UpdateSubscriptionDocument, { input: { subscriptionId, quantity: 3, supportContactId: reseller.id } }); // SUBSCRIPTION_UPDATED
    const updateCustomer = 'mutation ($input: UpdateCustomerInput!) { updateCustomer(input: $input) { customer { id } } }';
    expect(
      (await t.client(provider.token).raw({ query: updateCustomer, variables: { input: { customerId: customer.id, externalId: 'TYPED-CRM-2' } } })).errors,
    ).toBeUndefined(); // CUSTOMER_EXTERNAL_ID_SET
    const invitation = await invite(t, provider.token, true); // INVITATION_CREATED
    await accept(t, customerToken, invitation.token); // INVITATION_ACCEPTED, DELEGATED_ADMIN_GRANTED
    const admin = await requestAdmin(t, provider.token, { customerId: customer.id }); // ADMIN_RELATIONSHIP_CREATED
    await approveAdmin(t, customerToken, admin.token); // ADMIN_RELATIONSHIP_APPROVED
    await t.client(provider.token).raw({
      query: 'mutation ($input: RemovePartnershipInput!) { removePartnership(input: $input) { partnership { id } } }',
      variables: { input: { partnershipId, confirm: true, attestation: true } },
    }); // PARTNERSHIP_REMOVED

    const kinds = [
      'PARTNERSHIP_REQUESTED',
      'PARTNERSHIP_ACCEPTED',
      'CUSTOMER_CREATED',
      'SUBSCRIPTION_CREATED',
      'SUBSCRIPTION_UPDATED',
      'SUBSCRIPTION_EXTERNAL_ID_SET',
      'CUSTOMER_EXTERNAL_ID_SET',
      'INVITATION_CREATED',
      'INVITATION_ACCEPTED',
      'DELEGATED_ADMIN_GRANTED',
      'ADMIN_RELATIONSHIP_CREATED',
      'ADMIN_RELATIONSHIP_APPROVED',
      'PARTNERSHIP_REMOVED',
    ];
    const listed = await readAll(t, provider.token);
    const streamed = (await live.waitFor(listed.length)).map((m) => m.events);
    expect(streamed).toEqual(listed);
    expect(new Set(listed.map((e) => e.type))).toEqual(new Set(kinds));

    const hooks = await until(
      'a delivery of every event',
      () => receiver.received.map((r) => JSON.parse(r.body) as Payload),
      (bodies) => listed.every((e) => bodies.some((b) => b.id === e.id)),
    );
    expectAsDelivered(listed, hooks);
    // a few read as a front-end reads them, typed
    const updated = listed.find((e) => e.type === 'SUBSCRIPTION_UPDATED')!;
    expect(updated).toMatchObject({
      quantity: 3,
      supportContactId: reseller.id,
      changed: ['quantity', 'supportContactId'],
      previousSupportContactId: null,
      externalId: 'TYPED-SUB-1',
    });
    // the external ids, as their owner reads them (src/events/event.types.ts viewedBy)
    expect(listed.find((e) => e.type === 'CUSTOMER_CREATED')).toMatchObject({ externalId: 'TYPED-CRM-1' });
    expect(listed.find((e) => e.type === 'SUBSCRIPTION_EXTERNAL_ID_SET')).toMatchObject({ externalId: 'TYPED-SUB-1', previousExternalId: null });
    expect(listed.find((e) => e.type === 'CUSTOMER_EXTERNAL_ID_SET')).toMatchObject({ externalId: 'TYPED-CRM-2', previousExternalId: 'TYPED-CRM-1' });
    const accepted = listed.find((e) => e.type === 'INVITATION_ACCEPTED')!;
    expect(accepted).toMatchObject({ invitation: { invitationId: invitation.invitation.id, status: 'ACCEPTED' }, customer: { customerId: customer.id } });
    const created = listed.find((e) => e.type === 'ADMIN_RELATIONSHIP_CREATED')!;
    expect(created).toMatchObject({ adminRelationship: { status: 'APPROVAL_PENDING', roles: ['HELPDESK_ADMINISTRATOR', 'LICENSE_ADMINISTRATOR'] } });
  } finally {
    await receiver.stop();
  }
});

describe('the subscription lifecycle events (a server on the test clock)', () => {
  let c: TestServer;
  beforeAll(async () => {
    c = await startTestServer({ TEST_CLOCK: 'true', MAX_QUERY_COMPLEXITY: '100000' });
  });
  afterAll(() => c?.stop());

  /** Runs an operation as `token`, failing on any error. */
  async function run<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await c.client(token).raw<T>({ query, variables });
    if (res.errors?.length || !res.data) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors ?? res)}`);
    return res.data;
  }

  /** Moves the test clock (the operator's advanceTestClock, which runs the sweep) to just past `target`. */
  async function advanceTo(target: Date): Promise<void> {
    const operator = await c.tokens.operator();
    const { serverTime } = await run<{ serverTime: string }>(operator, '{ serverTime }');
    const seconds = Math.ceil((target.getTime() - new Date(serverTime).getTime()) / 1000);
    expect(seconds).toBeGreaterThan(0);
    const { advanceTestClock } = await run<{ advanceTestClock: { now: string } }>(
      operator,
      'mutation ($input: AdvanceTestClockInput!) { advanceTestClock(input: $input) { previous now } }',
      { input: { by: `PT${Math.floor(seconds / 3600)}H${seconds % 3600}S` } },
    );
    expect(new Date(advanceTestClock.now).getTime()).toBeGreaterThanOrEqual(target.getTime());
  }

  it('gives each its typed fields, equal over HTTP and the WebSocket to the `data` its webhook delivery carries', async () => {
    const receiver = await startReceiver([200]);
    try {
      const provider = await createPartner(c, 'INDIRECT_PROVIDER');
      const reseller = await createPartner(c, 'INDIRECT_RESELLER');
      await createEndpoint(c, provider.token, receiver.url);
      const socket = c.ws(provider.token);
      sockets.push(socket);
      await socket.ready();
      const live = stream(socket);
      await pause(200);

      await partner(c, provider, reseller);
      const customer = await createCustomer(c, provider.token, { indirectResellerId: reseller.id });
      type Sold = { id: string; termEndsAt: string };
      const sell = async (offerId: string, quantity: number, termDuration: string, billingFrequency: string, autoRenew: boolean): Promise<Sold> =>
        (
          await run<{ createSubscription: { subscription: Sold } }>(
            provider.token,
            'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id termEndsAt } } }',
            { input: { customerId: customer.id, offerId, quantity, termDuration, billingFrequency, autoRenew, resellerId: reseller.id } },
          )
        ).createSubscription.subscription;
      const change = (mutation: string, input: Record<string, unknown>) =>
        run(
          provider.token,
          `mutation ($input: ${mutation[0].toUpperCase()}${mutation.slice(1)}Input!) { ${mutation}(input: $input) { subscription { id } } }`,
          {
            input,
          },
        );

      // a year's term, billed annually: a change scheduled, cancelled, scheduled again, then applied at the renewal
      const yearly = await sell('m365-business-basic', 2, 'P1Y', 'ANNUAL', true);
      await change('scheduleSubscriptionChange', { subscriptionId: yearly.id, quantity: 4 }); // SUBSCRIPTION_SCHEDULED_CHANGE_SET
      await change('cancelScheduledSubscriptionChange', { subscriptionId: yearly.id }); // SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED (SELLER)
      await change('scheduleSubscriptionChange', { subscriptionId: yearly.id, quantity: 5, termDuration: 'P3Y', billingFrequency: 'TRIENNIAL' });
      // another: its scheduled change removed by a suspension, then reactivated; renews as it was
      const paused = await sell('exchange-online-p1', 3, 'P1Y', 'MONTHLY', true);
      await change('scheduleSubscriptionChange', { subscriptionId: paused.id, quantity: 6 });
      await change('suspendSubscription', { subscriptionId: paused.id, reason: 'Unpaid invoice' }); // SUBSCRIPTION_SUSPENDED, ..._CANCELLED (CHANGE)
      await change('reactivateSubscription', { subscriptionId: paused.id }); // SUBSCRIPTION_REACTIVATED
      // a month's term cancelled on its first day: the whole term refunded
      const cancelled = await sell('power-bi-pro', 3, 'P1M', 'MONTHLY', true);
      const { cancelSubscription } = await run<{ cancelSubscription: { refund: { amount: string; currency: string } } }>(
        provider.token,
        'mutation ($input: CancelSubscriptionInput!) { cancelSubscription(input: $input) { subscription { id } refund { amount currency } } }',
        { input: { subscriptionId: cancelled.id, reason: 'Ordered by mistake' } },
      );
      expect(cancelSubscription.refund).toEqual({ amount: '50.40', currency: 'USD' });
      // an upgrade (without auto-renewal: the new one expires at the end of its month)
      const upgraded = await sell('m365-business-standard', 2, 'P1M', 'MONTHLY', false);
      const { upgradeSubscription } = await run<{ upgradeSubscription: { subscription: { id: string } } }>(
        provider.token,
        'mutation ($input: UpgradeSubscriptionInput!) { upgradeSubscription(input: $input) { subscription { id } previousSubscription { id } customer { id } } }',
        { input: { subscriptionId: upgraded.id, targetOfferId: 'm365-business-premium' } },
      ); // SUBSCRIPTION_UPGRADED, SUBSCRIPTION_CREATED (upgradedFromId)
      // auto-renewal turned off: it expires at the end of its month
      const lapsing = await sell('teams-essentials', 1, 'P1M', 'MONTHLY', true);
      await change('setSubscriptionAutoRenew', { subscriptionId: lapsing.id, autoRenew: false }); // SUBSCRIPTION_UPDATED (autoRenew)

      // through the year: the reminders 30, 7 and 1 days before the end of the yearly terms, the monthly ones expiring, then the renewals
      const end = new Date(yearly.termEndsAt);
      const day = 24 * 3600 * 1000;
      for (const before of [29.5 * day, 6.5 * day, 0.5 * day]) await advanceTo(new Date(end.getTime() - before));
      await advanceTo(new Date(Math.max(end.getTime(), new Date(paused.termEndsAt).getTime()) + 3600 * 1000));

      const kinds = ['PARTNERSHIP_REQUESTED', 'PARTNERSHIP_ACCEPTED', 'CUSTOMER_CREATED', 'SUBSCRIPTION_CREATED', 'SUBSCRIPTION_UPDATED', ...LIFECYCLE_KINDS];
      const listed = await readAll(c, provider.token);
      const streamed = (await live.waitFor(listed.length)).map((m) => m.events);
      expect(streamed).toEqual(listed);
      expect(new Set(listed.map((e) => e.type))).toEqual(new Set(kinds));

      const hooks = await until(
        'a delivery of every event',
        () => receiver.received.map((r) => JSON.parse(r.body) as Payload),
        (bodies) => listed.every((e) => bodies.some((b) => b.id === e.id)),
      );
      expectAsDelivered(listed, hooks);

      // read as a front-end reads them, typed
      const of = (type: string, subscriptionId: string) => listed.filter((e) => e.type === type && e.subscriptionId === subscriptionId);
      const snapshotOf = (offerId: string, quantity: number, status: string, termDuration: string, billingFrequency: string, autoRenew: boolean) => ({
        offerId,
        quantity,
        status,
        termDuration,
        billingFrequency,
        autoRenew,
        termStartsAt: expect.any(String),
        termEndsAt: expect.any(String),
        resellerId: reseller.id,
        supportContactId: null,
        // the seller gave these none
        externalId: null,
      });
      expect(of('SUBSCRIPTION_SCHEDULED_CHANGE_SET', yearly.id).map((e) => e.scheduledChange)).toEqual([
        { offerId: 'm365-business-basic', quantity: 4, termDuration: 'P1Y', billingFrequency: 'ANNUAL' },
        { offerId: 'm365-business-basic', quantity: 5, termDuration: 'P3Y', billingFrequency: 'TRIENNIAL' },
      ]);
      expect(of('SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED', yearly.id)).toEqual([
        expect.objectContaining({
          cancelledBy: 'SELLER',
          scheduledChange: { offerId: 'm365-business-basic', quantity: 4, termDuration: 'P1Y', billingFrequency: 'ANNUAL' },
          subscription: snapshotOf('m365-business-basic', 2, 'ACTIVE', 'P1Y', 'ANNUAL', true),
        }),
      ]);
      expect(of('SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED', paused.id)).toEqual([
        expect.objectContaining({
          cancelledBy: 'CHANGE',
          scheduledChange: { offerId: 'exchange-online-p1', quantity: 6, termDuration: 'P1Y', billingFrequency: 'MONTHLY' },
          subscription: snapshotOf('exchange-online-p1', 3, 'SUSPENDED', 'P1Y', 'MONTHLY', true),
        }),
      ]);
      expect(of('SUBSCRIPTION_SUSPENDED', paused.id)).toEqual([
        expect.objectContaining({ suspensionReason: 'Unpaid invoice', subscription: snapshotOf('exchange-online-p1', 3, 'SUSPENDED', 'P1Y', 'MONTHLY', true) }),
      ]);
      expect(of('SUBSCRIPTION_REACTIVATED', paused.id)).toEqual([
        expect.objectContaining({ subscription: snapshotOf('exchange-online-p1', 3, 'ACTIVE', 'P1Y', 'MONTHLY', true) }),
      ]);
      expect(of('SUBSCRIPTION_CANCELLED', cancelled.id)).toEqual([
        expect.objectContaining({
          cancellationReason: 'Ordered by mistake',
          refund: { amount: '50.40', currency: 'USD' },
          subscription: snapshotOf('power-bi-pro', 3, 'CANCELLED', 'P1M', 'MONTHLY', true),
        }),
      ]);
      const newId = upgradeSubscription.subscription.id;
      expect(of('SUBSCRIPTION_UPGRADED', upgraded.id)).toEqual([
        expect.objectContaining({
          upgradedToId: newId,
          targetOfferId: 'm365-business-premium',
          subscription: snapshotOf('m365-business-standard', 2, 'CANCELLED', 'P1M', 'MONTHLY', false),
        }),
      ]);
      expect(of('SUBSCRIPTION_CREATED', newId)).toEqual([
        expect.objectContaining({
          offerId: 'm365-business-premium',
          quantity: 2,
          termDuration: 'P1M',
          billingFrequency: 'MONTHLY',
          autoRenew: false,
          upgradedFromId: upgraded.id,
        }),
      ]);
      expect(of('SUBSCRIPTION_UPDATED', lapsing.id)).toEqual([expect.objectContaining({ changed: ['autoRenew'], quantity: 1 })]);
      // the monthly terms without auto-renewal expired at their end, with no reminder before
      for (const [id, offerId] of [
        [newId, 'm365-business-premium'],
        [lapsing.id, 'teams-essentials'],
      ]) {
        expect(of('SUBSCRIPTION_EXPIRED', id)).toEqual([
          expect.objectContaining({ subscription: snapshotOf(offerId, offerId === 'teams-essentials' ? 1 : 2, 'EXPIRED', 'P1M', 'MONTHLY', false) }),
        ]);
        expect(of('SUBSCRIPTION_EXPIRING', id)).toEqual([]);
      }
      // the yearly terms: one reminder each at 30, 7 and 1 days, telling a committed term that renews
      for (const [s, offerId, quantity, billing] of [
        [yearly, 'm365-business-basic', 2, 'ANNUAL'],
        [paused, 'exchange-online-p1', 3, 'MONTHLY'],
      ] as const) {
        expect(of('SUBSCRIPTION_EXPIRING', s.id).map((e) => [e.daysBefore, e.subscription])).toEqual(
          [30, 7, 1].map((days) => [days, { ...snapshotOf(offerId, quantity, 'ACTIVE', 'P1Y', billing, true), termEndsAt: s.termEndsAt }]),
        );
      }
      // the renewals: the scheduled change (quantity and term) applied to the one, the other as it was
      expect(of('SUBSCRIPTION_RENEWED', yearly.id)).toEqual([
        expect.objectContaining({
          previousTermEndsAt: yearly.termEndsAt,
          scheduledChangeApplied: true,
          subscription: { ...snapshotOf('m365-business-basic', 5, 'ACTIVE', 'P3Y', 'TRIENNIAL', true), termStartsAt: yearly.termEndsAt },
        }),
      ]);
      expect(of('SUBSCRIPTION_RENEWED', paused.id)).toEqual([
        expect.objectContaining({
          previousTermEndsAt: paused.termEndsAt,
          scheduledChangeApplied: false,
          subscription: { ...snapshotOf('exchange-online-p1', 3, 'ACTIVE', 'P1Y', 'MONTHLY', true), termStartsAt: paused.termEndsAt },
        }),
      ]);
      // the event's actor for what the server did by itself: none
      expect(of('SUBSCRIPTION_RENEWED', yearly.id)[0].actor).toBeNull();
    } finally {
      await receiver.stop();
    }
  });
});

describe('the events of a customer’s account, users and licences (a server on the test clock)', () => {
  let c: TestServer;
  beforeAll(async () => {
    c = await startTestServer({ TEST_CLOCK: 'true', MAX_QUERY_COMPLEXITY: '100000' });
  });
  afterAll(() => c?.stop());

  async function run<T = Record<string, { [k: string]: unknown }>>(token: string, query: string, input: Record<string, unknown>): Promise<T> {
    const res = await c.client(token).raw<T>({ query, variables: { input } });
    if (res.errors?.length || !res.data) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors ?? res)}`);
    return res.data;
  }
  /** `mutation { name(input) { selection } }` as `token`: its payload */
  const mutate = async <T = { user: { id: string } }>(token: string, name: string, input: Record<string, unknown>, selection = '{ user { id } }') =>
    (await run<Record<string, T>>(token, `mutation ($input: ${name[0].toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) ${selection} }`, input))[
      name
    ];

  it('gives each its typed fields, equal over HTTP and the WebSocket to its webhook data, and sends it to the customer, the acting partner and the directory’s readers only', async () => {
    const receiver = await startReceiver([200]);
    try {
      // the seller: created the customer (its reseller relationship and delegated admin privileges); its webhook and socket see everything it may
      const seller = await createPartner(c, 'DIRECT_RESELLER');
      await createEndpoint(c, seller.token, receiver.url);
      const socket = c.ws(seller.token);
      sockets.push(socket);
      await socket.ready();
      const live = stream(socket);
      await pause(200);
      const customer = await createCustomer(c, seller.token);
      const admin = await c.tokens.customer(customer.id);
      // partners the customer approved for admin roles: one that manages its users, one that only reads its directory, one without a directory role
      const related = async (roles: AdminRole[]) => {
        const p = await createPartner(c, 'DIRECT_RESELLER');
        const asked = await requestAdmin(c, p.token, { roles });
        await approveAdmin(c, admin, asked.token);
        return p;
      };
      const userAdmin = await related(['USER_ADMINISTRATOR']);
      const reader = await related(['DIRECTORY_READER']);
      const helpdesk = await related(['HELPDESK_ADMINISTRATOR']);
      const stranger = await createPartner(c, 'DIRECT_RESELLER');
      const socketOfReader = c.ws(reader.token);
      sockets.push(socketOfReader);
      await socketOfReader.ready();
      const readerLive = stream(socketOfReader, undefined, DIRECTORY_KINDS);
      await pause(200);

      // PARTNER_UPDATED (the seller's own profile), CUSTOMER_UPDATED (by its seller)
      const renamed = `${seller.name} Group`;
      await mutate(seller.token, 'updatePartner', { partnerId: seller.id, name: renamed }, '{ partner { id } }');
      await mutate(
        seller.token,
        'updateCustomer',
        {
          customerId: customer.id,
          companyName: 'Directory Events Limited',
          billingContact: { firstName: 'Bill', lastName: 'Payer', email: 'bill@customer.example', phoneNumber: '+1 206 555 0199' },
        },
        '{ customer { id } }',
      );
      // a user made and renamed by the partner with USER_ADMINISTRATOR; its temporary password goes nowhere but the payload
      const created = await mutate<{ user: { id: string }; temporaryPassword: string }>(
        userAdmin.token,
        'createCustomerUser',
        { customerId: customer.id, userName: `ada@${customer.domain}`, displayName: 'Ada' },
        '{ user { id } temporaryPassword }',
      );
      const ada = created.user.id;
      await mutate(userAdmin.token, 'updateCustomerUser', { userId: ada, displayName: 'Ada Lovelace' });
      // licences: assigned by the seller (its privileges), taken back by the customer's admin, freed by a deletion and by a cancellation
      const sold = await mutate<{ subscription: { id: string } }>(
        seller.token,
        'createSubscription',
        { customerId: customer.id, offerId: 'm365-business-basic', quantity: 2 },
        '{ subscription { id } }',
      );
      const subscriptionId = sold.subscription.id;
      const assign = () => mutate(seller.token, 'assignLicenses', { userId: ada, subscriptionIds: [subscriptionId] });
      await assign();
      await mutate(admin, 'unassignLicenses', { userId: ada, subscriptionIds: [subscriptionId] });
      await assign();
      const deleted = await mutate<{ user: { id: string; deletedAt: string; purgeAt: string } }>(
        userAdmin.token,
        'deleteCustomerUser',
        { userId: ada },
        '{ user { id deletedAt purgeAt } }',
      );
      await mutate(userAdmin.token, 'restoreCustomerUser', { userId: ada });
      await assign();
      await mutate(seller.token, 'cancelSubscription', { subscriptionId, reason: 'Ordered by mistake' }, '{ subscription { id } }');
      // a user deleted by the customer's admin, purged by the sweep 30 days later
      const bob = (await mutate(admin, 'createCustomerUser', { customerId: customer.id, userName: `bob@${customer.domain}`, displayName: 'Bob' })).user.id;
      await mutate(admin, 'deleteCustomerUser', { userId: bob });
      await mutate(await c.tokens.operator(), 'advanceTestClock', { by: 'P31D' }, '{ now }');

      // the seller reads them all, over HTTP and the WebSocket, and its webhook delivers each with the same data
      const listed = await readAll(c, seller.token);
      const streamed = (await live.waitFor(listed.length)).map((m) => m.events);
      expect(streamed).toEqual(listed);
      const ofDirectory = listed.filter((e) => DIRECTORY_KINDS.includes(e.type));
      expect(new Set(ofDirectory.map((e) => e.type))).toEqual(new Set(DIRECTORY_KINDS));
      const hooks = await until(
        'a delivery of every event',
        () => receiver.received.map((r) => JSON.parse(r.body) as Payload),
        (bodies) => listed.every((e) => bodies.some((b) => b.id === e.id)),
      );
      expectAsDelivered(ofDirectory, hooks);
      // the passwords and their hashes are in no event
      const hashes = (await c.server.ds.query<{ passwordHash: string }[]>('SELECT passwordHash FROM customer_user')).map((r) => r.passwordHash);
      const bodies = receiver.received.map((r) => r.body).join('\n') + JSON.stringify(listed);
      expect([created.temporaryPassword, ...hashes].filter((secret) => bodies.includes(secret))).toEqual([]);

      // read as a front-end reads them, typed
      const of = (type: string) => ofDirectory.filter((e) => e.type === type);
      const snapshot = (id: string, userName: string, displayName: string, status: string) => ({ id, userName, displayName, roles: [], status });
      const adaName = `ada@${customer.domain}`;
      expect(of('PARTNER_UPDATED')).toEqual([
        expect.objectContaining({
          partnerId: seller.id,
          customerId: null,
          changed: ['name'],
          partner: { name: renamed, mpnId: expect.any(String), type: 'DIRECT_RESELLER', cloud: 'PUBLIC' },
        }),
      ]);
      expect(of('CUSTOMER_UPDATED')).toEqual([
        expect.objectContaining({
          partnerId: seller.id,
          customerId: customer.id,
          changed: ['companyName', 'billingContact'],
          companyName: 'Directory Events Limited',
        }),
      ]);
      expect(of('CUSTOMER_USER_CREATED').map((e) => [e.partnerId, e.customerId, e.user])).toEqual([
        [userAdmin.id, customer.id, snapshot(ada, adaName, 'Ada', 'ACTIVE')],
        [null, customer.id, snapshot(bob, `bob@${customer.domain}`, 'Bob', 'ACTIVE')],
      ]);
      expect(of('CUSTOMER_USER_UPDATED').map((e) => [e.partnerId, e.changed, e.user])).toEqual([
        [userAdmin.id, ['displayName'], snapshot(ada, adaName, 'Ada Lovelace', 'ACTIVE')],
      ]);
      expect(of('CUSTOMER_USER_DELETED').map((e) => [e.partnerId, e.purgeAt, e.user])).toEqual([
        [userAdmin.id, deleted.user.purgeAt, snapshot(ada, adaName, 'Ada Lovelace', 'DELETED')],
        [null, expect.any(String), snapshot(bob, `bob@${customer.domain}`, 'Bob', 'DELETED')],
      ]);
      expect(new Date(deleted.user.purgeAt).getTime() - new Date(deleted.user.deletedAt).getTime()).toBe(30 * 24 * 3600 * 1000);
      expect(of('CUSTOMER_USER_RESTORED').map((e) => [e.partnerId, e.user])).toEqual([[userAdmin.id, snapshot(ada, adaName, 'Ada Lovelace', 'ACTIVE')]]);
      expect(of('CUSTOMER_USER_PURGED').map((e) => [e.partnerId, e.customerId, e.user, e.actor])).toEqual([
        [null, customer.id, snapshot(bob, `bob@${customer.domain}`, 'Bob', 'DELETED'), null],
      ]);
      expect(of('LICENSES_ASSIGNED').map((e) => [e.partnerId, e.subscriptionIds, e.cause, (e.user as { id: string }).id])).toEqual(
        [1, 2, 3].map(() => [seller.id, [subscriptionId], 'REQUEST', ada]),
      );
      expect(of('LICENSES_UNASSIGNED').map((e) => [e.partnerId, e.subscriptionIds, e.cause, (e.user as { id: string }).id])).toEqual([
        [null, [subscriptionId], 'REQUEST', ada],
        [userAdmin.id, [subscriptionId], 'USER_DELETED', ada],
        [seller.id, [subscriptionId], 'SUBSCRIPTION_CANCELLED', ada],
      ]);

      // the audiences: the customer, the partner that acted, the partners that may read the directory; not a partner
      // related without a directory role, nor an unrelated one. A partner's profile goes to it alone, an account's change
      // to the customer and the partners that serve it (a reseller relationship)
      const userEvents = ofDirectory.filter((e) => !['PARTNER_UPDATED', 'CUSTOMER_UPDATED'].includes(e.type)).map((e) => e.id);
      const account = of('CUSTOMER_UPDATED').map((e) => e.id);
      const seen = async (token: string) =>
        (await readAll(c, token))
          .filter((e) => DIRECTORY_KINDS.includes(e.type))
          .map((e) => e.id)
          .sort();
      expect(await seen(seller.token)).toEqual(ofDirectory.map((e) => e.id).sort());
      expect(await seen(admin)).toEqual([...account, ...userEvents].sort());
      expect(await seen(userAdmin.token)).toEqual([...userEvents].sort());
      expect(await seen(reader.token)).toEqual([...userEvents].sort());
      expect(await seen(helpdesk.token)).toEqual([]);
      expect(await seen(stranger.token)).toEqual([]);
      // the reader's socket, asking for these types, was pushed each of its events live
      const pushed = (await readerLive.waitFor(userEvents.length)).map((m) => m.events.id);
      expect(pushed.sort()).toEqual([...userEvents].sort());
    } finally {
      await receiver.stop();
    }
  });
});

it('tells the types apart by __typename under the compiled executor, over HTTP and the WebSocket', async () => {
  const p = await createPartner(t);
  const socket = t.ws(p.token);
  sockets.push(socket);
  await socket.ready();
  const doc = `{ __typename type ... on InvitationCreatedEvent { expiresAt } }`;
  const subscription: TypedDocumentNode<{ events: { __typename: string; type: string; expiresAt?: string } }> = parse(`subscription { events ${doc} }`);
  const live = socket.subscribe(subscription);
  await pause(100);
  const created = await invite(t, p.token);
  const [pushed] = await live.waitFor(1);
  const over = await t.client(p.token).raw<{ events: { edges: { node: { __typename: string; type: string; expiresAt?: string } }[] } }>({
    query: `{ events(first: 5) { edges { node ${doc} } } }`,
  });
  for (const e of [pushed.events, over.data!.events.edges[0].node]) {
    expect(e).toEqual({ __typename: 'InvitationCreatedEvent', type: 'INVITATION_CREATED', expiresAt: created.invitation.expiresAt });
  }
});

it('answers node(id:) with an event, as its typed object type, to its audience only (null to anyone else)', async () => {
  const p = await createPartner(t);
  const stranger = await createPartner(t);
  const created = await invite(t, p.token);
  const [event] = (await readAll(t, p.token)).filter((e) => e.type === 'INVITATION_CREATED' && e.invitationId === created.invitation.id);
  const query = `query ($id: ID!) { node(id: $id) { __typename id ... on Event { type invitationId } ... on InvitationCreatedEvent { expiresAt } } nodes(ids: [$id]) { id } }`;
  const own = await t.client(p.token).raw<{ node: unknown; nodes: unknown[] }>({ query, variables: { id: event.id } });
  expect(own.errors).toBeUndefined();
  expect(own.data).toEqual({
    node: {
      __typename: 'InvitationCreatedEvent',
      id: event.id,
      type: 'INVITATION_CREATED',
      invitationId: created.invitation.id,
      expiresAt: created.invitation.expiresAt,
    },
    nodes: [{ id: event.id }],
  });
  const operator = await t.client(await t.tokens.operator()).raw<{ node: { id: string } | null }>({ query, variables: { id: event.id } });
  expect(operator.data?.node?.id).toBe(event.id);
  const foreign = await t.client(stranger.token).raw<{ node: unknown; nodes: unknown[] }>({ query, variables: { id: event.id } });
  expect(foreign.errors).toBeUndefined();
  expect(foreign.data).toEqual({ node: null, nodes: [null] });
});
