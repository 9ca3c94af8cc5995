import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ChangeRecord, ChangeTx, Changes } from '../../changes/change';
import type { ChangeDefinition } from '../../changes/catalog';
import { isUniqueViolation } from '../../common/database';
import { lockExisting } from '../../common/locks';
import { DelegatedAdminStatus, RelationshipStatus } from '../../common/enums';
import { UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import type { Scope } from '../../scope/scope';
import { Customer } from '../customer/customer.entity';
import type { ViewedCustomer } from '../customer/customer.types';
import { DelegatedAdminPrivilege } from './delegated-admin-privilege.entity';
import { DELEGATED_ADMIN_GRANTED, DELEGATED_ADMIN_REVOKED, RELATIONSHIP_ESTABLISHED, RELATIONSHIP_REMOVED } from './relationship.changes';
import { ResellerRelationship } from './reseller-relationship.entity';

/**
 * Inserts a partner ↔ customer row as a change; false when a concurrent transaction inserted the same
 * pair first (it committed while this one waited on the unique index: the pair is ACTIVE through it).
 * MySQL fails only the statement, so the transaction goes on; SQLite never gets here (its transactions take turns).
 */
async function insertOnce<T extends ObjectLiteral, D extends object>(
  tx: ChangeTx,
  entity: EntityTarget<T>,
  row: T,
  definition: ChangeDefinition<D>,
  record: ChangeRecord<D>,
): Promise<boolean> {
  try {
    await tx.insert(entity, row, definition, record);
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** Reseller relationships and delegated admin privileges: two separate states of a partner ↔ customer pair. */
export class RelationshipService {
  constructor(private readonly changes: Changes) {}

  /** The partners that serve a customer now: those with an ACTIVE reseller relationship (the audience of its account's events). */
  async servingPartnerIds(em: EntityManager, customerId: string): Promise<string[]> {
    const rows = await em.find(ResellerRelationship, { select: { partnerId: true }, where: { customerId, status: RelationshipStatus.ACTIVE } });
    return rows.map((r) => r.partnerId);
  }

  /**
   * Makes the relationship ACTIVE in the caller's change transaction: creates it, or re-activates a
   * REMOVED one. Nothing when it was already ACTIVE.
   */
  async establish(tx: ChangeTx, partnerId: string, customerId: string): Promise<void> {
    // locked and read as last committed: two acceptances re-activate it once (counted once), and a
    // removal committed meanwhile is seen (this one re-activates it) rather than a stale ACTIVE
    const existing = await lockExisting(tx.em, ResellerRelationship, { partnerId, customerId });
    if (existing?.status === RelationshipStatus.ACTIVE) return;
    const record = (id: string) => ({ subject: { partnerId, customerId }, subjectId: id, details: { reactivated: Boolean(existing) }, data: {} });
    if (existing) {
      const set = { status: RelationshipStatus.ACTIVE, establishedAt: tx.at, removedAt: null };
      await tx.update(ResellerRelationship, existing, set, RELATIONSHIP_ESTABLISHED, () => record(existing.id));
      return;
    }
    const row = { id: newId(), partnerId, customerId, status: RelationshipStatus.ACTIVE, establishedAt: tx.at, removedAt: null } as ResellerRelationship;
    await insertOnce(tx, ResellerRelationship, row, RELATIONSHIP_ESTABLISHED, record(row.id));
  }

  /**
   * Grants DAP, or restores REVOKED ones, in the caller's change transaction (with its
   * DELEGATED_ADMIN_GRANTED event; `invitationId` names the invitation that granted them). Nothing when already ACTIVE.
   */
  async grantDelegatedAdmin(tx: ChangeTx, partnerId: string, customerId: string, invitationId?: string): Promise<void> {
    // locked like the relationship: a revocation committed meanwhile is seen, and this restores them after it
    const existing = await lockExisting(tx.em, DelegatedAdminPrivilege, { partnerId, customerId });
    if (existing?.status === DelegatedAdminStatus.ACTIVE) return;
    const restored = Boolean(existing);
    const record = (id: string) => ({
      subject: { partnerId, customerId, ...(invitationId ? { invitationId } : {}) },
      subjectId: id,
      details: { restored },
      data: { restored },
    });
    if (existing) {
      const set = { status: DelegatedAdminStatus.ACTIVE, grantedAt: tx.at, revokedAt: null };
      await tx.update(DelegatedAdminPrivilege, existing, set, DELEGATED_ADMIN_GRANTED, () => record(existing.id));
      return;
    }
    const row = { id: newId(), partnerId, customerId, status: DelegatedAdminStatus.ACTIVE, grantedAt: tx.at, revokedAt: null } as DelegatedAdminPrivilege;
    await insertOnce(tx, DelegatedAdminPrivilege, row, DELEGATED_ADMIN_GRANTED, record(row.id));
  }

  /**
   * The partner ends its relationship with a customer, attesting good faith. The customer leaves
   * the partner's list; delegated admin privileges stay as they are; no notice is sent.
   */
  async remove(scope: Scope, customerId: string, attestation: boolean): Promise<{ relationship: ResellerRelationship; customer: ViewedCustomer }> {
    if (attestation !== true) {
      throw UserInputError.field(
        'input.attestation',
        'must be true: you represent that the decision was made in good faith, for a legitimate business purpose',
      );
    }
    return this.changes.run(scope, async (tx) => {
      const relationship = await scope.lockActiveRelationship(tx.em, customerId);
      // the customer as the caller reads it now, the last time it may (with its own relationship and privileges)
      const customer: ViewedCustomer = await scope.getOrThrow(Customer, customerId, tx.em);
      const set = { status: RelationshipStatus.REMOVED, removedAt: tx.at };
      const removed = await tx.update(ResellerRelationship, relationship, set, RELATIONSHIP_REMOVED, () => ({
        subject: { partnerId: relationship.partnerId, customerId },
        subjectId: relationship.id,
        attestation: true,
        data: {},
      }));
      if (!removed) throw new Error(`relationship ${relationship.id} changed under its lock`);
      const after = await tx.em.findOneByOrFail(ResellerRelationship, { id: relationship.id });
      // its relation fields answer from this removed relationship, not through the scope (which no longer has the customer)
      customer.viewerRelationship = after;
      customer.viewerPrivileges ??= null;
      return { relationship: after, customer };
    });
  }

  /** The customer revokes a partner's delegated admin privileges; the relationship stays. */
  async revokeDelegatedAdmin(scope: Scope, partnerId: string): Promise<{ delegatedAdminPrivileges: DelegatedAdminPrivilege; customer: Customer }> {
    return this.changes.run(scope, async (tx) => {
      const privileges = await scope.lockActiveDelegatedAdmin(tx.em, partnerId);
      const set = { status: DelegatedAdminStatus.REVOKED, revokedAt: tx.at };
      const revoked = await tx.update(DelegatedAdminPrivilege, privileges, set, DELEGATED_ADMIN_REVOKED, () => ({
        subject: { partnerId, customerId: privileges.customerId },
        subjectId: privileges.id,
        data: {},
      }));
      if (!revoked) throw new Error(`delegated admin privileges ${privileges.id} changed under their lock`);
      return {
        delegatedAdminPrivileges: await tx.em.findOneByOrFail(DelegatedAdminPrivilege, { id: privileges.id }),
        customer: await scope.ownCustomer(tx.em),
      };
    });
  }
}
