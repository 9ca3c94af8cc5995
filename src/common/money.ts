import { Field, ObjectType } from 'type-graphql';

/**
 * An amount of money: a decimal string (never a float: `"12.50"`) and its ISO 4217 currency. Computed
 * in whole cents (integers), so a refund is exact and the same on every server.
 */
@ObjectType({ description: 'An amount of money' })
export class Money {
  @Field({ description: 'A decimal string with two decimals, e.g. "12.50" (never a float)' })
  amount: string;

  @Field({ description: 'ISO 4217, e.g. USD' })
  currency: string;
}

const DECIMAL = /^(\d{1,12})(?:\.(\d{1,2}))?$/;

/** Cents of a decimal string ("12.5" → 1250); an Error for anything else (catalog data, not input). */
export function toCents(amount: string): number {
  const match = DECIMAL.exec(amount);
  if (!match) throw new Error(`not a decimal amount: ${amount}`);
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

export function money(cents: number, currency: string): Money {
  const whole = Math.floor(cents / 100);
  return { amount: `${whole}.${String(cents % 100).padStart(2, '0')}`, currency };
}

/** `cents × numerator / denominator`, rounded half up, in integers (no float drift). */
export function prorate(cents: number, numerator: number, denominator: number): number {
  if (denominator <= 0) return 0;
  return Math.floor((cents * numerator * 2 + denominator) / (2 * denominator));
}
