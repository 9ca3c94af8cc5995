import { randomBytes } from 'node:crypto';
import { ApproveAdminRelationshipDocument, CreateAdminRelationshipDocument, type CreateAdminRelationshipInput } from '../generated/graphql';
import type { TestServer } from './test-server';

/** A fresh, unique display name (at most 50 characters). */
export function adminName(prefix = 'Helpdesk'): string {
  return `${prefix} ${randomBytes(4).toString('hex')}`;
}

/** A partner asks for admin roles (Helpdesk and License administrator for 90 days unless overridden). */
export async function requestAdmin(t: TestServer, partnerToken: string, overrides: Partial<CreateAdminRelationshipInput> = {}) {
  const { createAdminRelationship } = await t.client(partnerToken).data(CreateAdminRelationshipDocument, {
    input: { displayName: adminName(), roles: ['HELPDESK_ADMINISTRATOR', 'LICENSE_ADMINISTRATOR'], duration: 'P90D', ...overrides },
  });
  return createAdminRelationship;
}

/** A customer's admin approves with the link's token. */
export async function approveAdmin(t: TestServer, customerToken: string, token: string) {
  const { approveAdminRelationship } = await t.client(customerToken).data(ApproveAdminRelationshipDocument, { input: { token } });
  return approveAdminRelationship.adminRelationship;
}
