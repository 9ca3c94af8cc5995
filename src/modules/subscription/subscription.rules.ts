import { DAY_MS } from '../../common/clock';
import { money, type Money, prorate, toCents } from '../../common/money';
import type { OfferTermRow } from '../offer/offer.terms';
import type { CustomerSubscription, LicenseWindow } from './subscription.entity';

/**
 * The money rules of a subscription (Partner Center's new commerce), in one place:
 * - licences may be reduced, and the subscription cancelled, only within 168 hours (7 days) of their
 *   purchase or of the term's renewal: each increase opens its own window for the licences it added;
 * - a cancellation refunds the unused whole days of the term: price of the quantity for the term ×
 *   (days of the term − whole days since its start) / days of the term, in cents, rounded half up.
 */
export const CHANGE_WINDOW_MS = 168 * 60 * 60 * 1000;

/** The end of the window that opens at `at`. */
export function windowEnd(at: Date): Date {
  return new Date(at.getTime() + CHANGE_WINDOW_MS);
}

/** Until when the subscription may be cancelled: 168 hours after its term started. */
export function cancellableUntil(s: Pick<CustomerSubscription, 'termStartsAt'>): Date {
  return windowEnd(s.termStartsAt);
}

/** The windows still open at `now`. */
export function openWindows(windows: readonly LicenseWindow[], now: Date): LicenseWindow[] {
  return windows.filter((w) => new Date(w.until).getTime() > now.getTime() && w.quantity > 0);
}

/** How many licences may be reduced at `now`. */
export function reducible(windows: readonly LicenseWindow[], now: Date): number {
  return openWindows(windows, now).reduce((sum, w) => sum + w.quantity, 0);
}

/** The windows after an increase of `by` at `now` (the closed ones dropped). */
export function afterIncrease(windows: readonly LicenseWindow[], by: number, now: Date): LicenseWindow[] {
  return [...openWindows(windows, now), { quantity: by, until: windowEnd(now).toISOString() }];
}

/**
 * The windows after a decrease of `by` at `now`, taking the newest licences first; null when fewer
 * than `by` may be reduced.
 */
export function afterDecrease(windows: readonly LicenseWindow[], by: number, now: Date): LicenseWindow[] | null {
  const open = openWindows(windows, now);
  if (open.reduce((sum, w) => sum + w.quantity, 0) < by) return null;
  let left = by;
  const out: LicenseWindow[] = [];
  for (const w of [...open].reverse()) {
    const taken = Math.min(left, w.quantity);
    left -= taken;
    if (w.quantity > taken) out.unshift({ quantity: w.quantity - taken, until: w.until });
  }
  return out;
}

/** Why a decrease of `by` is refused at `now`: what could be reduced, and until when. */
export function decreaseRefusal(windows: readonly LicenseWindow[], by: number, now: Date): string {
  const open = openWindows(windows, now);
  if (!open.length) {
    const last = windows
      .map((w) => w.until)
      .sort()
      .at(-1);
    return (
      `no licences can be reduced now: a decrease is possible only within 168 hours of the licences' purchase or renewal` +
      (last ? ` (the last window closed at ${last})` : '') +
      '; schedule the change for the renewal (scheduleSubscriptionChange) instead'
    );
  }
  const parts = open.map((w) => `${w.quantity} until ${w.until}`).join(', ');
  return `only ${reducible(open, now)} of the ${by} licences can be reduced now (${parts}); schedule the rest for the renewal (scheduleSubscriptionChange)`;
}

/** The whole days of the current term. */
export function termDays(s: Pick<CustomerSubscription, 'termStartsAt' | 'termEndsAt'>): number {
  return Math.round((s.termEndsAt.getTime() - s.termStartsAt.getTime()) / DAY_MS);
}

/** What a cancellation at `now` refunds: the unused whole days of the term, of the term's price for the quantity. */
export function refundAt(
  s: Pick<CustomerSubscription, 'termStartsAt' | 'termEndsAt' | 'quantity'>,
  term: OfferTermRow,
  now: Date,
): { refund: Money; unusedDays: number; termDays: number } {
  const days = termDays(s);
  const used = Math.max(0, Math.floor((now.getTime() - s.termStartsAt.getTime()) / DAY_MS));
  const unusedDays = Math.max(0, days - used);
  const price = toCents(term.unitPrice) * s.quantity;
  return { refund: money(prorate(price, unusedDays, days), term.currency), unusedDays, termDays: days };
}
