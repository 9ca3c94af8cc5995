import type DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { DelegatedAdminStatus, RelationshipStatus } from '../../common/enums';
import { forUpdate } from '../../common/database';
import { byCustomer, registerLoaders } from '../../scope/loaders';
import { type Builder, oneOrThrow, Scope } from '../../scope/scope';
import { DelegatedAdminPrivilege } from './delegated-admin-privilege.entity';
import { ResellerRelationship } from './reseller-relationship.entity';
import { registerNodeType } from '../../scope/nodes';

declare module '../../scope/scope' {
  interface Scope {
    /** Reseller relationships: a partner's own, a customer's own, the operator all. */
    relationships(em?: EntityManager): Builder<ResellerRelationship>;
    /** Delegated admin privileges: a partner's own, a customer's own, the operator all. */
    delegatedAdminPrivileges(em?: EntityManager): Builder<DelegatedAdminPrivilege>;
    /**
     * The caller's partner's ACTIVE relationship with a customer, locked until the commit, so that a
     * concurrent removal waits for this transaction (or wins and this one finds none). NOT_FOUND without one.
     */
    lockActiveRelationship(em: EntityManager, customerId: string): Promise<ResellerRelationship>;
    /** The customer's user's ACTIVE delegated admin privileges for a partner, locked; NOT_FOUND otherwise. */
    lockActiveDelegatedAdmin(em: EntityManager, partnerId: string): Promise<DelegatedAdminPrivilege>;
  }
}

declare module '../../scope/loaders' {
  interface Loaders {
    /** The relationships of a customer that concern the caller (a partner: only its own). */
    relationshipsOfCustomer: DataLoader<string, ResellerRelationship[]>;
    delegatedAdminOfCustomer: DataLoader<string, DelegatedAdminPrivilege[]>;
  }
}

Scope.prototype.relationships = function (this: Scope, em?: EntityManager) {
  return this.partnerCustomerRows(ResellerRelationship, 'relationship', em);
};

Scope.prototype.delegatedAdminPrivileges = function (this: Scope, em?: EntityManager) {
  return this.partnerCustomerRows(DelegatedAdminPrivilege, 'dap', em);
};

Scope.prototype.lockActiveRelationship = function (this: Scope, em: EntityManager, customerId: string) {
  const qb = this.from(ResellerRelationship, 'relationship', em).andWhere(
    'relationship.partnerId = :ownPartnerId AND relationship.customerId = :customerId AND relationship.status = :active',
    { ownPartnerId: this.ownPartnerId(), customerId, active: RelationshipStatus.ACTIVE },
  );
  return oneOrThrow(forUpdate(qb), 'Customer', customerId);
};

Scope.prototype.lockActiveDelegatedAdmin = function (this: Scope, em: EntityManager, partnerId: string) {
  const qb = this.from(DelegatedAdminPrivilege, 'dap', em).andWhere('dap.customerId = :ownCustomerId AND dap.partnerId = :partnerId AND dap.status = :active', {
    ownCustomerId: this.ownCustomerId(),
    partnerId,
    active: DelegatedAdminStatus.ACTIVE,
  });
  return oneOrThrow(forUpdate(qb), 'Active delegated admin privileges for partner', partnerId);
};

registerLoaders((scope: Scope) => ({
  relationshipsOfCustomer: byCustomer(() => scope.relationships()),
  delegatedAdminOfCustomer: byCustomer(() => scope.delegatedAdminPrivileges()),
}));
registerNodeType('ResellerRelationship', { read: (scope: Scope) => scope.relationships() });
registerNodeType('DelegatedAdminPrivileges', { read: (scope: Scope) => scope.delegatedAdminPrivileges() });
