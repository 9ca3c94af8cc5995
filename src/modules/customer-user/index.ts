import './customer-user.scope';
import { defineModule } from '../module';
import * as customerUserChanges from './customer-user.changes';
import { CustomerUser } from './customer-user.entity';
import { ActivityGrantResolver, CustomerUserResolver, SubscriptionLicensesResolver } from './customer-user.resolver';
import { CustomerUserService } from './customer-user.service';
import { LicenseAssignment } from './license-assignment.entity';

declare module '../../context' {
  interface Services {
    customerUsers: CustomerUserService;
  }
}

/**
 * A customer's users and their licences, managed by the customer's admin or by a partner through what
 * the customer granted it (directory-access.ts): DAP, or an admin relationship's roles.
 */
export const customerUserModule = defineModule({
  name: 'customer-user',
  entities: [CustomerUser, LicenseAssignment],
  resolvers: [CustomerUserResolver, SubscriptionLicensesResolver, ActivityGrantResolver],
  // every kind of change the feature declares (each export of its .changes.ts is one)
  changes: Object.values(customerUserChanges),
  services: ({ changes }) => ({ customerUsers: new CustomerUserService(changes) }),
  // deleted users are purged 30 days after their deletion
  sweep: ({ customerUsers }) => customerUsers.purge(),
});
