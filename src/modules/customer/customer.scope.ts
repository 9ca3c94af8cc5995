import type DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { RelationshipStatus } from '../../common/enums';
import { byId, registerLoaders } from '../../scope/loaders';
import { type Builder, registerScopeRule, Scope } from '../../scope/scope';
import { DelegatedAdminPrivilege } from '../relationship/delegated-admin-privilege.entity';
import { ResellerRelationship } from '../relationship/reseller-relationship.entity';
import { Customer } from './customer.entity';
import { registerNodeType } from '../../scope/nodes';

declare module '../../scope/scope' {
  interface Scope {
    /**
     * Customers: a partner's are those with an ACTIVE relationship; a customer's user its own. For a
     * partner, the rows come with its own relationship and admin privileges (`viewerRelationship`,
     * `viewerPrivileges`, see CustomerResolver) from the same statement, so those fields need no query.
     */
    customers(em?: EntityManager): Builder<Customer>;
    /**
     * The keyset column of `customers()`: for a partner, the customer id in the relationship index
     * (partnerId, status, customerId) the join walks, so pages come in index order without a sort.
     */
    readonly customerKey: string;
    /** The caller's own customer (its existence was checked at sign-in). */
    ownCustomer(em?: EntityManager): Promise<Customer>;
  }
}

declare module '../../scope/loaders' {
  interface Loaders {
    customer: DataLoader<string, Customer | null>;
  }
}

Scope.prototype.customers = function (this: Scope, em?: EntityManager): Builder<Customer> {
  const qb = this.from(Customer, 'customer', em);
  return this.byKind(qb, {
    operator: () => qb,
    partner: (partnerId) =>
      qb
        .innerJoinAndMapOne(
          'customer.viewerRelationship',
          ResellerRelationship,
          'scope_rr',
          'scope_rr.customerId = customer.id AND scope_rr.partnerId = :scopePartnerId AND scope_rr.status = :scopeActive',
          { scopePartnerId: partnerId, scopeActive: RelationshipStatus.ACTIVE },
        )
        .leftJoinAndMapOne(
          'customer.viewerPrivileges',
          DelegatedAdminPrivilege,
          'scope_dap',
          'scope_dap.customerId = customer.id AND scope_dap.partnerId = :scopePartnerId',
          { scopePartnerId: partnerId },
        ),
    customer: (customerId) => qb.andWhere('customer.id = :scopeCustomerId', { scopeCustomerId: customerId }),
  });
};

Object.defineProperty(Scope.prototype, 'customerKey', {
  get(this: Scope): string {
    return this.partnerId ? 'scope_rr.customerId' : 'customer.id';
  },
});

Scope.prototype.ownCustomer = function (this: Scope, em?: EntityManager): Promise<Customer> {
  return this.manager(em).findOneByOrFail(Customer, { id: this.ownCustomerId() });
};

registerScopeRule(Customer, { label: 'Customer', alias: 'customer', read: (scope, em) => scope.customers(em) });
registerLoaders((scope: Scope) => ({ customer: byId(() => scope.customers()) }));
registerNodeType('Customer', { read: (scope: Scope) => scope.customers() });
