import type { ChangeDefinition } from '../../changes/catalog';
import type { ChangeTx, Changes, UpdateCondition } from '../../changes/change';
import type { AppDeps } from '../../common/context';
import { isDatabaseUnavailable, isUniqueViolation } from '../../common/database';
import { AppError, ConflictError, ErrorCode, ForbiddenError, NotFoundError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { personalLink } from '../../common/links';
import { logger } from '../../common/logger';
import { anyOf } from '../../common/sql';
import { reminderConditions, reminderDue, reminderParams, remindersBehind } from '../../common/reminders';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import { hashToken, newLinkToken } from '../../common/secrets';
import { tallyCount, TallyName } from '../../counts/tallies';
import type { Scope } from '../../scope/scope';
import { Customer } from '../customer/customer.entity';
import { AdminRelationship, AdminRelationshipEndReason, AdminRelationshipSide, AdminRelationshipStatus } from './admin-relationship.entity';
import { adminRelationshipDraft } from './admin-relationship.email';
import type { AdminRelationshipFilter, CreateAdminRelationshipInput } from './admin-relationship.inputs';
import {
  addDays,
  displayNameKey,
  durationDays,
  extendable,
  EXTENSION_DAYS,
  inCatalogOrder,
  MAX_DURATION_DAYS,
  REQUEST_TTL_DAYS,
} from './admin-relationship.rules';
import type {
  AdminRelationshipPreview,
  AdminRelationshipResult,
  AdminRelationshipsBulkPayload,
  CreateAdminRelationshipPayload,
} from './admin-relationship.types';
import {
  ADMIN_RELATIONSHIP_APPROVED,
  ADMIN_RELATIONSHIP_CREATED,
  ADMIN_RELATIONSHIP_EXPIRED,
  ADMIN_RELATIONSHIP_EXPIRING,
  ADMIN_RELATIONSHIP_EXTENDED,
  ADMIN_RELATIONSHIP_REJECTED,
  ADMIN_RELATIONSHIP_TERMINATED,
  ADMIN_RELATIONSHIP_UPDATED,
  type AdminRelationshipData,
} from './admin-relationship.changes';

const { APPROVAL_PENDING, ACTIVE, EXPIRED, TERMINATED } = AdminRelationshipStatus;

/** What every admin relationship event's `data` holds: the relationship as it is after the change. */
export function adminRelationshipData(rel: AdminRelationship): AdminRelationshipData {
  return {
    adminRelationship: {
      displayName: rel.displayName,
      roles: rel.roles,
      duration: rel.duration,
      autoExtend: rel.autoExtend,
      status: rel.status,
      activatedAt: rel.activatedAt?.toISOString() ?? null,
      endsAt: rel.endsAt?.toISOString() ?? null,
    },
  };
}

function duplicateName(): UserInputError {
  return UserInputError.field('input.displayName', 'is already the name of another of your admin relationships');
}

/** Why a stored admin relationship cannot take a change any more, as a client-facing CONFLICT. */
function notChangeable(rel: AdminRelationship, what: string): ConflictError {
  return new ConflictError(`This admin relationship is ${rel.status.toLowerCase().replace('_', ' ')} and can no longer be ${what}`);
}

/**
 * An ACTIVE relationship past its end date, or a request past its approval window, that the sweep has
 * not come by yet: over as far as changes go (the sweep decides between expiry and auto-extension).
 */
function pastEnd(rel: AdminRelationship, now: Date): boolean {
  if (rel.status === APPROVAL_PENDING) return rel.requestExpiresAt <= now;
  return rel.status === ACTIVE && rel.endsAt !== null && rel.endsAt <= now;
}

function endedBetweenSweeps(rel: AdminRelationship, what: string): ConflictError {
  const at = rel.status === APPROVAL_PENDING ? rel.requestExpiresAt : rel.endsAt!;
  return new ConflictError(`This admin relationship ended on ${at.toISOString().slice(0, 10)} and can no longer be ${what}`);
}

/**
 * Granular, time-bound admin relationships (GDAP) beside DAP. Every change is one transaction with
 * its activity rows and events; a request's token is single use (a conditional update decides which
 * of concurrent answers wins). Time comes from `deps.clock`, so tests move through days at will.
 */
export class AdminRelationshipService {
  constructor(
    private readonly deps: AppDeps,
    private readonly changes: Changes,
  ) {}

  private now(): Date {
    return this.deps.clock.now();
  }

  /**
   * A partner asks for roles. With `customerId` only that customer (one the partner serves) may
   * approve; without, any customer admin in the partner's cloud. The token is returned once.
   */
  async create(scope: Scope, input: CreateAdminRelationshipInput) {
    const token = newLinkToken();
    const days = durationDays(input.duration);
    if (days === undefined) throw UserInputError.field('input.duration', 'is not a valid duration');
    try {
      return await this.changes.run(scope, async (tx): Promise<CreateAdminRelationshipPayload> => {
        const { em } = tx;
        const partner = await scope.ownPartner(em);
        let customer: Customer | null = null;
        if (input.customerId) {
          customer = await scope.getOrThrow(Customer, input.customerId, em);
          if (customer.cloud !== partner.cloud) {
            throw UserInputError.field('input.customerId', `must be a customer in your cloud (${partner.cloud})`);
          }
        }
        const key = displayNameKey(input.displayName);
        if (await em.existsBy(AdminRelationship, { partnerId: partner.id, displayNameKey: key })) throw duplicateName();
        const now = tx.at;
        const rel = em.create(AdminRelationship, {
          id: newId(),
          partnerId: partner.id,
          displayName: input.displayName,
          displayNameKey: key,
          roles: inCatalogOrder(input.roles),
          duration: `P${days}D`,
          autoExtend: input.autoExtend ?? false,
          status: APPROVAL_PENDING,
          cloud: partner.cloud,
          customerId: customer?.id ?? null,
          customerName: customer?.companyName ?? null,
          tokenHash: hashToken(token),
          createdByUserId: scope.caller.userId,
          createdAt: now,
          requestExpiresAt: addDays(now, REQUEST_TTL_DAYS),
          activatedAt: null,
          endsAt: null,
          approvedByUserId: null,
          endedAt: null,
          endReason: null,
          endedBySide: null,
          endedByUserId: null,
          remindedDays: null,
          extensions: 0,
        });
        await tx.insert(AdminRelationship, rel, ADMIN_RELATIONSHIP_CREATED, {
          ...this.about(rel),
          details: { displayName: rel.displayName, roles: rel.roles, duration: rel.duration, autoExtend: rel.autoExtend },
          data: { ...adminRelationshipData(rel), requestExpiresAt: rel.requestExpiresAt.toISOString() },
        });
        // the link carries the token: it exists only in this payload, never on the stored relationship
        const url = personalLink(this.deps.config, 'admin-relationships', token);
        const emailDraft = adminRelationshipDraft({
          partnerName: partner.name,
          displayName: rel.displayName,
          roles: rel.roles,
          durationDays: days,
          autoExtend: rel.autoExtend,
          url,
          requestExpiresAt: rel.requestExpiresAt,
        });
        return { adminRelationship: rel, token, url, emailDraft };
      });
    } catch (err) {
      // two requests racing for one name: the unique index decides
      if (isUniqueViolation(err)) throw duplicateName();
      throw err;
    }
  }

  /** No login needed: what the customer is asked to approve. Unknown tokens answer null. */
  async preview(token: string): Promise<AdminRelationshipPreview | null> {
    const rel = await this.deps.ds.getRepository(AdminRelationship).findOne({ where: { tokenHash: hashToken(token) }, relations: { partner: true } });
    if (!rel) return null;
    const unanswered = rel.status === APPROVAL_PENDING && pastEnd(rel, this.now());
    return {
      partnerName: rel.partner!.name,
      displayName: rel.displayName,
      roles: rel.roles,
      duration: rel.duration,
      autoExtend: rel.autoExtend,
      status: unanswered ? EXPIRED : rel.status,
      requestExpiresAt: rel.requestExpiresAt,
    };
  }

  /** The caller's admin relationships (a partner's own, a customer's), newest first. */
  list(scope: Scope, args: ConnectionArgs, filter?: AdminRelationshipFilter, select?: readonly string[]) {
    const qb = scope.adminRelationships();
    if (filter?.status) qb.andWhere('admin_relationship.status = :filterStatus', { filterStatus: filter.status });
    if (filter?.customerId) qb.andWhere('admin_relationship.customerId = :filterCustomerId', { filterCustomerId: filter.customerId });
    if (filter?.expiringWithinDays) {
      const now = this.now();
      qb.andWhere('admin_relationship.status = :filterActive AND admin_relationship.endsAt > :filterNow AND admin_relationship.endsAt <= :filterUntil', {
        filterActive: ACTIVE,
        filterNow: now,
        filterUntil: addDays(now, filter.expiringWithinDays),
      });
    }
    const unfiltered = !filter?.status && !filter?.customerId && !filter?.expiringWithinDays;
    return paginate(qb, args, { order: 'DESC', select, count: tallyCount(this.deps.ds, TallyName.ADMIN_RELATIONSHIPS, unfiltered && scope.tallyOwner) });
  }

  /** The customer's admin approves: the access starts now and ends after the duration. */
  async approve(scope: Scope, token: string): Promise<AdminRelationship> {
    return this.changes.run(scope, async (tx) => {
      const { rel, customer } = await this.answerable(tx, scope, token);
      const now = tx.at;
      const days = durationDays(rel.duration)!;
      const endsAt = addDays(now, days);
      const set = {
        status: ACTIVE,
        activatedAt: now,
        endsAt,
        approvedByUserId: scope.caller.userId,
        remindedDays: remindersBehind(endsAt.getTime() - now.getTime()),
      };
      await this.claimRequest(tx, rel, customer, 'approved', set, ADMIN_RELATIONSHIP_APPROVED, { endsAt: endsAt.toISOString() }, {});
      return tx.em.findOneByOrFail(AdminRelationship, { id: rel.id });
    });
  }

  /** The customer's admin rejects the request: it ends, TERMINATED with the reason REJECTED. */
  async reject(scope: Scope, token: string): Promise<AdminRelationship> {
    return this.changes.run(scope, async (tx) => {
      const { rel, customer } = await this.answerable(tx, scope, token);
      const set = {
        status: TERMINATED,
        endReason: AdminRelationshipEndReason.REJECTED,
        endedAt: tx.at,
        endedBySide: AdminRelationshipSide.CUSTOMER,
        endedByUserId: scope.caller.userId,
      };
      await this.claimRequest(tx, rel, customer, 'rejected', set, ADMIN_RELATIONSHIP_REJECTED, undefined, {});
      return tx.em.findOneByOrFail(AdminRelationship, { id: rel.id });
    });
  }

  /** Either side ends a pending or active admin relationship (a partner withdrawing its request, too). */
  async terminate(scope: Scope, adminRelationshipId: string): Promise<AdminRelationship> {
    return this.changes.run(scope, async (tx) => {
      const rel = await scope.lockForChange(tx.em, AdminRelationship, adminRelationshipId);
      const side = scope.partnerId ? AdminRelationshipSide.PARTNER : AdminRelationshipSide.CUSTOMER;
      const set = {
        status: TERMINATED,
        endReason: AdminRelationshipEndReason.TERMINATED,
        endedAt: tx.at,
        endedBySide: side,
        endedByUserId: scope.caller.userId,
      };
      // the transition table allows it from APPROVAL_PENDING and ACTIVE only
      const won = await this.change(tx, rel, set, ADMIN_RELATIONSHIP_TERMINATED, { side }, { terminatedBy: side });
      if (!won) throw notChangeable(rel, 'terminated');
      return tx.em.findOneByOrFail(AdminRelationship, { id: rel.id });
    });
  }

  /** The partner turns auto-extension on or off while the relationship is pending or active. */
  async update(scope: Scope, adminRelationshipId: string, autoExtend: boolean): Promise<AdminRelationship> {
    return this.changes.run(scope, async (tx) => {
      const rel = await scope.lockForChange(tx.em, AdminRelationship, adminRelationshipId);
      const now = tx.at;
      if (rel.status !== APPROVAL_PENDING && rel.status !== ACTIVE) throw notChangeable(rel, 'changed');
      if (pastEnd(rel, now)) throw endedBetweenSweeps(rel, 'changed');
      if (autoExtend && !extendable(rel.roles)) {
        throw UserInputError.field('input.autoExtend', 'must be false: the roles include GLOBAL_ADMINISTRATOR, which cannot be auto-extended');
      }
      if (rel.autoExtend === autoExtend) return rel;
      const won = await this.change(tx, rel, { autoExtend }, ADMIN_RELATIONSHIP_UPDATED, { autoExtend }, { changed: ['autoExtend'] });
      if (!won) throw new Error(`admin relationship ${rel.id} changed under its lock`);
      return tx.em.findOneByOrFail(AdminRelationship, { id: rel.id });
    });
  }

  /**
   * The partner pushes an ACTIVE relationship's end date back by 180 days, as auto-extension would:
   * not with GLOBAL_ADMINISTRATOR, and never to more than 730 days ahead.
   */
  async extend(scope: Scope, adminRelationshipId: string): Promise<AdminRelationship> {
    return this.changes.run(scope, async (tx) => {
      const rel = await scope.lockForChange(tx.em, AdminRelationship, adminRelationshipId);
      const now = tx.at;
      if (rel.status !== ACTIVE || !rel.endsAt) throw notChangeable(rel, 'extended');
      if (pastEnd(rel, now)) throw endedBetweenSweeps(rel, 'extended');
      if (!extendable(rel.roles)) throw new ConflictError('An admin relationship with GLOBAL_ADMINISTRATOR cannot be extended: ask for a new one');
      const endsAt = addDays(rel.endsAt, EXTENSION_DAYS);
      if (endsAt > addDays(now, MAX_DURATION_DAYS)) {
        throw new ConflictError(`Extending would end it more than ${MAX_DURATION_DAYS} days from now (on ${endsAt.toISOString().slice(0, 10)})`);
      }
      const extended = await this.extendTo(tx, rel, endsAt, 'PARTNER');
      if (!extended) throw notChangeable(rel, 'extended');
      return tx.em.findOneByOrFail(AdminRelationship, { id: rel.id });
    });
  }

  /** Each id in its own transaction, in order: one failing (reported with its code) does not undo the others. */
  async bulk(ids: string[], change: (id: string) => Promise<AdminRelationship>): Promise<AdminRelationshipsBulkPayload> {
    const results: AdminRelationshipResult[] = [];
    for (const id of ids) {
      try {
        results.push({ adminRelationshipId: id, adminRelationship: await change(id), error: null });
      } catch (err) {
        // the database is down: the rest would fail alike, and the client should retry the whole (503)
        if (isDatabaseUnavailable(err)) throw err;
        if (!(err instanceof AppError)) logger.error({ err, adminRelationshipId: id }, 'bulk admin relationship change failed');
        const error =
          err instanceof AppError
            ? { code: String(err.extensions.code), message: err.message }
            : { code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
        results.push({ adminRelationshipId: id, adminRelationship: null, error });
      }
    }
    const failed = results.filter((r) => r.error).length;
    return { results, succeeded: results.length - failed, failed };
  }

  // ---------------------------------------------------------------- the sweep (src/server.ts runs it)

  /**
   * What time does to admin relationships, once per change even with several servers sweeping
   * (each is a conditional update):
   * - requests not approved within 90 days: EXPIRED (NOT_APPROVED_IN_TIME);
   * - ACTIVE at endsAt: extended by 180 days when autoExtend, otherwise EXPIRED (END_DATE_REACHED);
   * - ACTIVE within 30, 7 or 1 days of endsAt: one ADMIN_RELATIONSHIP_EXPIRING each.
   */
  async sweep(now = this.now(), batch = 200): Promise<{ requestsExpired: number; expired: number; extended: number; reminded: number }> {
    const done = { requestsExpired: 0, expired: 0, extended: 0, reminded: 0 };
    // the correlation id of every change this sweep makes
    const run = `sweep-${newId()}`;
    type Outcome = keyof typeof done | null;
    const repo = this.deps.ds.getRepository(AdminRelationship);
    // every row a query finds has something due, so each batch makes progress; a full batch is followed by another
    const each = async (conditions: string[], params: Record<string, unknown>, order: string, handle: (rel: AdminRelationship) => Promise<Outcome>) => {
      for (;;) {
        const rows = await repo
          .createQueryBuilder('admin_relationship')
          .where(anyOf(conditions, params))
          .orderBy(`admin_relationship.${order}`, 'ASC')
          .limit(batch)
          .getMany();
        let progressed = false;
        for (const rel of rows) {
          const outcome = await handle(rel);
          if (!outcome) continue;
          done[outcome]++;
          progressed = true;
        }
        if (rows.length < batch || !progressed) return;
      }
    };

    await each(
      ['admin_relationship.status = :pending AND admin_relationship.requestExpiresAt <= :now'],
      { pending: APPROVAL_PENDING, now },
      'requestExpiresAt',
      async (rel) => ((await this.expire(rel, now, AdminRelationshipEndReason.NOT_APPROVED_IN_TIME, run)) ? 'requestsExpired' : null),
    );
    await each(['admin_relationship.status = :active AND admin_relationship.endsAt <= :now'], { active: ACTIVE, now }, 'endsAt', async (rel) => {
      if (rel.autoExtend && extendable(rel.roles)) {
        // a server that was down past several end dates extends as many times as it takes
        let endsAt = rel.endsAt!;
        while (endsAt <= now) endsAt = addDays(endsAt, EXTENSION_DAYS);
        return (await this.changes.run(null, (tx) => this.extendTo(tx, rel, endsAt, 'AUTO_EXTEND'), { correlationId: run })) ? 'extended' : null;
      }
      return (await this.expire(rel, now, AdminRelationshipEndReason.END_DATE_REACHED, run)) ? 'expired' : null;
    });
    // a reminder is due when endsAt is within one of its days and no reminder that close was sent yet
    await each(
      reminderConditions('admin_relationship.endsAt', 'admin_relationship.remindedDays').map((due) => `(admin_relationship.status = :active AND ${due})`),
      { active: ACTIVE, ...reminderParams(now) },
      'endsAt',
      async (rel) => ((await this.remind(rel, now, run)) ? 'reminded' : null),
    );
    return done;
  }

  // ---------------------------------------------------------------- internals

  /** One reminder for the latest of 30, 7, 1 days before endsAt that has passed and was not sent. */
  private async remind(rel: AdminRelationship, now: Date, run: string): Promise<boolean> {
    const days = reminderDue(rel.endsAt!, now, rel.remindedDays);
    if (days === null) return false;
    return this.changes.run(
      null,
      async (tx) => {
        // only as read: still ACTIVE with the same end and no closer reminder sent (remindedDays as read)
        const won = await this.change(
          tx,
          rel,
          { remindedDays: days },
          ADMIN_RELATIONSHIP_EXPIRING,
          undefined,
          { daysBefore: days },
          {
            where: 'endsAt = :readEndsAt',
            params: { readEndsAt: rel.endsAt },
          },
        );
        return Boolean(won);
      },
      { correlationId: run },
    );
  }

  /**
   * Ends a pending request past its approval window, or an ACTIVE relationship at its end date: only
   * as it was read (same status, end and auto-extension), so a concurrent change wins over the sweep.
   */
  private async expire(rel: AdminRelationship, now: Date, reason: AdminRelationshipEndReason, run: string): Promise<boolean> {
    return this.changes.run(
      null,
      async (tx) => {
        const asRead: UpdateCondition =
          reason === AdminRelationshipEndReason.NOT_APPROVED_IN_TIME
            ? { where: 'requestExpiresAt <= :now', params: { now } }
            : { where: 'endsAt = :readEndsAt AND autoExtend = :readAutoExtend', params: { readEndsAt: rel.endsAt, readAutoExtend: rel.autoExtend ? 1 : 0 } };
        const won = await this.change(
          tx,
          rel,
          { status: EXPIRED, endReason: reason, endedAt: now },
          ADMIN_RELATIONSHIP_EXPIRED,
          { reason },
          { reason },
          asRead,
        );
        return Boolean(won);
      },
      { correlationId: run },
    );
  }

  /** Moves an ACTIVE relationship's end to `endsAt` (only from the end it had when read), with its trail and event. */
  private async extendTo(tx: ChangeTx, rel: AdminRelationship, endsAt: Date, extendedBy: 'AUTO_EXTEND' | 'PARTNER'): Promise<AdminRelationship | null> {
    const previousEndsAt = rel.endsAt!.toISOString();
    const set = { endsAt, extensions: rel.extensions + 1, remindedDays: remindersBehind(endsAt.getTime() - tx.at.getTime()) };
    return this.change(
      tx,
      rel,
      set,
      ADMIN_RELATIONSHIP_EXTENDED,
      { previousEndsAt, endsAt: endsAt.toISOString(), extendedBy },
      { previousEndsAt, extendedBy },
      {
        where: 'status = :active AND endsAt = :previous',
        params: { active: ACTIVE, previous: rel.endsAt },
      },
    );
  }

  /** What an admin relationship's audit records and events are about. */
  private about(rel: AdminRelationship) {
    return { subject: { partnerId: rel.partnerId, customerId: rel.customerId, adminRelationshipId: rel.id }, subjectId: rel.id };
  }

  /**
   * One conditional change of the row as read (its status, and `condition`), along the entity's
   * transitions, with its audit `details` and an event whose data is the relationship after the change plus `extra`.
   */
  private change<X extends object>(
    tx: ChangeTx,
    rel: AdminRelationship,
    set: Partial<AdminRelationship>,
    definition: ChangeDefinition<AdminRelationshipData & X>,
    details: Record<string, unknown> | undefined,
    extra: X,
    condition?: UpdateCondition,
  ): Promise<AdminRelationship | null> {
    return tx.update(
      AdminRelationship,
      rel,
      set,
      definition,
      (after) => ({ ...this.about(after), details, data: { ...adminRelationshipData(after), ...extra } }),
      condition,
    );
  }

  /**
   * The request behind a token (the link is the capability: whoever holds it may answer), and the
   * caller's customer, which must be in the request's cloud and, for an addressed request, the one it names.
   */
  private async answerable(tx: ChangeTx, scope: Scope, token: string) {
    const { em } = tx;
    const customer = await scope.ownCustomer(em);
    const rel = await em.findOneBy(AdminRelationship, { tokenHash: hashToken(token) });
    if (!rel) throw new NotFoundError('Admin relationship request');
    if (rel.cloud !== customer.cloud) {
      throw new ForbiddenError(`This request comes from a partner in the ${rel.cloud} cloud; your organisation is in ${customer.cloud}`);
    }
    if (rel.status === APPROVAL_PENDING && rel.customerId && rel.customerId !== customer.id) {
      throw new ForbiddenError('This request is addressed to another customer: only that customer’s admins can answer it');
    }
    return { rel, customer };
  }

  /**
   * Answers a pending, unexpired request with one conditional update (of concurrent answers exactly
   * one wins; the losers get CONFLICT). An addressed request stays its customer's.
   */
  private async claimRequest<X extends object>(
    tx: ChangeTx,
    rel: AdminRelationship,
    customer: Customer,
    what: string,
    set: Partial<AdminRelationship>,
    definition: ChangeDefinition<AdminRelationshipData & X>,
    details: Record<string, unknown> | undefined,
    extra: X,
  ): Promise<void> {
    const won = await this.change(tx, rel, { ...set, customerId: customer.id, customerName: customer.companyName }, definition, details, extra, {
      where: 'requestExpiresAt > :now AND (customerId IS NULL OR customerId = :customerId)',
      params: { now: tx.at, customerId: customer.id },
    });
    if (won) return;
    const current = await tx.em.findOneByOrFail(AdminRelationship, { id: rel.id });
    throw current.status === APPROVAL_PENDING ? endedBetweenSweeps(current, what) : notChangeable(current, what);
  }
}
