import { AcceptPartnershipRequestDocument, RequestPartnershipDocument } from '../generated/graphql';
import type { TestPartner } from './factories';
import type { TestServer } from './test-server';

/** Provider requests, reseller accepts: returns the ACTIVE partnership's id. */
export async function partner(t: TestServer, provider: TestPartner, reseller: TestPartner): Promise<string> {
  const { requestPartnership } = await t.client(provider.token).data(RequestPartnershipDocument, { input: { resellerEmail: 'admin@reseller.example' } });
  const { acceptPartnershipRequest } = await t.client(reseller.token).data(AcceptPartnershipRequestDocument, { input: { token: requestPartnership.token } });
  return acceptPartnershipRequest.partnership.id;
}
