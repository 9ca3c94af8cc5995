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

/**
 * PENDING past its expiry reads as EXPIRED everywhere. Services pass their clock's time; an entity's
 * `status` field, read outside any service, reads the system clock.
 */
export function effectiveStatus(status: InvitationStatus, expiresAt: Date, now = new Date()): InvitationStatus {
  return status === InvitationStatus.PENDING && expiresAt.getTime() <= now.getTime() ? InvitationStatus.EXPIRED : status;
}
