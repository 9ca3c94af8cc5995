import {
  coerceInputValue,
  type GraphQLError,
  type GraphQLSchema,
  isInputType,
  isNonNullType,
  type OperationDefinitionNode,
  print,
  typeFromAST,
  valueFromAST,
} from 'graphql';
import { type FieldProblem, UserInputError } from '../common/errors';

const MAX_PROBLEMS = 20;
const MAX_MESSAGE = 200;

/** `input`, `input.address.country`, `input.subscriptions[0].quantity` */
function fieldPath(variable: string, path: readonly (string | number)[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : `${out}.${key}`), variable);
}

/** graphql-js quotes the offending value in its messages: never echo a large one back (or into the log). */
function describe(error: GraphQLError, invalid: unknown): string {
  let message = error.message;
  if (typeof invalid === 'string' && invalid.length > 40) {
    message = message.split(JSON.stringify(invalid)).join(`<a string of ${invalid.length} characters>`);
  }
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
}

/**
 * Coerces the request's variables against the operation's declared types, as execution will, and
 * refuses with one BAD_USER_INPUT naming every failing path (`input.quantity`) instead of the
 * value: wrong types, missing required fields, unknown fields, out-of-range Int.
 */
export function checkVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  inputs: Record<string, unknown> | null | undefined,
  /** no "Did you mean …" (the names of input fields and enum values) where the schema is not public */
  hideSuggestions = false,
): void {
  const problems: FieldProblem[] = [];
  const given = inputs ?? {};
  for (const def of operation.variableDefinitions ?? []) {
    if (problems.length >= MAX_PROBLEMS) break;
    const name = def.variable.name.value;
    const type = typeFromAST(schema, def.type);
    if (!type || !isInputType(type)) {
      problems.push({ field: name, message: `declared type ${print(def.type)} is not an input type` });
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(given, name)) {
      if (!def.defaultValue && isNonNullType(type)) problems.push({ field: name, message: `is required (${print(def.type)})` });
      else if (def.defaultValue && valueFromAST(def.defaultValue, type) === undefined) {
        problems.push({ field: name, message: 'has an invalid default value' });
      }
      continue;
    }
    const value = given[name];
    if (value === null && isNonNullType(type)) {
      problems.push({ field: name, message: `must not be null (${print(def.type)})` });
      continue;
    }
    coerceInputValue(
      value,
      type,
      (path, invalid, error) => {
        if (problems.length >= MAX_PROBLEMS) return;
        // a missing or unknown input field is reported on its object: name the field itself
        const field = /^Field "(\w+)" (of required type|is not defined by type)/.exec(error.message)?.[1];
        problems.push({ field: fieldPath(name, field ? [...path, field] : path), message: describe(error, invalid) });
      },
      hideSuggestions,
    );
  }
  if (problems.length) throw new UserInputError(problems);
}
