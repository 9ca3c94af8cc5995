import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import {
  AcceptPartnershipRequestDocument,
  CreateCustomerDocument,
  CreateCustomerInvitationDocument,
  CreatePartnerDocument,
  OffersDocument,
  RequestPartnershipDocument,
} from '../test/generated/graphql';
import { GqlClient } from '../test/support/client';
import { customerInput, uniqueMpnId } from '../test/support/factories';
import { BENCH_SECRET, pool } from './support';

export interface BenchData {
  operatorToken: string;
  providerToken: string;
  providerId: string;
  resellerId: string;
  invitationTokens: string[];
}

/**
 * The benchmark data, through the API: an indirect provider with `customers` customers (half of
 * them through its indirect reseller), one subscription each, and `invitations` pending invitations.
 */
/** Runs `call` again after the server's Retry-After while it answers RATE_LIMITED (a well-behaved client of the budgets). */
async function withinBudget<T>(call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const seconds = /"code":"RATE_LIMITED","retryAfterSeconds":(\d+)/.exec((err as Error).message)?.[1];
      if (!seconds) throw err;
      await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
    }
  }
}

export async function seedProvider(url: string, customers: number, invitations = 100): Promise<BenchData> {
  const operatorToken = await signDevToken(BENCH_SECRET, { sub: 'bench-op', roles: [Role.PLATFORM_ADMIN] });
  const operator = new GqlClient(url, operatorToken);
  const partnerOf = async (type: 'INDIRECT_PROVIDER' | 'INDIRECT_RESELLER', name: string) => {
    const { createPartner } = await operator.data(CreatePartnerDocument, {
      input: { name, mpnId: uniqueMpnId(), type, cloud: 'PUBLIC', contactEmail: 'bench@partner.example' },
    });
    const id = createPartner.partner.id;
    return { id, token: await signDevToken(BENCH_SECRET, { sub: `bench-${id}`, roles: [Role.GLOBAL_ADMIN], partnerId: id }) };
  };
  const provider = await partnerOf('INDIRECT_PROVIDER', 'Bench Provider Ltd');
  // the provider's staff, one per worker: a seed of thousands of customers is more than one user's
  // budget a minute (USER_RATE_LIMIT); the partner's budget still binds, and a 429 is waited out
  const staff = await Promise.all(
    Array.from(
      { length: 8 },
      async (_, n) =>
        new GqlClient(url, await signDevToken(BENCH_SECRET, { sub: `bench-staff-${n}-${provider.id}`, roles: [Role.GLOBAL_ADMIN], partnerId: provider.id })),
    ),
  );
  const reseller = await partnerOf('INDIRECT_RESELLER', 'Bench Reseller Ltd');
  const providerClient = new GqlClient(url, provider.token);
  const { requestPartnership } = await providerClient.data(RequestPartnershipDocument, { input: { resellerEmail: 'r@bench.example' } });
  await new GqlClient(url, reseller.token).data(AcceptPartnershipRequestDocument, { input: { token: requestPartnership.token } });
  const { offers } = await operator.data(OffersDocument);
  const offer = offers.find((o) => o.minQuantity <= 1 && o.maxQuantity >= 10)!;
  await pool(
    Array.from({ length: customers }, (_, i) => i),
    8,
    async (i) => {
      const input = customerInput({
        companyName: `Bench Customer ${i} Corporation`,
        indirectResellerId: i % 2 ? reseller.id : undefined,
        subscriptions: [{ offerId: offer.id, quantity: 1 + (i % 5) }],
      });
      await withinBudget(() => staff[i % staff.length].data(CreateCustomerDocument, { input }));
    },
  );
  const invitationTokens: string[] = [];
  await pool(
    Array.from({ length: invitations }, (_, i) => i),
    8,
    async (i) => {
      const { createCustomerInvitation } = await withinBudget(() =>
        staff[i % staff.length].data(CreateCustomerInvitationDocument, { input: { includeDelegatedAdminPrivileges: true } }),
      );
      invitationTokens.push(createCustomerInvitation.token);
    },
  );
  return { operatorToken, providerToken: provider.token, providerId: provider.id, resellerId: reseller.id, invitationTokens };
}
