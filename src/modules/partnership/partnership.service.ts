import type { EntityManager } from 'typeorm';
import type { Changes } from '../../changes/change';
import type { AppDeps } from '../../common/context';
import { isUniqueViolation } from '../../common/database';
import { lockExisting } from '../../common/locks';
import { type Cloud, InvitationStatus, PartnershipStatus, PartnerType } from '../../common/enums';
import { ConflictError, ForbiddenError, NotFoundError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { personalLink } from '../../common/links';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import { hashToken, newLinkToken } from '../../common/secrets';
import { effectiveStatus, pendingLinkFields } from '../../common/single-use';
import type { Scope } from '../../scope/scope';
import { partnershipRequestDraft } from './partnership.email';
import { PartnershipRequest } from './partnership-request.entity';
import { Partnership } from './partnership.entity';
import type { RequestPartnershipPayload } from './partnership.types';
import { tallyCount, TallyName } from '../../counts/tallies';
import { PARTNERSHIP_ACCEPTED, PARTNERSHIP_REMOVED, PARTNERSHIP_REQUEST_REVOKED, PARTNERSHIP_REQUESTED } from './partnership.changes';

/** Only a PENDING request before its expiry is answered (the state itself is the entity's transition table). */
const beforeExpiry = (now: Date) => ({ where: 'expiresAt > :now', params: { now } });

/**
 * The partnership row of a provider–reseller pair, locked until the commit and read as last committed,
 * or null when the pair never was partners. Whatever acts through a partnership (accepting a three-party
 * invitation, re-establishing it) takes this lock before it writes, as `remove` does, so the two take
 * turns: a removal that committed is seen, and one that comes later waits for the commit.
 */
export function lockPartnership(em: EntityManager, providerId: string, resellerId: string): Promise<Partnership | null> {
  return lockExisting(em, Partnership, { providerId, resellerId });
}

/** Indirect provider ↔ indirect reseller partnerships: requested by email link, accepted once, removable by either side. */
export class PartnershipService {
  constructor(
    private readonly deps: AppDeps,
    private readonly changes: Changes,
  ) {}

  async request(scope: Scope, resellerEmail: string): Promise<RequestPartnershipPayload> {
    const token = newLinkToken();
    return this.changes.run(scope, async (tx) => {
      const { em } = tx;
      const provider = await scope.ownPartner(em, [PartnerType.INDIRECT_PROVIDER]);
      const now = tx.at;
      const req = em.create(PartnershipRequest, {
        id: newId(),
        providerId: provider.id,
        resellerEmail: resellerEmail.toLowerCase(),
        cloud: provider.cloud,
        ...pendingLinkFields(token, scope.caller.userId, this.deps.config.invitationTtlMs, now),
        resellerId: null,
        partnershipId: null,
        acceptedByUserId: null,
        acceptedAt: null,
        revokedAt: null,
      });
      await tx.insert(PartnershipRequest, req, PARTNERSHIP_REQUESTED, {
        subject: { partnerId: provider.id },
        subjectId: req.id,
        details: { resellerEmail: req.resellerEmail },
        data: { requestId: req.id, resellerEmail: req.resellerEmail, expiresAt: req.expiresAt.toISOString() },
      });
      // the link carries the token: it exists only in this payload, never on the stored request
      const url = personalLink(this.deps.config, 'partnership-requests', token);
      return { request: req, token, url, emailDraft: partnershipRequestDraft(provider.name, url, req.expiresAt) };
    });
  }

  /** No login needed: who asks the reseller, from which cloud, and whether the link still works. Unknown tokens answer null. */
  async preview(token: string): Promise<{ providerName: string; cloud: Cloud; status: InvitationStatus; expiresAt: Date } | null> {
    const req = await this.deps.ds.getRepository(PartnershipRequest).findOne({ where: { tokenHash: hashToken(token) }, relations: { providerRef: true } });
    if (!req) return null;
    return { providerName: req.providerRef!.name, cloud: req.cloud, status: req.effectiveStatus, expiresAt: req.expiresAt };
  }

  /**
   * An indirect reseller's admin accepts: single use (conditional PENDING → ACCEPTED), same cloud,
   * and one partnership row per pair (re-activated if it was removed). Both sides are told after commit.
   */
  async accept(scope: Scope, token: string): Promise<{ partnership: Partnership; request: PartnershipRequest }> {
    try {
      return await this.changes.run(scope, async (tx) => {
        const { em } = tx;
        const reseller = await scope.ownPartner(em, [PartnerType.INDIRECT_RESELLER]);
        const req = await em.findOneBy(PartnershipRequest, { tokenHash: hashToken(token) });
        if (!req) throw new NotFoundError('Partnership request');
        if (req.cloud !== reseller.cloud) {
          throw new ForbiddenError(`This request comes from a provider in the ${req.cloud} cloud; you are in ${reseller.cloud}`);
        }
        const now = tx.at;
        // the pair's row first, locked and read as last committed (removePartnership locks it first too):
        // of two requests accepted at once the second finds it ACTIVE, and a removal committed meanwhile is seen
        const existing = await lockPartnership(em, req.providerId, reseller.id);
        const partnershipId = existing?.id ?? newId();
        // the request is consumed by the partnership below: its PARTNERSHIP_ACCEPTED record is the partnership's
        const set = { status: InvitationStatus.ACCEPTED, acceptedAt: now, resellerId: reseller.id, partnershipId, acceptedByUserId: scope.caller.userId };
        const claimed = await tx.update(PartnershipRequest, req, set, PARTNERSHIP_ACCEPTED, () => null, beforeExpiry(now));
        if (!claimed) {
          const status = effectiveStatus(req.status, req.expiresAt, now);
          throw new ConflictError(`This partnership request is ${status.toLowerCase()} and can no longer be accepted`);
        }
        if (existing?.status === PartnershipStatus.ACTIVE) throw new ConflictError('You are already partners');
        const record = {
          subject: { partnerId: req.providerId, partnershipId },
          subjectId: partnershipId,
          alsoForPartners: [reseller.id],
          details: { requestId: req.id, providerId: req.providerId, resellerId: reseller.id },
          data: { requestId: req.id, providerId: req.providerId, resellerId: reseller.id, status: PartnershipStatus.ACTIVE },
        };
        if (existing) {
          const reactivated = await tx.update(
            Partnership,
            existing,
            { status: PartnershipStatus.ACTIVE, establishedAt: now, removedAt: null },
            PARTNERSHIP_ACCEPTED,
            () => record,
          );
          if (!reactivated) throw new Error(`partnership ${existing.id} changed under its lock`);
        } else {
          const row = em.create(Partnership, {
            id: partnershipId,
            providerId: req.providerId,
            resellerId: reseller.id,
            status: PartnershipStatus.ACTIVE,
            establishedAt: now,
            removedAt: null,
          });
          await tx.insert(Partnership, row, PARTNERSHIP_ACCEPTED, record);
        }
        return {
          partnership: await em.findOneByOrFail(Partnership, { id: partnershipId }),
          request: await em.findOneByOrFail(PartnershipRequest, { id: req.id }),
        };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('You are already partners');
      throw err;
    }
  }

  async revokeRequest(scope: Scope, requestId: string): Promise<PartnershipRequest> {
    return this.changes.run(scope, async (tx) => {
      const req = await scope.lockForChange(tx.em, PartnershipRequest, requestId);
      const revoked = await tx.update(
        PartnershipRequest,
        req,
        { status: InvitationStatus.REVOKED, revokedAt: tx.at },
        PARTNERSHIP_REQUEST_REVOKED,
        () => ({
          subject: { partnerId: req.providerId },
          subjectId: req.id,
          data: {},
        }),
        beforeExpiry(tx.at),
      );
      if (!revoked) {
        throw new ConflictError(`This partnership request is ${effectiveStatus(req.status, req.expiresAt, tx.at).toLowerCase()}`);
      }
      return tx.em.findOneByOrFail(PartnershipRequest, { id: req.id });
    });
  }

  /**
   * Either side ends the partnership, confirming and attesting good faith. Customers associated with
   * the reseller stay associated and keep their relationships; DAP is unchanged; no notice is sent.
   * The row is locked first, so work that checked the partnership (a customer created on the
   * reseller's behalf) has committed before `removedAt` is taken, or waits and then finds it removed.
   */
  async remove(scope: Scope, partnershipId: string, confirm: boolean, attestation: boolean): Promise<Partnership> {
    const problems = [
      ...(confirm !== true ? [{ field: 'input.confirm', message: 'must be true to remove the partnership' }] : []),
      ...(attestation !== true ? [{ field: 'input.attestation', message: 'must be true: you represent that the decision was made in good faith' }] : []),
    ];
    if (problems.length) throw new UserInputError(problems);
    return this.changes.run(scope, async (tx) => {
      const found = await scope.lockForChange(tx.em, Partnership, partnershipId);
      if (found.status !== PartnershipStatus.ACTIVE) throw new ConflictError('This partnership is already removed');
      const removed = await tx.update(Partnership, found, { status: PartnershipStatus.REMOVED, removedAt: tx.at }, PARTNERSHIP_REMOVED, () => ({
        subject: { partnerId: found.providerId, partnershipId: found.id },
        subjectId: found.id,
        alsoForPartners: [found.resellerId],
        attestation: true,
        details: { providerId: found.providerId, resellerId: found.resellerId, removedBy: scope.partnerId },
        data: { providerId: found.providerId, resellerId: found.resellerId, status: PartnershipStatus.REMOVED, removedBy: scope.partnerId ?? null },
      }));
      if (!removed) throw new ConflictError('This partnership is already removed');
      return tx.em.findOneByOrFail(Partnership, { id: found.id });
    });
  }

  /** ACTIVE partnerships from one side: the provider's resellers, or the reseller's providers. */
  listActive(scope: Scope, args: ConnectionArgs, side: 'provider' | 'reseller') {
    const qb = scope.partnerships(undefined, side).andWhere('partnership.status = :active', { active: PartnershipStatus.ACTIVE });
    const tally = side === 'provider' ? TallyName.PARTNERSHIPS_AS_PROVIDER : TallyName.PARTNERSHIPS_AS_RESELLER;
    return paginate(qb, args, { order: 'DESC', count: tallyCount(this.deps.ds, tally, scope.tallyOwner) });
  }

  /** The provider's own requests, newest first. */
  listRequests(scope: Scope, args: ConnectionArgs) {
    return paginate(scope.partnershipRequests(), args, { order: 'DESC', count: tallyCount(this.deps.ds, TallyName.PARTNERSHIP_REQUESTS, scope.partnerId) });
  }
}
