import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { AppDeps } from '../../common/context';
import { inTransaction, isUniqueViolation } from '../../common/database';
import { lockExisting } from '../../common/locks';
import { DelegatedAdminStatus, RelationshipStatus } from '../../common/enums';
import { UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import type { Scope } from '../../scope/scope';
import { EventType } from '../../events/catalog';
import type { EventService } from '../../events/event.service';
import { ActivityAction } from '../activity/activity.entity';
import type { ActivityService, ActivityEntry } from '../activity/activity.service';
import { DelegatedAdminPrivilege } from './delegated-admin-privilege.entity';
import { ResellerRelationship } from './reseller-relationship.entity';
import { countChange, TallyName } from '../../counts/tallies';

/**
 * Inserts a partner ↔ customer row; false when a concurrent transaction inserted the same pair first
 * (it committed while this one waited on the unique index: the pair is ACTIVE through it). MySQL fails
 * only the statement, so the transaction goes on; SQLite never gets here (its transactions take turns).
 */
async function insertOnce<T extends ObjectLiteral>(em: EntityManager, entity: EntityTarget<T>, row: QueryDeepPartialEntity<T>): Promise<boolean> {
  try {
    await em.insert(entity, row);
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** Reseller relationships and delegated admin privileges: two separate states of a partner ↔ customer pair. */
export class RelationshipService {
  constructor(
    private readonly deps: AppDeps,
    private readonly activity: ActivityService,
    private readonly events: EventService,
  ) {}

  /**
   * Makes the relationship ACTIVE: creates it, or re-activates a REMOVED one.
   * Returns the activity entry to record, or null when it was already ACTIVE.
   */
  async establish(em: EntityManager, partnerId: string, customerId: string, at: Date): Promise<ActivityEntry | null> {
    // locked and read as last committed: two acceptances re-activate it once (counted once), and a
    // removal committed meanwhile is seen (this one re-activates it) rather than a stale ACTIVE
    const existing = await lockExisting(em, ResellerRelationship, { partnerId, customerId });
    if (existing?.status === RelationshipStatus.ACTIVE) return null;
    if (existing) {
      await em.update(ResellerRelationship, { id: existing.id }, { status: RelationshipStatus.ACTIVE, establishedAt: at, removedAt: null });
    } else {
      const created = await insertOnce(em, ResellerRelationship, {
        id: newId(),
        partnerId,
        customerId,
        status: RelationshipStatus.ACTIVE,
        establishedAt: at,
        removedAt: null,
      });
      if (!created) return null;
    }
    countChange(em, TallyName.CUSTOMERS, partnerId);
    return {
      action: ActivityAction.RELATIONSHIP_ESTABLISHED,
      partnerId,
      customerId,
      details: { reactivated: Boolean(existing) },
    };
  }

  /** Grants DAP, or restores REVOKED ones. Returns the activity entry, or null when already ACTIVE. */
  async grantDelegatedAdmin(em: EntityManager, partnerId: string, customerId: string, at: Date): Promise<ActivityEntry | null> {
    // locked like the relationship: a revocation committed meanwhile is seen, and this restores them after it
    const existing = await lockExisting(em, DelegatedAdminPrivilege, { partnerId, customerId });
    if (existing?.status === DelegatedAdminStatus.ACTIVE) return null;
    if (existing) {
      await em.update(DelegatedAdminPrivilege, { id: existing.id }, { status: DelegatedAdminStatus.ACTIVE, grantedAt: at, revokedAt: null });
    } else {
      const created = await insertOnce(em, DelegatedAdminPrivilege, {
        id: newId(),
        partnerId,
        customerId,
        status: DelegatedAdminStatus.ACTIVE,
        grantedAt: at,
        revokedAt: null,
      });
      if (!created) return null;
    }
    return { action: ActivityAction.DELEGATED_ADMIN_GRANTED, partnerId, customerId, details: { restored: Boolean(existing) } };
  }

  /**
   * The partner ends its relationship with a customer, attesting good faith. The customer leaves
   * the partner's list; delegated admin privileges stay as they are; no notice is sent.
   */
  async remove(scope: Scope, customerId: string, attestation: boolean): Promise<ResellerRelationship> {
    if (attestation !== true) {
      throw UserInputError.field(
        'input.attestation',
        'must be true: you represent that the decision was made in good faith, for a legitimate business purpose',
      );
    }
    return inTransaction(this.deps.ds, async (em) => {
      const relationship = await scope.lockActiveRelationship(em, customerId);
      const now = new Date();
      await em.update(ResellerRelationship, { id: relationship.id }, { status: RelationshipStatus.REMOVED, removedAt: now });
      countChange(em, TallyName.CUSTOMERS, relationship.partnerId, -1);
      await this.activity.record(
        em,
        scope,
        [{ action: ActivityAction.RELATIONSHIP_REMOVED, partnerId: relationship.partnerId, customerId, attestation: true }],
        now,
      );
      await this.events.record(em, scope, [{ type: EventType.RELATIONSHIP_REMOVED, partnerId: relationship.partnerId, customerId }], now);
      return em.findOneByOrFail(ResellerRelationship, { id: relationship.id });
    });
  }

  /** The customer revokes a partner's delegated admin privileges; the relationship stays. */
  async revokeDelegatedAdmin(scope: Scope, partnerId: string): Promise<DelegatedAdminPrivilege> {
    return inTransaction(this.deps.ds, async (em) => {
      const privileges = await scope.lockActiveDelegatedAdmin(em, partnerId);
      const now = new Date();
      await em.update(DelegatedAdminPrivilege, { id: privileges.id }, { status: DelegatedAdminStatus.REVOKED, revokedAt: now });
      await this.activity.record(
        em,
        scope,
        [{ action: ActivityAction.DELEGATED_ADMIN_REVOKED, partnerId, customerId: privileges.customerId }],
        now,
      );
      await this.events.record(em, scope, [{ type: EventType.DELEGATED_ADMIN_REVOKED, partnerId, customerId: privileges.customerId }], now);
      return em.findOneByOrFail(DelegatedAdminPrivilege, { id: privileges.id });
    });
  }
}
