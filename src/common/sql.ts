import { Brackets, type ObjectLiteral } from 'typeorm';

/** Portable LIKE escape character ('\' means different things in MySQL and SQLite string literals). */
export const LIKE_ESCAPE = "ESCAPE '!'";

/** A LIKE pattern matching `term` anywhere, with the LIKE wildcards in it escaped (use with LIKE_ESCAPE). */
export function containsPattern(term: string): string {
  return `%${term.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/** `(a OR b OR …)` as one condition, with the parameters they use. */
export function anyOf(conditions: string[], params: ObjectLiteral): Brackets {
  return new Brackets((w) => conditions.forEach((condition, i) => (i === 0 ? w.where(condition, params) : w.orWhere(condition, params))));
}

/** `(a LIKE %term% OR b LIKE %term% …)`: `term` found anywhere in any of the columns, wildcards escaped. */
export function anyColumnContains(columns: string[], term: string): Brackets {
  return anyOf(
    columns.map((column) => `${column} LIKE :containsTerm ${LIKE_ESCAPE}`),
    { containsTerm: containsPattern(term) },
  );
}
