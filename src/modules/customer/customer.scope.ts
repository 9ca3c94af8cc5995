import DataLoader from 'dataloader';
import { type EntityManager, In } from 'typeorm';
import { RelationshipStatus } from '../../common/enums';
import { byId, registerLoaders } from '../../scope/loaders';
import { type Builder, registerScopeRule, Scope } from '../../scope/scope';
import { DelegatedAdminPrivilege } from '../relationship/delegated-admin-privilege.entity';
import { ResellerRelationship } from '../relationship/reseller-relationship.entity';
import { Customer } from './customer.entity';
import { CustomerExternalId } from './customer-external-id.entity';
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
    /**
     * The caller's partner's own external ids of these customers (CustomerExternalId), by customer id;
     * empty for a caller that is no partner (a partner's external ids are its own).
     */
    externalIdsOf(customerIds: readonly string[], em?: EntityManager): Promise<Map<string, CustomerExternalId>>;
  }
}

declare module '../../scope/loaders' {
  interface Loaders {
    customer: DataLoader<string, Customer | null>;
    /** The caller's partner's external id of a customer (null: none, or the caller is no partner). */
    customerExternalId: DataLoader<string, string | null>;
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

Scope.prototype.externalIdsOf = async function (this: Scope, customerIds: readonly string[], em?: EntityManager) {
  const partnerId = this.partnerId;
  if (!partnerId || !customerIds.length) return new Map<string, CustomerExternalId>();
  // the unique index (partnerId, customerId)
  const rows = await this.manager(em).findBy(CustomerExternalId, { partnerId, customerId: In([...customerIds]) });
  return new Map(rows.map((row) => [row.customerId, row]));
};

registerScopeRule(Customer, { label: 'Customer', alias: 'customer', read: (scope, em) => scope.customers(em) });
registerLoaders((scope: Scope) => ({
  customer: byId(() => scope.customers()),
  customerExternalId: new DataLoader<string, string | null>(async (customerIds) => {
    const found = await scope.externalIdsOf(customerIds);
    return customerIds.map((id) => found.get(id)?.externalId ?? null);
  }),
}));
registerNodeType('Customer', { read: (scope: Scope) => scope.customers() });
