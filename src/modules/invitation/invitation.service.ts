import type { EntityManager } from 'typeorm';
import type { AppDeps } from '../../common/context';
import { inTransaction } from '../../common/database';
import { cloudRequiresDelegatedAdmin, InvitationStatus, PartnerType } from '../../common/enums';
import { ConflictError, ForbiddenError, NotFoundError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { personalLink } from '../../common/links';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import { type InvitationAcceptedPayload, Topic } from '../../common/pubsub';
import { hashToken, newLinkToken } from '../../common/secrets';
import { claimPending, effectiveStatus, pendingLinkFields } from '../../common/single-use';
import { ActivityAction } from '../activity/activity.entity';
import type { ActivityEntry, ActivityService } from '../activity/activity.service';
import type { Scope } from '../../scope/scope';
import type { Customer } from '../customer/customer.entity';
import { Partner } from '../partner/partner.entity';
import type { RelationshipService } from '../relationship/relationship.service';
import { CustomerInvitation } from './customer-invitation.entity';
import { invitationDraft } from './invitation.email';
import type { CreateCustomerInvitationInput, InvitationFilter } from './invitation.inputs';
import type { InvitationPreview } from './invitation.types';

/** Why a stored invitation cannot be answered any more, as a client-facing CONFLICT. */
function notAnswerable(inv: CustomerInvitation): ConflictError {
  const status = effectiveStatus(inv.status, inv.expiresAt);
  return new ConflictError(`This invitation is ${status.toLowerCase()} and can no longer be answered`);
}

export class InvitationService {
  constructor(
    private readonly deps: AppDeps,
    private readonly activity: ActivityService,
    private readonly relationships: RelationshipService,
  ) {}

  /**
   * A partner invites a customer. The token (32 random bytes) is returned once; only its SHA-256 is
   * stored. Sovereign clouds must ask for DAP. A three-party invitation names an indirect provider
   * the (reseller) caller has an ACTIVE partnership with.
   */
  async create(scope: Scope, input: CreateCustomerInvitationInput) {
    const token = newLinkToken();
    const invitation = await inTransaction(this.deps.ds, async (em) => {
      const partner = await scope.ownPartner(em);
      if (!input.includeDelegatedAdminPrivileges && cloudRequiresDelegatedAdmin(partner.cloud)) {
        throw UserInputError.field(
          'input.includeDelegatedAdminPrivileges',
          `must be true in the ${partner.cloud} cloud: inviting without admin permissions exists only in PUBLIC`,
        );
      }
      let provider: Partner | null = null;
      if (input.indirectProviderId) {
        // locked until the commit, so a concurrent removal of the partnership waits for this invitation
        const partnership = partner.type === PartnerType.INDIRECT_RESELLER ? await scope.lockActivePartnership(em, input.indirectProviderId) : null;
        provider = partnership ? await em.findOneBy(Partner, { id: partnership.providerId }) : null;
        const partnered = provider?.type === PartnerType.INDIRECT_PROVIDER;
        if (!partnered) {
          throw UserInputError.field(
            'input.indirectProviderId',
            'must be an indirect provider in an ACTIVE partnership with you (and only an indirect reseller can name one)',
          );
        }
      }
      const now = new Date();
      const inv = em.create(CustomerInvitation, {
        id: newId(),
        partnerId: partner.id,
        indirectProviderId: provider?.id ?? null,
        includeDelegatedAdminPrivileges: input.includeDelegatedAdminPrivileges,
        customerEmail: input.customerEmail ?? null,
        cloud: partner.cloud,
        ...pendingLinkFields(token, scope.caller.userId, this.deps.config.invitationTtlMs, now),
        customerId: null,
        answeredByUserId: null,
        acceptedAt: null,
        declinedAt: null,
        revokedAt: null,
      });
      await em.insert(CustomerInvitation, inv);
      await this.activity.record(
        em,
        scope,
        [
          {
            action: ActivityAction.INVITATION_CREATED,
            partnerId: partner.id,
            subjectId: inv.id,
            details: { includeDelegatedAdminPrivileges: inv.includeDelegatedAdminPrivileges, indirectProviderId: inv.indirectProviderId },
          },
        ],
        now,
      );
      inv.url = personalLink(this.deps.config, 'invitations', token);
      inv.emailDraft = invitationDraft({
        partnerName: partner.name,
        indirectProviderName: provider?.name ?? null,
        includeDelegatedAdminPrivileges: inv.includeDelegatedAdminPrivileges,
        url: inv.url,
        expiresAt: inv.expiresAt,
      });
      return inv;
    });
    return { invitation, token };
  }

  /** No login needed: only what the customer is agreeing to. Unknown tokens answer null. */
  async preview(token: string): Promise<InvitationPreview | null> {
    const inv = await this.deps.ds.getRepository(CustomerInvitation).findOne({
      where: { tokenHash: hashToken(token) },
      relations: { partner: true, indirectProvider: true },
    });
    if (!inv) return null;
    return {
      partnerName: inv.partner!.name,
      indirectProviderName: inv.indirectProvider?.name ?? null,
      includeDelegatedAdminPrivileges: inv.includeDelegatedAdminPrivileges,
      status: inv.effectiveStatus,
      expiresAt: inv.expiresAt,
    };
  }

  /** The partner's own invitations, newest first, optionally by status (EXPIRED is PENDING past expiry). */
  list(scope: Scope, args: ConnectionArgs, filterBy?: InvitationFilter) {
    const qb = scope.invitations();
    const now = new Date();
    switch (filterBy?.status) {
      case undefined:
      case null:
        break;
      case InvitationStatus.PENDING:
        qb.andWhere('invitation.status = :pending AND invitation.expiresAt > :now', { pending: InvitationStatus.PENDING, now });
        break;
      case InvitationStatus.EXPIRED:
        qb.andWhere('invitation.status = :pending AND invitation.expiresAt <= :now', { pending: InvitationStatus.PENDING, now });
        break;
      default:
        qb.andWhere('invitation.status = :status', { status: filterBy!.status });
    }
    return paginate(qb, args, 'DESC');
  }

  /**
   * The customer's admin accepts. One transaction: a conditional PENDING → ACCEPTED update (so of
   * concurrent accepts exactly one wins), the relationships, DAP when asked, the activity rows.
   * The push goes out only after the commit.
   */
  async accept(scope: Scope, token: string) {
    const result = await inTransaction(this.deps.ds, async (em) => {
      const { inv, customer } = await this.answerable(em, scope, token);
      const now = new Date();
      const won = await claimPending(em, CustomerInvitation, inv.id, { status: InvitationStatus.ACCEPTED, acceptedAt: now, customerId: customer.id, answeredByUserId: scope.caller.userId }, now);
      if (!won) throw notAnswerable(await em.findOneByOrFail(CustomerInvitation, { id: inv.id }));

      const partnerIds = [inv.partnerId, ...(inv.indirectProviderId ? [inv.indirectProviderId] : [])];
      const entries: ActivityEntry[] = partnerIds.map((partnerId) => ({
        action: ActivityAction.INVITATION_ACCEPTED,
        partnerId,
        customerId: customer.id,
        subjectId: inv.id,
        details: { includeDelegatedAdminPrivileges: inv.includeDelegatedAdminPrivileges, invitingPartnerId: inv.partnerId },
      }));
      for (const partnerId of partnerIds) {
        const e = await this.relationships.establish(em, partnerId, customer.id, now);
        if (e) entries.push({ ...e, subjectId: inv.id });
      }
      if (inv.includeDelegatedAdminPrivileges) {
        const e = await this.relationships.grantDelegatedAdmin(em, inv.partnerId, customer.id, now);
        if (e) entries.push({ ...e, subjectId: inv.id });
      }
      await this.activity.record(em, scope, entries, now);
      const accepted = await em.findOneByOrFail(CustomerInvitation, { id: inv.id });
      return { invitation: accepted, customer, audience: partnerIds };
    });
    // Committed: now, and only now, tell the dashboards.
    const payload: InvitationAcceptedPayload = {
      audiencePartnerIds: result.audience,
      invitation: {
        id: result.invitation.id,
        status: result.invitation.status,
        partnerId: result.invitation.partnerId,
        indirectProviderId: result.invitation.indirectProviderId,
        includeDelegatedAdminPrivileges: result.invitation.includeDelegatedAdminPrivileges,
        acceptedAt: result.invitation.acceptedAt!.toISOString(),
      },
      customer: { id: result.customer.id, companyName: result.customer.companyName, domain: result.customer.domain },
      occurredAt: result.invitation.acceptedAt!.toISOString(),
    };
    this.deps.pubSub.publish(Topic.INVITATION_ACCEPTED, payload);
    return { invitation: result.invitation, customer: result.customer };
  }

  async decline(scope: Scope, token: string) {
    return inTransaction(this.deps.ds, async (em) => {
      const { inv, customer } = await this.answerable(em, scope, token);
      const now = new Date();
      const won = await claimPending(em, CustomerInvitation, inv.id, { status: InvitationStatus.DECLINED, declinedAt: now, customerId: customer.id, answeredByUserId: scope.caller.userId }, now);
      if (!won) throw notAnswerable(await em.findOneByOrFail(CustomerInvitation, { id: inv.id }));
      await this.activity.record(
        em,
        scope,
        [{ action: ActivityAction.INVITATION_DECLINED, partnerId: inv.partnerId, customerId: customer.id, subjectId: inv.id }],
        now,
      );
      return em.findOneByOrFail(CustomerInvitation, { id: inv.id });
    });
  }

  /** The inviting partner withdraws a PENDING invitation. */
  async revoke(scope: Scope, invitationId: string) {
    return inTransaction(this.deps.ds, async (em) => {
      const inv = await scope.lockForChange(em, CustomerInvitation, invitationId);
      const now = new Date();
      const won = await claimPending(em, CustomerInvitation, inv.id, { status: InvitationStatus.REVOKED, revokedAt: now }, now);
      if (!won) throw notAnswerable(inv);
      await this.activity.record(em, scope, [{ action: ActivityAction.INVITATION_REVOKED, partnerId: inv.partnerId, subjectId: inv.id }], now);
      return em.findOneByOrFail(CustomerInvitation, { id: inv.id });
    });
  }

  /**
   * The invitation behind a token (the link is the capability: whoever holds it may answer), and the
   * caller's customer, which must be in the invitation's cloud.
   */
  private async answerable(em: EntityManager, scope: Scope, token: string) {
    const customer: Customer = await scope.ownCustomer(em);
    const inv = await em.findOneBy(CustomerInvitation, { tokenHash: hashToken(token) });
    if (!inv) throw new NotFoundError('Invitation');
    if (customer.cloud !== inv.cloud) {
      throw new ForbiddenError(`This invitation comes from a partner in the ${inv.cloud} cloud; your organisation is in ${customer.cloud}`);
    }
    if (effectiveStatus(inv.status, inv.expiresAt) !== InvitationStatus.PENDING) throw notAnswerable(inv);
    return { inv, customer };
  }
}
