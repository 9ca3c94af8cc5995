import { randomUUID } from 'node:crypto';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { Customer } from '../src/modules/customer/customer.entity';
import { Partnership } from '../src/modules/partnership/partnership.entity';
import {
  ActivitiesDocument,
  CreateCustomerDocument,
  CreateSubscriptionDocument,
  CustomerAsSeenDocument,
  PartnerProfileDocument,
  RemovePartnershipDocument,
  UpdateSubscriptionDocument,
  ViewerWithTenantDocument,
} from './generated/graphql';
import { createCustomer, createPartner, customerInput, type TestPartner } from './support/factories';
import { accept, invite } from './support/invitations';
import { partner } from './support/partnerships';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from './support/test-server';

/**
 * The tenant boundary, tried as an attacker would: a customer shared by two unrelated partners,
 * nested fields against the root rule, tokens whose claims do not fit together, and a rule checked
 * on another row racing with its removal.
 */
let t: TestServer;
let vendor: TestPartner; // V: an indirect provider that sold on the shared customer
let vendorReseller: TestPartner; // R: V's reseller, the shared customer's indirect reseller
let rival: TestPartner; // X: a direct reseller with no tie to V or R, but a partner of the same customer
let shared: { id: string; token: string };
let subscriptionId: string;

beforeAll(async () => {
  t = await startTestServer();
  vendor = await createPartner(t, 'INDIRECT_PROVIDER', 'PUBLIC', 'Vendor Distribution Ltd');
  vendorReseller = await createPartner(t, 'INDIRECT_RESELLER', 'PUBLIC', 'Vendor Reseller Ltd');
  rival = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Rival Resale Ltd');
  await partner(t, vendor, vendorReseller);
  const created = await createCustomer(t, vendor.token, { indirectResellerId: vendorReseller.id });
  shared = { id: created.id, token: await t.tokens.customer(created.id) };
  // the customer also accepts the rival's invitation: both partners now have an ACTIVE relationship with it
  await accept(t, shared.token, (await invite(t, rival.token)).token);
  const { createSubscription } = await t.client(vendor.token).data(CreateSubscriptionDocument, {
    input: { customerId: shared.id, offerId: 'm365-e3', quantity: 4, resellerId: vendorReseller.id, supportContactId: vendorReseller.id },
  });
  subscriptionId = createSubscription.subscription.id;
});
afterAll(() => t.stop());

describe('a customer shared by two partners', () => {
  it('keeps a subscription its seller’s: the other partner can neither change it nor read it', async () => {
    const attempt = await t.client(rival.token).request(UpdateSubscriptionDocument, {
      input: { subscriptionId, quantity: 9, resellerId: null },
    });
    expect(attempt.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const { customer } = await t.client(vendor.token).data(CustomerAsSeenDocument, { id: shared.id });
    expect(customer?.subscriptions.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({ id: subscriptionId, quantity: 4, reseller: expect.objectContaining({ id: vendorReseller.id }) }),
    ]);
    const rivalView = await t.client(rival.token).data(CustomerAsSeenDocument, { id: shared.id });
    expect(rivalView.customer?.relationship?.status).toBe('ACTIVE');
    expect(rivalView.customer?.subscriptions).toEqual({ totalCount: 0, edges: [] });

    // nothing about the attempt landed in either trail
    for (const who of [vendor, rival]) {
      const { activities } = await t.client(who.token).data(ActivitiesDocument, { first: 100 });
      expect(activities.edges.filter((e) => e.node.action === 'SUBSCRIPTION_UPDATED')).toEqual([]);
    }
  });

  it('lets the reseller of record read the subscription but not change it; the customer reads its own', async () => {
    const asReseller = await t.client(vendorReseller.token).data(CustomerAsSeenDocument, { id: shared.id });
    expect(asReseller.customer?.subscriptions.edges.map((e) => e.node.id)).toEqual([subscriptionId]);
    const attempt = await t.client(vendorReseller.token).request(UpdateSubscriptionDocument, { input: { subscriptionId, quantity: 9 } });
    expect(attempt.errors?.[0].extensions?.code).toBe('NOT_FOUND'); // only the seller changes it
    const asCustomer = await t.client(shared.token).data(CustomerAsSeenDocument, { id: shared.id });
    expect(asCustomer.customer?.subscriptions.edges.map((e) => e.node.quantity)).toEqual([4]);
  });

  it('records a change in the trail of the partner whose subscription it is', async () => {
    await t.client(vendor.token).data(UpdateSubscriptionDocument, { input: { subscriptionId, quantity: 5 } });
    const { activities } = await t.client(vendor.token).data(ActivitiesDocument, { first: 100 });
    expect(activities.edges.map((e) => e.node).find((a) => a.action === 'SUBSCRIPTION_UPDATED')).toMatchObject({
      partnerId: vendor.id,
      subjectId: subscriptionId,
    });
    const theirs = await t.client(rival.token).data(ActivitiesDocument, { first: 100 });
    expect(theirs.activities.edges.filter((e) => e.node.subjectId === subscriptionId)).toEqual([]);
    await t.client(vendor.token).data(UpdateSubscriptionDocument, { input: { subscriptionId, quantity: 4 } });
  });
});

describe('nested partner fields follow the root rule', () => {
  it('hides another partner’s reseller in every nested field, as partner(id) does', async () => {
    expect(await t.client(rival.token).errorCode(PartnerProfileDocument, { id: vendorReseller.id })).toBe('NOT_FOUND');
    expect(await t.client(rival.token).errorCode(PartnerProfileDocument, { id: vendor.id })).toBe('NOT_FOUND');
    const res = await t.client(rival.token).request(CustomerAsSeenDocument, { id: shared.id });
    expect(res.errors).toBeUndefined();
    expect(res.data?.customer?.indirectReseller).toBeNull();
    expect(res.data?.customer?.partners.map((p) => p.partner.id)).toEqual([rival.id]);
    const text = JSON.stringify(res.data);
    for (const secret of [vendorReseller.id, vendorReseller.name, vendor.id, vendor.name, subscriptionId]) {
      expect(text).not.toContain(secret);
    }
  });

  it('shows the vendor its ACTIVE counterpart in full, at the root and nested', async () => {
    const { partner: root } = await t.client(vendor.token).data(PartnerProfileDocument, { id: vendorReseller.id });
    expect(root).toMatchObject({ id: vendorReseller.id, contactEmail: 'contact@partner.example' });
    const { customer } = await t.client(vendor.token).data(CustomerAsSeenDocument, { id: shared.id });
    expect(customer?.indirectReseller).toMatchObject({ id: vendorReseller.id, contactEmail: 'contact@partner.example' });
    expect(customer?.subscriptions.edges[0].node.supportContact).toMatchObject({ id: vendorReseller.id, contactEmail: 'contact@partner.example' });
  });

  it('shows a former counterpart by its public profile only, never its contact details', async () => {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    const partnershipId = await partner(t, provider, reseller);
    const customer = await createCustomer(t, provider.token, {
      indirectResellerId: reseller.id,
      subscriptions: [{ offerId: 'm365-e3', quantity: 3 }],
    });
    await t.client(provider.token).data(RemovePartnershipDocument, { input: { partnershipId, confirm: true, attestation: true } });

    const root = await t.client(provider.token).data(PartnerProfileDocument, { id: reseller.id });
    expect(root.partner).toMatchObject({ id: reseller.id, name: reseller.name, contactEmail: null });
    const nested = await t.client(provider.token).data(CustomerAsSeenDocument, { id: customer.id });
    expect(nested.customer?.indirectReseller).toMatchObject({ id: reseller.id, contactEmail: null });
    expect(nested.customer?.subscriptions.edges[0].node.reseller).toMatchObject({ id: reseller.id, contactEmail: null });
    const back = await t.client(reseller.token).data(PartnerProfileDocument, { id: provider.id });
    expect(back.partner).toMatchObject({ id: provider.id, contactEmail: null });
  });

  it('lets a customer’s admin read the contact details of the partners that serve it', async () => {
    const { customer } = await t.client(shared.token).data(CustomerAsSeenDocument, { id: shared.id });
    const partners = customer?.partners.map((p) => [p.partner.id, p.partner.contactEmail]);
    expect(partners).toEqual(
      expect.arrayContaining([
        [vendor.id, 'contact@partner.example'],
        [vendorReseller.id, 'contact@partner.example'],
        [rival.id, 'contact@partner.example'],
      ]),
    );
  });
});

describe('token claims must describe exactly one caller', () => {
  const sign = (claims: { roles: Role[]; partnerId?: string; customerId?: string }) => signDevToken(TEST_JWT_SECRET, { sub: 'attacker', ...claims }, '10m');
  const cases: [string, () => Promise<string>][] = [
    ['a partner role with another tenant’s customer_id', () => sign({ roles: [Role.GLOBAL_ADMIN], partnerId: rival.id, customerId: shared.id })],
    ['PLATFORM_ADMIN with a partner_id', () => sign({ roles: [Role.PLATFORM_ADMIN], partnerId: rival.id })],
    ['PLATFORM_ADMIN with a customer_id', () => sign({ roles: [Role.PLATFORM_ADMIN], customerId: shared.id })],
    ['PLATFORM_ADMIN mixed with a partner role', () => sign({ roles: [Role.PLATFORM_ADMIN, Role.GLOBAL_ADMIN], partnerId: rival.id })],
    ['CUSTOMER_ADMIN with a partner_id too', () => sign({ roles: [Role.CUSTOMER_ADMIN], customerId: shared.id, partnerId: rival.id })],
    ['a partner role mixed with CUSTOMER_ADMIN', () => sign({ roles: [Role.GLOBAL_ADMIN, Role.CUSTOMER_ADMIN], partnerId: rival.id })],
    ['CUSTOMER_ADMIN with no customer_id', () => sign({ roles: [Role.CUSTOMER_ADMIN] })],
    ['a partner_id of no existing partner', () => sign({ roles: [Role.GLOBAL_ADMIN], partnerId: randomUUID() })],
    ['a customer_id of no existing customer', () => sign({ roles: [Role.CUSTOMER_ADMIN], customerId: randomUUID() })],
    ['a customer’s id used as a partner_id', () => sign({ roles: [Role.GLOBAL_ADMIN], partnerId: shared.id })],
  ];

  it.each(cases)('refuses %s: UNAUTHENTICATED over HTTP, close 4401 over WebSocket', async (_name, token) => {
    const bad = await token();
    const res = await t.client(bad).request(ViewerWithTenantDocument);
    expect(res.status).toBe(401);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.data ?? null).toBeNull();
    const ws = t.ws(bad);
    expect((await ws.closed).code).toBe(4401);
  });

  it('accepts each consistent kind of token', async () => {
    const operator = await t.client(await t.tokens.operator()).data(ViewerWithTenantDocument);
    expect(operator.viewer).toMatchObject({ partner: null, customer: null });
    const asPartner = await t.client(rival.token).data(ViewerWithTenantDocument);
    expect(asPartner.viewer).toMatchObject({ partner: { id: rival.id }, customer: null });
    const asCustomer = await t.client(shared.token).data(ViewerWithTenantDocument);
    expect(asCustomer.viewer).toMatchObject({ partner: null, customer: { id: shared.id } });
  });
});

describe('no check-then-write', () => {
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('never leaves a customer created for a reseller after the partnership was removed (20 rounds)', async () => {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    const client = t.client(provider.token);
    let late = 0;
    let created = 0;
    let refused = 0;
    for (let round = 0; round < 20; round++) {
      const partnershipId = await partner(t, provider, reseller);
      const creates = [0, 1, 2, 3, 5, 8].map(async (delay) => {
        await pause(delay);
        return client.request(CreateCustomerDocument, { input: customerInput({ indirectResellerId: reseller.id }) });
      });
      // creates spend tens of ms hashing the temporary password before their transaction: the removal
      // starts a little later each round, so that across rounds it lands before, among and after them
      const removal = pause(round * 10).then(() => client.data(RemovePartnershipDocument, { input: { partnershipId, confirm: true, attestation: true } }));
      const [results] = await Promise.all([Promise.all(creates), removal]);
      const { removedAt } = await t.server.ds.getRepository(Partnership).findOneByOrFail({ id: partnershipId });
      for (const res of results) {
        expect(res.status).toBeLessThan(500);
        if (res.errors) {
          expect(res.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['input.indirectResellerId'] });
          refused++;
          continue;
        }
        created++;
        const row = await t.server.ds.getRepository(Customer).findOneByOrFail({ id: res.data!.createCustomer.customer.id });
        if (row.createdAt.getTime() > removedAt!.getTime()) late++;
      }
    }
    expect(created + refused).toBe(120);
    expect(created).toBeGreaterThan(0); // the race was really run: some creates got in before the removal…
    expect(refused).toBeGreaterThan(0); // …and some came after it
    expect(late).toBe(0);
  });
});
