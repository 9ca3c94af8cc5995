import type DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import type { Connection, ConnectionArgs } from '../../common/pagination';
import { byId, childConnections, registerLoaders } from '../../scope/loaders';
import { type Builder, oneOrThrow, registerScopeRule, Scope } from '../../scope/scope';
import { CustomerSubscription } from './subscription.entity';
import { registerNodeType } from '../../scope/nodes';

declare module '../../scope/scope' {
  interface Scope {
    /**
     * Subscriptions the caller may read. A subscription belongs to the partner that sold it; its
     * reseller of record and support contact may read it too. A customer's user reads its own.
     */
    subscriptions(em?: EntityManager): Builder<CustomerSubscription>;
  }
}

declare module '../../scope/loaders' {
  interface Loaders {
    subscriptionCount: DataLoader<string, number>;
    /** A subscription by id, as the caller may read it (an upgrade's other side). */
    subscription: DataLoader<string, CustomerSubscription | null>;
    /** A page of a customer's subscriptions as the caller may read them. */
    subscriptions(customerId: string, args: ConnectionArgs): Promise<Connection<CustomerSubscription>>;
  }
}

Scope.prototype.subscriptions = function (this: Scope, em?: EntityManager) {
  const qb = this.from(CustomerSubscription, 'subscription', em);
  return this.byKind(qb, {
    operator: () => qb,
    partner: (partnerId) =>
      qb.andWhere(
        '(subscription.soldByPartnerId = :scopePartnerId OR subscription.resellerId = :scopePartnerId OR subscription.supportContactId = :scopePartnerId)',
        {
          scopePartnerId: partnerId,
        },
      ),
    customer: (customerId) => qb.andWhere('subscription.customerId = :scopeCustomerId', { scopeCustomerId: customerId }),
  });
};

registerScopeRule(CustomerSubscription, {
  label: 'Subscription',
  alias: 'subscription',
  read: (scope, em) => scope.subscriptions(em),
  // only the partner that sold a subscription changes it (its reseller of record and support contact read it)
  forChange: (scope, qb) => qb.andWhere('subscription.soldByPartnerId = :scopeSeller', { scopeSeller: scope.ownPartnerId() }),
});
registerLoaders((scope: Scope, ds) => {
  const subscriptions = childConnections(CustomerSubscription, () => scope.subscriptions(), ds);
  return { subscriptionCount: subscriptions.counts, subscriptions: subscriptions.page, subscription: byId(() => scope.subscriptions()) };
});
registerNodeType('CustomerSubscription', { read: (scope: Scope) => scope.subscriptions() });

declare module '../../scope/scope' {
  interface Scope {
    /** A subscription the caller sold (what only its seller reads: a cancellation preview, its upgrades), unlocked; NOT_FOUND otherwise. */
    sellerSubscription(id: string): Promise<CustomerSubscription>;
  }
}

Scope.prototype.sellerSubscription = function (this: Scope, id: string) {
  const qb = this.subscriptions().andWhere('subscription.id = :sellerSubscriptionId AND subscription.soldByPartnerId = :scopeSeller', {
    sellerSubscriptionId: id,
    scopeSeller: this.ownPartnerId(),
  });
  return oneOrThrow(qb, 'Subscription', id);
};
