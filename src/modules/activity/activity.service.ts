import type { EntityManager } from 'typeorm';
import type { AppDeps } from '../../common/context';
import { UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import type { Scope } from '../../scope/scope';
import { Activity } from '../../changes/activity.entity';
import type { ChangeKind as ActivityAction } from '../../changes/kinds';
import { countChange, EVERYONE, tallyCount, TallyName } from '../../counts/tallies';

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

  /** A partner's trail, newest first: a partner's user reads its own; the operator names the partner. */
  async listForPartner(scope: Scope, args: ConnectionArgs, partnerId?: string) {
    if (scope.isOperator && !partnerId) throw UserInputError.field('partnerId', 'the operator names the partner whose trail to read');
    const count = tallyCount(this.deps.ds, TallyName.ACTIVITIES, partnerId ?? scope.partnerId);
    return paginate(scope.activities(partnerId), args, { order: 'DESC', count });
  }
}
