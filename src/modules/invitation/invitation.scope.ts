import type { EntityManager } from 'typeorm';
import { type Builder, registerScopeRule, Scope } from '../../scope/scope';
import { CustomerInvitation } from './customer-invitation.entity';
import { registerNodeType } from '../../scope/nodes';
import { Can } from '../../common/auth/roles';

declare module '../../scope/scope' {
  interface Scope {
    /** Invitations: a partner's own (it created them), the operator all. */
    invitations(em?: EntityManager): Builder<CustomerInvitation>;
  }
}

Scope.prototype.invitations = function (this: Scope, em?: EntityManager) {
  return this.partnerOwnedRows(CustomerInvitation, 'invitation', 'partnerId', em);
};

registerScopeRule(CustomerInvitation, { label: 'Invitation', alias: 'invitation', read: (scope, em) => scope.invitations(em) });
registerNodeType('CustomerInvitation', { read: (scope: Scope) => scope.invitations(), roles: Can.readPartnerData });
