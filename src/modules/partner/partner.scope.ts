import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import type { PartnerType } from '../../common/enums';
import { ForbiddenError } from '../../common/errors';
import { anyOf } from '../../common/sql';
import { byId, registerLoaders } from '../../scope/loaders';
import { type Builder, registerScopeRule, Scope } from '../../scope/scope';
import { PartnershipStatus } from '../../common/enums';
import { Partner } from './partner.entity';
import { registerNodeType } from '../../scope/nodes';

/** The partners that have (or had) a relationship, admin privileges or an admin relationship with :scopeCustomerId. */
const PARTNERS_SERVING_CUSTOMER = [
  'partner.id IN (SELECT sr.partnerId FROM reseller_relationship sr WHERE sr.customerId = :scopeCustomerId)',
  'partner.id IN (SELECT sd.partnerId FROM delegated_admin_privilege sd WHERE sd.customerId = :scopeCustomerId)',
  'partner.id IN (SELECT sa.partnerId FROM admin_relationship sa WHERE sa.customerId = :scopeCustomerId)',
];

declare module '../../scope/scope' {
  interface Scope {
    /**
     * Other partners, as far as the caller may know them. One rule, used by `partner(id)`, `partners` and
     * every nested Partner field:
     * - a partner's user: its own partner, its partnership counterparts (ACTIVE or former), and the
     *   reseller of record and support contact of the subscriptions it sold;
     * - a customer's user: the partners with a relationship or admin privileges with it, its indirect
     *   reseller, and the partners named on its subscriptions.
     * Contact details go only to `withContactDetails` (see there); the others see the public profile.
     */
    partners(em?: EntityManager): Builder<Partner>;
    /**
     * The partners whose contact details the caller may read: the operator all; a partner's user its own
     * partner and its ACTIVE partnership counterparts; a customer's user the partners that serve it.
     */
    withContactDetails(em?: EntityManager): Builder<Partner>;
    /** The caller's own partner (its existence was checked at sign-in), optionally of one of `types`. */
    ownPartner(em?: EntityManager, types?: PartnerType[]): Promise<Partner>;
  }
}

declare module '../../scope/loaders' {
  interface Loaders {
    /** A partner as the caller may know it (null outside `scope.partners()`). */
    partner: DataLoader<string, Partner | null>;
    /** Whether the caller may read a partner's contact details. */
    partnerContactDetails: DataLoader<string, boolean>;
  }
}

Scope.prototype.partners = function (this: Scope, em?: EntityManager): Builder<Partner> {
  const qb = this.from(Partner, 'partner', em);
  return this.byKind(qb, {
    operator: () => qb,
    partner: (partnerId) =>
      qb.andWhere(
        anyOf(
          [
            'partner.id = :scopePartnerId',
            'partner.id IN (SELECT sp.resellerId FROM partnership sp WHERE sp.providerId = :scopePartnerId)',
            'partner.id IN (SELECT sp.providerId FROM partnership sp WHERE sp.resellerId = :scopePartnerId)',
            // one index lookup per partner row (IDX_subscription_seller_*), however many subscriptions the partner sold
            'EXISTS (SELECT 1 FROM subscription ss WHERE ss.soldByPartnerId = :scopePartnerId AND ss.resellerId = partner.id)',
            'EXISTS (SELECT 1 FROM subscription ss WHERE ss.soldByPartnerId = :scopePartnerId AND ss.supportContactId = partner.id)',
          ],
          { scopePartnerId: partnerId },
        ),
      ),
    customer: (customerId) =>
      qb.andWhere(
        anyOf(
          [
            ...PARTNERS_SERVING_CUSTOMER,
            'partner.id IN (SELECT sc.indirectResellerId FROM customer sc WHERE sc.id = :scopeCustomerId)',
            'partner.id IN (SELECT ss.resellerId FROM subscription ss WHERE ss.customerId = :scopeCustomerId)',
            'partner.id IN (SELECT ss.supportContactId FROM subscription ss WHERE ss.customerId = :scopeCustomerId)',
          ],
          { scopeCustomerId: customerId },
        ),
      ),
  });
};

Scope.prototype.withContactDetails = function (this: Scope, em?: EntityManager): Builder<Partner> {
  const qb = this.from(Partner, 'partner', em);
  return this.byKind(qb, {
    operator: () => qb,
    partner: (partnerId) =>
      qb.andWhere(
        anyOf(
          [
            'partner.id = :scopePartnerId',
            'partner.id IN (SELECT sp.resellerId FROM partnership sp WHERE sp.providerId = :scopePartnerId AND sp.status = :scopeActive)',
            'partner.id IN (SELECT sp.providerId FROM partnership sp WHERE sp.resellerId = :scopePartnerId AND sp.status = :scopeActive)',
          ],
          { scopePartnerId: partnerId, scopeActive: PartnershipStatus.ACTIVE },
        ),
      ),
    customer: (customerId) => qb.andWhere(anyOf(PARTNERS_SERVING_CUSTOMER, { scopeCustomerId: customerId })),
  });
};

Scope.prototype.ownPartner = async function (this: Scope, em?: EntityManager, types?: PartnerType[]): Promise<Partner> {
  const partner = await this.manager(em).findOneByOrFail(Partner, { id: this.ownPartnerId() });
  if (types && !types.includes(partner.type)) {
    throw new ForbiddenError(`This operation is for partners of type ${types.join(' or ')}`);
  }
  return partner;
};

/** The ids among a batch whose contact details the caller may read. */
function contactDetails(scope: Scope) {
  return new DataLoader<string, boolean>(async (ids) => {
    const rows = await scope
      .withContactDetails()
      .select('partner.id', 'id')
      .andWhere('partner.id IN (:...loaderIds)', { loaderIds: [...ids] })
      .getRawMany<{ id: string }>();
    const allowed = new Set(rows.map((r) => r.id));
    return ids.map((id) => allowed.has(id));
  });
}

registerScopeRule(Partner, { label: 'Partner', alias: 'partner', read: (scope, em) => scope.partners(em) });
registerLoaders((scope: Scope) => ({ partner: byId(() => scope.partners()), partnerContactDetails: contactDetails(scope) }));
registerNodeType('Partner', { read: (scope: Scope) => scope.partners() });
