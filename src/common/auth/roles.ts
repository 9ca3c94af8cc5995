import { registerEnumType } from 'type-graphql';

/** The roles of the spec's role table. Tokens carry them in the `roles` claim. */
export enum Role {
  PLATFORM_ADMIN = 'PLATFORM_ADMIN',
  GLOBAL_ADMIN = 'GLOBAL_ADMIN',
  ADMIN_AGENT = 'ADMIN_AGENT',
  SALES_AGENT = 'SALES_AGENT',
  USER_ADMIN = 'USER_ADMIN',
  BILLING_ADMIN = 'BILLING_ADMIN',
  CUSTOMER_ADMIN = 'CUSTOMER_ADMIN',
}

registerEnumType(Role, { name: 'Role', description: 'A role carried in the token' });

export const PARTNER_ROLES: Role[] = [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT, Role.USER_ADMIN, Role.BILLING_ADMIN];

/** Who may do what: one list per capability, used by @Authorized on the resolvers. */
export const Can = {
  onboardPartners: [Role.PLATFORM_ADMIN],
  createCustomers: [Role.PLATFORM_ADMIN, Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT, Role.USER_ADMIN],
  inviteCustomers: [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT],
  removeCustomerRelationships: [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT],
  answerInvitations: [Role.CUSTOMER_ADMIN],
  revokeDelegatedAdmin: [Role.CUSTOMER_ADMIN],
  requestPartnerships: [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT],
  acceptOrRemovePartnerships: [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT],
  /** sell subscriptions and add licences */
  sellSubscriptions: [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT],
  /** everything else of a subscription's life: reduce, cancel, suspend, schedule, upgrade, auto-renewal, reseller of record */
  manageSubscriptions: [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT],
  readPartnerData: [Role.PLATFORM_ADMIN, ...PARTNER_ROLES],
  /** the audit trail: the operator, a partner's users (its own trail), a customer's admin (what was done to its tenant) */
  readAuditTrail: [Role.PLATFORM_ADMIN, ...PARTNER_ROLES, Role.CUSTOMER_ADMIN],
  manageWebhooks: [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT],
  /** ask for, change and extend admin relationships (granular delegated admin) */
  requestAdminRelationships: [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT],
  answerAdminRelationships: [Role.CUSTOMER_ADMIN],
  /** either side ends an admin relationship */
  terminateAdminRelationships: [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.CUSTOMER_ADMIN],
  /** a partner's profile: the operator (everything), the partner's own GLOBAL_ADMIN (name, contact email) */
  updatePartners: [Role.PLATFORM_ADMIN, Role.GLOBAL_ADMIN],
  /** a customer's account details: its own admin, a partner with an ACTIVE reseller relationship, the operator */
  updateCustomers: [Role.PLATFORM_ADMIN, Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.CUSTOMER_ADMIN],
  /**
   * a customer's users and licences: its own admin, or a partner's admin users acting through what the
   * customer granted (DAP, or an admin relationship's roles: src/modules/customer-user/directory-access.ts)
   */
  manageCustomerUsers: [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.CUSTOMER_ADMIN],
  /** reading them: the same, and the operator */
  readCustomerUsers: [Role.PLATFORM_ADMIN, Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.CUSTOMER_ADMIN],
} as const;
