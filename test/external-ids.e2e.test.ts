/**
 * External ids (issue 25): a partner's own id for each of its customers (`Customer.externalId`, per
 * partner: several partners serve one customer) and a seller's own id for each subscription it sold
 * (`CustomerSubscription.externalId`). Set at creation and by update, unique within their owner
 * (CONFLICT, also under a race), read only by their owner (null for everyone else), found by
 * `customers(filter: { externalId })`, and carried by events and webhook payloads to their owner only.
 */
import { Role } from '../src/common/auth/roles';
import type { GqlResponse } from './support/client';
import { readAll, stream } from './support/events';
import { createCustomer, createPartner, customerInput, type TestPartner } from './support/factories';
import { accept, invite } from './support/invitations';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer } from './support/test-server';
import { createEndpoint, startReceiver, until } from './support/webhooks';

let t: TestServer;
let operator: string;
/** two partners serving one customer (`shared`), each with a webhook receiver */
let alpha: TestPartner;
let beta: TestPartner;
let receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];
let alphaHooks: Awaited<ReturnType<typeof startReceiver>>;
let betaHooks: Awaited<ReturnType<typeof startReceiver>>;
let offerId: string;

type Json = Record<string, unknown>;

beforeAll(async () => {
  t = await startTestServer();
  operator = await t.tokens.operator();
  alpha = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Alpha Resale Ltd');
  beta = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Beta Resale Ltd');
  alphaHooks = await startReceiver([200]);
  betaHooks = await startReceiver([200]);
  receivers = [alphaHooks, betaHooks];
  await createEndpoint(t, alpha.token, alphaHooks.url);
  await createEndpoint(t, beta.token, betaHooks.url);
  const offers = await t.client(operator).raw<{ offers: { id: string; minQuantity: number; upgradeTargets: { minQuantity: number }[] }[] }>({
    query: '{ offers { id minQuantity upgradeTargets { minQuantity } } }',
  });
  // one that sells a single licence and may be upgraded with it
  offerId = offers.data!.offers.find((o) => o.minQuantity <= 1 && o.upgradeTargets.length && o.upgradeTargets[0].minQuantity <= 1)!.id;
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  await t?.stop();
});

async function gql<T = Json>(token: string, query: string, variables: Json = {}): Promise<GqlResponse<T>> {
  return t.client(token).raw<T>({ query, variables });
}

async function ok<T = Json>(token: string, query: string, variables: Json = {}): Promise<T> {
  const res = await gql<T>(token, query, variables);
  if (res.errors?.length || !res.data) throw new Error(JSON.stringify(res.errors));
  return res.data;
}

function expectRefused(res: GqlResponse<unknown>, code: string, field?: string) {
  expect(res.status).toBeLessThan(500);
  expect(res.errors?.[0]?.extensions?.code).toBe(code);
  if (field) expect(res.errors?.[0]?.extensions?.fields).toContain(field);
}

const CREATE = 'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id externalId } } }';
const UPDATE = 'mutation ($input: UpdateCustomerInput!) { updateCustomer(input: $input) { customer { id companyName externalId } } }';
const SELL = 'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id externalId } } }';
const SET_SUB = 'mutation ($input: SetSubscriptionExternalIdInput!) { setSubscriptionExternalId(input: $input) { subscription { id externalId } } }';

/** A customer's external id as `token` reads it (null: none, or not the reader's to read). */
async function externalIdOf(token: string, customerId: string): Promise<string | null> {
  const data = await ok<{ customer: { externalId: string | null } }>(token, 'query ($id: ID!) { customer(id: $id) { externalId } }', { id: customerId });
  return data.customer.externalId;
}

async function subscriptionExternalIdOf(token: string, id: string): Promise<string | null> {
  const data = await ok<{ node: { externalId: string | null } }>(token, 'query ($id: ID!) { node(id: $id) { ... on CustomerSubscription { externalId } } }', {
    id,
  });
  return data.node.externalId;
}

/** The ids of the customers `token` finds with `filter.externalId`. */
async function found(token: string, externalId: string): Promise<string[]> {
  const data = await ok<{ customers: { totalCount: number; edges: { node: { id: string } }[] } }>(
    token,
    'query ($f: CustomerFilter) { customers(first: 50, filter: $f) { totalCount edges { node { id } } } }',
    { f: { externalId } },
  );
  expect(data.customers.totalCount).toBe(data.customers.edges.length);
  return data.customers.edges.map((e) => e.node.id);
}

async function newCustomer(token: string, externalId?: string): Promise<string> {
  const data = await ok<{ createCustomer: { customer: { id: string; externalId: string | null } } }>(token, CREATE, {
    input: customerInput(externalId ? { externalId } : {}),
  });
  expect(data.createCustomer.customer.externalId).toBe(externalId ?? null);
  return data.createCustomer.customer.id;
}

/** A customer created by alpha (with `externalId`) that beta serves too (an accepted invitation); its admin's token. */
async function sharedCustomer(externalId: string) {
  const id = await newCustomer(alpha.token, externalId);
  const token = await t.tokens.customer(id);
  await accept(t, token, (await invite(t, beta.token)).token);
  return { id, token };
}

describe('customers', () => {
  it('sets a partner’s own external id at creation and by update; each partner reads its own, everyone else null', async () => {
    const shared = await sharedCustomer('CRM-0001');
    expect(await externalIdOf(alpha.token, shared.id)).toBe('CRM-0001');
    // another partner of the customer, the customer's own admin and the operator: null
    for (const token of [beta.token, shared.token, operator]) expect(await externalIdOf(token, shared.id)).toBeNull();

    // beta gives it its own (even the same text would be its own: unique per partner)
    const byBeta = await ok<{ updateCustomer: { customer: Json } }>(beta.token, UPDATE, { input: { customerId: shared.id, externalId: 'CRM-0001' } });
    expect(byBeta.updateCustomer.customer).toMatchObject({ id: shared.id, externalId: 'CRM-0001' });
    await ok(beta.token, UPDATE, { input: { customerId: shared.id, externalId: 'BETA-77' } });
    expect(await externalIdOf(beta.token, shared.id)).toBe('BETA-77');
    expect(await externalIdOf(alpha.token, shared.id)).toBe('CRM-0001');

    // in a list too, each partner its own
    const listed = await ok<{ customers: { edges: { node: { id: string; externalId: string | null } }[] } }>(
      alpha.token,
      '{ customers(first: 100) { edges { node { id externalId } } } }',
    );
    expect(listed.customers.edges.find((e) => e.node.id === shared.id)!.node.externalId).toBe('CRM-0001');

    // absent: unchanged; text rules: NFC and trimmed; null: cleared
    await ok(alpha.token, UPDATE, { input: { customerId: shared.id, companyName: 'Renamed Holdings Incorporated' } });
    expect(await externalIdOf(alpha.token, shared.id)).toBe('CRM-0001');
    await ok(alpha.token, UPDATE, { input: { customerId: shared.id, externalId: '  Cafe\u0301-42  ' } });
    expect(await externalIdOf(alpha.token, shared.id)).toBe('Caf\u00e9-42');
    await ok(alpha.token, UPDATE, { input: { customerId: shared.id, externalId: null } });
    expect(await externalIdOf(alpha.token, shared.id)).toBeNull();
    expect(await found(alpha.token, 'Caf\u00e9-42')).toEqual([]);
    expect(await externalIdOf(beta.token, shared.id)).toBe('BETA-77');
  });

  it('refuses an external id from anyone but a partner (BAD_USER_INPUT naming input.externalId), writing nothing', async () => {
    const id = await newCustomer(alpha.token, 'CRM-ADMIN-1');
    const admin = await t.tokens.customer(id);
    for (const token of [admin, operator]) {
      for (const externalId of ['SOMETHING-ELSE', null]) {
        expectRefused(
          await gql(token, UPDATE, { input: { customerId: id, externalId, companyName: 'Other Name Incorporated' } }),
          'BAD_USER_INPUT',
          'input.externalId',
        );
      }
    }
    expect((await ok<{ customer: { companyName: string } }>(alpha.token, `{ customer(id: "${id}") { companyName } }`)).customer.companyName).toBe(
      'Proseware Incorporated',
    );
    expect(await externalIdOf(alpha.token, id)).toBe('CRM-ADMIN-1');
    const input = customerInput({ externalId: 'OPERATOR-1' });
    expectRefused(await gql(operator, CREATE, { input }), 'BAD_USER_INPUT', 'input.externalId');
    expect(
      (await ok<{ customers: { totalCount: number } }>(operator, `{ customers(filter: { search: "${input.domain}" }) { totalCount } }`)).customers.totalCount,
    ).toBe(0);
  });

  it('keeps an external id unique within its partner (CONFLICT, nothing written); another partner may use it; compared exactly', async () => {
    const first = await newCustomer(alpha.token, 'DUP-1');
    const input = customerInput({ externalId: 'DUP-1' });
    const dup = await gql(alpha.token, CREATE, { input });
    expectRefused(dup, 'CONFLICT');
    expect(dup.errors![0].message).toContain('DUP-1');
    expect(
      (await ok<{ customers: { totalCount: number } }>(operator, `{ customers(filter: { search: "${input.domain}" }) { totalCount } }`)).customers.totalCount,
    ).toBe(0);
    const second = await newCustomer(alpha.token, 'DUP-2');
    expectRefused(
      await gql(alpha.token, UPDATE, { input: { customerId: second, externalId: 'DUP-1', companyName: 'Never Applied Incorporated' } }),
      'CONFLICT',
    );
    expect(await externalIdOf(alpha.token, second)).toBe('DUP-2');
    expect((await ok<{ customer: { companyName: string } }>(alpha.token, `{ customer(id: "${second}") { companyName } }`)).customer.companyName).toBe(
      'Proseware Incorporated',
    );
    // setting the id it already has is no change
    await ok(alpha.token, UPDATE, { input: { customerId: first, externalId: 'DUP-1' } });
    // beta's own customers may have it; another letter case is another id
    const betas = await newCustomer(beta.token, 'DUP-1');
    const lower = await newCustomer(alpha.token, 'dup-1');
    expect(await found(alpha.token, 'DUP-1')).toEqual([first]);
    expect(await found(alpha.token, 'dup-1')).toEqual([lower]);
    expect(await found(beta.token, 'DUP-1')).toEqual([betas]);
    // a cleared id is free again
    await ok(alpha.token, UPDATE, { input: { customerId: first, externalId: null } });
    await ok(alpha.token, UPDATE, { input: { customerId: second, externalId: 'DUP-1' } });
    expect(await found(alpha.token, 'DUP-1')).toEqual([second]);
  });

  it('lets exactly one of 10 concurrent creations, and one of 10 concurrent updates, take the same external id (the others CONFLICT)', async () => {
    const inputs = [...Array(10).keys()].map(() => customerInput({ externalId: 'RACE-CREATE' }));
    const created = await Promise.all(inputs.map((input) => gql<{ createCustomer: { customer: { id: string } } }>(alpha.token, CREATE, { input })));
    const won = created.filter((r) => !r.errors);
    expect(won).toHaveLength(1);
    for (const lost of created.filter((r) => r.errors)) expectRefused(lost, 'CONFLICT');
    expect(await found(alpha.token, 'RACE-CREATE')).toEqual([won[0].data!.createCustomer.customer.id]);
    // the losers wrote nothing: their domains are free
    for (const input of inputs.filter((_, i) => created[i].errors)) {
      expect(
        (await ok<{ customers: { totalCount: number } }>(operator, `{ customers(filter: { search: "${input.domain}" }) { totalCount } }`)).customers.totalCount,
      ).toBe(0);
    }

    const targets = await Promise.all([...Array(10).keys()].map(() => newCustomer(alpha.token)));
    const updated = await Promise.all(targets.map((customerId) => gql(alpha.token, UPDATE, { input: { customerId, externalId: 'RACE-UPDATE' } })));
    expect(updated.filter((r) => !r.errors)).toHaveLength(1);
    for (const lost of updated.filter((r) => r.errors)) expectRefused(lost, 'CONFLICT');
    const winner = targets[updated.findIndex((r) => !r.errors)];
    expect(await found(alpha.token, 'RACE-UPDATE')).toEqual([winner]);
    const ids = await Promise.all(targets.map((id) => externalIdOf(alpha.token, id)));
    expect(ids.filter((id) => id !== null)).toEqual(['RACE-UPDATE']);
  });

  it('finds a customer by the caller’s own external id only (exact match); no filter by external id for anyone but a partner', async () => {
    const shared = await sharedCustomer('FIND-ME-1');
    await ok(beta.token, UPDATE, { input: { customerId: shared.id, externalId: 'BETA-FIND-1' } });
    expect(await found(alpha.token, 'FIND-ME-1')).toEqual([shared.id]);
    expect(await found(alpha.token, 'FIND-ME')).toEqual([]);
    expect(await found(alpha.token, 'find-me-1')).toEqual([]);
    // beta finds it by its own id, not by alpha's
    expect(await found(beta.token, 'FIND-ME-1')).toEqual([]);
    expect(await found(beta.token, 'BETA-FIND-1')).toEqual([shared.id]);
    expect(await found(alpha.token, 'BETA-FIND-1')).toEqual([]);
    const query = 'query ($f: CustomerFilter) { customers(filter: $f) { totalCount } }';
    for (const token of [shared.token, operator])
      expectRefused(await gql(token, query, { f: { externalId: 'FIND-ME-1' } }), 'BAD_USER_INPUT', 'filter.externalId');
    expectRefused(await gql(alpha.token, query, { f: { externalId: 'x'.repeat(101) } }), 'BAD_USER_INPUT', 'filter.externalId');
  });

  it('refuses an external id over 100 characters, with control or invisible characters, or empty (BAD_USER_INPUT naming it), writing nothing', async () => {
    const id = await newCustomer(alpha.token, 'BAD-BASE');
    const bad = ['x'.repeat(101), 'ab\u0007cd', 'line\nbreak', 'zero\u200Bwidth', 'bidi\u202Eflip', '', '   ', '\u200B'];
    for (const externalId of bad) {
      const input = customerInput({ externalId });
      expectRefused(await gql(alpha.token, CREATE, { input }), 'BAD_USER_INPUT', 'input.externalId');
      expect(
        (await ok<{ customers: { totalCount: number } }>(operator, `{ customers(filter: { search: "${input.domain}" }) { totalCount } }`)).customers.totalCount,
      ).toBe(0);
      expectRefused(await gql(alpha.token, UPDATE, { input: { customerId: id, externalId } }), 'BAD_USER_INPUT', 'input.externalId');
      expect(await externalIdOf(alpha.token, id)).toBe('BAD-BASE');
    }
    // 100 characters (code points: an emoji is one) is the limit
    const longest = `${'\u{1F600}'.repeat(50)}${'y'.repeat(50)}`;
    await ok(alpha.token, UPDATE, { input: { customerId: id, externalId: longest } });
    expect(await externalIdOf(alpha.token, id)).toBe(longest);
  });
});

describe('subscriptions', () => {
  let provider: TestPartner;
  let reseller: TestPartner;
  let customerId: string;
  let customerToken: string;

  beforeAll(async () => {
    provider = await createPartner(t, 'INDIRECT_PROVIDER', 'PUBLIC', 'Gamma Distribution Ltd');
    reseller = await createPartner(t, 'INDIRECT_RESELLER', 'PUBLIC', 'Gamma Reseller Ltd');
    await partner(t, provider, reseller);
    customerId = (await createCustomer(t, provider.token, { indirectResellerId: reseller.id })).id;
    customerToken = await t.tokens.customer(customerId);
  });

  const sell = async (externalId?: string) => {
    const data = await ok<{ createSubscription: { subscription: { id: string; externalId: string | null } } }>(provider.token, SELL, {
      input: { customerId, offerId, quantity: 1, resellerId: reseller.id, ...(externalId ? { externalId } : {}) },
    });
    expect(data.createSubscription.subscription.externalId).toBe(externalId ?? null);
    return data.createSubscription.subscription.id;
  };

  it('belongs to the seller: set at creation and by setSubscriptionExternalId, read by the seller and the operator only', async () => {
    const id = await sell('SUB-0001');
    expect(await subscriptionExternalIdOf(provider.token, id)).toBe('SUB-0001');
    expect(await subscriptionExternalIdOf(operator, id)).toBe('SUB-0001');
    // its reseller of record and the customer read the subscription, not the seller's id
    for (const token of [reseller.token, customerToken]) expect(await subscriptionExternalIdOf(token, id)).toBeNull();
    // only the seller sets it: NOT_FOUND for its reseller and another partner, FORBIDDEN for the customer and the seller's SALES_AGENT
    expectRefused(await gql(reseller.token, SET_SUB, { input: { subscriptionId: id, externalId: 'RESELLER-1' } }), 'NOT_FOUND');
    expectRefused(await gql(beta.token, SET_SUB, { input: { subscriptionId: id, externalId: 'BETA-1' } }), 'NOT_FOUND');
    expectRefused(await gql(customerToken, SET_SUB, { input: { subscriptionId: id, externalId: 'CUSTOMER-1' } }), 'FORBIDDEN');
    const salesAgent = await t.tokens.partner(provider.id, Role.SALES_AGENT);
    expectRefused(await gql(salesAgent, SET_SUB, { input: { subscriptionId: id, externalId: 'SALES-1' } }), 'FORBIDDEN');
    expect(await subscriptionExternalIdOf(provider.token, id)).toBe('SUB-0001');

    const changed = await ok<{ setSubscriptionExternalId: { subscription: Json } }>(provider.token, SET_SUB, {
      input: { subscriptionId: id, externalId: 'SUB-0002' },
    });
    expect(changed.setSubscriptionExternalId.subscription).toEqual({ id, externalId: 'SUB-0002' });
    await ok(provider.token, SET_SUB, { input: { subscriptionId: id, externalId: null } });
    expect(await subscriptionExternalIdOf(provider.token, id)).toBeNull();

    // its history: the seller reads the external id's changes, the reseller and the customer do not
    const history = 'query ($id: ID!) { node(id: $id) { ... on CustomerSubscription { history(first: 50) { edges { node { action } } } } } }';
    const actions = async (token: string) =>
      (await ok<{ node: { history: { edges: { node: { action: string } }[] } } }>(token, history, { id })).node.history.edges.map((e) => e.node.action);
    expect((await actions(provider.token)).filter((a) => a === 'SUBSCRIPTION_EXTERNAL_ID_SET')).toHaveLength(3);
    for (const token of [reseller.token, customerToken]) {
      const seen = await actions(token);
      expect(seen).toContain('SUBSCRIPTION_CREATED');
      expect(seen).not.toContain('SUBSCRIPTION_EXTERNAL_ID_SET');
    }
  });

  it('keeps it unique among the seller’s subscriptions (CONFLICT, also for one of 10 concurrent sales), and refuses bad text naming it', async () => {
    const first = await sell('SUB-DUP');
    expectRefused(await gql(provider.token, SELL, { input: { customerId, offerId, quantity: 1, externalId: 'SUB-DUP' } }), 'CONFLICT');
    const second = await sell();
    expectRefused(await gql(provider.token, SET_SUB, { input: { subscriptionId: second, externalId: 'SUB-DUP' } }), 'CONFLICT');
    expect(await subscriptionExternalIdOf(provider.token, second)).toBeNull();
    // another seller may use it
    const betaCustomer = await newCustomer(beta.token);
    await ok(beta.token, SELL, { input: { customerId: betaCustomer, offerId, quantity: 1, externalId: 'SUB-DUP' } });
    // cleared, it is free for another
    await ok(provider.token, SET_SUB, { input: { subscriptionId: first, externalId: null } });
    await ok(provider.token, SET_SUB, { input: { subscriptionId: second, externalId: 'SUB-DUP' } });
    // an upgrade moves it to the new subscription
    const upgradable = await sell('SUB-UPGRADE');
    const targets = await ok<{ subscriptionUpgrades: { id: string }[] }>(provider.token, `{ subscriptionUpgrades(subscriptionId: "${upgradable}") { id } }`);
    const upgraded = await ok<{ upgradeSubscription: { subscription: Json; previousSubscription: Json } }>(
      provider.token,
      'mutation ($input: UpgradeSubscriptionInput!) { upgradeSubscription(input: $input) { subscription { id externalId } previousSubscription { id externalId } } }',
      { input: { subscriptionId: upgradable, targetOfferId: targets.subscriptionUpgrades[0].id } },
    );
    expect(upgraded.upgradeSubscription.previousSubscription).toEqual({ id: upgradable, externalId: null });
    expect(upgraded.upgradeSubscription.subscription.externalId).toBe('SUB-UPGRADE');

    const count = async () =>
      (await ok<{ customer: { subscriptions: { totalCount: number } } }>(provider.token, `{ customer(id: "${customerId}") { subscriptions { totalCount } } }`))
        .customer.subscriptions.totalCount;
    const before = await count();
    const raced = await Promise.all(
      [...Array(10).keys()].map(() => gql(provider.token, SELL, { input: { customerId, offerId, quantity: 1, externalId: 'SUB-RACE' } })),
    );
    expect(raced.filter((r) => !r.errors)).toHaveLength(1);
    for (const lost of raced.filter((r) => r.errors)) expectRefused(lost, 'CONFLICT');
    expect(await count()).toBe(before + 1);

    for (const externalId of ['s'.repeat(101), 'tab\there', 'zero\u200Bwidth', '']) {
      expectRefused(await gql(provider.token, SELL, { input: { customerId, offerId, quantity: 1, externalId } }), 'BAD_USER_INPUT', 'input.externalId');
      expectRefused(await gql(provider.token, SET_SUB, { input: { subscriptionId: first, externalId } }), 'BAD_USER_INPUT', 'input.externalId');
    }
    expect(await count()).toBe(before + 1);
    expect(await subscriptionExternalIdOf(provider.token, first)).toBeNull();
  });

  it('carries the seller’s id in its events and webhook payloads to the seller only', async () => {
    const hooks = await startReceiver([200]);
    receivers.push(hooks);
    await createEndpoint(t, reseller.token, hooks.url);
    const sellerHooks = await startReceiver([200]);
    receivers.push(sellerHooks);
    await createEndpoint(t, provider.token, sellerHooks.url);
    const id = await sell('SUB-EVENTS');
    await ok(provider.token, 'mutation ($input: SuspendSubscriptionInput!) { suspendSubscription(input: $input) { subscription { id } } }', {
      input: { subscriptionId: id, reason: 'Card declined' },
    });
    await ok(provider.token, SET_SUB, { input: { subscriptionId: id, externalId: 'SUB-EVENTS-2' } });
    const types = ['SUBSCRIPTION_CREATED', 'SUBSCRIPTION_SUSPENDED', 'SUBSCRIPTION_EXTERNAL_ID_SET'];
    const payloads = async (receiver: typeof hooks, n: number) =>
      (
        await until(
          'the deliveries',
          () => receiver.received.map((r) => JSON.parse(r.body) as { type: string; subscriptionId: string; data: Json }).filter((b) => b.subscriptionId === id),
          (bodies) => bodies.length >= n,
        )
      ).sort((a, b) => types.indexOf(a.type) - types.indexOf(b.type));
    const seller = await payloads(sellerHooks, 3);
    expect(seller.map((b) => b.type)).toEqual(types);
    expect(seller[0].data.externalId).toBe('SUB-EVENTS');
    expect(seller[1].data.subscription).toMatchObject({ status: 'SUSPENDED', externalId: 'SUB-EVENTS' });
    expect(seller[2].data).toEqual({ externalId: 'SUB-EVENTS-2', previousExternalId: 'SUB-EVENTS' });
    // the reseller of record receives the subscription's events, without the seller's id (and no change of it)
    const other = await payloads(hooks, 2);
    expect(other.map((b) => b.type)).toEqual(types.slice(0, 2));
    expect(other[0].data.externalId).toBeNull();
    expect(other[1].data.subscription).toMatchObject({ status: 'SUSPENDED', externalId: null });
    for (const body of [...seller, ...other]) expect(JSON.stringify(body)).not.toContain('perPartner');
    // GraphQL reads the same per reader; the customer's users and the operator read null
    const fields = (events: Json[]) =>
      events.filter((e) => e.subscriptionId === id).map((e) => [e.type, e.externalId ?? (e.subscription as Json | undefined)?.externalId ?? null]);
    expect(fields(await readAll(t, provider.token))).toEqual([
      ['SUBSCRIPTION_CREATED', 'SUB-EVENTS'],
      ['SUBSCRIPTION_SUSPENDED', 'SUB-EVENTS'],
      ['SUBSCRIPTION_EXTERNAL_ID_SET', 'SUB-EVENTS-2'],
    ]);
    for (const token of [reseller.token, customerToken]) {
      expect(fields(await readAll(t, token))).toEqual([
        ['SUBSCRIPTION_CREATED', null],
        ['SUBSCRIPTION_SUSPENDED', null],
      ]);
    }
    expect(fields(await readAll(t, operator))).toEqual([
      ['SUBSCRIPTION_CREATED', null],
      ['SUBSCRIPTION_SUSPENDED', null],
      ['SUBSCRIPTION_EXTERNAL_ID_SET', null],
    ]);
  });
});

describe('events and webhooks of a customer', () => {
  it('carry each partner’s own external id to that partner (webhooks, HTTP and the socket), null to everyone else', async () => {
    const shared = await sharedCustomer('CRM-EVENTS-A');
    await ok(beta.token, UPDATE, { input: { customerId: shared.id, externalId: 'CRM-EVENTS-B' } });
    // the customer's own admin changes its name: CUSTOMER_UPDATED to both partners and the customer
    await ok(shared.token, UPDATE, { input: { customerId: shared.id, companyName: 'Evented Holdings Incorporated' } });

    const CUSTOMER_TYPES = ['CUSTOMER_CREATED', 'CUSTOMER_EXTERNAL_ID_SET', 'CUSTOMER_UPDATED'];
    const bodies = (receiver: typeof alphaHooks, types: string[]) =>
      until(
        'the deliveries',
        () =>
          receiver.received
            .map((r) => JSON.parse(r.body) as { id: string; type: string; customerId: string; data: Json })
            .filter((x) => x.customerId === shared.id && CUSTOMER_TYPES.includes(x.type)),
        (list) => types.every((type) => list.some((x) => x.type === type)),
      );
    const a = await bodies(alphaHooks, ['CUSTOMER_CREATED', 'CUSTOMER_UPDATED']);
    expect(a.find((x) => x.type === 'CUSTOMER_CREATED')!.data).toMatchObject({ companyName: 'Proseware Incorporated', externalId: 'CRM-EVENTS-A' });
    expect(a.find((x) => x.type === 'CUSTOMER_UPDATED')!.data).toMatchObject({ changed: ['companyName'], externalId: 'CRM-EVENTS-A' });
    const b = await bodies(betaHooks, ['CUSTOMER_EXTERNAL_ID_SET', 'CUSTOMER_UPDATED']);
    expect(b.find((x) => x.type === 'CUSTOMER_UPDATED')!.data).toMatchObject({ changed: ['companyName'], externalId: 'CRM-EVENTS-B' });
    // beta's own change of its id reached beta only
    expect(b.find((x) => x.type === 'CUSTOMER_EXTERNAL_ID_SET')!.data).toEqual({ externalId: 'CRM-EVENTS-B', previousExternalId: null });
    expect(a.filter((x) => x.type === 'CUSTOMER_EXTERNAL_ID_SET')).toEqual([]);
    for (const body of [...alphaHooks.received, ...betaHooks.received]) expect(body.body).not.toContain('perPartner');

    // over HTTP, as each reads them
    const ofCustomer = async (token: string) =>
      (await readAll(t, token, undefined, { customerId: shared.id, types: CUSTOMER_TYPES })).map((e) => [e.type, e.externalId ?? null]);
    expect(await ofCustomer(alpha.token)).toEqual([
      ['CUSTOMER_CREATED', 'CRM-EVENTS-A'],
      ['CUSTOMER_UPDATED', 'CRM-EVENTS-A'],
    ]);
    expect(await ofCustomer(beta.token)).toEqual([
      ['CUSTOMER_EXTERNAL_ID_SET', 'CRM-EVENTS-B'],
      ['CUSTOMER_UPDATED', 'CRM-EVENTS-B'],
    ]);
    expect(await ofCustomer(shared.token)).toEqual([
      ['CUSTOMER_CREATED', null],
      ['CUSTOMER_UPDATED', null],
    ]);
    expect(await ofCustomer(operator)).toEqual([
      ['CUSTOMER_CREATED', null],
      ['CUSTOMER_EXTERNAL_ID_SET', null],
      ['CUSTOMER_UPDATED', null],
    ]);
    // over the socket (the stored events replayed after a cursor, then live: one resolver), each partner reads what it reads over HTTP
    for (const token of [alpha.token, beta.token]) {
      const [first, ...rest] = await readAll(t, token);
      const expected = rest.filter((e) => CUSTOMER_TYPES.includes(e.type));
      expect(expected.some((e) => e.customerId === shared.id && e.externalId)).toBe(true);
      const socket = t.ws(token);
      try {
        await socket.ready();
        const live = stream(socket, first.cursor, CUSTOMER_TYPES);
        expect((await live.waitFor(expected.length)).map((m) => m.events)).toEqual(expected);
        live.dispose();
      } finally {
        await socket.close();
      }
    }

    // the customer's own audit trail has no partner's external id
    const trail = await ok<{ activities: { edges: { node: { action: string; changes: { field: string }[] } }[] } }>(
      shared.token,
      '{ activities(first: 100) { edges { node { action changes { field } } } } }',
    );
    expect(trail.activities.edges.map((e) => e.node.action)).toContain('CUSTOMER_UPDATED');
    expect(trail.activities.edges.map((e) => e.node.action)).not.toContain('CUSTOMER_EXTERNAL_ID_SET');
    expect(JSON.stringify(trail)).not.toContain('externalId');
    // the partner's trail has it, before and after
    const own = await ok<{ activities: { edges: { node: { action: string; changes: { field: string; before: string | null; after: string | null }[] } }[] } }>(
      beta.token,
      `{ activities(first: 20, filter: { customerId: "${shared.id}", actions: [CUSTOMER_EXTERNAL_ID_SET] }) { edges { node { action changes { field before after } } } } }`,
    );
    expect(own.activities.edges.map((e) => e.node.changes)).toEqual([[{ field: 'externalId', before: null, after: JSON.stringify('CRM-EVENTS-B') }]]);
  });
});
