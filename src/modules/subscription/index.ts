import './subscription.scope';
import { defineModule } from '../module';
import type { OfferService } from '../offer/offer.service';
import * as subscriptionChanges from './subscription.changes';
import { CustomerSubscription } from './subscription.entity';
import { SubscriptionResolver, SubscriptionScheduledChangeResolver } from './subscription.resolver';
import { SubscriptionService } from './subscription.service';

declare module '../../context' {
  interface Services {
    subscriptions: SubscriptionService;
  }
}

/** Subscriptions a partner sells to its customers. */
export const subscriptionModule = defineModule({
  name: 'subscription',
  entities: [CustomerSubscription],
  resolvers: [SubscriptionResolver, SubscriptionScheduledChangeResolver],
  // every kind of change the feature declares (each export of its .changes.ts is one)
  changes: Object.values(subscriptionChanges),
  services: ({ deps, changes }, { offers }: { offers: OfferService }) => ({ subscriptions: new SubscriptionService(deps, changes, offers) }),
  sweep: ({ subscriptions }) => subscriptions.sweep.run(),
});
