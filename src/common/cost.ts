/**
 * What one field costs, in the units of MAX_QUERY_COMPLEXITY (priced in src/pipeline/cost.ts).
 * A resolver declares a higher cost with type-graphql's `complexity` option
 * (`@FieldResolver(() => T, { complexity: COST.batched })`).
 *
 * Calibrated with `npm run bench:cost` (1,000 customers, production mode): a field of a loaded row
 * takes about 3 µs of server CPU, a COUNT or a LIKE search over a partner's rows about 1 ms, so
 * each of those costs about 300 fields. The default limit (3,000) then keeps the costliest accepted
 * operation near 10 ms of CPU.
 */
export const COST = {
  /** a field read from a row already loaded */
  field: 1,
  /** a root query or mutation: at least one SQL statement of its own */
  root: 10,
  /** a nested field that runs SQL, batched per page by a loader: priced per row */
  batched: 3,
  /** `totalCount` of a filtered root connection (search, status, reseller…): a COUNT over the matching rows */
  count: 300,
  /** `totalCount` of an unfiltered root connection: one counter row (src/counts/) */
  tally: 10,
  /** a connection filtered by free-text search (`filter.search`): a LIKE scan */
  search: 300,
  /** a mutation that hashes a password or writes several tables */
  heavyWrite: 100,
} as const;
