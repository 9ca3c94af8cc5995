import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { InvitationStatus } from './enums';
import { hashToken } from './secrets';

/**
 * Single-use links (customer invitations, partnership requests) share one life cycle:
 * PENDING until answered, revoked or past `expiresAt`.
 */

/** The columns every new single-use link starts with: only the token's hash, PENDING, who, when, until when. */
export function pendingLinkFields(token: string, createdByUserId: string, ttlMs: number, now: Date) {
  return {
    tokenHash: hashToken(token),
    status: InvitationStatus.PENDING,
    createdByUserId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlMs),
  };
}

/** PENDING past its expiry reads as EXPIRED everywhere. */
export function effectiveStatus(status: InvitationStatus, expiresAt: Date, now = new Date()): InvitationStatus {
  return status === InvitationStatus.PENDING && expiresAt.getTime() <= now.getTime() ? InvitationStatus.EXPIRED : status;
}

/**
 * Moves a PENDING, unexpired row to its next state with one conditional UPDATE, so that of
 * concurrent answers exactly one wins (no read-then-write). False when it was not PENDING any more.
 */
export async function claimPending<T extends ObjectLiteral>(
  em: EntityManager,
  entity: EntityTarget<T>,
  id: string,
  changes: QueryDeepPartialEntity<T>,
  now: Date,
): Promise<boolean> {
  const result = await em
    .createQueryBuilder()
    .update(entity)
    .set(changes)
    .where('id = :id AND status = :pending AND expiresAt > :now', { id, pending: InvitationStatus.PENDING, now })
    .execute();
  return Boolean(result.affected);
}
