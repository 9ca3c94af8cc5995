import type { ChangeDefinition } from '../../changes/catalog';
import type { Changes, UpdateCondition } from '../../changes/change';
import type { AppDeps } from '../../common/context';
import { forUpdate } from '../../common/database';
import { newId } from '../../common/ids';
import { logger } from '../../common/logger';
import { reminderConditions, reminderDue, reminderParams, remindersBehind } from '../../common/reminders';
import { Offer } from '../offer/offer.entity';
import type { OfferService } from '../offer/offer.service';
import { termEnd, TermDuration } from '../offer/offer.terms';
import { SUBSCRIPTION_EXPIRED, SUBSCRIPTION_EXPIRING, SUBSCRIPTION_RENEWED } from './subscription.changes';
import { releaseAll, trimTo } from '../customer-user/licenses';
import { about, snapshotView } from './subscription.snapshot';
import { CustomerSubscription, SubscriptionStatus } from './subscription.entity';
import { windowEnd } from './subscription.rules';

const { ACTIVE, SUSPENDED, EXPIRED } = SubscriptionStatus;

/**
 * What time does to subscriptions (the server's sweep, src/sweeps.ts), once per change even with
 * several servers sweeping (each is a conditional update on the term end as read):
 * - at termEndsAt, an ACTIVE subscription with autoRenew starts a new term (its scheduled change
 *   applied: offer, quantity, term, billing), one SUBSCRIPTION_RENEWED per term; a server that was
 *   down past several term ends renews as many times as it takes;
 * - without autoRenew, or SUSPENDED, it is EXPIRED at termEndsAt;
 * - a term longer than a month gets one SUBSCRIPTION_EXPIRING each at 30, 7 and 1 days before its end.
 */
export class SubscriptionSweep {
  constructor(
    private readonly deps: AppDeps,
    private readonly changes: Changes,
    private readonly offers: OfferService,
  ) {}

  async run(now = this.changes.now(), batch = 200): Promise<{ renewed: number; expired: number; reminded: number }> {
    const done = { renewed: 0, expired: 0, reminded: 0 };
    const run = `sweep-${newId()}`;
    const repo = this.deps.ds.getRepository(CustomerSubscription);
    // every row a query finds has something due, so each batch makes progress; a full batch is followed by another
    const each = async (where: string, params: Record<string, unknown>, handle: (s: CustomerSubscription) => Promise<boolean>) => {
      for (;;) {
        const rows = await repo.createQueryBuilder('subscription').where(where, params).orderBy('subscription.termEndsAt', 'ASC').limit(batch).getMany();
        let progressed = false;
        for (const row of rows) if (await handle(row)) progressed = true;
        if (rows.length < batch || !progressed) return;
      }
    };
    await each('subscription.status IN (:...inTerm) AND subscription.termEndsAt <= :now', { inTerm: [ACTIVE, SUSPENDED], now }, async (row) => {
      let moved = false;
      // term after term until one ends after now (or another server, or a change, came first)
      for (let s: CustomerSubscription | null = row; s && s.termEndsAt.getTime() <= now.getTime();) {
        if (s.status === ACTIVE && s.autoRenew) {
          s = await this.renew(s, now, run);
          if (s) done.renewed++;
        } else {
          if (await this.expire(s, run)) done.expired++;
          s = null;
        }
        moved = true;
      }
      return moved;
    });
    await each(
      `subscription.status IN (:...inTerm) AND subscription.termDuration <> :monthly AND (${reminderConditions('subscription.termEndsAt', 'subscription.remindedDays').join(' OR ')})`,
      { inTerm: [ACTIVE, SUSPENDED], monthly: TermDuration.P1M, ...reminderParams(now) },
      async (s) => {
        const reminded = await this.remind(s, now, run);
        if (reminded) done.reminded++;
        return reminded;
      },
    );
    if (done.renewed || done.expired || done.reminded) logger.info({ run, ...done }, 'subscription sweep');
    return done;
  }

  /** The next term, with the scheduled change applied; the row after it, or null when another server (or a change) came first. */
  private async renew(read: CustomerSubscription, now: Date, run: string): Promise<CustomerSubscription | null> {
    return this.changes.run(
      null,
      async (tx) => {
        // the row as last committed, locked until the commit: the batch was read before, and a scheduled change set or
        // cancelled since then must count (the conditional update does not compare the scheduled change, a JSON value)
        const s = await forUpdate(tx.em.createQueryBuilder(CustomerSubscription, 'subscription').where('subscription.id = :id', { id: read.id })).getOne();
        if (!s || s.status !== ACTIVE || !s.autoRenew || s.termEndsAt.getTime() !== read.termEndsAt.getTime()) return null;
        const next = s.scheduledChange;
        const offer = await tx.em.findOneByOrFail(Offer, { id: next?.offerId ?? s.offerId });
        // the next term as scheduled, else as it was; a term the catalog stopped selling renews at the offer's default
        const term =
          offer.termRows.find(
            (r) => r.termDuration === (next?.termDuration ?? s.termDuration) && r.billingFrequency === (next?.billingFrequency ?? s.billingFrequency),
          ) ?? this.offers.requireTerm(offer, undefined, undefined, 'renewal');
        const quantity = next?.quantity ?? s.quantity;
        const termStartsAt = s.termEndsAt;
        const termEndsAt = termEnd(termStartsAt, term.termDuration);
        const set: Partial<CustomerSubscription> = {
          offerId: offer.id,
          quantity,
          termDuration: term.termDuration,
          billingFrequency: term.billingFrequency,
          termStartsAt,
          termEndsAt,
          licenseWindows: [{ quantity, until: windowEnd(termStartsAt).toISOString() }],
          scheduledChange: null,
          remindedDays: remindersBehind(termEndsAt.getTime() - now.getTime()),
          updatedAt: tx.at,
        };
        const renewed = await this.change(
          tx,
          s,
          set,
          SUBSCRIPTION_RENEWED,
          (after) => ({
            ...snapshotView(after),
            previousTermEndsAt: termStartsAt.toISOString(),
            scheduledChangeApplied: Boolean(next),
          }),
          { where: 'autoRenew = :renews', params: { renews: true } },
        );
        // fewer licences than are assigned: the newest assignments go (LICENSES_UNASSIGNED, RENEWAL_QUANTITY)
        if (renewed && quantity < s.quantity) await trimTo(tx, renewed, quantity);
        return renewed;
      },
      { correlationId: run, reads: 'latest' },
    );
  }

  private async expire(s: CustomerSubscription, run: string): Promise<boolean> {
    const after = await this.changes.run(
      null,
      async (tx) => {
        const expired = await this.change(
          tx,
          s,
          { status: EXPIRED, endedAt: s.termEndsAt, scheduledChange: null, updatedAt: tx.at },
          SUBSCRIPTION_EXPIRED,
          (row) => ({
            ...snapshotView(row),
          }),
          { where: 'autoRenew = :renews', params: { renews: s.autoRenew } },
        );
        // an ended subscription's licences are taken back, in the same transaction
        if (expired) await releaseAll(tx, expired, 'SUBSCRIPTION_EXPIRED');
        return expired;
      },
      { correlationId: run, reads: 'latest' },
    );
    return Boolean(after);
  }

  /** One reminder for the latest of 30, 7, 1 days before termEndsAt that has passed and was not sent. */
  private async remind(s: CustomerSubscription, now: Date, run: string): Promise<boolean> {
    const days = reminderDue(s.termEndsAt, now, s.remindedDays);
    if (days === null) return false;
    const after = await this.changes.run(
      null,
      (tx) =>
        this.change(tx, s, { remindedDays: days }, SUBSCRIPTION_EXPIRING, (row) => ({ ...snapshotView(row), daysBefore: days }), {
          where: s.remindedDays === null ? 'remindedDays IS NULL' : 'remindedDays = :readReminded',
          params: { readReminded: s.remindedDays },
        }),
      { correlationId: run },
    );
    return Boolean(after);
  }

  /** A conditional change of the row as read: the same status, term end and `condition`. */
  private change<D extends object>(
    tx: Parameters<Parameters<Changes['run']>[1]>[0],
    s: CustomerSubscription,
    set: Partial<CustomerSubscription>,
    definition: ChangeDefinition<D>,
    data: (after: CustomerSubscription) => D,
    condition: UpdateCondition,
  ): Promise<CustomerSubscription | null> {
    return tx.update(CustomerSubscription, s, set, definition, (after) => ({ ...about(after), data: data(after) }), {
      where: `termEndsAt = :readTermEndsAt AND (${condition.where})`,
      params: { ...condition.params, readTermEndsAt: s.termEndsAt },
    });
  }
}
