import { approveAdmin, requestAdmin } from './admin-relationships';
import { createCustomer, type TestPartner } from './factories';
import type { TestServer } from './test-server';

/** A customer of the directory tests, with its admin's token. */
export interface TestCustomer {
  id: string;
  domain: string;
  token: string;
}

/** A customer created by `by` (which then holds DAP over it) and its admin's token. */
export async function newCustomer(t: TestServer, by: TestPartner): Promise<TestCustomer> {
  const { id, domain } = await createCustomer(t, by.token);
  return { id, domain, token: await t.tokens.customer(id) };
}

/**
 * `partner` asks for `roles` for `duration` (addressed to the customer with `addressed`; otherwise anyone
 * may approve, and the partner need not serve the customer) and the customer's admin approves.
 */
export async function approvedAdmin(
  t: TestServer,
  partner: TestPartner,
  c: TestCustomer,
  roles: string[],
  opts: { duration?: string; addressed?: boolean } = {},
) {
  const request = await requestAdmin(t, partner.token, {
    roles: roles as never,
    duration: opts.duration ?? 'P90D',
    ...(opts.addressed ? { customerId: c.id } : {}),
  });
  const approved = await approveAdmin(t, c.token, request.token);
  if (approved.status !== 'ACTIVE' || approved.customerId !== c.id || approved.id !== request.adminRelationship.id) {
    throw new Error(`the approval answered ${JSON.stringify(approved)}`);
  }
  return approved;
}
