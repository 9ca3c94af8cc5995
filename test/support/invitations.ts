import { AcceptCustomerInvitationDocument, CreateCustomerDocument, CreateCustomerInvitationDocument } from '../generated/graphql';
import { customerInput } from './factories';
import type { TestServer } from './test-server';

/** A customer with no partner yet (created by the operator), and its CUSTOMER_ADMIN token. */
export async function standaloneCustomer(t: TestServer, cloud: 'PUBLIC' | 'US_GOVERNMENT' | 'GERMANY' = 'PUBLIC') {
  const operator = t.client(await t.tokens.operator());
  const address = cloud === 'GERMANY' ? { addressLine1: 'Friedrichstraße 10', city: 'Berlin', postalCode: '10117', country: 'DE' } : undefined;
  const { createCustomer } = await operator.data(CreateCustomerDocument, {
    input: customerInput({ cloud, companyName: 'Trey Research Incorporated', ...(address ? { address } : {}) }),
  });
  const id = createCustomer.customer.id;
  return { id, companyName: createCustomer.customer.companyName, token: await t.tokens.customer(id) };
}

export async function invite(t: TestServer, partnerToken: string, includeDelegatedAdminPrivileges = true, indirectProviderId?: string) {
  const { createCustomerInvitation } = await t
    .client(partnerToken)
    .data(CreateCustomerInvitationDocument, { input: { includeDelegatedAdminPrivileges, indirectProviderId } });
  return createCustomerInvitation;
}

export async function accept(t: TestServer, customerToken: string, token: string) {
  return t.client(customerToken).data(AcceptCustomerInvitationDocument, { input: { token } });
}
