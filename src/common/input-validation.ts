import { validate, type ValidationError } from 'class-validator';
import type { ValidatorFn } from 'type-graphql';
import { type FieldProblem, UserInputError } from './errors';
import { normalizeText } from './text';

/** The argument name a validated class arrives under: mutations take `input`, lists `filter`; ArgsTypes are top-level. */
function argPrefix(value: object): string {
  const name = value.constructor?.name ?? '';
  if (name.endsWith('Input')) return 'input';
  if (name.endsWith('Filter')) return 'filter';
  return '';
}

function flatten(errors: ValidationError[], path: string, out: FieldProblem[] = []): FieldProblem[] {
  for (const e of errors) {
    // class-validator reports array elements as children whose property is the index
    const field = /^\d+$/.test(e.property) ? `${path}[${e.property}]` : path ? `${path}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {})) out.push({ field, message });
    if (e.children?.length) flatten(e.children, field, out);
  }
  return out;
}

/**
 * Normalises every string of an input object in place (src/common/text.ts), recursing into nested
 * inputs and lists, and collects the strings it refuses. In a filter an empty string means "no filter".
 */
function normalizeStrings(value: object, path: string, problems: FieldProblem[], depth = 0): void {
  if (depth > 10) return;
  const isFilter = (value.constructor?.name ?? '').endsWith('Filter');
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const field = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (typeof item === 'string') {
      if (isFilter && item.trim() === '') {
        record[key] = undefined;
        continue;
      }
      const result = normalizeText(item);
      if (result.ok) record[key] = result.value;
      else {
        problems.push({ field, message: `${key} ${result.problem}` });
        // refused here: the field's own validators must not see it (some throw on broken Unicode)
        record[key] = undefined;
      }
    } else if (item !== null && typeof item === 'object' && !(item instanceof Date)) {
      normalizeStrings(item, field, problems, depth + 1);
    }
  }
}

/**
 * Argument objects found valid, by class and JSON text (after the text rules): the validators are pure
 * functions of the values, and a dashboard sends the same `first: 50` with every request. Only valid
 * ones are kept, and only short ones; the map is emptied when full.
 */
const VALID_KEPT = 1000;
const MAX_KEPT_JSON = 1000;
const valid = new Map<object, Set<string>>();
let validCount = 0;

function knownValid(value: object): { known: boolean; key?: string } {
  let key: string | undefined;
  try {
    key = JSON.stringify(value);
  } catch {
    return { known: false }; // a BigInt, a cycle: validated every time
  }
  if (key === undefined || key.length > MAX_KEPT_JSON) return { known: false };
  return { known: valid.get(value.constructor)?.has(key) ?? false, key };
}

function keepValid(value: object, key: string): void {
  if (validCount >= VALID_KEPT) {
    valid.clear();
    validCount = 0;
  }
  let keys = valid.get(value.constructor);
  if (!keys) valid.set(value.constructor, (keys = new Set()));
  keys.add(key);
  validCount++;
}

/**
 * Validates every argument object with class-validator and answers BAD_USER_INPUT naming each
 * failing field as a dotted path (`input.address.country`, `input.subscriptions[0].quantity`).
 */
export const validateArgument: ValidatorFn = async (argValue) => {
  if (argValue === null || typeof argValue !== 'object') return;
  const values: unknown[] = Array.isArray(argValue) ? argValue : [argValue];
  const problems: FieldProblem[] = [];
  for (const value of values) {
    if (value === null || typeof value !== 'object') continue;
    const textProblems: FieldProblem[] = [];
    normalizeStrings(value, argPrefix(value), textProblems);
    problems.push(...textProblems);
    const seen = textProblems.length ? { known: false } : knownValid(value);
    if (seen.known) continue;
    const errors = await validate(value, { forbidUnknownValues: false, validationError: { target: false, value: false } });
    if (!errors.length && seen.key !== undefined) keepValid(value, seen.key);
    // a field refused by the text rules is not reported twice
    const refused = new Set(textProblems.map((p) => p.field));
    problems.push(...flatten(errors, argPrefix(value)).filter((p) => !refused.has(p.field)));
  }
  if (problems.length) throw new UserInputError(problems);
};
