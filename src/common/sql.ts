import { Brackets } from 'typeorm';

/** Portable LIKE escape character ('\' means different things in MySQL and SQLite string literals). */
export const LIKE_ESCAPE = "ESCAPE '!'";

/** A LIKE pattern matching `term` anywhere, with the LIKE wildcards in it escaped (use with LIKE_ESCAPE). */
export function containsPattern(term: string): string {
  return `%${term.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/** `(a LIKE %term% OR b LIKE %term% …)`: `term` found anywhere in any of the columns, wildcards escaped. */
export function anyColumnContains(columns: string[], term: string): Brackets {
  const params = { containsTerm: containsPattern(term) };
  return new Brackets((w) =>
    columns.forEach((column, i) => {
      const condition = `${column} LIKE :containsTerm ${LIKE_ESCAPE}`;
      if (i === 0) w.where(condition, params);
      else w.orWhere(condition, params);
    }),
  );
}
