/**
 * The one normalisation of free text, applied to every string of every input object before the
 * field's own validators run (src/common/input-validation.ts):
 * - Unicode NFC, then trimmed;
 * - no control characters (C0, DEL, C1) and no line or paragraph separators (U+2028, U+2029: the
 *   Zl and Zp categories): every input field today is a single line;
 * - no lone surrogates (they would be stored as invalid UTF-8);
 * - no bidirectional overrides, embeddings or isolates (text that displays differently than it reads);
 * - not empty once invisible characters (spaces, zero-width and other default-ignorable ones) are removed;
 * - at most MAX_TEXT_LENGTH characters, whatever the field (fields set tighter limits of their own).
 *
 * "Characters" are Unicode code points everywhere (here and in MaxCodePoints, src/common/validation.ts):
 * what a MySQL/MariaDB utf8mb4 varchar(n) counts, so a value within its limit always fits its column.
 * Not UTF-16 units (String.length: an emoji is 2) nor validator.js's isLength (which does not count
 * the variation selectors U+FE0E/U+FE0F, so 150 × "a\uFE0F" passed a 200 limit as 150 and overflowed
 * the column with 300).
 */
export const MAX_TEXT_LENGTH = 2000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL = /\p{Cc}/u; // U+0000–U+001F and U+007F–U+009F
const LINE_SEPARATOR = /[\p{Zl}\p{Zp}]/u;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
const INVISIBLE = /[\s\p{Cc}\p{Cf}\p{Z}\p{Default_Ignorable_Code_Point}\u2800]/gu;

export type TextResult = { ok: true; value: string } | { ok: false; problem: string };

/** The length of a text as MySQL/MariaDB utf8mb4 counts it: code points (a surrogate pair is one). */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++, n++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return n;
}

export function normalizeText(raw: string): TextResult {
  // a code point is at most 2 UTF-16 units: anything longer than that is over without counting
  if (raw.length > 2 * MAX_TEXT_LENGTH || codePointLength(raw) > MAX_TEXT_LENGTH)
    return { ok: false, problem: `must be at most ${MAX_TEXT_LENGTH} characters` };
  if (LONE_SURROGATE.test(raw)) return { ok: false, problem: 'contains invalid Unicode (a lone surrogate)' };
  const value = raw.normalize('NFC').trim();
  if (CONTROL.test(value)) return { ok: false, problem: 'must be one line without control characters' };
  if (LINE_SEPARATOR.test(value)) return { ok: false, problem: 'must be one line without line or paragraph separators (U+2028, U+2029)' };
  if (BIDI_CONTROL.test(value)) return { ok: false, problem: 'must not contain bidirectional override or isolate characters' };
  if (value.replace(INVISIBLE, '') === '') return { ok: false, problem: 'must not be empty or only invisible characters' };
  return { ok: true, value };
}

/** Format characters and other default-ignorable code points: invisible inside a word (U+200B, U+200F, U+FEFF…). */
const FORMAT_CHARACTER = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/**
 * The extra rule of an identifier that is compared, never read by people (a token subject, a request
 * id): besides the text rules, no invisible character anywhere in it, which would make two ids look
 * alike. A problem, or null.
 */
export function identifierProblem(value: string): string | null {
  return FORMAT_CHARACTER.test(value) ? 'must not contain invisible characters (zero-width, direction marks, byte order marks)' : null;
}
