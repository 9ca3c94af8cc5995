import type { Changes, ChangeTx } from '../../changes/change';
import type { AppDeps } from '../../common/context';
import { cloudRequiresDelegatedAdmin, InvitationStatus, PartnershipStatus, PartnerType } from '../../common/enums';
import { ConflictError, ForbiddenError, NotFoundError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { personalLink } from '../../common/links';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import { hashToken, newLinkToken } from '../../common/secrets';
import { effectiveStatus, pendingLinkFields } from '../../common/single-use';
import type { Scope } from '../../scope/scope';
import type { Customer } from '../customer/customer.entity';
import { Partner } from '../partner/partner.entity';
import { lockPartnership } from '../partnership/partnership.service';
import type { RelationshipService } from '../relationship/relationship.service';
import { CustomerInvitation } from './customer-invitation.entity';
import { invitationDraft } from './invitation.email';
import type { CreateCustomerInvitationInput, InvitationFilter } from './invitation.inputs';
import type { CreateCustomerInvitationPayload, InvitationPreview } from './invitation.types';
import { tallyCount, TallyName } from '../../counts/tallies';
import { INVITATION_ACCEPTED, INVITATION_CREATED, INVITATION_DECLINED, INVITATION_EXPIRED, INVITATION_REVOKED } from './invitation.changes';

/** Only a PENDING invitation before its expiry is answered (the state itself is the entity's transition table). */
const beforeExpiry = (now: Date) => ({ where: 'expiresAt > :now', params: { now } });

/** Why a stored invitation cannot be answered any more, as a client-facing CONFLICT. */
function notAnswerable(inv: CustomerInvitation, now: Date): ConflictError {
  const status = effectiveStatus(inv.status, inv.expiresAt, now);
  return new ConflictError(`This invitation is ${status.toLowerCase()} and can no longer be answered`);
}

export class InvitationService {
  constructor(
    private readonly deps: AppDeps,
    private readonly changes: Changes,
    private readonly relationships: RelationshipService,
  ) {}

  /**
   * A partner invites a customer. The token (32 random bytes) is returned once; only its SHA-256 is
   * stored. Sovereign clouds must ask for DAP. A three-party invitation names an indirect provider
   * the (reseller) caller has an ACTIVE partnership with.
   */
  async create(scope: Scope, input: CreateCustomerInvitationInput): Promise<CreateCustomerInvitationPayload> {
    const token = newLinkToken();
    return this.changes.run(scope, async (tx) => {
      const { em } = tx;
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
      const now = tx.at;
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
      await tx.insert(CustomerInvitation, inv, INVITATION_CREATED, {
        subject: { partnerId: partner.id, invitationId: inv.id },
        subjectId: inv.id,
        details: { includeDelegatedAdminPrivileges: inv.includeDelegatedAdminPrivileges, indirectProviderId: inv.indirectProviderId },
        data: {
          includeDelegatedAdminPrivileges: inv.includeDelegatedAdminPrivileges,
          indirectProviderId: inv.indirectProviderId,
          expiresAt: inv.expiresAt.toISOString(),
        },
      });
      // the link carries the token: it exists only in this payload, never on the stored invitation
      const url = personalLink(this.deps.config, 'invitations', token);
      const emailDraft = invitationDraft({
        partnerName: partner.name,
        indirectProviderName: provider?.name ?? null,
        includeDelegatedAdminPrivileges: inv.includeDelegatedAdminPrivileges,
        url,
        expiresAt: inv.expiresAt,
      });
      return { invitation: inv, token, url, emailDraft };
    });
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
    const now = this.changes.now();
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
    return this.changes.run(scope, async (tx) => {
      const { em } = tx;
      const { inv, customer } = await this.answerable(tx, scope, token);
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
      const now = tx.at;
      const set = { status: InvitationStatus.ACCEPTED, acceptedAt: now, customerId: customer.id, answeredByUserId: scope.caller.userId };
      const accepted = await tx.update(
        CustomerInvitation,
        inv,
        set,
        INVITATION_ACCEPTED,
        (after) => ({
          subject: { partnerId: after.partnerId, customerId: customer.id, invitationId: after.id },
          subjectId: after.id,
          // the indirect provider's trail has it too
          alsoForPartners: [after.indirectProviderId],
          details: { includeDelegatedAdminPrivileges: after.includeDelegatedAdminPrivileges, invitingPartnerId: after.partnerId },
          data: {
            invitation: {
              status: InvitationStatus.ACCEPTED,
              indirectProviderId: after.indirectProviderId,
              includeDelegatedAdminPrivileges: after.includeDelegatedAdminPrivileges,
              acceptedAt: now.toISOString(),
            },
            customer: { companyName: customer.companyName, domain: customer.domain },
          },
        }),
        beforeExpiry(now),
      );
      if (!accepted) throw notAnswerable(await em.findOneByOrFail(CustomerInvitation, { id: inv.id }), now);

      for (const partnerId of [inv.partnerId, ...(inv.indirectProviderId ? [inv.indirectProviderId] : [])]) {
        await this.relationships.establish(tx, partnerId, customer.id);
      }
      if (inv.includeDelegatedAdminPrivileges) await this.relationships.grantDelegatedAdmin(tx, inv.partnerId, customer.id, inv.id);
      return { invitation: await em.findOneByOrFail(CustomerInvitation, { id: inv.id }), customer };
    });
  }

  async decline(scope: Scope, token: string) {
    return this.changes.run(scope, async (tx) => {
      const { inv, customer } = await this.answerable(tx, scope, token);
      const set = { status: InvitationStatus.DECLINED, declinedAt: tx.at, customerId: customer.id, answeredByUserId: scope.caller.userId };
      const declined = await tx.update(
        CustomerInvitation,
        inv,
        set,
        INVITATION_DECLINED,
        (after) => ({
          subject: { partnerId: after.partnerId, customerId: customer.id, invitationId: after.id },
          subjectId: after.id,
          data: {},
        }),
        beforeExpiry(tx.at),
      );
      if (!declined) throw notAnswerable(await tx.em.findOneByOrFail(CustomerInvitation, { id: inv.id }), tx.at);
      return tx.em.findOneByOrFail(CustomerInvitation, { id: inv.id });
    });
  }

  /** The inviting partner withdraws a PENDING invitation. */
  async revoke(scope: Scope, invitationId: string) {
    return this.changes.run(scope, async (tx) => {
      const inv = await scope.lockForChange(tx.em, CustomerInvitation, invitationId);
      const revoked = await tx.update(
        CustomerInvitation,
        inv,
        { status: InvitationStatus.REVOKED, revokedAt: tx.at },
        INVITATION_REVOKED,
        (after) => ({
          subject: { partnerId: after.partnerId, invitationId: after.id },
          subjectId: after.id,
          data: {},
        }),
        beforeExpiry(tx.at),
      );
      if (!revoked) throw notAnswerable(inv, tx.at);
      return tx.em.findOneByOrFail(CustomerInvitation, { id: inv.id });
    });
  }

  /**
   * The server's sweep: invitations still PENDING past their expiry become EXPIRED, each with one
   * INVITATION_EXPIRED event. The conditional update makes it once, even with several servers sweeping.
   */
  async expireDue(now = this.changes.now(), batch = 200): Promise<number> {
    const due = await this.deps.ds.manager
      .createQueryBuilder(CustomerInvitation, 'invitation')
      .where('invitation.status = :pending AND invitation.expiresAt <= :now', { pending: InvitationStatus.PENDING, now })
      .orderBy('invitation.expiresAt', 'ASC')
      .limit(batch)
      .getMany();
    let expired = 0;
    const run = newId();
    for (const inv of due) {
      await this.changes.run(
        null,
        async (tx) => {
          const done = await tx.update(
            CustomerInvitation,
            inv,
            { status: InvitationStatus.EXPIRED },
            INVITATION_EXPIRED,
            (after) => ({
              subject: { partnerId: after.partnerId, invitationId: after.id },
              subjectId: after.id,
              data: { expiresAt: after.expiresAt.toISOString() },
            }),
            { where: 'expiresAt <= :now', params: { now } },
          );
          if (done) expired++;
        },
        { correlationId: `sweep-${run}` },
      );
    }
    return expired;
  }

  /**
   * The invitation behind a token (the link is the capability: whoever holds it may answer), and the
   * caller's customer, which must be in the invitation's cloud.
   */
  private async answerable(tx: ChangeTx, scope: Scope, token: string) {
    const { em } = tx;
    const customer: Customer = await scope.ownCustomer(em);
    const inv = await em.findOneBy(CustomerInvitation, { tokenHash: hashToken(token) });
    if (!inv) throw new NotFoundError('Invitation');
    if (customer.cloud !== inv.cloud) {
      throw new ForbiddenError(`This invitation comes from a partner in the ${inv.cloud} cloud; your organisation is in ${customer.cloud}`);
    }
    if (effectiveStatus(inv.status, inv.expiresAt, tx.at) !== InvitationStatus.PENDING) throw notAnswerable(inv, tx.at);
    return { inv, customer };
  }
}
