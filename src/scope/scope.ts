import { type DataSource, type EntityManager, type EntityTarget, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import type { Principal } from '../common/auth/principal';
import { forUpdate } from '../common/database';
import { anyOf } from '../common/sql';
import { DelegatedAdminStatus, PartnershipStatus, type PartnerType, RelationshipStatus } from '../common/enums';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../common/errors';
import { Activity } from '../changes/activity.entity';
import { AdminRelationship } from '../modules/admin-relationship/admin-relationship.entity';
import { Customer } from '../modules/customer/customer.entity';
import { CustomerInvitation } from '../modules/invitation/customer-invitation.entity';
import { Partner } from '../modules/partner/partner.entity';
import { PartnershipRequest } from '../modules/partnership/partnership-request.entity';
import { Partnership } from '../modules/partnership/partnership.entity';
import { DelegatedAdminPrivilege } from '../modules/relationship/delegated-admin-privilege.entity';
import { ResellerRelationship } from '../modules/relationship/reseller-relationship.entity';
import { CustomerSubscription } from '../modules/subscription/subscription.entity';
import { WebhookDelivery } from '../modules/webhook/webhook-delivery.entity';
import { WebhookEndpoint } from '../modules/webhook/webhook-endpoint.entity';
import { createLoaders, type Loaders } from './loaders';
import { EVERYONE } from '../counts/tallies';

type Builder<T extends ObjectLiteral> = SelectQueryBuilder<T>;

/** The rows `getOrThrow` and `lockForChange` find by id: the name a NOT_FOUND uses, the alias, the scoped query. */
const BY_ID = new Map<EntityTarget<ObjectLiteral>, { label: string; alias: string; read: (scope: Scope, em?: EntityManager) => Builder<ObjectLiteral> }>([
  [Customer, { label: 'Customer', alias: 'customer', read: (scope, em) => scope.customers(em) }],
  [Partner, { label: 'Partner', alias: 'partner', read: (scope, em) => scope.partners(em) }],
  [CustomerInvitation, { label: 'Invitation', alias: 'invitation', read: (scope, em) => scope.invitations(em) }],
  [Partnership, { label: 'Partnership', alias: 'partnership', read: (scope, em) => scope.partnerships(em) }],
  [PartnershipRequest, { label: 'Partnership request', alias: 'request', read: (scope, em) => scope.partnershipRequests(em) }],
  [CustomerSubscription, { label: 'Subscription', alias: 'subscription', read: (scope, em) => scope.subscriptions(em) }],
  [WebhookEndpoint, { label: 'Webhook endpoint', alias: 'endpoint', read: (scope, em) => scope.webhookEndpoints(em) }],
  [WebhookDelivery, { label: 'Webhook delivery', alias: 'delivery', read: (scope, em) => scope.webhookDeliveries(em) }],
  [AdminRelationship, { label: 'Admin relationship', alias: 'admin_relationship', read: (scope, em) => scope.adminRelationships(em) }],
]);

/**
 * The tenant boundary: the one door through which services and resolvers reach tenant rows.
 * Built once per HTTP request and per WebSocket operation from the verified caller; every
 * tenant filter of the server is written in this file, so a nested field (through `loaders`, which
 * are built from the scope) never shows more than the root query would.
 *
 * - The operator sees every row.
 * - A partner's user sees its partner's rows: customers it has an ACTIVE relationship with, its own
 *   invitations, partnerships, requests and audit trail, the subscriptions it sold (and those naming
 *   it as reseller of record or support contact), and other partners only as `partners()` allows.
 *   Its webhook endpoints and their deliveries are its own too, as are its admin relationships.
 * - A customer's user sees its own customer, its subscriptions, its admin relationships, and the
 *   partners that serve it.
 * - An anonymous caller sees no tenant row.
 * Anything outside the scope answers NOT_FOUND, never "exists but forbidden".
 */
export class Scope {
  readonly loaders: Loaders;

  constructor(
    private readonly ds: DataSource,
    readonly principal?: Principal,
    /** the request id of the HTTP request or WebSocket operation: the correlation id of the changes it makes */
    readonly requestId?: string,
  ) {
    this.loaders = createLoaders(this, ds);
  }

  /** The signed-in caller; UNAUTHENTICATED for an anonymous one. */
  get caller(): Principal {
    if (!this.principal) throw new UnauthenticatedError();
    return this.principal;
  }

  get isOperator(): boolean {
    return this.principal?.kind === 'operator';
  }

  /** The caller's partner, for a partner's user (undefined otherwise). */
  get partnerId(): string | undefined {
    return this.principal?.kind === 'partner' ? this.principal.partnerId : undefined;
  }

  /** The caller's customer, for a customer's user (undefined otherwise). */
  get customerId(): string | undefined {
    return this.principal?.kind === 'customer' ? this.principal.customerId : undefined;
  }

  /**
   * Whose counters (src/counts/) the caller's unfiltered lists read: its partner's, or everyone's for
   * the operator; undefined for a customer's user (its lists are its own few rows, counted).
   */
  get tallyOwner(): string | undefined {
    return this.isOperator ? EVERYONE : this.partnerId;
  }

  /** The caller's partner id; FORBIDDEN for a caller that is not a partner's user. */
  ownPartnerId(): string {
    const id = this.caller.kind === 'partner' ? this.partnerId : undefined;
    if (!id) throw new ForbiddenError('This operation is for a partner’s users');
    return id;
  }

  /** The caller's customer id; FORBIDDEN for a caller that is not a customer's user. */
  ownCustomerId(): string {
    const id = this.caller.kind === 'customer' ? this.customerId : undefined;
    if (!id) throw new ForbiddenError('This operation is for a customer’s users');
    return id;
  }

  /** The caller's own partner (its existence was checked at sign-in), optionally of one of `types`. */
  async ownPartner(em?: EntityManager, types?: PartnerType[]): Promise<Partner> {
    const partner = await this.manager(em).findOneByOrFail(Partner, { id: this.ownPartnerId() });
    if (types && !types.includes(partner.type)) {
      throw new ForbiddenError(`This operation is for partners of type ${types.join(' or ')}`);
    }
    return partner;
  }

  /** The caller's own customer (its existence was checked at sign-in). */
  ownCustomer(em?: EntityManager): Promise<Customer> {
    return this.manager(em).findOneByOrFail(Customer, { id: this.ownCustomerId() });
  }

  // ---------------------------------------------------------------- reads: one builder per tenant table
  // Callers add their own conditions with andWhere (never where, which would drop the scope's).

  /**
   * The keyset column of `customers()`: for a partner, the customer id in the relationship index
   * (partnerId, status, customerId) the join walks, so pages come in index order without a sort.
   */
  get customerKey(): string {
    return this.partnerId ? 'scope_rr.customerId' : 'customer.id';
  }

  /**
   * Customers: a partner's are those with an ACTIVE relationship; a customer's user its own. For a
   * partner, the rows come with its own relationship and admin privileges (`viewerRelationship`,
   * `viewerPrivileges`, see CustomerResolver) from the same statement, so those fields need no query.
   */
  customers(em?: EntityManager): Builder<Customer> {
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
  }

  /**
   * Other partners, as far as the caller may know them. One rule, used by `partner(id)`, `partners` and
   * every nested Partner field:
   * - a partner's user: its own partner, its partnership counterparts (ACTIVE or former), and the
   *   reseller of record and support contact of the subscriptions it sold;
   * - a customer's user: the partners with a relationship or admin privileges with it, its indirect
   *   reseller, and the partners named on its subscriptions.
   * Contact details go only to `withContactDetails` (see there); the others see the public profile.
   */
  partners(em?: EntityManager): Builder<Partner> {
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
  }

  /**
   * The partners whose contact details the caller may read: the operator all; a partner's user its own
   * partner and its ACTIVE partnership counterparts; a customer's user the partners that serve it.
   */
  withContactDetails(em?: EntityManager): Builder<Partner> {
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
  }

  /** Reseller relationships: a partner's own, a customer's own, the operator all. */
  relationships(em?: EntityManager): Builder<ResellerRelationship> {
    return this.partnerCustomerRows(ResellerRelationship, 'relationship', em);
  }

  /** Delegated admin privileges: a partner's own, a customer's own, the operator all. */
  delegatedAdminPrivileges(em?: EntityManager): Builder<DelegatedAdminPrivilege> {
    return this.partnerCustomerRows(DelegatedAdminPrivilege, 'dap', em);
  }

  /** Invitations: a partner's own (it created them), the operator all. */
  invitations(em?: EntityManager): Builder<CustomerInvitation> {
    return this.partnerOwnedRows(CustomerInvitation, 'invitation', 'partnerId', em);
  }

  /** Partnership requests: an indirect provider's own, the operator all. */
  partnershipRequests(em?: EntityManager): Builder<PartnershipRequest> {
    return this.partnerOwnedRows(PartnershipRequest, 'request', 'providerId', em);
  }

  /**
   * Partnerships the caller's partner is a side of (any status), or only those where it is the
   * given `side`; the operator all.
   */
  partnerships(em?: EntityManager, side?: 'provider' | 'reseller'): Builder<Partnership> {
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
  }

  /**
   * Subscriptions the caller may read. A subscription belongs to the partner that sold it; its
   * reseller of record and support contact may read it too. A customer's user reads its own.
   */
  subscriptions(em?: EntityManager): Builder<CustomerSubscription> {
    const qb = this.from(CustomerSubscription, 'subscription', em);
    return this.byKind(qb, {
      operator: () => qb,
      partner: (partnerId) =>
        qb.andWhere(
          '(subscription.soldByPartnerId = :scopePartnerId OR subscription.resellerId = :scopePartnerId OR subscription.supportContactId = :scopePartnerId)',
          { scopePartnerId: partnerId },
        ),
      customer: (customerId) => qb.andWhere('subscription.customerId = :scopeCustomerId', { scopeCustomerId: customerId }),
    });
  }

  /**
   * The audit trail: a partner's user reads its own (naming another partner is NOT_FOUND); a
   * customer's user the records about its customer, from any partner (`trailOf`: only that partner's);
   * the operator names the partner (or reads every row). The tenant column leads every index of the
   * table (src/changes/activity.entity.ts), so no other tenant's rows are read.
   */
  activities(trailOf?: string, em?: EntityManager): Builder<Activity> {
    const qb = this.from(Activity, 'activity', em);
    return this.byKind(qb, {
      operator: () => (trailOf ? qb.andWhere('activity.partnerId = :scopeTrailOf', { scopeTrailOf: trailOf }) : qb),
      partner: (partnerId) => {
        if (trailOf && trailOf !== partnerId) throw new NotFoundError('Partner', trailOf);
        return qb.andWhere('activity.partnerId = :scopePartnerId', { scopePartnerId: partnerId });
      },
      customer: (customerId) => {
        qb.andWhere('activity.customerId = :scopeCustomerId', { scopeCustomerId: customerId });
        return trailOf ? qb.andWhere('activity.partnerId = :scopeTrailOf', { scopeTrailOf: trailOf }) : qb;
      },
    });
  }

  /**
   * Admin relationships: a partner's own (it asked for them); a customer's user those with its customer
   * (addressed to it, or answered by it); the operator all. An open request that names no customer is
   * its partner's alone until a customer answers it.
   */
  adminRelationships(em?: EntityManager): Builder<AdminRelationship> {
    return this.partnerCustomerRows(AdminRelationship, 'admin_relationship', em);
  }

  /** Webhook endpoints: a partner's own (secrets never leave the server), the operator all. */
  webhookEndpoints(em?: EntityManager): Builder<WebhookEndpoint> {
    return this.partnerOwnedRows(WebhookEndpoint, 'endpoint', 'partnerId', em);
  }

  /** Deliveries to the endpoints the caller may read. */
  webhookDeliveries(em?: EntityManager): Builder<WebhookDelivery> {
    const qb = this.from(WebhookDelivery, 'delivery', em);
    return this.byKind(qb, {
      operator: () => qb,
      partner: (partnerId) =>
        qb.andWhere('delivery.endpointId IN (SELECT se.id FROM webhook_endpoint se WHERE se.partnerId = :scopePartnerId)', { scopePartnerId: partnerId }),
    });
  }

  /** One row the caller may read, or NOT_FOUND (also for rows that exist outside the scope). */
  getOrThrow<T extends ObjectLiteral>(entity: EntityTarget<T>, id: string, em?: EntityManager): Promise<T> {
    const { qb, label } = this.byId(entity, id, em);
    return oneOrThrow(qb, label, id);
  }

  // ---------------------------------------------------------------- writes: rows locked until the commit

  /**
   * One row the caller may change, locked for the rest of the transaction; NOT_FOUND otherwise.
   * Subscriptions are changed only by the partner that sold them; other rows as `getOrThrow` reads them.
   */
  lockForChange<T extends ObjectLiteral>(em: EntityManager, entity: EntityTarget<T>, id: string): Promise<T> {
    const { qb, label } = this.byId(entity, id, em);
    if (entity === CustomerSubscription) {
      qb.andWhere('subscription.soldByPartnerId = :scopeSeller', { scopeSeller: this.ownPartnerId() });
    }
    return oneOrThrow(forUpdate(qb), label, id);
  }

  /**
   * The caller's partner's ACTIVE relationship with a customer, locked until the commit, so that a
   * concurrent removal waits for this transaction (or wins and this one finds none). NOT_FOUND without one.
   */
  lockActiveRelationship(em: EntityManager, customerId: string): Promise<ResellerRelationship> {
    const qb = this.from(ResellerRelationship, 'relationship', em).andWhere(
      'relationship.partnerId = :ownPartnerId AND relationship.customerId = :customerId AND relationship.status = :active',
      { ownPartnerId: this.ownPartnerId(), customerId, active: RelationshipStatus.ACTIVE },
    );
    return oneOrThrow(forUpdate(qb), 'Customer', customerId);
  }

  /**
   * The ACTIVE partnership between the caller's partner and `counterpartId` (either side), locked
   * until the commit; null when there is none. A removal racing with this transaction either waits
   * for it or has already committed, so a rule checked here still holds when the write lands.
   * (Both orders of the pair are exact keys of its unique index, so MySQL locks just that row.)
   */
  async lockActivePartnership(em: EntityManager, counterpartId: string): Promise<Partnership | null> {
    const qb = this.from(Partnership, 'partnership', em)
      .andWhere(
        '((partnership.providerId = :ownPartnerId AND partnership.resellerId = :counterpartId) OR (partnership.providerId = :counterpartId AND partnership.resellerId = :ownPartnerId))',
        { ownPartnerId: this.ownPartnerId(), counterpartId },
      )
      .andWhere('partnership.status = :activePartnership', { activePartnership: PartnershipStatus.ACTIVE });
    return forUpdate(qb).getOne();
  }

  /** The customer's user's ACTIVE delegated admin privileges for a partner, locked; NOT_FOUND otherwise. */
  lockActiveDelegatedAdmin(em: EntityManager, partnerId: string): Promise<DelegatedAdminPrivilege> {
    const qb = this.from(DelegatedAdminPrivilege, 'dap', em).andWhere(
      'dap.customerId = :ownCustomerId AND dap.partnerId = :partnerId AND dap.status = :active',
      { ownCustomerId: this.ownCustomerId(), partnerId, active: DelegatedAdminStatus.ACTIVE },
    );
    return oneOrThrow(forUpdate(qb), 'Active delegated admin privileges for partner', partnerId);
  }

  // ---------------------------------------------------------------- internals

  private manager(em?: EntityManager): EntityManager {
    return em ?? this.ds.manager;
  }

  private from<T extends ObjectLiteral>(entity: EntityTarget<T>, alias: string, em?: EntityManager): Builder<T> {
    return this.manager(em).createQueryBuilder(entity, alias);
  }

  /** Applies the caller's kind; a kind without a rule (and an anonymous caller) sees no row. */
  private byKind<T extends ObjectLiteral>(
    qb: Builder<T>,
    rules: {
      operator: () => Builder<T>;
      partner?: (partnerId: string) => Builder<T>;
      customer?: (customerId: string) => Builder<T>;
    },
  ): Builder<T> {
    if (this.isOperator) return rules.operator();
    if (this.partnerId && rules.partner) return rules.partner(this.partnerId);
    if (this.customerId && rules.customer) return rules.customer(this.customerId);
    return qb.andWhere('1 = 0');
  }

  /** Rows of a table a partner owns through `column` (its own invitations, requests, endpoints); the operator all. */
  private partnerOwnedRows<T extends ObjectLiteral>(entity: EntityTarget<T>, alias: string, column: string, em?: EntityManager): Builder<T> {
    const qb = this.from(entity, alias, em);
    return this.byKind(qb, {
      operator: () => qb,
      partner: (partnerId) => qb.andWhere(`${alias}.${column} = :scopePartnerId`, { scopePartnerId: partnerId }),
    });
  }

  /** Rows of a partner ↔ customer table (relationships, DAP, admin relationships) that concern the caller. */
  private partnerCustomerRows<T extends ObjectLiteral>(entity: EntityTarget<T>, alias: string, em?: EntityManager): Builder<T> {
    const qb = this.from(entity, alias, em);
    return this.byKind(qb, {
      operator: () => qb,
      partner: (partnerId) => qb.andWhere(`${alias}.partnerId = :scopePartnerId`, { scopePartnerId: partnerId }),
      customer: (customerId) => qb.andWhere(`${alias}.customerId = :scopeCustomerId`, { scopeCustomerId: customerId }),
    });
  }

  private byId<T extends ObjectLiteral>(entity: EntityTarget<T>, id: string, em?: EntityManager) {
    const known = BY_ID.get(entity as EntityTarget<ObjectLiteral>);
    if (!known) throw new Error(`No tenant rule for ${String(entity)}`);
    const qb = known.read(this, em).andWhere(`${known.alias}.id = :scopeId`, { scopeId: id }) as Builder<T>;
    return { qb, label: known.label };
  }
}

/** The partners that have (or had) a relationship, admin privileges or an admin relationship with :scopeCustomerId. */
const PARTNERS_SERVING_CUSTOMER = [
  'partner.id IN (SELECT sr.partnerId FROM reseller_relationship sr WHERE sr.customerId = :scopeCustomerId)',
  'partner.id IN (SELECT sd.partnerId FROM delegated_admin_privilege sd WHERE sd.customerId = :scopeCustomerId)',
  'partner.id IN (SELECT sa.partnerId FROM admin_relationship sa WHERE sa.customerId = :scopeCustomerId)',
];

async function oneOrThrow<T extends ObjectLiteral>(qb: Builder<T>, label: string, id: string): Promise<T> {
  const row = await qb.getOne();
  if (!row) throw new NotFoundError(label, id);
  return row;
}
