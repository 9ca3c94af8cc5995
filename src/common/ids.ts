import {
  GraphQLError,
  GraphQLID,
  type GraphQLInputType,
  GraphQLScalarType,
  type GraphQLSchema,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  Kind,
  type OperationDefinitionNode,
  typeFromAST,
  type ValueNode,
} from 'graphql';
import { v7 as uuidv7 } from 'uuid';

/** New primary keys are UUIDv7: unique, and ordered by creation time, which keyset paging relies on. */
export function newId(): string {
  return uuidv7();
}

/** The longest id: a UUID has 36 characters, an offer's slug (`m365-business-basic`) at most this many. */
export const ID_MAX_LENGTH = 64;

/**
 * The server's ids, as they are stored and compared: a UUID (the entities, `newId`) or a slug (the
 * offers, src/modules/offer/offer.catalog.ts): lower-case ASCII letters and digits in groups joined by
 * single hyphens, at most ID_MAX_LENGTH characters. A UUID is such a slug.
 */
export const ID_FORMAT = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** The same in any letter case: ASCII only, so that lower-casing cannot turn another character into one (`K`, the Kelvin sign, is `k` in lower case). */
const ID_ANY_CASE = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;

const WHAT_AN_ID_IS = `an id is a UUID or a slug (letters, digits and single hyphens, at most ${ID_MAX_LENGTH} characters)`;

/** The id in its one stored form (lower case), or undefined when the text is not an id. */
export function normalizeId(text: string): string | undefined {
  if (text.length > ID_MAX_LENGTH || !ID_ANY_CASE.test(text)) return undefined;
  return text.toLowerCase();
}

/** What was sent, in a few words: never the value itself (it may be huge, or hold control characters). */
function described(value: unknown): string {
  if (typeof value === 'string') return value.length ? `a string of ${value.length} characters` : 'an empty string';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function parseIdValue(value: unknown): string {
  // GraphQL's ID takes integers too (`id: 42` is "42")
  const text = typeof value === 'string' ? value : Number.isInteger(value) ? String(value) : undefined;
  const id = text === undefined ? undefined : normalizeId(text);
  if (id === undefined) throw new GraphQLError(`${described(value)} is not an id: ${WHAT_AN_ID_IS}`);
  return id;
}

/**
 * The schema's `ID` (src/schema.ts puts it in place of graphql's): the same name, description and
 * output as graphql's, so the emitted schema does not change, but an input is checked against the id
 * format and handed on in lower case, before any resolver or SQL sees it. An id in another letter case
 * is then the same id everywhere: in SQL (MariaDB compares id columns in binary, see the migration
 * IdsBinaryCollation) and in JavaScript (the event fan-out, webhooks, the scope).
 * A variable that is not an id is BAD_USER_INPUT naming its path (src/pipeline/variables.ts); an
 * inline literal fails the document's validation with the same message.
 */
export const IdScalar = new GraphQLScalarType({
  name: GraphQLID.name,
  description: GraphQLID.description,
  serialize: GraphQLID.serialize,
  parseValue: parseIdValue,
  parseLiteral(node: ValueNode) {
    if (node.kind !== Kind.STRING && node.kind !== Kind.INT) {
      throw new GraphQLError(`this literal is not an id: ${WHAT_AN_ID_IS}`, { nodes: node });
    }
    const id = normalizeId(node.value);
    if (id === undefined) throw new GraphQLError(`${described(node.value)} is not an id: ${WHAT_AN_ID_IS}`, { nodes: node });
    return id;
  },
});

type Variables = Record<string, unknown>;

function holdsId(type: GraphQLInputType, seen = new Set<unknown>()): boolean {
  if (isNonNullType(type) || isListType(type)) return holdsId(type.ofType, seen);
  if (isScalarType(type)) return type.name === IdScalar.name;
  if (!isInputObjectType(type) || seen.has(type)) return false;
  seen.add(type);
  return Object.values(type.getFields()).some((field) => holdsId(field.type, seen));
}

function withIds(value: unknown, type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return withIds(value, type.ofType);
  if (value === null || value === undefined) return value;
  if (isListType(type)) return Array.isArray(value) ? value.map((item) => withIds(item, type.ofType)) : withIds(value, type.ofType);
  if (isScalarType(type)) return type.name === IdScalar.name ? parseIdValue(value) : value;
  if (!isInputObjectType(type) || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Variables = { ...(value as Variables) };
  for (const field of Object.values(type.getFields())) {
    if (field.name in out && holdsId(field.type)) out[field.name] = withIds(out[field.name], field.type);
  }
  return out;
}

/**
 * graphql-jit compiles the coercion of variables, and for a scalar named `ID` it writes graphql's own
 * rule inline (any string passes) instead of calling the schema's `parseValue`. For an operation whose
 * variables can hold an id, this returns what gives the compiled operation its variables with each id
 * as `IdScalar` makes it (lower case); the gate has refused any variable that is not an id already
 * (and here one would throw rather than reach SQL). Undefined when no variable can hold an id.
 */
export function idVariablesOf(schema: GraphQLSchema, operation: OperationDefinitionNode): ((variables: Variables) => Variables) | undefined {
  const withId: [string, GraphQLInputType][] = [];
  for (const def of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, def.type) as GraphQLInputType | undefined;
    if (type && holdsId(type)) withId.push([def.variable.name.value, type]);
  }
  if (!withId.length) return undefined;
  return (variables) => {
    const out = { ...variables };
    for (const [name, type] of withId) if (name in out) out[name] = withIds(out[name], type);
    return out;
  };
}
