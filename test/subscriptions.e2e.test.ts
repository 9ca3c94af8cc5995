import {
  CreateCustomerDocument,
  CreateCustomerWithTermsDocument,
  CreateSubscriptionDocument,
  CreateTermSubscriptionDocument,
  CustomersDocument,
  CustomerSubscriptionsDocument,
  OfferCatalogDocument,
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

/** `start` plus `months` calendar months (UTC): the same day, or the last day of a shorter month. */
function addMonths(start: Date, months: number): Date {
  const first = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(start.getUTCDate(), lastDay));
  first.setUTCHours(start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds(), start.getUTCMilliseconds());
  return first;
}
const HOURS_168 = 168 * 3600 * 1000;

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

  it('gives each offer its terms (billing that fits the term, a price per licence) and its upgrade targets', async () => {
    const { offers } = await t.client(provider.token).data(OfferCatalogDocument);
    const usd = (amount: string) => ({ amount, currency: 'USD' });
    expect(offers.find((o) => o.id === 'm365-business-basic')).toEqual({
      id: 'm365-business-basic',
      name: 'Microsoft 365 Business Basic',
      minQuantity: 1,
      maxQuantity: 300,
      terms: [
        { termDuration: 'P1M', billingFrequency: 'MONTHLY', unitPrice: usd('7.20') },
        { termDuration: 'P1Y', billingFrequency: 'MONTHLY', unitPrice: usd('72.00') },
        { termDuration: 'P1Y', billingFrequency: 'ANNUAL', unitPrice: usd('72.00') },
        { termDuration: 'P3Y', billingFrequency: 'MONTHLY', unitPrice: usd('216.00') },
        { termDuration: 'P3Y', billingFrequency: 'ANNUAL', unitPrice: usd('216.00') },
        { termDuration: 'P3Y', billingFrequency: 'TRIENNIAL', unitPrice: usd('216.00') },
      ],
      upgradeTargets: [
        { id: 'm365-business-standard', name: 'Microsoft 365 Business Standard' },
        { id: 'm365-business-premium', name: 'Microsoft 365 Business Premium' },
      ],
    });
    // only the frequencies that fit within the term: a bill never covers more than the term
    const fits: Record<string, string[]> = { P1M: ['MONTHLY'], P1Y: ['MONTHLY', 'ANNUAL'], P3Y: ['MONTHLY', 'ANNUAL', 'TRIENNIAL'] };
    const ids = new Set(offers.map((o) => o.id));
    for (const offer of offers) {
      expect({ offer: offer.id, terms: offer.terms.length > 0 }).toEqual({ offer: offer.id, terms: true });
      for (const term of offer.terms) {
        expect({ offer: offer.id, term, fits: fits[term.termDuration].includes(term.billingFrequency) }).toEqual({
          offer: offer.id,
          term: {
            termDuration: term.termDuration,
            billingFrequency: term.billingFrequency,
            unitPrice: { amount: expect.stringMatching(/^\d+\.\d{2}$/), currency: 'USD' },
          },
          fits: true,
        });
      }
      // each term and frequency once
      expect(new Set(offer.terms.map((term) => `${term.termDuration} ${term.billingFrequency}`)).size).toBe(offer.terms.length);
      // upgrade targets are other offers of the catalog
      for (const target of offer.upgradeTargets) {
        expect(ids.has(target.id)).toBe(true);
        expect(target.id).not.toBe(offer.id);
      }
    }
    // the demo catalog offers several upgrade paths
    expect(offers.filter((o) => o.upgradeTargets.length > 0).length).toBeGreaterThanOrEqual(2);
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

  it('sells for one of the offer’s terms and billing frequencies, renewing unless told otherwise', async () => {
    const yearly = await t.client(provider.token).data(CreateTermSubscriptionDocument, {
      input: { customerId, offerId: 'm365-e3', quantity: 5, termDuration: 'P1Y', billingFrequency: 'ANNUAL', autoRenew: false },
    });
    const sold = yearly.createSubscription.subscription;
    const start = new Date(sold.termStartsAt);
    expect(sold).toEqual({
      id: expect.any(String),
      quantity: 5,
      status: 'ACTIVE',
      termDuration: 'P1Y',
      billingFrequency: 'ANNUAL',
      autoRenew: false,
      termStartsAt: sold.termStartsAt,
      termEndsAt: addMonths(start, 12).toISOString(),
      cancellableUntil: new Date(start.getTime() + HOURS_168).toISOString(),
      scheduledChange: null,
      offer: { id: 'm365-e3' },
    });
    // defaults: a month (where the offer sells one), billed monthly, renewing
    const monthly = (await t.client(provider.token).data(CreateTermSubscriptionDocument, { input: { customerId, offerId: 'm365-e3', quantity: 1 } }))
      .createSubscription.subscription;
    expect(monthly).toMatchObject({ termDuration: 'P1M', billingFrequency: 'MONTHLY', autoRenew: true });
    expect(monthly.termEndsAt).toBe(addMonths(new Date(monthly.termStartsAt), 1).toISOString());
    // a term without its frequency: the term's first
    const threeYears = (
      await t.client(provider.token).data(CreateTermSubscriptionDocument, { input: { customerId, offerId: 'm365-e3', quantity: 1, termDuration: 'P3Y' } })
    ).createSubscription.subscription;
    expect(threeYears).toMatchObject({ termDuration: 'P3Y', billingFrequency: 'MONTHLY', autoRenew: true });
    expect(threeYears.termEndsAt).toBe(addMonths(new Date(threeYears.termStartsAt), 36).toISOString());

    // a term the offer lacks, a frequency that does not fit the term: BAD_USER_INPUT naming the field, nothing sold
    const before = (await t.client(provider.token).data(CustomerSubscriptionsDocument, { id: customerId })).customer!.subscriptions.totalCount;
    const lacking = await t.client(provider.token).request(CreateTermSubscriptionDocument, {
      input: { customerId, offerId: 'azure-plan', quantity: 1, termDuration: 'P1Y' },
    });
    expect(lacking.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['input.termDuration'] });
    const unfitting = await t.client(provider.token).request(CreateTermSubscriptionDocument, {
      input: { customerId, offerId: 'm365-e3', quantity: 1, termDuration: 'P1M', billingFrequency: 'ANNUAL' },
    });
    expect(unfitting.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['input.billingFrequency'] });
    const unknown = await t.client(provider.token).raw({
      query: 'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }',
      variables: { input: { customerId, offerId: 'm365-e3', quantity: 1, termDuration: 'P2Y' } },
    });
    expect(unknown.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await t.client(provider.token).data(CustomerSubscriptionsDocument, { id: customerId })).customer!.subscriptions.totalCount).toBe(before);
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

  it('gives each order line its term, billing frequency and auto-renewal; a term the offer lacks creates no customer', async () => {
    const { createCustomer } = await t.client(provider.token).data(CreateCustomerWithTermsDocument, {
      input: customerInput({
        subscriptions: [
          { offerId: 'm365-e3', quantity: 40, termDuration: 'P3Y', billingFrequency: 'TRIENNIAL', autoRenew: false },
          { offerId: 'm365-business-basic', quantity: 3, termDuration: 'P1Y' },
          { offerId: 'azure-plan', quantity: 1 },
        ],
      }),
    });
    const lines = createCustomer.customer.subscriptions.edges.map((e) => e.node);
    expect(
      lines.map(({ offer, quantity, status, termDuration, billingFrequency, autoRenew }) => ({
        offer,
        quantity,
        status,
        termDuration,
        billingFrequency,
        autoRenew,
      })),
    ).toEqual([
      { offer: { id: 'm365-e3' }, quantity: 40, status: 'ACTIVE', termDuration: 'P3Y', billingFrequency: 'TRIENNIAL', autoRenew: false },
      { offer: { id: 'm365-business-basic' }, quantity: 3, status: 'ACTIVE', termDuration: 'P1Y', billingFrequency: 'MONTHLY', autoRenew: true },
      { offer: { id: 'azure-plan' }, quantity: 1, status: 'ACTIVE', termDuration: 'P1M', billingFrequency: 'MONTHLY', autoRenew: true },
    ]);
    for (const [line, months] of [
      [lines[0], 36],
      [lines[1], 12],
      [lines[2], 1],
    ] as const) {
      expect(line.termEndsAt).toBe(addMonths(new Date(line.termStartsAt), months).toISOString());
    }

    const before = (await t.client(provider.token).data(CustomersDocument, {})).customers.totalCount;
    for (const [line, field] of [
      [{ offerId: 'azure-plan', quantity: 1, termDuration: 'P3Y' }, 'input.subscriptions[1].termDuration'],
      [{ offerId: 'm365-e3', quantity: 1, termDuration: 'P1Y', billingFrequency: 'TRIENNIAL' }, 'input.subscriptions[1].billingFrequency'],
    ] as const) {
      const res = await t.client(provider.token).request(CreateCustomerWithTermsDocument, {
        input: customerInput({ subscriptions: [{ offerId: 'm365-e3', quantity: 2, termDuration: 'P1Y' }, line] }),
      });
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [field] });
    }
    expect((await t.client(provider.token).data(CustomersDocument, {})).customers.totalCount).toBe(before);
  });
});
