import type { EntityManager } from 'typeorm';
import type { ChangeTx, Changes } from '../../changes/change';
import { PartnerType } from '../../common/enums';
import { UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import type { Scope } from '../../scope/scope';
import { Customer } from '../customer/customer.entity';
import type { OfferService } from '../offer/offer.service';
import type { Partner } from '../partner/partner.entity';
import { SUBSCRIPTION_CREATED, SUBSCRIPTION_UPDATED, type SubscriptionUpdatedData } from './subscription.changes';
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
    private readonly changes: Changes,
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

  /** Places one order line inside the caller's change transaction; the caller's partner is the seller. */
  async placeInTransaction(tx: ChangeTx, scope: Scope, seller: Partner, customerId: string, line: OrderLine, field: string): Promise<CustomerSubscription> {
    const { em } = tx;
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
      createdAt: tx.at,
      updatedAt: tx.at,
    });
    return tx.insert(CustomerSubscription, subscription, SUBSCRIPTION_CREATED, {
      subject: { partnerId: seller.id, customerId, subscriptionId: subscription.id },
      subjectId: subscription.id,
      details: { offerId: line.offerId, quantity: line.quantity, resellerId: line.resellerId ?? null },
      data: { offerId: line.offerId, quantity: line.quantity, resellerId: subscription.resellerId, supportContactId: subscription.supportContactId },
    });
  }

  /** Sell to a customer the partner has an ACTIVE relationship with (NOT_FOUND otherwise), held until the commit. */
  async create(scope: Scope, input: CreateSubscriptionInput): Promise<{ subscription: CustomerSubscription; customer: Customer }> {
    return this.changes.run(scope, async (tx) => {
      const seller = await scope.ownPartner(tx.em);
      await scope.lockActiveRelationship(tx.em, input.customerId);
      const subscription = await this.placeInTransaction(tx, scope, seller, input.customerId, input, 'input');
      // read as the caller sees it (its relationship held by the lock above)
      return { subscription, customer: await scope.getOrThrow(Customer, input.customerId, tx.em) };
    });
  }

  /**
   * Only the partner that sold a subscription changes it, and only while its relationship with the
   * customer is ACTIVE: anyone else gets NOT_FOUND, even a partner of the same customer.
   */
  async update(scope: Scope, input: UpdateSubscriptionInput): Promise<CustomerSubscription> {
    return this.changes.run(scope, async (tx) => {
      const { em } = tx;
      const seller = await scope.ownPartner(em);
      const subscription = await scope.lockForChange(em, CustomerSubscription, input.subscriptionId);
      await scope.lockActiveRelationship(em, subscription.customerId);
      const changed: SubscriptionUpdatedData['changed'] = {};
      if (input.quantity !== undefined && input.quantity !== null) {
        await this.offers.requireOrderable(em, subscription.offerId, input.quantity, 'input');
        changed.quantity = input.quantity;
      }
      if (input.resellerId !== undefined) {
        if (input.resellerId) await this.requirePartneredReseller(em, scope, seller, input.resellerId, 'input.resellerId');
        changed.resellerId = input.resellerId;
      }
      if (input.supportContactId !== undefined) {
        if (input.supportContactId) {
          await this.requirePartneredReseller(em, scope, seller, input.supportContactId, 'input.supportContactId');
        }
        changed.supportContactId = input.supportContactId;
      }
      const updated = await tx.update(CustomerSubscription, subscription, { ...changed, updatedAt: tx.at }, SUBSCRIPTION_UPDATED, (after) => ({
        subject: { partnerId: after.soldByPartnerId, customerId: after.customerId, subscriptionId: after.id },
        subjectId: after.id,
        details: { ...changed },
        // the audience is the readers after the change; a reseller that was just replaced learns it too
        data: {
          changed,
          quantity: after.quantity,
          resellerId: after.resellerId,
          supportContactId: after.supportContactId,
          previousResellerId: subscription.resellerId,
          previousSupportContactId: subscription.supportContactId,
        },
      }));
      // the row is locked (MySQL) or the transaction alone (SQLite): a lost update here is a bug
      if (!updated) throw new Error(`subscription ${subscription.id} changed under its lock`);
      return em.findOneByOrFail(CustomerSubscription, { id: subscription.id });
    });
  }
}
