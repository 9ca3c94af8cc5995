/** Portable LIKE escape character ('\' means different things in MySQL and SQLite string literals). */
export const LIKE_ESCAPE = "ESCAPE '!'";

/** A LIKE pattern matching `term` anywhere, with the LIKE wildcards in it escaped (use with LIKE_ESCAPE). */
export function containsPattern(term: string): string {
  return `%${term.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}
