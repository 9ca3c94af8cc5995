import { auditTallies } from '../src/counts/tallies';
import { Tally } from '../src/counts/tally.entity';
import {
  DeclineCustomerInvitationDocument,
  RemoveCustomerRelationshipDocument,
  RemovePartnershipDocument,
  RevokeCustomerInvitationDocument,
} from './generated/graphql';
import { createCustomer, createPartner, customerInput } from './support/factories';
import { accept, invite, standaloneCustomer } from './support/invitations';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer } from './support/test-server';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ MAX_QUERY_COMPLEXITY: '100000' });
});
afterAll(() => t.stop());

/** A list's `totalCount`, and how many rows paging through it (7 at a time) actually finds. */
async function countAndWalk(token: string, field: string, args = ''): Promise<{ totalCount: number; walked: number }> {
  let after: string | null = null;
  let walked = 0;
  let totalCount = -1;
  for (let pages = 0; pages < 100; pages++) {
    type Page = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: unknown[] };
    const res: { data?: Record<string, Page> | null; errors?: unknown[] } = await t
      .client(token)
      .raw<Record<string, { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: unknown[] }>>({
        query: `query ($after: String) { list: ${field}(first: 7, after: $after${args}) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } } }`,
        variables: { after },
      });
    if (res.errors?.length) throw new Error(`${field}: ${JSON.stringify(res.errors)}`);
    const list: Page = res.data!.list;
    totalCount = list.totalCount;
    walked += list.edges.length;
    if (!list.pageInfo.hasNextPage) break;
    after = list.pageInfo.endCursor;
  }
  return { totalCount, walked };
}

async function expectCountsMatch(token: string, lists: [string, string?][]) {
  for (const [field, args] of lists) {
    const { totalCount, walked } = await countAndWalk(token, field, args);
    expect({ field, totalCount }).toEqual({ field, totalCount: walked });
  }
}

describe('totalCount from counters (src/counts/)', () => {
  it('equals the rows of every list through every kind of change, and each counter equals a recount', async () => {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    const direct = await createPartner(t, 'DIRECT_RESELLER');
    const operator = await t.tokens.operator();

    const partnershipId = await partner(t, provider, reseller);
    for (let i = 0; i < 5; i++) await createCustomer(t, provider.token, i < 2 ? { indirectResellerId: reseller.id } : {});
    const own = [];
    for (let i = 0; i < 3; i++) own.push(await createCustomer(t, direct.token));

    // a relationship through an invitation; one removed, then re-established (re-activated)
    const joining = await standaloneCustomer(t);
    await accept(t, joining.token, (await invite(t, direct.token)).token);
    await t.client(direct.token).data(RemoveCustomerRelationshipDocument, { input: { customerId: own[0].id, attestation: true } });
    await accept(t, await t.tokens.customer(own[0].id), (await invite(t, direct.token)).token);
    await t.client(direct.token).data(RemoveCustomerRelationshipDocument, { input: { customerId: own[1].id, attestation: true } });
    // invitations answered otherwise
    await t.client(joining.token).data(DeclineCustomerInvitationDocument, { input: { token: (await invite(t, direct.token)).token } });
    await t.client(direct.token).data(RevokeCustomerInvitationDocument, { input: { invitationId: (await invite(t, direct.token)).invitation.id } });
    // a partnership removed, then formed again (the same row re-activated)
    await t.client(provider.token).data(RemovePartnershipDocument, { input: { partnershipId, confirm: true, attestation: true } });
    await partner(t, provider, reseller);
    // a change that fails part-way counts nothing
    const failed = await t.client(provider.token).raw({
      query: 'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }',
      variables: { input: customerInput({ subscriptions: [{ offerId: 'no-such-offer', quantity: 1 }] }) },
    });
    expect(failed.errors?.length).toBeGreaterThan(0);

    await expectCountsMatch(provider.token, [['customers'], ['invitations'], ['partnershipRequests'], ['indirectResellers'], ['activities'], ['events']]);
    await expectCountsMatch(reseller.token, [['customers'], ['indirectProviders'], ['activities'], ['events']]);
    await expectCountsMatch(direct.token, [['customers'], ['invitations'], ['activities'], ['events']]);
    await expectCountsMatch(joining.token, [['customers'], ['events']]);
    await expectCountsMatch(operator, [['customers'], ['partners'], ['invitations'], ['events'], ['activities', `, partnerId: "${direct.id}"`]]);
    // filtered lists count their rows
    await expectCountsMatch(provider.token, [
      ['customers', `, filter: { indirectResellerId: "${reseller.id}" }`],
      ['events', ', filter: { types: [CUSTOMER_CREATED] }'],
    ]);
    await expectCountsMatch(direct.token, [
      ['invitations', ', filter: { status: PENDING }'],
      ['customers', ', filter: { search: "Contoso" }'],
    ]);

    expect(await countAndWalk(direct.token, 'customers')).toEqual({ totalCount: 3, walked: 3 });
    expect(await auditTallies(t.server.ds)).toEqual([]);
  });

  it('stays right when many changes of one partner commit at once', async () => {
    const busy = await createPartner(t, 'DIRECT_RESELLER');
    await Promise.all([...Array.from({ length: 8 }, () => createCustomer(t, busy.token)), ...Array.from({ length: 4 }, () => invite(t, busy.token))]);
    await expectCountsMatch(busy.token, [['customers'], ['invitations'], ['activities'], ['events']]);
    expect(await auditTallies(t.server.ds)).toEqual([]);
  });

  it('rebuilds the counters at start for a database from before them', async () => {
    const p = await createPartner(t, 'DIRECT_RESELLER');
    for (let i = 0; i < 3; i++) await createCustomer(t, p.token);
    await t.server.ds.createQueryBuilder().delete().from(Tally).execute();
    expect(await countAndWalk(p.token, 'customers')).toEqual({ totalCount: 0, walked: 3 });

    const restarted = await startTestServer({}, { sameDatabaseAs: t });
    try {
      expect(await auditTallies(restarted.server.ds)).toEqual([]);
      const res = await restarted.client(p.token).raw<{ customers: { totalCount: number } }>({ query: '{ customers { totalCount } }' });
      expect(res.data?.customers.totalCount).toBe(3);
    } finally {
      await restarted.stop();
    }
  });
});
