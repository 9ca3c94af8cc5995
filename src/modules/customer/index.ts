import './customer.scope';
import { EVERYONE, registerTally, TallyName } from '../../counts/tallies';
import { defineModule } from '../module';
import type { RelationshipService } from '../relationship/relationship.service';
import type { SubscriptionService } from '../subscription/subscription.service';
import * as customerChanges from './customer.changes';
import { Customer } from './customer.entity';
import { CustomerExternalId } from './customer-external-id.entity';
import { CustomerResolver } from './customer.resolver';
import { CustomerService } from './customer.service';

declare module '../../context' {
  interface Services {
    customers: CustomerService;
  }
}

/** Customers: the tenants (their users: src/modules/customer-user/). */
export const customerModule = defineModule({
  name: 'customer',
  entities: [Customer, CustomerExternalId],
  resolvers: [CustomerResolver],
  // every kind of change the feature declares (each export of its .changes.ts is one)
  changes: Object.values(customerChanges),
  register: () => registerTally(TallyName.CUSTOMERS, [`SELECT '${EVERYONE}', COUNT(*) FROM customer`]),
  services: ({ deps, changes }, needs: { relationships: RelationshipService; subscriptions: SubscriptionService }) => ({
    customers: new CustomerService(deps, changes, needs.relationships, needs.subscriptions),
  }),
});
