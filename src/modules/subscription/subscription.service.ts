import type { EntityManager } from 'typeorm';
import type { ChangeDefinition } from '../../changes/catalog';
import type { ChangeRecord, ChangeTx, Changes } from '../../changes/change';
import { moveAll, releaseAll, requireRoomFor } from '../customer-user/licenses';
import { hasAnyRole } from '../../common/auth/principal';
import { Can } from '../../common/auth/roles';
import type { AppDeps } from '../../common/context';
import { PartnerType } from '../../common/enums';
import { ConflictError, ForbiddenError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import type { Money } from '../../common/money';
import type { Scope } from '../../scope/scope';
import { Customer } from '../customer/customer.entity';
import { Offer } from '../offer/offer.entity';
import type { OfferService } from '../offer/offer.service';
import { type BillingFrequency, type OfferTermRow, termEnd, type TermDuration } from '../offer/offer.terms';
import type { Partner } from '../partner/partner.entity';
import {
  SUBSCRIPTION_CANCELLED,
  SUBSCRIPTION_CREATED,
  SUBSCRIPTION_REACTIVATED,
  SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED,
  SUBSCRIPTION_SCHEDULED_CHANGE_SET,
  SUBSCRIPTION_SUSPENDED,
  SUBSCRIPTION_UPDATED,
  SUBSCRIPTION_UPGRADED,
  SUBSCRIPTION_EXTERNAL_ID_SET,
  type SubscriptionUpdatedData,
} from './subscription.changes';
import { about, externalIdData, snapshotView } from './subscription.snapshot';
import { CustomerSubscription, type ScheduledChangeRow, SubscriptionStatus } from './subscription.entity';
import type {
  CancelSubscriptionInput,
  CreateSubscriptionInput,
  ScheduleSubscriptionChangeInput,
  SetSubscriptionAutoRenewInput,
  SetSubscriptionExternalIdInput,
  SuspendSubscriptionInput,
  UpdateSubscriptionInput,
  UpgradeSubscriptionInput,
} from './subscription.inputs';
import { afterDecrease, afterIncrease, cancellableUntil, decreaseRefusal, refundAt, windowEnd } from './subscription.rules';
import { SubscriptionSweep } from './subscription.sweep';
import { isUniqueViolation } from '../../common/database';
import { externalIdSetData } from '../customer/external-id';

/** CONFLICT for an external id another of the seller's subscriptions has (also when the unique index refuses it under a race). */
const externalIdTaken = (externalId: string) =>
  new ConflictError(`Another of your subscriptions has the external id "${externalId}": an external id is unique among the subscriptions you sold`);

const { ACTIVE, SUSPENDED, CANCELLED } = SubscriptionStatus;

export interface OrderLine {
  offerId: string;
  quantity: number;
  resellerId?: string | null;
  supportContactId?: string | null;
  termDuration?: TermDuration | null;
  billingFrequency?: BillingFrequency | null;
  autoRenew?: boolean | null;
  /** the seller's own id for it */
  externalId?: string | null;
}

/** A change of a subscription that may have removed its scheduled change (the payloads say which). */
export interface SubscriptionChanged {
  subscription: CustomerSubscription;
  removedScheduledChange: ScheduledChangeRow | null;
}

/**
 * A subscription over its life (the rules: src/modules/subscription/subscription.rules.ts, the README's
 * subscriptions table). Only the partner that sold a subscription changes it, while its relationship
 * with the customer is ACTIVE: anyone else gets NOT_FOUND, even a partner of the same customer. Its
 * GLOBAL_ADMIN and ADMIN_AGENT make every change; a SALES_AGENT sells and adds licences only.
 */
export class SubscriptionService {
  /** What time does to subscriptions: renewal, expiry, reminders (the server's sweep). */
  readonly sweep: SubscriptionSweep;

  constructor(
    deps: AppDeps,
    private readonly changes: Changes,
    private readonly offers: OfferService,
  ) {
    this.sweep = new SubscriptionSweep(deps, changes, offers);
  }

  /**
   * A reseller of record or support contact must be an indirect reseller in an ACTIVE partnership
   * with the selling provider, locked until the commit (a concurrent removal waits). BAD_USER_INPUT naming `field` otherwise.
   */
  private async requirePartneredReseller(em: EntityManager, scope: Scope, seller: Partner, resellerId: string, field: string) {
    if (seller.type !== PartnerType.INDIRECT_PROVIDER || !(await scope.lockActivePartnership(em, resellerId))) {
      throw UserInputError.field(field, 'must be an indirect reseller in an ACTIVE partnership with you');
    }
  }

  /**
   * Inserts a subscription in its first term, inside the caller's change transaction; the caller's
   * partner is the seller. `upgradedFromId`: the subscription an upgrade replaces.
   */
  private async start(
    tx: ChangeTx,
    fields: Omit<
      CustomerSubscription,
      | 'id'
      | 'createdAt'
      | 'updatedAt'
      | 'status'
      | 'termStartsAt'
      | 'termEndsAt'
      | 'licenseWindows'
      | 'scheduledChange'
      | 'upgradedToId'
      | 'remindedDays'
      | 'endedAt'
      | 'externalId'
    >,
    externalId: string | null = null,
  ): Promise<CustomerSubscription> {
    const at = tx.at;
    const subscription = tx.em.create(CustomerSubscription, {
      ...fields,
      id: newId(),
      status: ACTIVE,
      termStartsAt: at,
      termEndsAt: termEnd(at, fields.termDuration),
      licenseWindows: [{ quantity: fields.quantity, until: windowEnd(at).toISOString() }],
      scheduledChange: null,
      upgradedToId: null,
      remindedDays: null,
      endedAt: null,
      // set below, as a change of its own: the creation's audit record, which the customer reads, never holds it
      externalId: null,
      createdAt: at,
      updatedAt: at,
    });
    if (externalId) await this.requireFreeExternalId(tx, subscription.soldByPartnerId, externalId);
    await tx.insert(CustomerSubscription, subscription, SUBSCRIPTION_CREATED, {
      ...about(subscription),
      details: { offerId: subscription.offerId, quantity: subscription.quantity, resellerId: subscription.resellerId, termDuration: subscription.termDuration },
      data: {
        offerId: subscription.offerId,
        quantity: subscription.quantity,
        resellerId: subscription.resellerId,
        supportContactId: subscription.supportContactId,
        termDuration: subscription.termDuration,
        billingFrequency: subscription.billingFrequency,
        autoRenew: subscription.autoRenew,
        termEndsAt: subscription.termEndsAt.toISOString(),
        upgradedFromId: subscription.upgradedFromId,
        ...externalIdData({ soldByPartnerId: subscription.soldByPartnerId, externalId }),
      },
    });
    return externalId ? this.writeExternalId(tx, subscription, externalId, { event: false }) : subscription;
  }

  /** Places one order line inside the caller's change transaction; the caller's partner is the seller. */
  async placeInTransaction(tx: ChangeTx, scope: Scope, seller: Partner, customerId: string, line: OrderLine, field: string): Promise<CustomerSubscription> {
    const { em } = tx;
    const offer = await this.offers.requireOrderable(em, line.offerId, line.quantity, field);
    const term = this.offers.requireTerm(offer, line.termDuration, line.billingFrequency, field);
    if (line.resellerId) await this.requirePartneredReseller(em, scope, seller, line.resellerId, `${field}.resellerId`);
    if (line.supportContactId) {
      await this.requirePartneredReseller(em, scope, seller, line.supportContactId, `${field}.supportContactId`);
    }
    return this.start(
      tx,
      {
        customerId,
        offerId: offer.id,
        quantity: line.quantity,
        soldByPartnerId: seller.id,
        resellerId: line.resellerId ?? null,
        supportContactId: line.supportContactId ?? null,
        termDuration: term.termDuration,
        billingFrequency: term.billingFrequency,
        autoRenew: line.autoRenew ?? true,
        upgradedFromId: null,
      },
      line.externalId ?? null,
    );
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

  /** Quantity, reseller of record, support contact. */
  async update(scope: Scope, input: UpdateSubscriptionInput): Promise<SubscriptionChanged> {
    return this.changes.runOnLatest(scope, async (tx) => {
      const { em } = tx;
      const { seller, subscription } = await this.lockOwn(tx, scope, input.subscriptionId);
      // a CANCELLED or EXPIRED subscription changes no more (its reseller of record and support contact included)
      this.requireStatus(subscription, [ACTIVE, SUSPENDED], 'change');
      const changed: SubscriptionUpdatedData['changed'] = {};
      const set: Partial<CustomerSubscription> = {};
      if (input.quantity !== undefined && input.quantity !== null && input.quantity !== subscription.quantity) {
        const offer = await this.offers.requireOffer(em, subscription.offerId, 'input.offerId');
        this.offers.requireQuantity(offer, input.quantity, 'input.quantity');
        this.requireStatus(subscription, [ACTIVE], 'change its quantity');
        if (input.quantity > subscription.quantity) {
          set.licenseWindows = afterIncrease(subscription.licenseWindows, input.quantity - subscription.quantity, tx.at);
        } else {
          this.requireManager(scope, 'reduce licences');
          // never below what is assigned to users (CONFLICT naming the subscription)
          await requireRoomFor(em, subscription, input.quantity);
          const by = subscription.quantity - input.quantity;
          const windows = afterDecrease(subscription.licenseWindows, by, tx.at);
          if (!windows) throw new ConflictError(`Cannot reduce ${by} licences: ${decreaseRefusal(subscription.licenseWindows, by, tx.at)}`);
          set.licenseWindows = windows;
        }
        changed.quantity = input.quantity;
      }
      if (input.resellerId !== undefined) {
        this.requireManager(scope, 'change the reseller of record');
        if (input.resellerId) await this.requirePartneredReseller(em, scope, seller, input.resellerId, 'input.resellerId');
        changed.resellerId = input.resellerId;
      }
      if (input.supportContactId !== undefined) {
        this.requireManager(scope, 'change the support contact');
        if (input.supportContactId) {
          await this.requirePartneredReseller(em, scope, seller, input.supportContactId, 'input.supportContactId');
        }
        changed.supportContactId = input.supportContactId;
      }
      // an immediate change of quantity replaces the change scheduled for the renewal (as Partner Center does)
      return this.applyUpdate(tx, subscription, changed, set, changed.quantity !== undefined ? subscription.scheduledChange : null);
    });
  }

  /** Ends it within 168 hours of its term start, with the prorated refund; CONFLICT after. */
  async cancel(scope: Scope, input: CancelSubscriptionInput): Promise<{ subscription: CustomerSubscription; refund: Money }> {
    return this.changes.runOnLatest(scope, async (tx) => {
      this.requireManager(scope, 'cancel a subscription');
      const { subscription } = await this.lockOwn(tx, scope, input.subscriptionId);
      this.requireStatus(subscription, [ACTIVE, SUSPENDED], 'be cancelled');
      const verdict = await this.cancellation(tx.em, subscription, tx.at);
      if (!verdict.refund) throw new ConflictError(verdict.reason!);
      const refund = verdict.refund;
      const reason = input.reason ?? null;
      const updated = await this.move(tx, subscription, { status: CANCELLED, endedAt: tx.at, scheduledChange: null }, SUBSCRIPTION_CANCELLED, () => ({
        details: { reason, refund },
        data: (after) => ({ ...snapshotView(after), cancellationReason: reason, refund }),
      }));
      await releaseAll(tx, updated, 'SUBSCRIPTION_CANCELLED');
      return { subscription: updated, refund };
    });
  }

  /** What a cancellation now would refund, or why it is not possible (for a subscription the caller may change). */
  async preview(scope: Scope, subscriptionId: string) {
    const subscription = await scope.sellerSubscription(subscriptionId);
    const now = this.changes.now();
    const verdict = await this.cancellation(scope.manager(), subscription, now);
    if (verdict.refund && !(scope.principal && hasAnyRole(scope.principal, Can.manageSubscriptions))) {
      verdict.reason = 'only GLOBAL_ADMIN or ADMIN_AGENT may cancel a subscription';
    }
    return {
      subscription,
      cancellable: verdict.reason === null,
      refund: verdict.reason === null ? verdict.refund : null,
      unusedDays: verdict.unusedDays,
      termDays: verdict.termDays,
      cancellableUntil: cancellableUntil(subscription),
      reason: verdict.reason,
    };
  }

  async suspend(scope: Scope, input: SuspendSubscriptionInput): Promise<SubscriptionChanged> {
    return this.changes.run(scope, async (tx) => {
      this.requireManager(scope, 'suspend a subscription');
      const { subscription } = await this.lockOwn(tx, scope, input.subscriptionId);
      this.requireStatus(subscription, [ACTIVE], 'be suspended');
      const reason = input.reason ?? null;
      const removed = subscription.scheduledChange;
      const updated = await this.move(tx, subscription, { status: SUSPENDED, scheduledChange: null }, SUBSCRIPTION_SUSPENDED, () => ({
        details: { reason },
        data: (after) => ({ ...snapshotView(after), suspensionReason: reason }),
      }));
      if (removed) this.recordRemoval(tx, updated, removed, 'CHANGE');
      return { subscription: updated, removedScheduledChange: removed };
    });
  }

  async reactivate(scope: Scope, subscriptionId: string): Promise<SubscriptionChanged> {
    return this.changes.run(scope, async (tx) => {
      this.requireManager(scope, 'reactivate a subscription');
      const { subscription } = await this.lockOwn(tx, scope, subscriptionId);
      this.requireStatus(subscription, [SUSPENDED], 'be reactivated');
      this.requireInTerm(subscription, tx.at, 'reactivated');
      const updated = await this.move(tx, subscription, { status: ACTIVE }, SUBSCRIPTION_REACTIVATED, () => ({
        data: (after) => ({ ...snapshotView(after) }),
      }));
      return { subscription: updated, removedScheduledChange: null };
    });
  }

  async setAutoRenew(scope: Scope, input: SetSubscriptionAutoRenewInput): Promise<SubscriptionChanged> {
    return this.changes.run(scope, async (tx) => {
      this.requireManager(scope, 'change auto-renewal');
      const { subscription } = await this.lockOwn(tx, scope, input.subscriptionId);
      this.requireStatus(subscription, [ACTIVE, SUSPENDED], 'change its auto-renewal');
      if (subscription.autoRenew === input.autoRenew) return { subscription, removedScheduledChange: null };
      // a change scheduled for a renewal that will not happen is removed with it
      return this.applyUpdate(tx, subscription, { autoRenew: input.autoRenew }, {}, input.autoRenew ? null : subscription.scheduledChange);
    });
  }

  /** What the next renewal changes: quantity, term, billing, offer (the same or an upgrade target). Needs ACTIVE and autoRenew. */
  async scheduleChange(scope: Scope, input: ScheduleSubscriptionChangeInput): Promise<SubscriptionChanged> {
    const given = [input.quantity, input.termDuration, input.billingFrequency, input.offerId].filter((v) => v !== undefined && v !== null);
    if (!given.length) throw UserInputError.field('input', 'give at least one of quantity, termDuration, billingFrequency, offerId');
    return this.changes.runOnLatest(scope, async (tx) => {
      const { em } = tx;
      this.requireManager(scope, 'schedule a change');
      const { subscription } = await this.lockOwn(tx, scope, input.subscriptionId);
      this.requireStatus(subscription, [ACTIVE], 'schedule a change');
      if (!subscription.autoRenew) throw new ConflictError('A change is applied at the renewal: turn autoRenew on first (setSubscriptionAutoRenew)');
      const current = await this.offers.requireOffer(em, subscription.offerId, 'input.offerId');
      const offerId = input.offerId ?? subscription.offerId;
      if (offerId !== subscription.offerId && !current.upgradeTargetIds.includes(offerId)) {
        throw UserInputError.field('input.offerId', `must be ${current.id} or one of its upgrade targets (${current.upgradeTargetIds.join(', ') || 'none'})`);
      }
      const offer = offerId === current.id ? current : await this.offers.requireOffer(em, offerId, 'input.offerId');
      const quantity = input.quantity ?? subscription.quantity;
      this.offers.requireQuantity(offer, quantity, 'input.quantity');
      // the renewal would take back licences: not below what is assigned now (later assignments beyond it go at the renewal)
      if (quantity < subscription.quantity) await requireRoomFor(em, subscription, quantity);
      // a term or frequency not given stays as it is, where the (new) offer sells it so
      const term = this.offers.requireTerm(
        offer,
        input.termDuration ?? subscription.termDuration,
        input.billingFrequency ?? (input.termDuration ? undefined : subscription.billingFrequency),
        'input',
      );
      const next: ScheduledChangeRow = { offerId, quantity, termDuration: term.termDuration, billingFrequency: term.billingFrequency };
      const same =
        next.offerId === subscription.offerId &&
        next.quantity === subscription.quantity &&
        next.termDuration === subscription.termDuration &&
        next.billingFrequency === subscription.billingFrequency;
      if (same)
        throw UserInputError.field(
          'input',
          'changes nothing: the next term would be the same as this one (cancelScheduledSubscriptionChange removes a scheduled change)',
        );
      // an earlier scheduled change is replaced: the payload names it, the event says so (its description)
      const replaced = subscription.scheduledChange;
      const updated = await this.move(tx, subscription, { scheduledChange: next }, SUBSCRIPTION_SCHEDULED_CHANGE_SET, () => ({
        details: { ...next },
        data: (after) => ({ ...snapshotView(after), scheduledChange: next }),
      }));
      return { subscription: updated, removedScheduledChange: replaced };
    });
  }

  async cancelScheduledChange(scope: Scope, subscriptionId: string): Promise<{ subscription: CustomerSubscription; removed: ScheduledChangeRow }> {
    return this.changes.run(scope, async (tx) => {
      this.requireManager(scope, 'cancel a scheduled change');
      const { subscription } = await this.lockOwn(tx, scope, subscriptionId);
      const removed = subscription.scheduledChange;
      if (!removed) throw new ConflictError('The subscription has no scheduled change');
      const after = await this.move(tx, subscription, { scheduledChange: null }, SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED, () => ({
        details: { ...removed, cancelledBy: 'SELLER' },
        data: (row) => ({ ...snapshotView(row), scheduledChange: removed, cancelledBy: 'SELLER' as const }),
      }));
      return { subscription: after, removed };
    });
  }

  /** The offer of one of the caller's subscriptions, whose upgrade targets it may move to: null unless ACTIVE. */
  async upgradableOffer(scope: Scope, subscriptionId: string): Promise<Offer | null> {
    const subscription = await scope.sellerSubscription(subscriptionId);
    return subscription.status === ACTIVE ? scope.loaders.offer.load(subscription.offerId) : null;
  }

  /**
   * Ends an ACTIVE subscription (CANCELLED, upgradedTo) and starts one to a target offer (a new term,
   * the same seller, reseller of record and support contact), in one transaction.
   */
  async upgrade(scope: Scope, input: UpgradeSubscriptionInput) {
    return this.changes.runOnLatest(scope, async (tx) => {
      const { em } = tx;
      this.requireManager(scope, 'upgrade a subscription');
      const { subscription } = await this.lockOwn(tx, scope, input.subscriptionId);
      this.requireStatus(subscription, [ACTIVE], 'be upgraded');
      this.requireInTerm(subscription, tx.at, 'upgraded');
      const current = await this.offers.requireOffer(em, subscription.offerId, 'input.subscriptionId');
      if (!current.upgradeTargetIds.includes(input.targetOfferId)) {
        throw UserInputError.field(
          'input.targetOfferId',
          `${current.name} can be upgraded to ${current.upgradeTargetIds.join(', ') || 'no other offer'}, not "${input.targetOfferId}"`,
        );
      }
      const target = await this.offers.requireOffer(em, input.targetOfferId, 'input.targetOfferId');
      const quantity = input.quantity ?? subscription.quantity;
      this.offers.requireQuantity(target, quantity, 'input.quantity');
      const sameTerm = target.termRows.some((r) => r.termDuration === subscription.termDuration);
      const termDuration = input.termDuration ?? (sameTerm ? subscription.termDuration : undefined);
      const keepsBilling = target.termRows.some((r) => r.termDuration === termDuration && r.billingFrequency === subscription.billingFrequency);
      const term = this.offers.requireTerm(target, termDuration, input.billingFrequency ?? (keepsBilling ? subscription.billingFrequency : undefined), 'input');
      // the seller's external id moves to the new subscription (audited on both, each its own change: no event; SUBSCRIPTION_CREATED carries it)
      const externalId = subscription.externalId;
      const old = externalId ? await this.writeExternalId(tx, subscription, null, { event: false }) : subscription;
      const next = await this.start(
        tx,
        {
          customerId: subscription.customerId,
          offerId: target.id,
          quantity,
          soldByPartnerId: subscription.soldByPartnerId,
          resellerId: subscription.resellerId,
          supportContactId: subscription.supportContactId,
          termDuration: term.termDuration,
          billingFrequency: term.billingFrequency,
          autoRenew: subscription.autoRenew,
          upgradedFromId: subscription.id,
        },
        externalId,
      );
      // the users keep their licences: they move to the upgrade (CONFLICT when it has too few)
      await moveAll(tx, subscription, next);
      const removed = subscription.scheduledChange;
      const previous = await this.move(
        tx,
        old,
        { status: CANCELLED, endedAt: tx.at, upgradedToId: next.id, scheduledChange: null },
        SUBSCRIPTION_UPGRADED,
        () => ({
          details: { upgradedToId: next.id, targetOfferId: target.id, quantity },
          data: (after) => ({ ...snapshotView(after), upgradedToId: next.id, targetOfferId: target.id }),
        }),
      );
      if (removed) this.recordRemoval(tx, previous, removed, 'CHANGE');
      return {
        subscription: next,
        previousSubscription: previous,
        removedScheduledChange: removed,
        customer: await scope.getOrThrow(Customer, subscription.customerId, em),
      };
    });
  }

  /**
   * The seller's own id for one of its subscriptions (null: cleared), in any status (an ended one keeps
   * its id until cleared; an upgrade moves it to the new one). GLOBAL_ADMIN or ADMIN_AGENT; NOT_FOUND for anyone
   * but the seller; CONFLICT for an id another of its subscriptions has.
   */
  async setExternalId(scope: Scope, input: SetSubscriptionExternalIdInput): Promise<CustomerSubscription> {
    return this.changes.run(scope, async (tx) => {
      this.requireManager(scope, 'set an external id');
      const { subscription } = await this.lockOwn(tx, scope, input.subscriptionId);
      const externalId = input.externalId ?? null;
      if (subscription.externalId === externalId) return subscription;
      if (externalId) await this.requireFreeExternalId(tx, subscription.soldByPartnerId, externalId);
      return this.writeExternalId(tx, subscription, externalId, { event: true });
    });
  }

  // ---------------------------------------------------------------- internals

  /** CONFLICT when another subscription of the seller has this external id (read first for a clear answer; the unique index decides a race). */
  private async requireFreeExternalId(tx: ChangeTx, sellerId: string, externalId: string): Promise<void> {
    if (await tx.em.existsBy(CustomerSubscription, { soldByPartnerId: sellerId, externalId })) throw externalIdTaken(externalId);
  }

  /** Sets the seller's external id (SUBSCRIPTION_EXTERNAL_ID_SET, audited in its trail; `event`: whether it sends its event, to the seller only). */
  private async writeExternalId(tx: ChangeTx, s: CustomerSubscription, externalId: string | null, opts: { event: boolean }): Promise<CustomerSubscription> {
    let after: CustomerSubscription | null;
    try {
      after = await tx.update(CustomerSubscription, s, { externalId, updatedAt: tx.at }, SUBSCRIPTION_EXTERNAL_ID_SET, (row) => ({
        ...about(row),
        data: externalIdSetData(row.soldByPartnerId, externalId, s.externalId),
        event: opts.event,
      }));
    } catch (err) {
      if (isUniqueViolation(err) && externalId) throw externalIdTaken(externalId);
      throw err;
    }
    if (!after) throw new ConflictError(`Subscription ${s.id} changed meanwhile: read it again`);
    return after;
  }

  /** The caller's own subscription, locked, with its seller; its relationship with the customer ACTIVE (NOT_FOUND otherwise). */
  private async lockOwn(tx: ChangeTx, scope: Scope, subscriptionId: string): Promise<{ seller: Partner; subscription: CustomerSubscription }> {
    const seller = await scope.ownPartner(tx.em);
    const subscription = await scope.lockForChange(tx.em, CustomerSubscription, subscriptionId);
    await scope.lockActiveRelationship(tx.em, subscription.customerId);
    return { seller, subscription };
  }

  /** GLOBAL_ADMIN or ADMIN_AGENT (a SALES_AGENT sells and adds licences only): FORBIDDEN otherwise. */
  private requireManager(scope: Scope, what: string): void {
    if (!scope.principal || !hasAnyRole(scope.principal, Can.manageSubscriptions)) {
      throw new ForbiddenError(`Only GLOBAL_ADMIN or ADMIN_AGENT may ${what}`);
    }
  }

  private requireStatus(s: CustomerSubscription, allowed: SubscriptionStatus[], what: string): void {
    if (!allowed.includes(s.status)) throw new ConflictError(`The subscription is ${s.status}: only one ${allowed.join(' or ')} can ${what}`);
  }

  /** A term that ended but was not swept yet is over as far as changes go (the sweep renews or expires it). */
  private requireInTerm(s: CustomerSubscription, now: Date, what: string): void {
    if (s.termEndsAt.getTime() <= now.getTime()) {
      throw new ConflictError(`The subscription's term ended at ${s.termEndsAt.toISOString()} and is being renewed or expired: it cannot be ${what} now`);
    }
  }

  /** Whether a cancellation at `now` is possible, and what it refunds. */
  private async cancellation(em: EntityManager, s: CustomerSubscription, now: Date) {
    const offer = await em.findOneByOrFail(Offer, { id: s.offerId });
    const term: OfferTermRow = this.offers.termOf(offer, s.termDuration, s.billingFrequency);
    const { refund, unusedDays, termDays } = refundAt(s, term, now);
    const until = cancellableUntil(s);
    let reason: string | null = null;
    if (s.status !== ACTIVE && s.status !== SUSPENDED) reason = `The subscription is ${s.status}`;
    else if (now.getTime() >= until.getTime()) {
      reason = `A subscription can be cancelled only within 168 hours of its term start: this one until ${until.toISOString()}. Turn autoRenew off (setSubscriptionAutoRenew) to end it at ${s.termEndsAt.toISOString()}`;
    }
    return { refund: reason ? null : refund, unusedDays, termDays, reason };
  }

  /**
   * One conditional change of the subscription as read (its status and changed values), with its
   * audit record and event; the row after it. A row changed between the lock and the update is a bug
   * (the row is locked on MySQL; the transaction is alone on SQLite).
   */
  private async move<D extends object>(
    tx: ChangeTx,
    s: CustomerSubscription,
    set: Partial<CustomerSubscription>,
    definition: ChangeDefinition<D>,
    describe: () => { details?: Record<string, unknown>; data: (after: CustomerSubscription) => D },
  ): Promise<CustomerSubscription> {
    const { details, data } = describe();
    const after = await tx.update(CustomerSubscription, s, { ...set, updatedAt: tx.at }, definition, (row): ChangeRecord<D> => ({
      ...about(row),
      details,
      data: data(row),
    }));
    if (!after) throw new Error(`subscription ${s.id} changed under its lock`);
    return after;
  }

  /** A SUBSCRIPTION_UPDATED of the `changed` fields (with `set`, their bookkeeping), removing the scheduled change `removed` with it. */
  private async applyUpdate(
    tx: ChangeTx,
    subscription: CustomerSubscription,
    changed: SubscriptionUpdatedData['changed'],
    set: Partial<CustomerSubscription>,
    removed: ScheduledChangeRow | null,
  ): Promise<SubscriptionChanged> {
    const updated = await this.move(tx, subscription, { ...changed, ...set, ...(removed ? { scheduledChange: null } : {}) }, SUBSCRIPTION_UPDATED, () => ({
      details: { ...changed },
      // the audience is the readers after the change; a reseller that was just replaced learns it too
      data: (after) => ({
        changed,
        quantity: after.quantity,
        resellerId: after.resellerId,
        supportContactId: after.supportContactId,
        previousResellerId: subscription.resellerId,
        previousSupportContactId: subscription.supportContactId,
        autoRenew: after.autoRenew,
        ...externalIdData(after),
      }),
    }));
    if (removed) this.recordRemoval(tx, updated, removed, 'CHANGE');
    return { subscription: updated, removedScheduledChange: removed };
  }

  /** The audit record and event of a scheduled change an immediate change removed (the row moved in the same update). */
  private recordRemoval(tx: ChangeTx, after: CustomerSubscription, removed: ScheduledChangeRow, by: 'SELLER' | 'CHANGE'): void {
    tx.record(SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED, {
      ...about(after),
      details: { ...removed, cancelledBy: by },
      data: { ...snapshotView(after), scheduledChange: removed, cancelledBy: by },
      changes: [{ field: 'scheduledChange', before: JSON.stringify(removed), after: null }],
    });
  }
}
