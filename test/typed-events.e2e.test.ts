/**
 * Typed events: `Event` is an interface with one object type per EventType, whose typed fields are what
 * the event's `data` holds, the JSON its webhook deliveries carry (unchanged). Read over HTTP (the
 * `events` query) and over the WebSocket (the `events` subscription), through the real server (its
 * operations compiled by graphql-jit).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { EventType } from '../src/events/catalog';
import { OffersDocument, UpdateSubscriptionDocument } from './generated/graphql';
import type { WsClient } from './support/client';
import { approveAdmin, requestAdmin } from './support/admin-relationships';
import { type EventView, pause, readAll, stream } from './support/events';
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
    __schema: { types: { name: string; kind: string; interfaces: { name: string }[] | null; possibleTypes: { name: string }[] | null }[] };
  }>({ query: '{ __schema { types { name kind interfaces { name } possibleTypes { name } } } }' });
  expect(res.errors).toBeUndefined();
  const types = res.data!.__schema.types;
  const implementing = types.filter((ty) => ty.kind === 'OBJECT' && ty.interfaces?.some((i) => i.name === 'Event'));
  const kinds = Object.values(EventType);
  expect(kinds).toHaveLength(30);
  expect(implementing.map((ty) => ty.name).sort()).toEqual(kinds.map(typeName).sort());
  for (const ty of implementing) expect(ty.interfaces!.map((i) => i.name)).toContain('Node');
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
    query: `{ c: __type(name: "CustomerSnapshot") { fields { name } } i: __type(name: "InvitationSnapshot") { fields { name } } p: __type(name: "PartnershipSnapshot") { fields { name } } }`,
  });
  for (const [alias, id] of [
    ['c', 'customerId'],
    ['i', 'invitationId'],
    ['p', 'partnershipId'],
  ]) {
    const names = fields.data![alias].fields.map((f) => f.name);
    expect(names).toContain(id);
    expect(names).not.toContain('id');
  }
});

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
    const customer = await createCustomer(t, provider.token, { indirectResellerId: reseller.id, subscriptions: [{ offerId, quantity: 1 }] }); // CUSTOMER_CREATED, SUBSCRIPTION_CREATED
    const customerToken = await t.tokens.customer(customer.id);
    const subscriptionId = (await readAll(t, provider.token)).find((e) => e.type === 'SUBSCRIPTION_CREATED' && e.customerId === customer.id)!.subscriptionId!;
    await t.client(provider.token).data(UpdateSubscriptionDocument, { input: { subscriptionId, quantity: 3, supportContactId: reseller.id } }); // SUBSCRIPTION_UPDATED
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
    // a few read as a front-end reads them, typed
    const updated = listed.find((e) => e.type === 'SUBSCRIPTION_UPDATED')!;
    expect(updated).toMatchObject({ quantity: 3, supportContactId: reseller.id, changed: ['quantity', 'supportContactId'], previousSupportContactId: null });
    const accepted = listed.find((e) => e.type === 'INVITATION_ACCEPTED')!;
    expect(accepted).toMatchObject({ invitation: { invitationId: invitation.invitation.id, status: 'ACCEPTED' }, customer: { customerId: customer.id } });
    const created = listed.find((e) => e.type === 'ADMIN_RELATIONSHIP_CREATED')!;
    expect(created).toMatchObject({ adminRelationship: { status: 'APPROVAL_PENDING', roles: ['HELPDESK_ADMINISTRATOR', 'LICENSE_ADMINISTRATOR'] } });
  } finally {
    await receiver.stop();
  }
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
