import type { EntityManager } from 'typeorm';
import type { AppDeps } from '../../common/context';
import { inTransaction } from '../../common/database';
import { PartnerType } from '../../common/enums';
import { UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import type { Scope } from '../../scope/scope';
import { EventType } from '../../events/catalog';
import type { EventService } from '../../events/event.service';
import type { EventDraft } from '../../events/outbox';
import { ActivityAction } from '../activity/activity.entity';
import type { ActivityEntry, ActivityService } from '../activity/activity.service';
import type { OfferService } from '../offer/offer.service';
import type { Partner } from '../partner/partner.entity';
import { CustomerSubscription } from './subscription.entity';
import type { CreateSubscriptionInput, UpdateSubscriptionInput } from './subscription.inputs';

export interface OrderLine {
  offerId: string;
  quantity: number;
  resellerId?: string | null;
  supportContactId?: string | null;
}

export class SubscriptionService {
  constructor(
    private readonly deps: AppDeps,
    private readonly activity: ActivityService,
    private readonly events: EventService,
    private readonly offers: OfferService,
  ) {}

  /**
   * A reseller of record or support contact must be an indirect reseller in an ACTIVE partnership
   * with the selling provider, locked until the commit (a concurrent removal waits). BAD_USER_INPUT naming `field` otherwise.
   */
  private async requirePartneredReseller(em: EntityManager, scope: Scope, seller: Partner, resellerId: string, field: string) {
    if (seller.type !== PartnerType.INDIRECT_PROVIDER || !(await scope.lockActivePartnership(em, resellerId))) {
      throw UserInputError.field(field, 'must be an indirect reseller in an ACTIVE partnership with you');
    }
  }

  /** Places one order line inside the caller's transaction; the caller's partner is the seller. */
  async placeInTransaction(
    em: EntityManager,
    scope: Scope,
    seller: Partner,
    customerId: string,
    line: OrderLine,
    field: string,
    at: Date,
  ): Promise<{ subscription: CustomerSubscription; entry: ActivityEntry; event: EventDraft }> {
    await this.offers.requireOrderable(em, line.offerId, line.quantity, field);
    if (line.resellerId) await this.requirePartneredReseller(em, scope, seller, line.resellerId, `${field}.resellerId`);
    if (line.supportContactId) {
      await this.requirePartneredReseller(em, scope, seller, line.supportContactId, `${field}.supportContactId`);
    }
    const subscription = em.create(CustomerSubscription, {
      id: newId(),
      customerId,
      offerId: line.offerId,
      quantity: line.quantity,
      soldByPartnerId: seller.id,
      resellerId: line.resellerId ?? null,
      supportContactId: line.supportContactId ?? null,
      createdAt: at,
      updatedAt: at,
    });
    await em.insert(CustomerSubscription, subscription);
    return {
      subscription,
      entry: {
        action: ActivityAction.SUBSCRIPTION_CREATED,
        partnerId: seller.id,
        customerId,
        subjectId: subscription.id,
        details: { offerId: line.offerId, quantity: line.quantity, resellerId: line.resellerId ?? null },
      },
      event: {
        type: EventType.SUBSCRIPTION_CREATED,
        partnerId: seller.id,
        customerId,
        subscriptionId: subscription.id,
        data: { offerId: line.offerId, quantity: line.quantity, resellerId: subscription.resellerId, supportContactId: subscription.supportContactId },
      },
    };
  }

  /** Sell to a customer the partner has an ACTIVE relationship with (NOT_FOUND otherwise), held until the commit. */
  async create(scope: Scope, input: CreateSubscriptionInput): Promise<CustomerSubscription> {
    return inTransaction(this.deps.ds, async (em) => {
      const seller = await scope.ownPartner(em);
      await scope.lockActiveRelationship(em, input.customerId);
      const at = new Date();
      const { subscription, entry, event } = await this.placeInTransaction(em, scope, seller, input.customerId, input, 'input', at);
      await this.activity.record(em, scope, [entry], at);
      await this.events.record(em, scope, [event], at);
      return subscription;
    });
  }

  /**
   * Only the partner that sold a subscription changes it, and only while its relationship with the
   * customer is ACTIVE: anyone else gets NOT_FOUND, even a partner of the same customer.
   */
  async update(scope: Scope, input: UpdateSubscriptionInput): Promise<CustomerSubscription> {
    return inTransaction(this.deps.ds, async (em) => {
      const seller = await scope.ownPartner(em);
      const subscription = await scope.lockForChange(em, CustomerSubscription, input.subscriptionId);
      await scope.lockActiveRelationship(em, subscription.customerId);
      const changes: Partial<CustomerSubscription> = {};
      if (input.quantity !== undefined && input.quantity !== null) {
        await this.offers.requireOrderable(em, subscription.offerId, input.quantity, 'input');
        changes.quantity = input.quantity;
      }
      if (input.resellerId !== undefined) {
        if (input.resellerId) await this.requirePartneredReseller(em, scope, seller, input.resellerId, 'input.resellerId');
        changes.resellerId = input.resellerId;
      }
      if (input.supportContactId !== undefined) {
        if (input.supportContactId) {
          await this.requirePartneredReseller(em, scope, seller, input.supportContactId, 'input.supportContactId');
        }
        changes.supportContactId = input.supportContactId;
      }
      const at = new Date();
      changes.updatedAt = at;
      await em.update(CustomerSubscription, { id: subscription.id }, changes);
      await this.activity.record(
        em,
        scope,
        [
          {
            action: ActivityAction.SUBSCRIPTION_UPDATED,
            partnerId: subscription.soldByPartnerId,
            customerId: subscription.customerId,
            subjectId: subscription.id,
            details: { ...changes, updatedAt: undefined },
          },
        ],
        at,
      );
      const updated = await em.findOneByOrFail(CustomerSubscription, { id: subscription.id });
      const { updatedAt: _at, ...changed } = changes;
      await this.events.record(em, scope, [
        {
          type: EventType.SUBSCRIPTION_UPDATED,
          partnerId: updated.soldByPartnerId,
          customerId: updated.customerId,
          subscriptionId: updated.id,
          // the audience is the readers after the change; a reseller that was just replaced learns it too
          data: {
            changed,
            quantity: updated.quantity,
            resellerId: updated.resellerId,
            supportContactId: updated.supportContactId,
            previousResellerId: subscription.resellerId,
            previousSupportContactId: subscription.supportContactId,
          },
        },
      ], at);
      return updated;
    });
  }
}
