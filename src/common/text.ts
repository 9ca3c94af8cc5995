/**
 * The one normalisation of free text, applied to every string of every input object before the
 * field's own validators run (src/common/input-validation.ts):
 * - Unicode NFC, then trimmed;
 * - no control characters (C0, DEL, C1): every input field today is a single line;
 * - no lone surrogates (they would be stored as invalid UTF-8);
 * - no bidirectional overrides, embeddings or isolates (text that displays differently than it reads);
 * - not empty once invisible characters (spaces, zero-width and other default-ignorable ones) are removed;
 * - at most MAX_TEXT_LENGTH characters, whatever the field (fields set tighter limits of their own).
 */
export const MAX_TEXT_LENGTH = 2000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
const INVISIBLE = /[\s\p{Cc}\p{Cf}\p{Z}\p{Default_Ignorable_Code_Point}\u2800]/gu;

export type TextResult = { ok: true; value: string } | { ok: false; problem: string };

export function normalizeText(raw: string): TextResult {
  if (raw.length > MAX_TEXT_LENGTH) return { ok: false, problem: `must be at most ${MAX_TEXT_LENGTH} characters` };
  if (LONE_SURROGATE.test(raw)) return { ok: false, problem: 'contains invalid Unicode (a lone surrogate)' };
  const value = raw.normalize('NFC').trim();
  if (CONTROL.test(value)) return { ok: false, problem: 'must be one line without control characters' };
  if (BIDI_CONTROL.test(value)) return { ok: false, problem: 'must not contain bidirectional override or isolate characters' };
  if (value.replace(INVISIBLE, '') === '') return { ok: false, problem: 'must not be empty or only invisible characters' };
  return { ok: true, value };
}
