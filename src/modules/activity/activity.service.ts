import type { EntityManager } from 'typeorm';
import type { AppDeps } from '../../common/context';
import { UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import type { Scope } from '../../scope/scope';
import { Activity } from '../../changes/activity.entity';
import type { ChangeKind as ActivityAction } from '../../changes/kinds';
import { countChange, EVERYONE, tallyCount, TallyName } from '../../counts/tallies';
import { deleteTrailBefore, filters, type TrailRequest, trailQuery } from './activity.trail';

/** The actor of the changes the server makes by itself. */
const SYSTEM_ACTOR = { userId: 'system', roles: [] as string[], partnerId: undefined, customerId: undefined };

export interface ActivityEntry {
  action: ActivityAction;
  partnerId?: string | null;
  customerId?: string | null;
  subjectId?: string | null;
  attestation?: boolean | null;
  details?: Record<string, unknown>;
}

/** The audit trail. `record` must be called with the transaction's EntityManager. */
export class ActivityService {
  constructor(private readonly deps: AppDeps) {}

  /**
   * Writes the entries in the caller's transaction, each with the caller as the actor; with a null
   * scope, the server itself (`SYSTEM_ACTOR`: a sweep's expiry or auto-extension).
   */
  async record(em: EntityManager, scope: Scope | null, entries: ActivityEntry[], at = new Date()): Promise<void> {
    const actor = scope ? scope.caller : SYSTEM_ACTOR;
    const rows = entries.map((e) =>
      em.create(Activity, {
        id: newId(),
        occurredAt: at,
        action: e.action,
        actorUserId: actor.userId,
        actorRoles: actor.roles,
        actorPartnerId: actor.partnerId ?? null,
        actorCustomerId: actor.customerId ?? null,
        partnerId: e.partnerId ?? null,
        customerId: e.customerId ?? null,
        subjectId: e.subjectId ?? null,
        attestation: e.attestation ?? null,
        details: e.details ? JSON.stringify(e.details) : null,
      }),
    );
    await em.insert(Activity, rows);
    for (const row of rows) {
      countChange(em, TallyName.ACTIVITIES, EVERYONE);
      if (row.partnerId) countChange(em, TallyName.ACTIVITIES, row.partnerId);
    }
  }

  /**
   * The caller's trail, newest first, filtered (src/modules/activity/activity.trail.ts: the same query
   * as the export). Unfiltered, `totalCount` reads the partner's tally (the operator's across partners:
   * everyone's); filtered, or a customer admin's, it counts the rows.
   */
  async list(scope: Scope, args: ConnectionArgs, request: TrailRequest) {
    const qb = trailQuery(scope, request);
    const owner = filters(request.filter) ? undefined : (request.partnerId ?? scope.partnerId ?? (scope.isOperator ? EVERYONE : undefined));
    return paginate(qb, args, { order: 'DESC', count: tallyCount(this.deps.ds, TallyName.ACTIVITIES, owner) });
  }

  private sweeping = false;

  /**
   * AUDIT_RETENTION: deletes the records older than it (by the injected clock), in batches, each with
   * its tallies; returns how many. Nothing without a retention (the trail is kept forever).
   */
  async sweepRetention(): Promise<number> {
    const keep = this.deps.config.auditRetentionMs;
    if (!keep || this.sweeping) return 0;
    this.sweeping = true;
    try {
      return await deleteTrailBefore(this.deps.ds, new Date(this.deps.clock.now().getTime() - keep));
    } finally {
      this.sweeping = false;
    }
  }
}
