import type { AppDeps } from '../../common/context';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import type { Scope } from '../../scope/scope';
import { EVERYONE, tallyCount, TallyName } from '../../counts/tallies';
import { deleteTrailBefore, filters, type TrailRequest, trailQuery } from './activity.trail';

/** The audit trail's read side: its records are written by the change primitive (src/changes/change.ts). */
export class ActivityService {
  constructor(private readonly deps: AppDeps) {}

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
