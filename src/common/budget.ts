/**
 * What a caller's cost budgets hold after an operation was charged (src/pipeline/budgets.ts): the
 * answer's `extensions.cost`, its `RateLimit` headers and `Query.rateLimit` read it.
 */
export interface BucketState {
  /** `partner`, `customer` (the caller's tenant), `user` (the caller), or `address` (operations without a token, per IP) */
  policy: 'partner' | 'customer' | 'user' | 'address';
  /** points per window (PARTNER_RATE_LIMIT, USER_RATE_LIMIT) */
  limit: number;
  /** points left now (whole points; never below 0) */
  remaining: number;
  /** milliseconds until the bucket is full again at the refill rate */
  msToFull: number;
}

export interface BudgetCharge {
  /** whether the operation fitted (and was charged); when false nothing was taken and nothing runs */
  allowed: boolean;
  /** the operation's cost: what was taken from every bucket */
  requested: number;
  /** each bucket after the charge (the tenant's first) */
  buckets: BucketState[];
  /** the bucket with the fewest points left: the one that refuses first */
  binding: BucketState;
  /** when refused: milliseconds until every bucket holds the operation's cost again */
  retryAfterMs: number;
  /** the budgets' clock (ms since the epoch) when charged */
  at: number;
  /** the window every limit refills over (ms) */
  windowMs: number;
}
