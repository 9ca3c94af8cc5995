import type { EntityManager } from 'typeorm';
import { type AppDeps, principalOf, type RequestContext } from '../../common/context';
import { NotFoundError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { isOperator } from '../../common/auth/principal';
import { type ConnectionArgs, pageRequest, toConnection } from '../../common/pagination';
import { LessThan } from 'typeorm';
import { Activity, type ActivityAction } from './activity.entity';

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

  async record(em: EntityManager, ctx: RequestContext, entries: ActivityEntry[], at = new Date()): Promise<void> {
    const p = principalOf(ctx);
    const rows = entries.map((e) =>
      em.create(Activity, {
        id: newId(),
        occurredAt: at,
        action: e.action,
        actorUserId: p.userId,
        actorRoles: p.roles,
        actorPartnerId: p.partnerId ?? null,
        actorCustomerId: p.customerId ?? null,
        partnerId: e.partnerId ?? null,
        customerId: e.customerId ?? null,
        subjectId: e.subjectId ?? null,
        attestation: e.attestation ?? null,
        details: e.details ? JSON.stringify(e.details) : null,
      }),
    );
    await em.insert(Activity, rows);
  }

  /** A partner's own trail (the operator may name any partner), newest first. */
  async listForPartner(ctx: RequestContext, args: ConnectionArgs, partnerId?: string) {
    const p = principalOf(ctx);
    if (isOperator(p) && !partnerId) throw UserInputError.field('partnerId', 'the operator names the partner whose trail to read');
    const target = isOperator(p) ? partnerId! : p.partnerId!;
    if (partnerId && partnerId !== target) throw new NotFoundError('Partner', partnerId);
    const page = pageRequest(args);
    const repo = this.deps.ds.getRepository(Activity);
    const rows = await repo.find({
      where: { partnerId: target, ...(page.afterId ? { id: LessThan(page.afterId) } : {}) },
      order: { id: 'DESC' },
      take: page.first + 1,
    });
    return toConnection(rows, page, () => repo.countBy({ partnerId: target }));
  }
}
