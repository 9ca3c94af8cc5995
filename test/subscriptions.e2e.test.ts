import {
  CreateCustomerDocument,
  CreateSubscriptionDocument,
  CustomersDocument,
  CustomerSubscriptionsDocument,
  OffersDocument,
  UpdateSubscriptionDocument,
} from './generated/graphql';
import { createCustomer, createPartner, customerInput, type TestPartner } from './support/factories';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer } from './support/test-server';

let t: TestServer;
let provider: TestPartner;
let reseller: TestPartner;
let unpartnered: TestPartner;
let customerId: string;

beforeAll(async () => {
  t = await startTestServer();
  provider = await createPartner(t, 'INDIRECT_PROVIDER');
  reseller = await createPartner(t, 'INDIRECT_RESELLER');
  unpartnered = await createPartner(t, 'INDIRECT_RESELLER');
  await partner(t, provider, reseller);
  customerId = (await createCustomer(t, provider.token)).id;
});
afterAll(() => t.stop());

describe('offers', () => {
  it('lists a realistic catalog with license bounds', async () => {
    const { offers } = await t.client(provider.token).data(OffersDocument);
    expect(offers.length).toBeGreaterThanOrEqual(8);
    expect(offers.find((o) => o.id === 'm365-business-basic')).toEqual({
      id: 'm365-business-basic',
      name: 'Microsoft 365 Business Basic',
      minQuantity: 1,
      maxQuantity: 300,
    });
    expect(offers.every((o) => o.minQuantity >= 1 && o.maxQuantity >= o.minQuantity)).toBe(true);
  });
});

describe('createSubscription', () => {
  it('enforces the offer bounds', async () => {
    const over = await t.client(provider.token).request(CreateSubscriptionDocument, {
      input: { customerId, offerId: 'm365-business-basic', quantity: 301 },
    });
    expect(over.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(over.errors?.[0].extensions?.fields).toEqual(['input.quantity']);
    const under = await t.client(provider.token).request(CreateSubscriptionDocument, {
      input: { customerId, offerId: 'dynamics-365-sales-enterprise', quantity: 4 },
    });
    expect(under.errors?.[0].extensions?.fields).toEqual(['input.quantity']);
    const zero = await t.client(provider.token).request(CreateSubscriptionDocument, {
      input: { customerId, offerId: 'm365-business-basic', quantity: 0 },
    });
    expect(zero.errors?.[0].extensions?.fields).toEqual(['input.quantity']);
    const unknown = await t.client(provider.token).request(CreateSubscriptionDocument, {
      input: { customerId, offerId: 'no-such-offer', quantity: 1 },
    });
    expect(unknown.errors?.[0].extensions?.fields).toEqual(['input.offerId']);
    const { customer } = await t.client(provider.token).data(CustomerSubscriptionsDocument, { id: customerId });
    expect(customer?.subscriptions.totalCount).toBe(0);
  });

  it('requires the reseller of record and the support contact to be partnered', async () => {
    for (const field of ['resellerId', 'supportContactId'] as const) {
      const res = await t.client(provider.token).request(CreateSubscriptionDocument, {
        input: { customerId, offerId: 'm365-e3', quantity: 10, [field]: unpartnered.id },
      });
      expect(res.errors?.[0].extensions?.fields).toEqual([`input.${field}`]);
    }
    const ok = await t.client(provider.token).data(CreateSubscriptionDocument, {
      input: { customerId, offerId: 'm365-e3', quantity: 10, resellerId: reseller.id, supportContactId: reseller.id },
    });
    expect(ok.createSubscription.subscription).toMatchObject({
      quantity: 10,
      offer: { id: 'm365-e3' },
      reseller: { id: reseller.id },
      supportContact: { id: reseller.id },
    });
  });

  it('answers NOT_FOUND to a partner without an ACTIVE relationship', async () => {
    const stranger = await createPartner(t, 'DIRECT_RESELLER');
    const res = await t.client(stranger.token).request(CreateSubscriptionDocument, {
      input: { customerId, offerId: 'm365-e3', quantity: 10 },
    });
    expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const read = await t.client(stranger.token).request(CustomerSubscriptionsDocument, { id: customerId });
    expect(read.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('is not allowed to a BILLING_ADMIN', async () => {
    const billing = await t.tokens.partner(provider.id, 'BILLING_ADMIN' as never);
    const res = await t.client(billing).request(CreateSubscriptionDocument, { input: { customerId, offerId: 'm365-e3', quantity: 1 } });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('updateSubscription', () => {
  it('changes quantity, reseller of record and support contact within the rules', async () => {
    const { createSubscription } = await t.client(provider.token).data(CreateSubscriptionDocument, {
      input: { customerId, offerId: 'm365-business-premium', quantity: 20 },
    });
    const id = createSubscription.subscription.id;
    const tooMany = await t.client(provider.token).request(UpdateSubscriptionDocument, { input: { subscriptionId: id, quantity: 1000 } });
    expect(tooMany.errors?.[0].extensions?.fields).toEqual(['input.quantity']);
    const bad = await t.client(provider.token).request(UpdateSubscriptionDocument, { input: { subscriptionId: id, supportContactId: unpartnered.id } });
    expect(bad.errors?.[0].extensions?.fields).toEqual(['input.supportContactId']);
    const ok = await t.client(provider.token).data(UpdateSubscriptionDocument, {
      input: { subscriptionId: id, quantity: 25, resellerId: reseller.id, supportContactId: reseller.id },
    });
    expect(ok.updateSubscription.subscription).toMatchObject({ quantity: 25, reseller: { id: reseller.id }, supportContact: { id: reseller.id } });
    const cleared = await t.client(provider.token).data(UpdateSubscriptionDocument, { input: { subscriptionId: id, supportContactId: null } });
    expect(cleared.updateSubscription.subscription).toMatchObject({ quantity: 25, supportContact: null });
    const stranger = await createPartner(t);
    expect(await t.client(stranger.token).errorCode(UpdateSubscriptionDocument, { input: { subscriptionId: id, quantity: 2 } })).toBe('NOT_FOUND');
  });

  it('pages a customer’s subscriptions', async () => {
    const c = (await createCustomer(t, provider.token)).id;
    for (let i = 1; i <= 5; i++) {
      await t.client(provider.token).data(CreateSubscriptionDocument, { input: { customerId: c, offerId: 'power-bi-pro', quantity: i } });
    }
    const page1 = await t.client(provider.token).data(CustomerSubscriptionsDocument, { id: c, first: 3 });
    const page2 = await t.client(provider.token).data(CustomerSubscriptionsDocument, {
      id: c,
      first: 3,
      after: page1.customer?.subscriptions.pageInfo.endCursor,
    });
    const quantities = [...page1.customer!.subscriptions.edges, ...page2.customer!.subscriptions.edges].map((e) => e.node.quantity);
    expect(quantities).toEqual([1, 2, 3, 4, 5]);
    expect(page1.customer?.subscriptions.totalCount).toBe(5);
    expect(page2.customer?.subscriptions.pageInfo.hasNextPage).toBe(false);
  });
});

describe('ordering with a new customer', () => {
  it('places the order in the same step, and a bad line creates no customer', async () => {
    const good = await t.client(provider.token).data(CreateCustomerDocument, {
      input: customerInput({
        subscriptions: [
          { offerId: 'm365-e3', quantity: 40 },
          { offerId: 'azure-plan', quantity: 1 },
        ],
      }),
    });
    expect(good.createCustomer.customer.subscriptions.totalCount).toBe(2);

    const before = (await t.client(provider.token).data(CustomersDocument, {})).customers.totalCount;
    const input = customerInput({
      subscriptions: [
        { offerId: 'm365-e3', quantity: 40 },
        { offerId: 'azure-plan', quantity: 2 },
      ],
    });
    const res = await t.client(provider.token).request(CreateCustomerDocument, { input });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].extensions?.fields).toEqual(['input.subscriptions[1].quantity']);
    expect((await t.client(provider.token).data(CustomersDocument, {})).customers.totalCount).toBe(before);
    const operator = t.client(await t.tokens.operator());
    const search = await operator.data(CustomersDocument, { filter: { search: input.domain } });
    expect(search.customers.totalCount).toBe(0);
    const orphans = await t.server.ds.query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM customer_user WHERE userName = ?', [`admin@${input.domain}`]);
    expect(Number(orphans[0].n)).toBe(0);

    const zero = await t.client(provider.token).request(CreateCustomerDocument, {
      input: customerInput({ subscriptions: [{ offerId: 'm365-e3', quantity: 0 }] }),
    });
    expect(zero.errors?.[0].extensions?.fields).toEqual(['input.subscriptions[0].quantity']);
  });
});
