/**
 * What one field costs, in the units of MAX_QUERY_COMPLEXITY (priced in
 * src/pipeline/cost.ts). A resolver declares a higher cost
 * with type-graphql's `complexity` option (`@FieldResolver(() => T, { complexity: COST.batched })`).
 */
export const COST = {
  /** a field read from a row already loaded */
  field: 1,
  /** a root query or mutation: at least one SQL statement of its own */
  root: 10,
  /** a nested field that runs SQL, batched per page by a loader: priced per row */
  batched: 3,
  /** `totalCount`: a COUNT over every row the connection could list */
  count: 25,
  /** a mutation that hashes a password or writes several tables */
  heavyWrite: 100,
} as const;

