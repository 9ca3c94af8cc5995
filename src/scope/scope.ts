import type { DataSource, EntityManager, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Activity } from '../changes/activity.entity';
import { PARTNER_PRIVATE_KINDS } from '../changes/kinds';
import type { Principal } from '../common/auth/principal';
import { type Clock, systemClock } from '../common/clock';
import { forUpdate } from '../common/database';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../common/errors';
import { EVERYONE } from '../counts/tallies';
import { createLoaders, type Loaders } from './loaders';

export type Builder<T extends ObjectLiteral> = SelectQueryBuilder<T>;

/**
 * How the scope reads one table by id (`getOrThrow`, `lockForChange`): the name a NOT_FOUND uses, the
 * alias, the scoped query, and, for `lockForChange`, what more a change requires (a subscription: its seller).
 */
export interface ScopeRule<T extends ObjectLiteral> {
  label: string;
  alias: string;
  read: (scope: Scope, em?: EntityManager) => Builder<T>;
  forChange?: (scope: Scope, qb: Builder<T>) => Builder<T>;
}

const RULES = new Map<EntityTarget<ObjectLiteral>, ScopeRule<ObjectLiteral>>();

/** Registers how the scope reads a feature's table by id (each feature's `<feature>.scope.ts`). */
export function registerScopeRule<T extends ObjectLiteral>(entity: EntityTarget<T>, rule: ScopeRule<T>): void {
  RULES.set(entity, rule as unknown as ScopeRule<ObjectLiteral>);
}

/**
 * The tenant boundary: the one door through which services and resolvers reach tenant rows.
 * Built once per HTTP request and per WebSocket operation from the verified caller. This file holds
 * the caller and the rules every table's filter is built from (`byKind`, `partnerOwnedRows`,
 * `partnerCustomerRows`); each feature adds the reader of its own tables to this class in its
 * `src/modules/<feature>/<feature>.scope.ts` (TypeScript module augmentation: `scope.customers()` is
 * written next to the Customer entity), and registers its by-id rule (`registerScopeRule`). A nested
 * field (through `loaders`, which are built from the scope) never shows more than the root query would.
 *
 * - The operator sees every row.
 * - A partner's user sees its partner's rows: customers it has an ACTIVE relationship with, its own
 *   invitations, partnerships, requests and audit trail, the subscriptions it sold (and those naming
 *   it as reseller of record or support contact), and other partners only as `partners()` allows.
 *   Its webhook endpoints and their deliveries are its own too, as are its admin relationships.
 * - A customer's user sees its own customer, its subscriptions, its admin relationships, and the
 *   partners that serve it.
 * - A customer's users and licences: the customer's own, and a partner's through what the customer
 *   granted it (src/modules/customer-user/directory-access.ts), decided per operation.
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
    /** the business clock (src/common/clock.ts): what time-bound grants are read against */
    private readonly clock: Clock = systemClock,
  ) {
    this.loaders = createLoaders(this, ds);
  }

  /** The business time now (the test clock's under TEST_CLOCK): an admin relationship's access ends at its endsAt by it. */
  now(): Date {
    return this.clock.now();
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

  // ---------------------------------------------------------------- reads: one builder per tenant table
  // Callers add their own conditions with andWhere (never where, which would drop the scope's).

  /**
   * The audit trail: a partner's user reads its own (naming another partner is NOT_FOUND); a
   * customer's user the records about its customer, from any partner (`trailOf`: only that partner's),
   * except a partner's private ones (PARTNER_PRIVATE_KINDS: its external ids); the operator names the partner (or reads every row). The tenant column leads every index of the
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
        qb.andWhere('activity.action NOT IN (:...scopePrivateKinds)', { scopePrivateKinds: PARTNER_PRIVATE_KINDS });
        return trailOf ? qb.andWhere('activity.partnerId = :scopeTrailOf', { scopeTrailOf: trailOf }) : qb;
      },
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
    const { qb, label, rule } = this.byId(entity, id, em);
    return oneOrThrow(forUpdate(rule.forChange ? (rule.forChange(this, qb as Builder<ObjectLiteral>) as Builder<T>) : qb), label, id);
  }

  // ---------------------------------------------------------------- internals

  /** The transaction's EntityManager, or the data source's. */
  manager(em?: EntityManager): EntityManager {
    return em ?? this.ds.manager;
  }

  /** An unscoped builder over a table: only for the readers that add the scope's conditions right away. */
  from<T extends ObjectLiteral>(entity: EntityTarget<T>, alias: string, em?: EntityManager): Builder<T> {
    return this.manager(em).createQueryBuilder(entity, alias);
  }

  /** Applies the caller's kind; a kind without a rule (and an anonymous caller) sees no row. */
  byKind<T extends ObjectLiteral>(
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
  partnerOwnedRows<T extends ObjectLiteral>(entity: EntityTarget<T>, alias: string, column: string, em?: EntityManager): Builder<T> {
    const qb = this.from(entity, alias, em);
    return this.byKind(qb, {
      operator: () => qb,
      partner: (partnerId) => qb.andWhere(`${alias}.${column} = :scopePartnerId`, { scopePartnerId: partnerId }),
    });
  }

  /** Rows of a partner ↔ customer table (relationships, DAP, admin relationships) that concern the caller. */
  partnerCustomerRows<T extends ObjectLiteral>(entity: EntityTarget<T>, alias: string, em?: EntityManager): Builder<T> {
    const qb = this.from(entity, alias, em);
    return this.byKind(qb, {
      operator: () => qb,
      partner: (partnerId) => qb.andWhere(`${alias}.partnerId = :scopePartnerId`, { scopePartnerId: partnerId }),
      customer: (customerId) => qb.andWhere(`${alias}.customerId = :scopeCustomerId`, { scopeCustomerId: customerId }),
    });
  }

  private byId<T extends ObjectLiteral>(entity: EntityTarget<T>, id: string, em?: EntityManager) {
    const rule = RULES.get(entity);
    if (!rule)
      throw new Error(`No tenant rule for ${typeof entity === 'function' ? entity.name : 'this entity'} (its module registers one with registerScopeRule)`);
    const qb = rule.read(this, em).andWhere(`${rule.alias}.id = :scopeId`, { scopeId: id }) as Builder<T>;
    return { qb, label: rule.label, rule };
  }
}

export async function oneOrThrow<T extends ObjectLiteral>(qb: Builder<T>, label: string, id: string): Promise<T> {
  const row = await qb.getOne();
  if (!row) throw new NotFoundError(label, id);
  return row;
}
