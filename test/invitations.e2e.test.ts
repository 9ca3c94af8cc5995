import { createHash } from 'node:crypto';
import {
  AcceptCustomerInvitationDocument,
  ActivitiesDocument,
  CreateCustomerInvitationDocument,
  CustomerDocument,
  CustomersDocument,
  DeclineCustomerInvitationDocument,
  InvitationAcceptedDocument,
  InvitationPreviewDocument,
  InvitationsDocument,
  RemoveCustomerRelationshipDocument,
  RevokeCustomerInvitationDocument,
  RevokeDelegatedAdminPrivilegesDocument,
} from './generated/graphql';
import { createPartner, type TestPartner } from './support/factories';
import { accept, invite, standaloneCustomer } from './support/invitations';
import { startTestServer, type TestServer } from './support/test-server';

let t: TestServer;
let contoso: TestPartner;
let litware: TestPartner;

beforeAll(async () => {
  t = await startTestServer();
  contoso = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Contoso Cloud Ltd');
  litware = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Litware Partners Ltd');
});
afterAll(() => t.stop());

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('creating an invitation', () => {
  it('is refused to a SALES_AGENT', async () => {
    const sales = await t.tokens.partner(contoso.id, 'SALES_AGENT' as never);
    const res = await t.client(sales).request(CreateCustomerInvitationDocument, { input: { includeDelegatedAdminPrivileges: true } });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('returns a link carrying the token, a draft containing the link, and stores only the hash', async () => {
    const admin = await t.tokens.partner(contoso.id, 'ADMIN_AGENT' as never);
    const { invitation, token, url, emailDraft } = await invite(t, admin, true);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 bytes, base64url
    expect(invitation.status).toBe('PENDING');
    expect(url).toBe(`https://partner.example.test/invitations/${token}`);
    expect(emailDraft.body).toContain(url);
    expect(emailDraft.subject).toContain('Contoso Cloud Ltd');
    expect(emailDraft.body).toContain('delegated administration privileges');
    const days = (new Date(invitation.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(90);

    const rows = await t.server.ds.query<{ tokenHash: string }[]>('SELECT tokenHash FROM customer_invitation WHERE id = ?', [invitation.id]);
    expect(rows[0].tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    // the listed invitation no longer carries the link: the invitation type has no field for it (only the payload had)
    const list = await t.client(contoso.token).data(InvitationsDocument, { first: 100 });
    const listed = list.invitations.edges.find((e) => e.node.id === invitation.id);
    expect(listed?.node).toBeDefined();
    const linkOnList = await t.client(contoso.token).raw({ query: '{ invitations(first: 1) { edges { node { id url } } } }' });
    expect(linkOnList.errors?.[0].message).toMatch(/Cannot query field "url" on type "CustomerInvitation"/);
    expect(JSON.stringify(list)).not.toContain(token);
  });

  it('says in the draft when no admin permissions are asked for', async () => {
    const { emailDraft } = await invite(t, contoso.token, false);
    expect(emailDraft.body).toContain('does not ask for administrator permissions');
  });

  it('is previewed without a token, showing only what the customer agrees to', async () => {
    const { token } = await invite(t, contoso.token, true);
    const res = await t.client().request(InvitationPreviewDocument, { token });
    expect(res.errors).toBeUndefined();
    expect(res.data?.invitationPreview).toMatchObject({
      partnerName: 'Contoso Cloud Ltd',
      indirectProviderName: null,
      includeDelegatedAdminPrivileges: true,
      status: 'PENDING',
    });
    const unknown = await t.client().data(InvitationPreviewDocument, { token: 'x'.repeat(43) });
    expect(unknown.invitationPreview).toBeNull();
  });
});

describe('accepting an invitation', () => {
  it('is refused to a partner', async () => {
    const { token } = await invite(t, contoso.token);
    const res = await t.client(litware.token).request(AcceptCustomerInvitationDocument, { input: { token } });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('pushes to the inviting partner only, once, and activates the relationship and DAP', async () => {
    const customer = await standaloneCustomer(t);
    const bystander = await standaloneCustomer(t);
    const inviterAgent = await t.tokens.partner(contoso.id, 'BILLING_ADMIN' as never, 'dashboard-user');
    const dashboards = {
      inviter: t.ws(contoso.token),
      inviterColleague: t.ws(inviterAgent),
      otherPartner: t.ws(litware.token),
      otherCustomer: t.ws(bystander.token),
    };
    // a socket without a token is refused before it can subscribe (4401)
    const anonymous = t.ws();
    await Promise.all(Object.values(dashboards).map((d) => d.ready()));
    const subs = Object.fromEntries(Object.entries(dashboards).map(([k, d]) => [k, d.subscribe(InvitationAcceptedDocument)]));
    await settle();

    const { invitation, token } = await invite(t, contoso.token, true);
    const accepted = await accept(t, customer.token, token);
    expect(accepted.acceptCustomerInvitation.invitation.status).toBe('ACCEPTED');

    const [event] = await subs.inviter.waitFor(1);
    expect(event.invitationAccepted).toMatchObject({
      invitation: { invitationId: invitation.id, status: 'ACCEPTED', partnerId: contoso.id },
      customer: { customerId: customer.id, companyName: customer.companyName },
    });
    expect(new Date(event.invitationAccepted.occurredAt).getTime()).toBeGreaterThan(Date.now() - 10_000);
    await subs.inviterColleague.waitFor(1);
    await settle();
    expect(subs.inviter.events).toHaveLength(1);
    expect(subs.otherPartner.events).toHaveLength(0);
    expect(subs.otherCustomer.events).toHaveLength(0);
    expect((await anonymous.closed).code).toBe(4401);
    await anonymous.close();
    expect(JSON.stringify(subs.otherCustomer.errors)).toContain('FORBIDDEN');
    await Promise.all(Object.values(dashboards).map((d) => d.close()));

    // a second accept is refused
    const again = await t.client(customer.token).request(AcceptCustomerInvitationDocument, { input: { token } });
    expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');

    const { customer: seen } = await t.client(contoso.token).data(CustomerDocument, { id: customer.id });
    expect(seen?.relationship?.status).toBe('ACTIVE');
    expect(seen?.delegatedAdminPrivileges?.status).toBe('ACTIVE');
    const list = await t.client(contoso.token).data(CustomersDocument, { first: 100 });
    expect(list.customers.edges.map((e) => e.node.id)).toContain(customer.id);
  });

  it('is refused after decline and after revoke', async () => {
    const customer = await standaloneCustomer(t);
    const declined = await invite(t, contoso.token);
    const d = await t.client(customer.token).data(DeclineCustomerInvitationDocument, { input: { token: declined.token } });
    expect(d.declineCustomerInvitation.invitation.status).toBe('DECLINED');
    const res1 = await t.client(customer.token).request(AcceptCustomerInvitationDocument, { input: { token: declined.token } });
    expect(res1.errors?.[0].extensions?.code).toBe('CONFLICT');

    const revoked = await invite(t, contoso.token);
    // another partner cannot revoke it
    const foreign = await t.client(litware.token).request(RevokeCustomerInvitationDocument, { input: { invitationId: revoked.invitation.id } });
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const r = await t.client(contoso.token).data(RevokeCustomerInvitationDocument, { input: { invitationId: revoked.invitation.id } });
    expect(r.revokeCustomerInvitation.invitation.status).toBe('REVOKED');
    const res2 = await t.client(customer.token).request(AcceptCustomerInvitationDocument, { input: { token: revoked.token } });
    expect(res2.errors?.[0].extensions?.code).toBe('CONFLICT');
    const preview = await t.client().data(InvitationPreviewDocument, { token: revoked.token });
    expect(preview.invitationPreview?.status).toBe('REVOKED');
    const { customer: seen } = await t.client(await t.tokens.operator()).data(CustomerDocument, { id: customer.id });
    expect(seen?.partners).toEqual([]);
  });

  it('gives exactly one relationship and one push for 20 concurrent accepts, and no 5xx', async () => {
    const customer = await standaloneCustomer(t);
    const dashboard = t.ws(contoso.token);
    await dashboard.ready();
    const sub = dashboard.subscribe(InvitationAcceptedDocument);
    await settle();
    const { token } = await invite(t, contoso.token);
    const client = t.client(customer.token);
    const results = await Promise.all(Array.from({ length: 20 }, () => client.request(AcceptCustomerInvitationDocument, { input: { token } })));
    expect(results.every((r) => r.status < 500)).toBe(true);
    const ok = results.filter((r) => !r.errors);
    const codes = results.filter((r) => r.errors).map((r) => r.errors![0].extensions?.code);
    expect(ok).toHaveLength(1);
    expect(codes).toEqual(Array(19).fill('CONFLICT'));
    const rows = await t.server.ds.query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM reseller_relationship WHERE customerId = ?', [customer.id]);
    expect(Number(rows[0].n)).toBe(1);
    await sub.waitFor(1);
    await settle();
    expect(sub.events).toHaveLength(1);
    await dashboard.close();
  });
});

describe('clouds', () => {
  it('requires DAP on invitations in the US Government and Germany clouds', async () => {
    for (const cloud of ['US_GOVERNMENT', 'GERMANY'] as const) {
      const partner = await createPartner(t, 'DIRECT_RESELLER', cloud);
      const res = await t.client(partner.token).request(CreateCustomerInvitationDocument, { input: { includeDelegatedAdminPrivileges: false } });
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].extensions?.fields).toEqual(['input.includeDelegatedAdminPrivileges']);
      const ok = await invite(t, partner.token, true);
      expect(ok.invitation.cloud).toBe(cloud);
    }
  });

  it('refuses an invitation from a partner in another cloud', async () => {
    const gov = await createPartner(t, 'DIRECT_RESELLER', 'US_GOVERNMENT');
    const publicCustomer = await standaloneCustomer(t, 'PUBLIC');
    const { token } = await invite(t, gov.token, true);
    const res = await t.client(publicCustomer.token).request(AcceptCustomerInvitationDocument, { input: { token } });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.client().data(InvitationPreviewDocument, { token })).invitationPreview?.status).toBe('PENDING');
    const govCustomer = await standaloneCustomer(t, 'US_GOVERNMENT');
    const accepted = await accept(t, govCustomer.token, token);
    expect(accepted.acceptCustomerInvitation.invitation.status).toBe('ACCEPTED');
  });
});

describe('removal and delegated admin privileges', () => {
  it('removal needs attestation, drops the customer from the list and leaves DAP ACTIVE; revoke and restore DAP', async () => {
    const customer = await standaloneCustomer(t);
    await accept(t, customer.token, (await invite(t, contoso.token, true)).token);

    const agent = t.client(await t.tokens.partner(contoso.id, 'ADMIN_AGENT' as never));
    const noAttest = await agent.request(RemoveCustomerRelationshipDocument, { input: { customerId: customer.id, attestation: false } });
    expect(noAttest.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(noAttest.errors?.[0].extensions?.fields).toEqual(['input.attestation']);
    const sales = t.client(await t.tokens.partner(contoso.id, 'SALES_AGENT' as never));
    expect(await sales.errorCode(RemoveCustomerRelationshipDocument, { input: { customerId: customer.id, attestation: true } })).toBe('FORBIDDEN');
    expect(await t.client(litware.token).errorCode(RemoveCustomerRelationshipDocument, { input: { customerId: customer.id, attestation: true } })).toBe(
      'NOT_FOUND',
    );

    const removed = await agent.data(RemoveCustomerRelationshipDocument, { input: { customerId: customer.id, attestation: true } });
    expect(removed.removeCustomerRelationship.relationship.status).toBe('REMOVED');
    const list = await agent.data(CustomersDocument, { first: 100 });
    expect(list.customers.edges.map((e) => e.node.id)).not.toContain(customer.id);
    expect(await agent.errorCode(CustomerDocument, { id: customer.id })).toBe('NOT_FOUND');

    const own = t.client(customer.token);
    const afterRemoval = await own.data(CustomerDocument, { id: customer.id });
    expect(afterRemoval.customer?.partners).toEqual([
      { partner: { id: contoso.id, name: 'Contoso Cloud Ltd' }, relationshipStatus: 'REMOVED', delegatedAdminStatus: 'ACTIVE' },
    ]);

    // a new invitation re-activates the relationship
    await accept(t, customer.token, (await invite(t, contoso.token, false)).token);
    // the customer revokes DAP: the relationship stays
    const revoked = await own.data(RevokeDelegatedAdminPrivilegesDocument, { input: { partnerId: contoso.id } });
    expect(revoked.revokeDelegatedAdminPrivileges.delegatedAdminPrivileges.status).toBe('REVOKED');
    expect(await own.errorCode(RevokeDelegatedAdminPrivilegesDocument, { input: { partnerId: contoso.id } })).toBe('NOT_FOUND');
    expect(await t.client(contoso.token).errorCode(RevokeDelegatedAdminPrivilegesDocument, { input: { partnerId: contoso.id } })).toBe('FORBIDDEN');
    let seen = (await t.client(contoso.token).data(CustomerDocument, { id: customer.id })).customer;
    expect(seen?.relationship?.status).toBe('ACTIVE');
    expect(seen?.delegatedAdminPrivileges?.status).toBe('REVOKED');

    // a new invitation that asks for DAP restores it
    await accept(t, customer.token, (await invite(t, contoso.token, true)).token);
    seen = (await t.client(contoso.token).data(CustomerDocument, { id: customer.id })).customer;
    expect(seen?.delegatedAdminPrivileges?.status).toBe('ACTIVE');

    // the audit trail has each change, with its actor, newest first
    const { activities } = await t.client(contoso.token).data(ActivitiesDocument, { first: 100 });
    const mine = activities.edges.map((e) => e.node).filter((a) => a.customerId === customer.id);
    const actions = mine.map((a) => a.action).reverse();
    expect(actions).toEqual([
      'INVITATION_ACCEPTED',
      'RELATIONSHIP_ESTABLISHED',
      'DELEGATED_ADMIN_GRANTED',
      'RELATIONSHIP_REMOVED',
      'INVITATION_ACCEPTED',
      'RELATIONSHIP_ESTABLISHED',
      'DELEGATED_ADMIN_REVOKED',
      'INVITATION_ACCEPTED',
      'DELEGATED_ADMIN_GRANTED',
    ]);
    const removal = mine.find((a) => a.action === 'RELATIONSHIP_REMOVED')!;
    expect(removal).toMatchObject({ actorPartnerId: contoso.id, actorRoles: ['ADMIN_AGENT'], attestation: true });
    const revocation = mine.find((a) => a.action === 'DELEGATED_ADMIN_REVOKED')!;
    expect(revocation).toMatchObject({ actorCustomerId: customer.id, actorRoles: ['CUSTOMER_ADMIN'], actorPartnerId: null });
    const others = await t.client(litware.token).data(ActivitiesDocument, { first: 100 });
    expect(others.activities.edges.filter((e) => e.node.customerId === customer.id)).toEqual([]);
  });
});

describe('expiry', () => {
  it('refuses an expired invitation and lists it as EXPIRED', async () => {
    const short = await startTestServer({ INVITATION_TTL: '1s' });
    try {
      const partner = await createPartner(short);
      const customer = await standaloneCustomer(short);
      const { invitation, token } = await invite(short, partner.token);
      await new Promise((r) => setTimeout(r, 1300));
      const res = await short.client(customer.token).request(AcceptCustomerInvitationDocument, { input: { token } });
      expect(res.errors?.[0].extensions?.code).toBe('CONFLICT');
      expect(res.errors?.[0].message).toContain('expired');
      const expired = await short.client(partner.token).data(InvitationsDocument, { filter: { status: 'EXPIRED' } });
      expect(expired.invitations.edges.map((e) => [e.node.id, e.node.status])).toEqual([[invitation.id, 'EXPIRED']]);
      const pending = await short.client(partner.token).data(InvitationsDocument, { filter: { status: 'PENDING' } });
      expect(pending.invitations.totalCount).toBe(0);
      expect((await short.client().data(InvitationPreviewDocument, { token })).invitationPreview?.status).toBe('EXPIRED');
    } finally {
      await short.stop();
    }
  });
});

describe('the operator', () => {
  it('sees every partner’s invitations and reads a named partner’s trail', async () => {
    const { invitation } = await invite(t, litware.token);
    const operator = t.client(await t.tokens.operator());
    const all = await operator.data(InvitationsDocument, { first: 100 });
    expect(all.invitations.edges.map((e) => e.node.id)).toContain(invitation.id);
    const mine = await t.client(contoso.token).data(InvitationsDocument, { first: 100 });
    expect(mine.invitations.edges.map((e) => e.node.id)).not.toContain(invitation.id);

    const res = await operator.request(ActivitiesDocument, {});
    expect(res.errors?.[0].extensions?.fields).toEqual(['partnerId']);
    const trail = await operator.data(ActivitiesDocument, { partnerId: litware.id });
    expect(trail.activities.edges[0].node).toMatchObject({ action: 'INVITATION_CREATED', subjectId: invitation.id, partnerId: litware.id });
    expect(await t.client(contoso.token).errorCode(ActivitiesDocument, { partnerId: litware.id })).toBe('NOT_FOUND');
  });
});
