import {
  AcceptCustomerInvitationDocument,
  AcceptPartnershipRequestDocument,
  CustomerDocument,
  CustomersDocument,
  IndirectProvidersDocument,
  IndirectResellersDocument,
  InvitationsDocument,
  RemoveCustomerRelationshipDocument,
  RemovePartnershipDocument,
  RequestPartnershipDocument,
  RevokeDelegatedAdminPrivilegesDocument,
} from './generated/graphql';
import { createPartner, type TestPartner } from './support/factories';
import { accept, invite, standaloneCustomer } from './support/invitations';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer } from './support/test-server';
import { createEndpoint } from './support/webhooks';

/**
 * Authority at the moment of use: what allowed an action when its link was made (an ACTIVE
 * partnership, a relationship's state, room under a limit) is checked again, locked, in the
 * transaction that acts on it. The concurrent cases run their requests at once, several rounds; on
 * MariaDB they fail without the row locks (on SQLite transactions take turns anyway).
 */

let t: TestServer;
let provider: TestPartner;

beforeAll(async () => {
  t = await startTestServer();
  provider = await createPartner(t, 'INDIRECT_PROVIDER', 'PUBLIC', 'Contoso Distribution Inc.');
});
afterAll(() => t.stop());

const ROUNDS = 6;

async function removePartnership(token: string, partnershipId: string) {
  return t.client(token).request(RemovePartnershipDocument, { input: { partnershipId, confirm: true, attestation: true } });
}

/** The reseller relationships of a customer, as stored. */
async function relationshipsOf(customerId: string): Promise<{ partnerId: string; status: string }[]> {
  return t.server.ds.query('SELECT partnerId, status FROM reseller_relationship WHERE customerId = ?', [customerId]);
}

/** Commit-order positions of one event type about one customer, latest first. */
async function customerPositions(type: string, customerId: string): Promise<number[]> {
  const rows: { position: number | string }[] = await t.server.ds.query('SELECT position FROM event WHERE type = ? AND customerId = ? ORDER BY position DESC', [
    type,
    customerId,
  ]);
  return rows.map((r) => Number(r.position));
}

/** Commit-order positions (the event sequence) of one event type about one subject column. */
async function positions(type: string, column: 'invitationId' | 'partnershipId', id: string): Promise<number[]> {
  const rows: { position: number | string }[] = await t.server.ds.query(`SELECT position FROM event WHERE type = ? AND ${column} = ?`, [type, id]);
  return rows.map((r) => Number(r.position));
}

describe('a three-party invitation', () => {
  it('cannot be accepted once the provider–reseller partnership is removed: CONFLICT, nothing written, the provider cannot read the customer', async () => {
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    const partnershipId = await partner(t, provider, reseller);
    const { token, invitation } = await invite(t, reseller.token, true, provider.id);
    expect((await removePartnership(provider.token, partnershipId)).errors).toBeUndefined();
    const customer = await standaloneCustomer(t);

    const res = await t.client(customer.token).request(AcceptCustomerInvitationDocument, { input: { token } });
    expect(res.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(res.errors?.[0].message).toMatch(/partnership between .* provider and .* reseller .* no longer active/i);

    // nothing written: no relationship, no DAP, the invitation still PENDING, no accepted event
    expect(await relationshipsOf(customer.id)).toEqual([]);
    expect(await t.server.ds.query('SELECT id FROM delegated_admin_privilege WHERE customerId = ?', [customer.id])).toEqual([]);
    const { invitations } = await t.client(reseller.token).data(InvitationsDocument, { first: 10 });
    expect(invitations.edges.find((e) => e.node.id === invitation.id)?.node.status).toBe('PENDING');
    expect(await positions('INVITATION_ACCEPTED', 'invitationId', invitation.id)).toEqual([]);

    // neither partner reads the customer
    for (const who of [provider, reseller]) {
      const read = await t.client(who.token).request(CustomerDocument, { id: customer.id });
      expect(read.data?.customer ?? null).toBeNull();
      const { customers } = await t.client(who.token).data(CustomersDocument, { first: 100 });
      expect(customers.edges.map((e) => e.node.id)).not.toContain(customer.id);
    }

    // the link was not used up: once they are partners again, it works
    await partner(t, provider, reseller);
    await accept(t, customer.token, token);
    expect((await relationshipsOf(customer.id)).map((r) => r.partnerId).sort()).toEqual([provider.id, reseller.id].sort());
  });

  it('accepted while the partnership is being removed: never an ACTIVE relationship through a removed partnership', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const reseller = await createPartner(t, 'INDIRECT_RESELLER');
      const partnershipId = await partner(t, provider, reseller);
      const { token, invitation } = await invite(t, reseller.token, true, provider.id);
      const customer = await standaloneCustomer(t);
      // both at once, the removal sent first in odd rounds
      const acceptNow = () => t.client(customer.token).request(AcceptCustomerInvitationDocument, { input: { token } });
      const removeNow = () => removePartnership(provider.token, partnershipId);
      const [acceptRes, removeRes] = round % 2 ? await Promise.all([acceptNow(), removeNow()]) : (await Promise.all([removeNow(), acceptNow()])).reverse();
      expect(removeRes.errors).toBeUndefined();

      const [removedAt] = await positions('PARTNERSHIP_REMOVED', 'partnershipId', partnershipId);
      const relationships = await relationshipsOf(customer.id);
      if (acceptRes.errors) {
        expect(acceptRes.errors[0].extensions?.code).toBe('CONFLICT');
        expect(relationships).toEqual([]);
      } else {
        // accepted and removed both committed: the acceptance came first, while the partnership was ACTIVE
        // (a customer accepted before a removal keeps its relationships, as the SPEC says)
        const [acceptedAt] = await positions('INVITATION_ACCEPTED', 'invitationId', invitation.id);
        expect(acceptedAt).toBeLessThan(removedAt);
        expect(
          relationships
            .filter((r) => r.status === 'ACTIVE')
            .map((r) => r.partnerId)
            .sort(),
        ).toEqual([provider.id, reseller.id].sort());
      }
    }
  }, 60_000);
});

describe('partnership requests', () => {
  it('two requests accepted at once re-establish a removed partnership once: one wins, the other is CONFLICT, the counts stay true', async () => {
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    const partnershipId = await partner(t, provider, reseller);
    for (let round = 0; round < ROUNDS; round++) {
      expect((await removePartnership(provider.token, partnershipId)).errors).toBeUndefined();
      const tokens = await Promise.all(
        [1, 2].map(
          async () =>
            (await t.client(provider.token).data(RequestPartnershipDocument, { input: { resellerEmail: 'admin@reseller.example' } })).requestPartnership.token,
        ),
      );
      const answers = await Promise.all(tokens.map((token) => t.client(reseller.token).request(AcceptPartnershipRequestDocument, { input: { token } })));
      expect(answers.filter((a) => !a.errors).length).toBe(1);
      expect(answers.filter((a) => a.errors).map((a) => a.errors![0].extensions?.code)).toEqual(['CONFLICT']);
      expect(await positions('PARTNERSHIP_ACCEPTED', 'partnershipId', partnershipId)).toHaveLength(round + 2);

      // the counters behind totalCount agree with the rows, on both sides
      const { indirectResellers } = await t.client(provider.token).data(IndirectResellersDocument, { first: 100 });
      expect(indirectResellers.totalCount).toBe(indirectResellers.edges.length);
      const { indirectProviders } = await t.client(reseller.token).data(IndirectProvidersDocument, { first: 100 });
      expect(indirectProviders.totalCount).toBe(1);
      expect(indirectProviders.edges).toHaveLength(1);
    }
  }, 60_000);
});

describe('accepting invitations (relationships and DAP)', () => {
  it('two invitations of one partner accepted at once by a new customer: both succeed, one relationship, counted once', async () => {
    const direct = await createPartner(t, 'DIRECT_RESELLER');
    for (let round = 0; round < ROUNDS; round++) {
      const customer = await standaloneCustomer(t);
      const links = await Promise.all([invite(t, direct.token, true), invite(t, direct.token, true)]);
      const answers = await Promise.all(links.map((l) => t.client(customer.token).request(AcceptCustomerInvitationDocument, { input: { token: l.token } })));
      expect(answers.map((a) => a.errors?.[0] ?? null)).toEqual([null, null]);
      expect(await relationshipsOf(customer.id)).toEqual([{ partnerId: direct.id, status: 'ACTIVE' }]);
      const dap: { status: string }[] = await t.server.ds.query('SELECT status FROM delegated_admin_privilege WHERE customerId = ?', [customer.id]);
      expect(dap.map((d) => d.status)).toEqual(['ACTIVE']);
    }
    const { customers } = await t.client(direct.token).data(CustomersDocument, { first: 100 });
    expect(customers.edges).toHaveLength(ROUNDS);
    expect(customers.totalCount).toBe(ROUNDS);
  }, 60_000);

  it('two invitations accepted at once after the partner removed its relationship: re-established once, counted once', async () => {
    const direct = await createPartner(t, 'DIRECT_RESELLER');
    const customer = await standaloneCustomer(t);
    await accept(t, customer.token, (await invite(t, direct.token, true)).token);
    for (let round = 0; round < ROUNDS; round++) {
      await t.client(direct.token).data(RemoveCustomerRelationshipDocument, { input: { customerId: customer.id, attestation: true } });
      const links = await Promise.all([invite(t, direct.token, true), invite(t, direct.token, true)]);
      const answers = await Promise.all(links.map((l) => t.client(customer.token).request(AcceptCustomerInvitationDocument, { input: { token: l.token } })));
      expect(answers.map((a) => a.errors?.[0] ?? null)).toEqual([null, null]);
      expect(await relationshipsOf(customer.id)).toEqual([{ partnerId: direct.id, status: 'ACTIVE' }]);
      const established: unknown[] = await t.server.ds.query(
        "SELECT id FROM activity WHERE action = 'RELATIONSHIP_ESTABLISHED' AND customerId = ? AND partnerId = ?",
        [customer.id, direct.id],
      );
      expect(established).toHaveLength(round + 2);
      const { customers } = await t.client(direct.token).data(CustomersDocument, { first: 100 });
      expect({ round, totalCount: customers.totalCount, listed: customers.edges.length }).toEqual({ round, totalCount: 1, listed: 1 });
    }
  }, 60_000);

  it('accepted while the partner removes its relationship and the customer revokes DAP: whatever commits last decides, the counts stay true', async () => {
    const direct = await createPartner(t, 'DIRECT_RESELLER');
    for (let round = 0; round < ROUNDS; round++) {
      const customer = await standaloneCustomer(t);
      await accept(t, customer.token, (await invite(t, direct.token, true)).token);
      const { token, invitation } = await invite(t, direct.token, true);
      const [acceptRes, removeRes, revokeRes] = await Promise.all([
        t.client(customer.token).request(AcceptCustomerInvitationDocument, { input: { token } }),
        t.client(direct.token).request(RemoveCustomerRelationshipDocument, { input: { customerId: customer.id, attestation: true } }),
        t.client(customer.token).request(RevokeDelegatedAdminPrivilegesDocument, { input: { partnerId: direct.id } }),
      ]);
      expect([acceptRes.errors, removeRes.errors, revokeRes.errors]).toEqual([undefined, undefined, undefined]);
      // an acceptance that committed after the removal (or the revocation) re-established (restored) it
      const [acceptedAt] = await positions('INVITATION_ACCEPTED', 'invitationId', invitation.id);
      const [removedAt] = await customerPositions('RELATIONSHIP_REMOVED', customer.id);
      const [revokedAt] = await customerPositions('DELEGATED_ADMIN_REVOKED', customer.id);
      const [relationship] = await relationshipsOf(customer.id);
      const [dap]: { status: string }[] = await t.server.ds.query('SELECT status FROM delegated_admin_privilege WHERE customerId = ?', [customer.id]);
      expect({ round, relationship: relationship.status, dap: dap.status }).toEqual({
        round,
        relationship: acceptedAt > removedAt ? 'ACTIVE' : 'REMOVED',
        dap: acceptedAt > revokedAt ? 'ACTIVE' : 'REVOKED',
      });
    }
    const { customers } = await t.client(direct.token).data(CustomersDocument, { first: 100 });
    expect(customers.totalCount).toBe(customers.edges.length);
  }, 60_000);
});

describe('per-owner limits', () => {
  it('20 parallel webhook creations by a partner with 18 endpoints leave exactly 20', async () => {
    const owner = await createPartner(t, 'DIRECT_RESELLER');
    for (let i = 0; i < 18; i++) await createEndpoint(t, owner.token, `https://hooks.example.test/${i}`);
    const create = (i: number) =>
      t.client(owner.token).raw({
        query: 'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }',
        variables: { input: { url: `https://hooks.example.test/parallel/${i}` } },
      });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => create(i)));
    expect(answers.filter((a) => !a.errors).length).toBe(2);
    const refusals = answers.filter((a) => a.errors).map((a) => a.errors![0]);
    expect(refusals).toHaveLength(18);
    for (const e of refusals) {
      expect(e.extensions?.code).toBe('CONFLICT');
      expect(e.message).toMatch(/at most 20 webhook endpoints/);
    }
    const [{ n }] = await t.server.ds.query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM webhook_endpoint WHERE partnerId = ?', [owner.id]);
    expect(Number(n)).toBe(20);
  }, 60_000);
});
