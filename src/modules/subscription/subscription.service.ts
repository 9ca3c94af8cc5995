import { type EntityManager, MoreThan } from 'typeorm';
import { type AppDeps, type RequestContext } from '../../common/context';
import { inTransaction } from '../../common/database';
import { PartnerType } from '../../common/enums';
import { NotFoundError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { type ConnectionArgs, pageRequest, toConnection } from '../../common/pagination';
import { ActivityAction } from '../activity/activity.entity';
import type { ActivityEntry, ActivityService } from '../activity/activity.service';
import type { OfferService } from '../offer/offer.service';
import type { Partner } from '../partner/partner.entity';
import type { PartnerService } from '../partner/partner.service';
import type { RelationshipService } from '../relationship/relationship.service';
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
    private readonly offers: OfferService,
    private readonly partners: PartnerService,
    private readonly relationships: RelationshipService,
  ) {}

  /**
   * A reseller of record or support contact must be an indirect reseller in an ACTIVE partnership
   * with the selling provider. BAD_USER_INPUT naming `field` otherwise.
   */
  async requirePartneredReseller(em: EntityManager, seller: Partner, resellerId: string, field: string): Promise<void> {
    if (seller.type !== PartnerType.INDIRECT_PROVIDER || !(await this.partners.activePartnershipExists(em, seller.id, resellerId))) {
      throw UserInputError.field(field, 'must be an indirect reseller in an ACTIVE partnership with you');
    }
  }

  /** Places one order line inside the caller's transaction. */
  async placeInTransaction(
    em: EntityManager,
    seller: Partner,
    customerId: string,
    line: OrderLine,
    field: string,
    at: Date,
  ): Promise<{ subscription: CustomerSubscription; entry: ActivityEntry }> {
    await this.offers.requireOrderable(em, line.offerId, line.quantity, field);
    if (line.resellerId) await this.requirePartneredReseller(em, seller, line.resellerId, `${field}.resellerId`);
    if (line.supportContactId) {
      await this.requirePartneredReseller(em, seller, line.supportContactId, `${field}.supportContactId`);
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
    };
  }

  /** Sell to a customer the partner has an ACTIVE relationship with (NOT_FOUND otherwise). */
  async create(ctx: RequestContext, input: CreateSubscriptionInput): Promise<CustomerSubscription> {
    return inTransaction(this.deps.ds, async (em) => {
      const seller = await this.partners.current(ctx, em);
      if (!(await this.relationships.isActive(em, seller.id, input.customerId))) {
        throw new NotFoundError('Customer', input.customerId);
      }
      const at = new Date();
      const { subscription, entry } = await this.placeInTransaction(em, seller, input.customerId, input, 'input', at);
      await this.activity.record(em, ctx, [entry], at);
      return subscription;
    });
  }

  async update(ctx: RequestContext, input: UpdateSubscriptionInput): Promise<CustomerSubscription> {
    return inTransaction(this.deps.ds, async (em) => {
      const seller = await this.partners.current(ctx, em);
      const subscription = await em.findOneBy(CustomerSubscription, { id: input.subscriptionId });
      if (!subscription || !(await this.relationships.isActive(em, seller.id, subscription.customerId))) {
        throw new NotFoundError('Subscription', input.subscriptionId);
      }
      const changes: Partial<CustomerSubscription> = {};
      if (input.quantity !== undefined && input.quantity !== null) {
        await this.offers.requireOrderable(em, subscription.offerId, input.quantity, 'input');
        changes.quantity = input.quantity;
      }
      if (input.resellerId !== undefined) {
        if (input.resellerId) await this.requirePartneredReseller(em, seller, input.resellerId, 'input.resellerId');
        changes.resellerId = input.resellerId;
      }
      if (input.supportContactId !== undefined) {
        if (input.supportContactId) {
          await this.requirePartneredReseller(em, seller, input.supportContactId, 'input.supportContactId');
        }
        changes.supportContactId = input.supportContactId;
      }
      const at = new Date();
      changes.updatedAt = at;
      await em.update(CustomerSubscription, { id: subscription.id }, changes);
      await this.activity.record(
        em,
        ctx,
        [
          {
            action: ActivityAction.SUBSCRIPTION_UPDATED,
            partnerId: seller.id,
            customerId: subscription.customerId,
            subjectId: subscription.id,
            details: { ...changes, updatedAt: undefined },
          },
        ],
        at,
      );
      return em.findOneByOrFail(CustomerSubscription, { id: subscription.id });
    });
  }

  /** A customer's subscriptions; the caller has already been allowed to see the customer. */
  async listForCustomer(customerId: string, args: ConnectionArgs) {
    const page = pageRequest(args);
    const repo = this.deps.ds.getRepository(CustomerSubscription);
    const rows = await repo.find({
      where: { customerId, ...(page.afterId ? { id: MoreThan(page.afterId) } : {}) },
      order: { id: 'ASC' },
      take: page.first + 1,
    });
    return toConnection(rows, page, () => repo.countBy({ customerId }));
  }
}
