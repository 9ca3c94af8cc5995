import { type FindOptionsWhere, LessThan } from 'typeorm';
import { type AppDeps, principalOf, type RequestContext } from '../../common/context';
import { inTransaction, isUniqueViolation } from '../../common/database';
import { InvitationStatus, PartnershipStatus, PartnerType } from '../../common/enums';
import { ConflictError, ForbiddenError, NotFoundError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { personalLink } from '../../common/links';
import { type ConnectionArgs, pageRequest, toConnection } from '../../common/pagination';
import { type PartnershipChangedPayload, Topic } from '../../common/pubsub';
import { hashToken, newLinkToken } from '../../common/secrets';
import { ActivityAction } from '../activity/activity.entity';
import type { ActivityService } from '../activity/activity.service';
import { claimPending, effectiveStatus, pendingLinkFields } from '../../common/single-use';
import type { PartnerService } from '../partner/partner.service';
import { partnershipRequestDraft } from './partnership.email';
import { PartnershipRequest } from './partnership-request.entity';
import { Partnership } from './partnership.entity';

/** Indirect provider ↔ indirect reseller partnerships: requested by email link, accepted once, removable by either side. */
export class PartnershipService {
  constructor(
    private readonly deps: AppDeps,
    private readonly activity: ActivityService,
    private readonly partners: PartnerService,
  ) {}

  async request(ctx: RequestContext, resellerEmail: string) {
    const token = newLinkToken();
    const request = await inTransaction(this.deps.ds, async (em) => {
      const provider = await this.partners.currentOfType(ctx, [PartnerType.INDIRECT_PROVIDER], em);
      const now = new Date();
      const req = em.create(PartnershipRequest, {
        id: newId(),
        providerId: provider.id,
        resellerEmail: resellerEmail.toLowerCase(),
        cloud: provider.cloud,
        ...pendingLinkFields(token, principalOf(ctx).userId, this.deps.config.invitationTtlMs, now),
        resellerId: null,
        partnershipId: null,
        acceptedByUserId: null,
        acceptedAt: null,
        revokedAt: null,
      });
      await em.insert(PartnershipRequest, req);
      await this.activity.record(
        em,
        ctx,
        [{ action: ActivityAction.PARTNERSHIP_REQUESTED, partnerId: provider.id, subjectId: req.id, details: { resellerEmail: req.resellerEmail } }],
        now,
      );
      req.url = personalLink(this.deps.config, 'partnership-requests', token);
      req.emailDraft = partnershipRequestDraft(provider.name, req.url, req.expiresAt);
      return req;
    });
    return { request, token };
  }

  /**
   * An indirect reseller's admin accepts: single use (conditional PENDING → ACCEPTED), same cloud,
   * and one partnership row per pair (re-activated if it was removed). Both sides are told after commit.
   */
  async accept(ctx: RequestContext, token: string): Promise<Partnership> {
    let partnership: Partnership;
    try {
      partnership = await inTransaction(this.deps.ds, async (em) => {
        const reseller = await this.partners.currentOfType(ctx, [PartnerType.INDIRECT_RESELLER], em);
        const req = await em.findOneBy(PartnershipRequest, { tokenHash: hashToken(token) });
        if (!req) throw new NotFoundError('Partnership request');
        if (req.cloud !== reseller.cloud) {
          throw new ForbiddenError(`This request comes from a provider in the ${req.cloud} cloud; you are in ${reseller.cloud}`);
        }
        const now = new Date();
        const existing = await em.findOneBy(Partnership, { providerId: req.providerId, resellerId: reseller.id });
        const partnershipId = existing?.id ?? newId();
        const won = await claimPending(em, PartnershipRequest, req.id, { status: InvitationStatus.ACCEPTED, acceptedAt: now, resellerId: reseller.id, partnershipId, acceptedByUserId: principalOf(ctx).userId }, now);
        if (!won) {
          const status = effectiveStatus(req.status, req.expiresAt);
          throw new ConflictError(`This partnership request is ${status.toLowerCase()} and can no longer be accepted`);
        }
        if (existing?.status === PartnershipStatus.ACTIVE) throw new ConflictError('You are already partners');
        if (existing) {
          await em.update(Partnership, { id: existing.id }, { status: PartnershipStatus.ACTIVE, establishedAt: now, removedAt: null });
        } else {
          await em.insert(Partnership, {
            id: partnershipId,
            providerId: req.providerId,
            resellerId: reseller.id,
            status: PartnershipStatus.ACTIVE,
            establishedAt: now,
            removedAt: null,
          });
        }
        await this.activity.record(
          em,
          ctx,
          [req.providerId, reseller.id].map((partnerId) => ({
            action: ActivityAction.PARTNERSHIP_ACCEPTED,
            partnerId,
            subjectId: partnershipId,
            details: { requestId: req.id, providerId: req.providerId, resellerId: reseller.id },
          })),
          now,
        );
        return em.findOneByOrFail(Partnership, { id: partnershipId });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('You are already partners');
      throw err;
    }
    this.publish(partnership, 'ACCEPTED');
    return partnership;
  }

  async revokeRequest(ctx: RequestContext, requestId: string): Promise<PartnershipRequest> {
    const providerId = principalOf(ctx).partnerId!;
    return inTransaction(this.deps.ds, async (em) => {
      const req = await em.findOneBy(PartnershipRequest, { id: requestId, providerId });
      if (!req) throw new NotFoundError('Partnership request', requestId);
      const now = new Date();
      const won = await claimPending(em, PartnershipRequest, req.id, { status: InvitationStatus.REVOKED, revokedAt: now }, now);
      if (!won) {
        throw new ConflictError(`This partnership request is ${effectiveStatus(req.status, req.expiresAt).toLowerCase()}`);
      }
      await this.activity.record(em, ctx, [{ action: ActivityAction.PARTNERSHIP_REQUEST_REVOKED, partnerId: providerId, subjectId: req.id }], now);
      return em.findOneByOrFail(PartnershipRequest, { id: req.id });
    });
  }

  /**
   * Either side ends the partnership, confirming and attesting good faith. Customers associated with
   * the reseller stay associated and keep their relationships; DAP is unchanged; no notice is sent.
   */
  async remove(ctx: RequestContext, partnershipId: string, confirm: boolean, attestation: boolean): Promise<Partnership> {
    const problems = [
      ...(confirm !== true ? [{ field: 'input.confirm', message: 'must be true to remove the partnership' }] : []),
      ...(attestation !== true
        ? [{ field: 'input.attestation', message: 'must be true: you represent that the decision was made in good faith' }]
        : []),
    ];
    if (problems.length) throw new UserInputError(problems);
    const partnerId = principalOf(ctx).partnerId!;
    const partnership = await inTransaction(this.deps.ds, async (em) => {
      const found = await em.findOneBy(Partnership, [
        { id: partnershipId, providerId: partnerId },
        { id: partnershipId, resellerId: partnerId },
      ]);
      if (!found) throw new NotFoundError('Partnership', partnershipId);
      const now = new Date();
      const won = await em.update(
        Partnership,
        { id: found.id, status: PartnershipStatus.ACTIVE },
        { status: PartnershipStatus.REMOVED, removedAt: now },
      );
      if (!won.affected) throw new ConflictError('This partnership is already removed');
      await this.activity.record(
        em,
        ctx,
        [found.providerId, found.resellerId].map((p) => ({
          action: ActivityAction.PARTNERSHIP_REMOVED,
          partnerId: p,
          subjectId: found.id,
          attestation: true,
          details: { providerId: found.providerId, resellerId: found.resellerId, removedBy: partnerId },
        })),
        now,
      );
      return em.findOneByOrFail(Partnership, { id: found.id });
    });
    this.publish(partnership, 'REMOVED');
    return partnership;
  }

  /** ACTIVE partnerships from one side: the provider's resellers, or the reseller's providers. */
  async listActive(ctx: RequestContext, args: ConnectionArgs, side: 'providerId' | 'resellerId') {
    const partnerId = principalOf(ctx).partnerId;
    if (!partnerId) throw new ForbiddenError('This list is for a partner’s users');
    const page = pageRequest(args);
    const where: FindOptionsWhere<Partnership> = { [side]: partnerId, status: PartnershipStatus.ACTIVE };
    const repo = this.deps.ds.getRepository(Partnership);
    const rows = await repo.find({
      where: page.afterId ? { ...where, id: LessThan(page.afterId) } : where,
      order: { id: 'DESC' },
      take: page.first + 1,
    });
    return toConnection(rows, page, () => repo.countBy(where));
  }

  /** The provider's own requests, newest first. */
  async listRequests(ctx: RequestContext, args: ConnectionArgs) {
    const providerId = principalOf(ctx).partnerId!;
    const page = pageRequest(args);
    const repo = this.deps.ds.getRepository(PartnershipRequest);
    const rows = await repo.find({
      where: { providerId, ...(page.afterId ? { id: LessThan(page.afterId) } : {}) },
      order: { id: 'DESC' },
      take: page.first + 1,
    });
    return toConnection(rows, page, () => repo.countBy({ providerId }));
  }

  private publish(p: Partnership, change: PartnershipChangedPayload['change']) {
    const payload: PartnershipChangedPayload = {
      audiencePartnerIds: [p.providerId, p.resellerId],
      partnership: { id: p.id, status: p.status, providerId: p.providerId, resellerId: p.resellerId },
      change,
      occurredAt: (p.removedAt ?? p.establishedAt).toISOString(),
    };
    this.deps.pubSub.publish(Topic.PARTNERSHIP_CHANGED, payload);
  }
}
