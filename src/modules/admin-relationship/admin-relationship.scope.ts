import type { EntityManager } from 'typeorm';
import type { Connection, ConnectionArgs } from '../../common/pagination';
import { childConnections, registerLoaders } from '../../scope/loaders';
import { type Builder, registerScopeRule, Scope } from '../../scope/scope';
import { AdminRelationship } from './admin-relationship.entity';
import { registerNodeType } from '../../scope/nodes';

declare module '../../scope/scope' {
  interface Scope {
    /**
     * Admin relationships: a partner's own (it asked for them); a customer's user those with its customer
     * (addressed to it, or answered by it); the operator all. An open request that names no customer is
     * its partner's alone until a customer answers it.
     */
    adminRelationships(em?: EntityManager): Builder<AdminRelationship>;
  }
}

declare module '../../scope/loaders' {
  interface Loaders {
    /** A page of a customer's admin relationships as the caller may read them (a partner: its own). */
    adminRelationships(customerId: string, args: ConnectionArgs): Promise<Connection<AdminRelationship>>;
  }
}

Scope.prototype.adminRelationships = function (this: Scope, em?: EntityManager) {
  return this.partnerCustomerRows(AdminRelationship, 'admin_relationship', em);
};

registerScopeRule(AdminRelationship, { label: 'Admin relationship', alias: 'admin_relationship', read: (scope, em) => scope.adminRelationships(em) });
registerLoaders((scope: Scope, ds) => ({ adminRelationships: childConnections(AdminRelationship, () => scope.adminRelationships(), ds).page }));
registerNodeType('AdminRelationship', { read: (scope: Scope) => scope.adminRelationships() });
