/**
 * Every mutation, in an order where a valid call of each still applies when its turn comes (a
 * subscription is sold before it is updated, an invitation created before it is answered…): the
 * schema-driven tests (bad-input, audit-changes) run their valid calls in this order. A new mutation
 * joins the list, or those tests fail on it.
 */
export const MUTATION_ORDER = [
  'createPartner',
  // a partner's profile and a customer's account details, once they exist
  'updatePartner',
  'createCustomer',
  'updateCustomer',
  // a customer's users and their licences: while the partner still serves the customer (its delegated admin
  // privileges) and the subscription still sells licences (before it is cancelled); a user is deleted before
  // another deleted one is restored
  'createCustomerUser',
  'updateCustomerUser',
  'assignLicenses',
  'unassignLicenses',
  'deleteCustomerUser',
  'restoreCustomerUser',
  'createCustomerInvitation',
  'createSubscription',
  'updateSubscription',
  'setSubscriptionExternalId',
  // the lifecycle, before the relationship with the customer is removed (a seller changes only while it is ACTIVE)
  'setSubscriptionAutoRenew',
  'scheduleSubscriptionChange',
  'cancelScheduledSubscriptionChange',
  'suspendSubscription',
  'reactivateSubscription',
  'cancelSubscription',
  'upgradeSubscription',
  'createAdminRelationship',
  'updateAdminRelationship',
  'approveAdminRelationship',
  'rejectAdminRelationship',
  'extendAdminRelationships',
  'terminateAdminRelationship',
  'terminateAdminRelationships',
  'acceptCustomerInvitation',
  'revokeDelegatedAdminPrivileges',
  'declineCustomerInvitation',
  'revokeCustomerInvitation',
  'removeCustomerRelationship',
  'requestPartnership',
  'acceptPartnershipRequest',
  'revokePartnershipRequest',
  'removePartnership',
  'createWebhookEndpoint',
  'updateWebhookEndpoint',
  'redeliverWebhook',
  'deleteWebhookEndpoint',
  // last: it moves the (test) clock forward and runs the sweep
  'advanceTestClock',
];
