import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { addCalendarMonths } from '../../common/clock';
import { money, Money, toCents } from '../../common/money';

/**
 * The commitment terms an offer is sold for, and how each is billed (Partner Center's new commerce):
 * a month, a year or three years, billed monthly, annually or once for three years, where that fits
 * the term (a monthly term is billed monthly; a yearly one monthly or annually).
 */
export enum TermDuration {
  P1M = 'P1M',
  P1Y = 'P1Y',
  P3Y = 'P3Y',
}
registerEnumType(TermDuration, {
  name: 'TermDuration',
  description: 'A commitment term, ISO 8601: P1M (one month, renews monthly), P1Y (one year), P3Y (three years)',
});

export enum BillingFrequency {
  MONTHLY = 'MONTHLY',
  ANNUAL = 'ANNUAL',
  TRIENNIAL = 'TRIENNIAL',
}
registerEnumType(BillingFrequency, { name: 'BillingFrequency', description: 'How often a term is billed: only frequencies that fit within the term' });

/** The months of each term. */
export const TERM_MONTHS: Record<TermDuration, number> = { P1M: 1, P1Y: 12, P3Y: 36 };
/** The months between two bills. */
const BILLING_MONTHS: Record<BillingFrequency, number> = { MONTHLY: 1, ANNUAL: 12, TRIENNIAL: 36 };

/** Whether a billing frequency fits a term (a bill never covers more than the term). */
export function fitsTerm(term: TermDuration, billing: BillingFrequency): boolean {
  return BILLING_MONTHS[billing] <= TERM_MONTHS[term];
}

/** One term of an offer as the catalog stores it (src/modules/offer/offer.catalog.ts). */
export interface OfferTermRow {
  termDuration: TermDuration;
  billingFrequency: BillingFrequency;
  /** per licence, for the whole term: a decimal string */
  unitPrice: string;
  currency: string;
}

@ObjectType({ description: 'A term an offer is sold for, its billing frequency and its price' })
export class OfferTerm {
  @Field(() => TermDuration)
  termDuration: TermDuration;

  @Field(() => BillingFrequency)
  billingFrequency: BillingFrequency;

  @Field(() => Money, { description: 'Per licence, for the whole term' })
  unitPrice: Money;
}

export function offerTerm(row: OfferTermRow): OfferTerm {
  return { termDuration: row.termDuration, billingFrequency: row.billingFrequency, unitPrice: money(toCents(row.unitPrice), row.currency) };
}

/**
 * The end of a term that starts at `start`: the same day of the month `months` later (UTC), or the
 * last day of that month when it is shorter (a monthly term from 31 January ends on 28 or 29 February).
 */
export function termEnd(start: Date, term: TermDuration): Date {
  return addCalendarMonths(start, TERM_MONTHS[term]);
}
