import {
  AcceptPartnershipRequestDocument,
  ActivitiesDocument,
  CreateCustomerDocument,
  CreateCustomerInvitationDocument,
  CreateSubscriptionDocument,
  CustomerDocument,
  CustomersDocument,
  IndirectProvidersDocument,
  IndirectResellersDocument,
  InvitationAcceptedDocument,
  PartnershipChangedDocument,
  PartnershipRequestsDocument,
  RemovePartnershipDocument,
  RequestPartnershipDocument,
  RevokePartnershipRequestDocument,
} from './generated/graphql';
import { createCustomer, createPartner, customerInput, type TestPartner } from './support/factories';
import { accept, invite, standaloneCustomer } from './support/invitations';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer } from './support/test-server';

let t: TestServer;
let provider: TestPartner;
let reseller: TestPartner;
let outsider: TestPartner;

beforeAll(async () => {
  t = await startTestServer();
  provider = await createPartner(t, 'INDIRECT_PROVIDER', 'PUBLIC', 'Fabrikam Distribution Inc.');
  reseller = await createPartner(t, 'INDIRECT_RESELLER', 'PUBLIC', 'Northwind IT Solutions LLC');
  outsider = await createPartner(t, 'INDIRECT_RESELLER', 'PUBLIC', 'Unrelated Reseller Ltd');
});
afterAll(() => t.stop());

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('partnership requests', () => {
  it('cannot be made by a direct reseller', async () => {
    const direct = await createPartner(t, 'DIRECT_RESELLER');
    const res = await t.client(direct.token).request(RequestPartnershipDocument, { input: { resellerEmail: 'r@r.example' } });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('needs a valid email', async () => {
    const res = await t.client(provider.token).request(RequestPartnershipDocument, { input: { resellerEmail: 'not-an-email' } });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].extensions?.fields).toEqual(['input.resellerEmail']);
  });

  it('returns a link, a draft containing it, and the token once', async () => {
    const sales = await t.tokens.partner(provider.id, 'SALES_AGENT' as never);
    const { requestPartnership } = await t.client(sales).data(RequestPartnershipDocument, { input: { resellerEmail: 'Owner@Reseller.example' } });
    expect(requestPartnership.request.status).toBe('PENDING');
    expect(requestPartnership.request.resellerEmail).toBe('owner@reseller.example');
    expect(requestPartnership.url).toBe(`https://partner.example.test/partnership-requests/${requestPartnership.token}`);
    expect(requestPartnership.emailDraft.body).toContain(requestPartnership.url);
    expect(requestPartnership.emailDraft.subject).toContain('Fabrikam Distribution Inc.');
    const rows = await t.server.ds.query<{ tokenHash: string }[]>('SELECT tokenHash FROM partnership_request WHERE id = ?', [requestPartnership.request.id]);
    expect(rows[0].tokenHash).not.toContain(requestPartnership.token);
  });

  it('is accepted only by an indirect reseller’s admin, only once, and pushed to both sides', async () => {
    const { requestPartnership } = await t.client(provider.token).data(RequestPartnershipDocument, { input: { resellerEmail: 'a@b.example' } });
    const token = requestPartnership.token;
    const other = await createPartner(t, 'INDIRECT_PROVIDER');
    expect(await t.client(other.token).errorCode(AcceptPartnershipRequestDocument, { input: { token } })).toBe('FORBIDDEN');
    const sales = await t.tokens.partner(reseller.id, 'SALES_AGENT' as never);
    expect(await t.client(sales).errorCode(AcceptPartnershipRequestDocument, { input: { token } })).toBe('FORBIDDEN');
    const customer = await standaloneCustomer(t);
    expect(await t.client(customer.token).errorCode(AcceptPartnershipRequestDocument, { input: { token } })).toBe('FORBIDDEN');

    const dashboards = [t.ws(provider.token), t.ws(reseller.token), t.ws(outsider.token)];
    await Promise.all(dashboards.map((d) => d.ready()));
    const [onProvider, onReseller, onOutsider] = dashboards.map((d) => d.subscribe(PartnershipChangedDocument));
    await settle();

    const admin = await t.tokens.partner(reseller.id, 'ADMIN_AGENT' as never);
    const accepted = await t.client(admin).data(AcceptPartnershipRequestDocument, { input: { token } });
    expect(accepted.acceptPartnershipRequest.partnership).toMatchObject({
      status: 'ACTIVE',
      provider: { id: provider.id },
      reseller: { id: reseller.id },
    });
    const again = await t.client(admin).request(AcceptPartnershipRequestDocument, { input: { token } });
    expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');

    const [e1] = await onProvider.waitFor(1);
    const [e2] = await onReseller.waitFor(1);
    expect(e1.partnershipChanged).toMatchObject({ change: 'ACCEPTED', partnership: { providerId: provider.id, resellerId: reseller.id } });
    expect(e2.partnershipChanged.partnership.partnershipId).toBe(e1.partnershipChanged.partnership.partnershipId);
    await settle();
    expect(onOutsider.events).toHaveLength(0);
    await Promise.all(dashboards.map((d) => d.close()));
  });

  it('gives one partnership for concurrent accepts', async () => {
    const p = await createPartner(t, 'INDIRECT_PROVIDER');
    const r = await createPartner(t, 'INDIRECT_RESELLER');
    const { requestPartnership } = await t.client(p.token).data(RequestPartnershipDocument, { input: { resellerEmail: 'r@r.example' } });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.client(r.token).request(AcceptPartnershipRequestDocument, { input: { token: requestPartnership.token } })),
    );
    expect(results.every((x) => x.status < 500)).toBe(true);
    expect(results.filter((x) => !x.errors)).toHaveLength(1);
    const { indirectResellers } = await t.client(p.token).data(IndirectResellersDocument, {});
    expect(indirectResellers.totalCount).toBe(1);
  });

  it('can be revoked by the provider, and then not accepted; cross-cloud is refused', async () => {
    const { requestPartnership } = await t.client(provider.token).data(RequestPartnershipDocument, { input: { resellerEmail: 'x@y.example' } });
    expect(await t.client(outsider.token).errorCode(RevokePartnershipRequestDocument, { input: { requestId: requestPartnership.request.id } })).toBe(
      'NOT_FOUND',
    );
    const revoked = await t.client(provider.token).data(RevokePartnershipRequestDocument, { input: { requestId: requestPartnership.request.id } });
    expect(revoked.revokePartnershipRequest.request.status).toBe('REVOKED');
    expect(await t.client(outsider.token).errorCode(AcceptPartnershipRequestDocument, { input: { token: requestPartnership.token } })).toBe('CONFLICT');
    const listed = await t.client(provider.token).data(PartnershipRequestsDocument);
    expect(listed.partnershipRequests.edges.find((e) => e.node.id === requestPartnership.request.id)?.node.status).toBe('REVOKED');

    const govProvider = await createPartner(t, 'INDIRECT_PROVIDER', 'US_GOVERNMENT');
    const gov = await t.client(govProvider.token).data(RequestPartnershipDocument, { input: { resellerEmail: 'x@y.example' } });
    expect(await t.client(outsider.token).errorCode(AcceptPartnershipRequestDocument, { input: { token: gov.requestPartnership.token } })).toBe('FORBIDDEN');
  });
});

describe('partnership lists', () => {
  it('shows the partnership on both sides, and none to an unrelated reseller', async () => {
    const p = await createPartner(t, 'INDIRECT_PROVIDER', 'PUBLIC', 'List Provider Ltd');
    const r = await createPartner(t, 'INDIRECT_RESELLER', 'PUBLIC', 'List Reseller Ltd');
    const id = await partner(t, p, r);
    const resellers = await t.client(p.token).data(IndirectResellersDocument, {});
    expect(resellers.indirectResellers.edges.map((e) => [e.node.id, e.node.reseller.name])).toEqual([[id, 'List Reseller Ltd']]);
    const providers = await t.client(r.token).data(IndirectProvidersDocument, {});
    expect(providers.indirectProviders.edges.map((e) => [e.node.id, e.node.provider.name])).toEqual([[id, 'List Provider Ltd']]);
    const unrelated = await createPartner(t, 'INDIRECT_RESELLER');
    expect((await t.client(unrelated.token).data(IndirectProvidersDocument, {})).indirectProviders.totalCount).toBe(0);
    expect((await t.client(unrelated.token).data(IndirectResellersDocument, {})).indirectResellers.totalCount).toBe(0);
  });
});

describe('customers on a reseller’s behalf', () => {
  it('associates the customer with the reseller, gives both relationships and the reseller DAP, and filters by reseller', async () => {
    const p = await createPartner(t, 'INDIRECT_PROVIDER');
    const r = await createPartner(t, 'INDIRECT_RESELLER', 'PUBLIC', 'Behalf Reseller Ltd');
    await partner(t, p, r);
    const sales = await t.tokens.partner(p.id, 'SALES_AGENT' as never);
    const { createCustomer } = await t.client(sales).data(CreateCustomerDocument, {
      input: customerInput({ indirectResellerId: r.id, subscriptions: [{ offerId: 'm365-business-standard', quantity: 12 }] }),
    });
    expect(createCustomer.customer.indirectReseller).toEqual({ id: r.id, name: 'Behalf Reseller Ltd' });
    expect(createCustomer.customer.subscriptions.edges[0].node).toMatchObject({
      quantity: 12,
      offer: { id: 'm365-business-standard' },
      reseller: { id: r.id },
    });
    const direct = await createCustomer_(p.token);

    const filtered = await t.client(p.token).data(CustomersDocument, { filter: { indirectResellerId: r.id } });
    expect(filtered.customers.edges.map((e) => e.node.id)).toEqual([createCustomer.customer.id]);
    const all = await t.client(p.token).data(CustomersDocument, {});
    expect(all.customers.edges.map((e) => e.node.id).sort()).toEqual([createCustomer.customer.id, direct].sort());

    const seenByReseller = await t.client(r.token).data(CustomerDocument, { id: createCustomer.customer.id });
    expect(seenByReseller.customer?.relationship?.status).toBe('ACTIVE');
    expect(seenByReseller.customer?.delegatedAdminPrivileges?.status).toBe('ACTIVE');
    expect(seenByReseller.customer?.indirectReseller?.id).toBe(r.id);
  });

  it('refuses a reseller that is not partnered, and writes nothing', async () => {
    const p = await createPartner(t, 'INDIRECT_PROVIDER');
    const r = await createPartner(t, 'INDIRECT_RESELLER');
    const res = await t.client(p.token).request(CreateCustomerDocument, { input: customerInput({ indirectResellerId: r.id }) });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].extensions?.fields).toEqual(['input.indirectResellerId']);
    expect((await t.client(p.token).data(CustomersDocument, {})).customers.totalCount).toBe(0);
    const direct = await createPartner(t, 'DIRECT_RESELLER');
    const res2 = await t.client(direct.token).request(CreateCustomerDocument, { input: customerInput({ indirectResellerId: r.id }) });
    expect(res2.errors?.[0].extensions?.fields).toEqual(['input.indirectResellerId']);
  });
});

async function createCustomer_(token: string) {
  return (await createCustomer(t, token)).id;
}

describe('three-party invitations', () => {
  it('are refused without an ACTIVE partnership', async () => {
    const p = await createPartner(t, 'INDIRECT_PROVIDER');
    const r = await createPartner(t, 'INDIRECT_RESELLER');
    const res = await t.client(r.token).request(CreateCustomerInvitationDocument, {
      input: { includeDelegatedAdminPrivileges: true, indirectProviderId: p.id },
    });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].extensions?.fields).toEqual(['input.indirectProviderId']);
  });

  it('make both partners ACTIVE resellers, grant DAP to the reseller, and push to both and no one else', async () => {
    const p = await createPartner(t, 'INDIRECT_PROVIDER', 'PUBLIC', 'Three Party Provider Ltd');
    const r = await createPartner(t, 'INDIRECT_RESELLER', 'PUBLIC', 'Three Party Reseller Ltd');
    await partner(t, p, r);
    const customer = await standaloneCustomer(t);
    const dashboards = [t.ws(p.token), t.ws(r.token), t.ws(outsider.token), t.ws(provider.token)];
    await Promise.all(dashboards.map((d) => d.ready()));
    const [onProvider, onReseller, onOutsider, onOtherProvider] = dashboards.map((d) => d.subscribe(InvitationAcceptedDocument));
    await settle();

    const { invitation, token, emailDraft } = await invite(t, r.token, true, p.id);
    expect(invitation.indirectProvider?.id).toBe(p.id);
    expect(emailDraft.body).toContain('Three Party Provider Ltd');
    await accept(t, customer.token, token);

    const [ep] = await onProvider.waitFor(1);
    const [er] = await onReseller.waitFor(1);
    expect(ep.invitationAccepted.invitation).toMatchObject({ invitationId: invitation.id, partnerId: r.id, indirectProviderId: p.id });
    expect(er.invitationAccepted.customer.customerId).toBe(customer.id);
    await settle();
    expect(onOutsider.events).toHaveLength(0);
    expect(onOtherProvider.events).toHaveLength(0);
    await Promise.all(dashboards.map((d) => d.close()));

    const asProvider = await t.client(p.token).data(CustomerDocument, { id: customer.id });
    expect(asProvider.customer?.relationship?.status).toBe('ACTIVE');
    expect(asProvider.customer?.delegatedAdminPrivileges).toBeNull();
    const asReseller = await t.client(r.token).data(CustomerDocument, { id: customer.id });
    expect(asReseller.customer?.relationship?.status).toBe('ACTIVE');
    expect(asReseller.customer?.delegatedAdminPrivileges?.status).toBe('ACTIVE');
    // the provider can now sell to the customer
    const sold = await t.client(p.token).data(CreateSubscriptionDocument, {
      input: { customerId: customer.id, offerId: 'm365-e3', quantity: 50, resellerId: r.id },
    });
    expect(sold.createSubscription.subscription.reseller?.id).toBe(r.id);
  });
});

describe('removing a partnership', () => {
  it('needs confirmation and attestation, is NOT_FOUND to others, keeps customers, and stops new business', async () => {
    const p = await createPartner(t, 'INDIRECT_PROVIDER');
    const r = await createPartner(t, 'INDIRECT_RESELLER');
    const id = await partner(t, p, r);
    const { createCustomer } = await t.client(p.token).data(CreateCustomerDocument, { input: customerInput({ indirectResellerId: r.id }) });
    const customerId = createCustomer.customer.id;

    const noConfirm = await t.client(p.token).request(RemovePartnershipDocument, { input: { partnershipId: id, confirm: false, attestation: true } });
    expect(noConfirm.errors?.[0].extensions?.fields).toEqual(['input.confirm']);
    const noAttest = await t.client(p.token).request(RemovePartnershipDocument, { input: { partnershipId: id, confirm: true, attestation: false } });
    expect(noAttest.errors?.[0].extensions?.fields).toEqual(['input.attestation']);
    expect(await t.client(outsider.token).errorCode(RemovePartnershipDocument, { input: { partnershipId: id, confirm: true, attestation: true } })).toBe(
      'NOT_FOUND',
    );
    const sales = await t.tokens.partner(p.id, 'SALES_AGENT' as never);
    expect(await t.client(sales).errorCode(RemovePartnershipDocument, { input: { partnershipId: id, confirm: true, attestation: true } })).toBe('FORBIDDEN');

    const dashboards = [t.ws(p.token), t.ws(r.token)];
    await Promise.all(dashboards.map((d) => d.ready()));
    const subs = dashboards.map((d) => d.subscribe(PartnershipChangedDocument));
    await settle();
    const removed = await t.client(r.token).data(RemovePartnershipDocument, { input: { partnershipId: id, confirm: true, attestation: true } });
    expect(removed.removePartnership.partnership.status).toBe('REMOVED');
    for (const s of subs) expect((await s.waitFor(1))[0].partnershipChanged.change).toBe('REMOVED');
    await Promise.all(dashboards.map((d) => d.close()));

    expect((await t.client(p.token).data(IndirectResellersDocument, {})).indirectResellers.totalCount).toBe(0);
    expect((await t.client(r.token).data(IndirectProvidersDocument, {})).indirectProviders.totalCount).toBe(0);
    // the customer stays associated and in both lists; DAP unchanged
    const filtered = await t.client(p.token).data(CustomersDocument, { filter: { indirectResellerId: r.id } });
    expect(filtered.customers.edges.map((e) => e.node.id)).toEqual([customerId]);
    const asReseller = await t.client(r.token).data(CustomerDocument, { id: customerId });
    expect(asReseller.customer?.indirectReseller?.id).toBe(r.id);
    expect(asReseller.customer?.delegatedAdminPrivileges?.status).toBe('ACTIVE');

    // no new business can name the reseller
    const newCustomer = await t.client(p.token).request(CreateCustomerDocument, { input: customerInput({ indirectResellerId: r.id }) });
    expect(newCustomer.errors?.[0].extensions?.fields).toEqual(['input.indirectResellerId']);
    const sub = await t.client(p.token).request(CreateSubscriptionDocument, {
      input: { customerId, offerId: 'm365-e3', quantity: 5, resellerId: r.id },
    });
    expect(sub.errors?.[0].extensions?.fields).toEqual(['input.resellerId']);
    const support = await t.client(p.token).request(CreateSubscriptionDocument, {
      input: { customerId, offerId: 'm365-e3', quantity: 5, supportContactId: r.id },
    });
    expect(support.errors?.[0].extensions?.fields).toEqual(['input.supportContactId']);
    const invite3 = await t.client(r.token).request(CreateCustomerInvitationDocument, {
      input: { includeDelegatedAdminPrivileges: true, indirectProviderId: p.id },
    });
    expect(invite3.errors?.[0].extensions?.fields).toEqual(['input.indirectProviderId']);

    // both trails record it, with the attestation
    for (const who of [p, r]) {
      const { activities } = await t.client(who.token).data(ActivitiesDocument, {});
      const row = activities.edges.map((e) => e.node).find((a) => a.action === 'PARTNERSHIP_REMOVED');
      expect(row).toMatchObject({ actorPartnerId: r.id, attestation: true, subjectId: id });
    }
  });
});
