import type { EntityManager } from 'typeorm';
import { forUpdate } from '../../common/database';
import { PartnershipStatus } from '../../common/enums';
import { type Builder, registerScopeRule, Scope } from '../../scope/scope';
import { PartnershipRequest } from './partnership-request.entity';
import { Partnership } from './partnership.entity';
import { registerNodeType } from '../../scope/nodes';
import { Can } from '../../common/auth/roles';

declare module '../../scope/scope' {
  interface Scope {
    /** Partnership requests: an indirect provider's own, the operator all. */
    partnershipRequests(em?: EntityManager): Builder<PartnershipRequest>;
    /**
     * Partnerships the caller's partner is a side of (any status), or only those where it is the
     * given `side`; the operator all.
     */
    partnerships(em?: EntityManager, side?: 'provider' | 'reseller'): Builder<Partnership>;
    /**
     * The ACTIVE partnership between the caller's partner and `counterpartId` (either side), locked
     * until the commit; null when there is none. A removal racing with this transaction either waits
     * for it or has already committed, so a rule checked here still holds when the write lands.
     * (Both orders of the pair are exact keys of its unique index, so MySQL locks just that row.)
     */
    lockActivePartnership(em: EntityManager, counterpartId: string): Promise<Partnership | null>;
  }
}

Scope.prototype.partnershipRequests = function (this: Scope, em?: EntityManager) {
  return this.partnerOwnedRows(PartnershipRequest, 'request', 'providerId', em);
};

Scope.prototype.partnerships = function (this: Scope, em?: EntityManager, side?: 'provider' | 'reseller') {
  const qb = this.from(Partnership, 'partnership', em);
  return this.byKind(qb, {
    operator: () => qb,
    partner: (partnerId) => {
      const params = { scopePartnerId: partnerId };
      if (side === 'provider') return qb.andWhere('partnership.providerId = :scopePartnerId', params);
      if (side === 'reseller') return qb.andWhere('partnership.resellerId = :scopePartnerId', params);
      return qb.andWhere('(partnership.providerId = :scopePartnerId OR partnership.resellerId = :scopePartnerId)', params);
    },
  });
};

Scope.prototype.lockActivePartnership = function (this: Scope, em: EntityManager, counterpartId: string) {
  const qb = this.from(Partnership, 'partnership', em)
    .andWhere(
      '((partnership.providerId = :ownPartnerId AND partnership.resellerId = :counterpartId) OR (partnership.providerId = :counterpartId AND partnership.resellerId = :ownPartnerId))',
      { ownPartnerId: this.ownPartnerId(), counterpartId },
    )
    .andWhere('partnership.status = :activePartnership', { activePartnership: PartnershipStatus.ACTIVE });
  return forUpdate(qb).getOne();
};

registerScopeRule(Partnership, { label: 'Partnership', alias: 'partnership', read: (scope, em) => scope.partnerships(em) });
registerScopeRule(PartnershipRequest, { label: 'Partnership request', alias: 'request', read: (scope, em) => scope.partnershipRequests(em) });
registerNodeType('Partnership', { read: (scope: Scope) => scope.partnerships(), roles: Can.readPartnerData });
registerNodeType('PartnershipRequest', { read: (scope: Scope) => scope.partnershipRequests(), roles: Can.readPartnerData });
