import type { EntityManager } from 'typeorm';
import type { AppDeps } from '../../common/context';
import { inTransaction } from '../../common/database';
import { cloudRequiresDelegatedAdmin, InvitationStatus, PartnershipStatus, PartnerType } from '../../common/enums';
import { ConflictError, ForbiddenError, NotFoundError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { personalLink } from '../../common/links';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import { hashToken, newLinkToken } from '../../common/secrets';
import { claimPending, effectiveStatus, pendingLinkFields } from '../../common/single-use';
import { EventType } from '../../events/catalog';
import type { EventDraft } from '../../events/outbox';
import type { EventService } from '../../events/event.service';
import { ActivityAction } from '../activity/activity.entity';
import type { ActivityEntry, ActivityService } from '../activity/activity.service';
import type { Scope } from '../../scope/scope';
import type { Customer } from '../customer/customer.entity';
import { Partner } from '../partner/partner.entity';
import { lockPartnership } from '../partnership/partnership.service';
import type { RelationshipService } from '../relationship/relationship.service';
import { CustomerInvitation } from './customer-invitation.entity';
import { invitationDraft } from './invitation.email';
import type { CreateCustomerInvitationInput, InvitationFilter } from './invitation.inputs';
import type { InvitationPreview } from './invitation.types';
import { countChange, EVERYONE, tallyCount, TallyName } from '../../counts/tallies';

/** The `data` of INVITATION_ACCEPTED (what the invitationAccepted push shows). */
export interface InvitationAcceptedData {
  invitation: { status: string; indirectProviderId: string | null; includeDelegatedAdminPrivileges: boolean; acceptedAt: string };
  customer: { companyName: string; domain: string };
}

/** Why a stored invitation cannot be answered any more, as a client-facing CONFLICT. */
function notAnswerable(inv: CustomerInvitation): ConflictError {
  const status = effectiveStatus(inv.status, inv.expiresAt);
  return new ConflictError(`This invitation is ${status.toLowerCase()} and can no longer be answered`);
}

export class InvitationService {
  constructor(
    private readonly deps: AppDeps,
    private readonly activity: ActivityService,
    private readonly events: EventService,
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
      countChange(em, TallyName.INVITATIONS, inv.partnerId);
      countChange(em, TallyName.INVITATIONS, EVERYONE);
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
      await this.events.record(em, scope, [
        {
          type: EventType.INVITATION_CREATED,
          partnerId: partner.id,
          invitationId: inv.id,
          data: { includeDelegatedAdminPrivileges: inv.includeDelegatedAdminPrivileges, indirectProviderId: inv.indirectProviderId, expiresAt: inv.expiresAt.toISOString() },
        },
      ], now);
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
        // stored EXPIRED by the sweep, or past expiry and not swept yet
        qb.andWhere('(invitation.status = :expired OR (invitation.status = :pending AND invitation.expiresAt <= :now))', {
          expired: InvitationStatus.EXPIRED,
          pending: InvitationStatus.PENDING,
          now,
        });
        break;
      default:
        qb.andWhere('invitation.status = :status', { status: filterBy!.status });
    }
    return paginate(qb, args, { order: 'DESC', count: tallyCount(this.deps.ds, TallyName.INVITATIONS, !filterBy?.status && scope.tallyOwner) });
  }

  /**
   * The customer's admin accepts. One transaction: a conditional PENDING → ACCEPTED update (so of
   * concurrent accepts exactly one wins), the relationships, DAP when asked, the activity rows and
   * the events (pushed only after the commit).
   */
  async accept(scope: Scope, token: string) {
    return inTransaction(this.deps.ds, async (em) => {
      const { inv, customer } = await this.answerable(em, scope, token);
      // Authority at the moment of use: the provider of a three-party invitation gets the customer
      // through its partnership with the inviting reseller, so that partnership must be ACTIVE now, not
      // only when the link was made. Its row is the first lock taken, as in removePartnership: a removal
      // that committed is seen here (CONFLICT, nothing written); one that comes later waits for this commit.
      if (inv.indirectProviderId) {
        const partnership = await lockPartnership(em, inv.indirectProviderId, inv.partnerId);
        if (partnership?.status !== PartnershipStatus.ACTIVE) {
          throw new ConflictError(
            'The partnership between the indirect provider and the reseller of this invitation is no longer active: ask the reseller for a new invitation',
          );
        }
      }
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
      const data: InvitationAcceptedData = {
        invitation: {
          status: InvitationStatus.ACCEPTED,
          indirectProviderId: inv.indirectProviderId,
          includeDelegatedAdminPrivileges: inv.includeDelegatedAdminPrivileges,
          acceptedAt: now.toISOString(),
        },
        customer: { companyName: customer.companyName, domain: customer.domain },
      };
      const drafts: EventDraft[] = [
        { type: EventType.INVITATION_ACCEPTED, partnerId: inv.partnerId, customerId: customer.id, invitationId: inv.id, data: { ...data } },
      ];
      if (inv.includeDelegatedAdminPrivileges) {
        const e = await this.relationships.grantDelegatedAdmin(em, inv.partnerId, customer.id, now);
        if (e) {
          entries.push({ ...e, subjectId: inv.id });
          drafts.push({ type: EventType.DELEGATED_ADMIN_GRANTED, partnerId: inv.partnerId, customerId: customer.id, invitationId: inv.id, data: { ...e.details } });
        }
      }
      await this.activity.record(em, scope, entries, now);
      await this.events.record(em, scope, drafts, now);
      const accepted = await em.findOneByOrFail(CustomerInvitation, { id: inv.id });
      return { invitation: accepted, customer };
    });
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
      await this.events.record(em, scope, [{ type: EventType.INVITATION_DECLINED, partnerId: inv.partnerId, customerId: customer.id, invitationId: inv.id }], now);
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
      await this.events.record(em, scope, [{ type: EventType.INVITATION_REVOKED, partnerId: inv.partnerId, invitationId: inv.id }], now);
      return em.findOneByOrFail(CustomerInvitation, { id: inv.id });
    });
  }

  /**
   * The server's sweep: invitations still PENDING past their expiry become EXPIRED, each with one
   * INVITATION_EXPIRED event. The conditional update makes it once, even with several servers sweeping.
   */
  async expireDue(now = new Date(), batch = 200): Promise<number> {
    const due = await this.deps.ds.manager
      .createQueryBuilder(CustomerInvitation, 'invitation')
      .select(['invitation.id', 'invitation.partnerId', 'invitation.expiresAt'])
      .where('invitation.status = :pending AND invitation.expiresAt <= :now', { pending: InvitationStatus.PENDING, now })
      .orderBy('invitation.expiresAt', 'ASC')
      .limit(batch)
      .getMany();
    let expired = 0;
    for (const inv of due) {
      await inTransaction(this.deps.ds, async (em) => {
        const result = await em
          .createQueryBuilder()
          .update(CustomerInvitation)
          .set({ status: InvitationStatus.EXPIRED })
          .where('id = :id AND status = :pending AND expiresAt <= :now', { id: inv.id, pending: InvitationStatus.PENDING, now })
          .execute();
        if (!result.affected) return;
        expired++;
        await this.events.record(em, null, [
          { type: EventType.INVITATION_EXPIRED, partnerId: inv.partnerId, invitationId: inv.id, data: { expiresAt: inv.expiresAt.toISOString() } },
        ], now);
      });
    }
    return expired;
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
