import { validate, type ValidationError } from 'class-validator';
import type { ValidatorFn } from 'type-graphql';
import { type FieldProblem, UserInputError } from './errors';

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
 * Validates every argument object with class-validator and answers BAD_USER_INPUT naming each
 * failing field as a dotted path (`input.address.country`, `input.subscriptions[0].quantity`).
 */
export const validateArgument: ValidatorFn = async (argValue) => {
  if (argValue === null || typeof argValue !== 'object') return;
  const values = Array.isArray(argValue) ? argValue : [argValue];
  const problems: FieldProblem[] = [];
  for (const value of values) {
    if (value === null || typeof value !== 'object') continue;
    const errors = await validate(value, { forbidUnknownValues: false, validationError: { target: false, value: false } });
    flatten(errors, argPrefix(value), problems);
  }
  if (problems.length) throw new UserInputError(problems);
};
