import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  type GraphQLField,
  type GraphQLSchema,
  type GraphQLType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  isWrappingType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { type ComplexityEstimator, getComplexity } from 'graphql-query-complexity';
import { COST } from '../common/cost';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../common/pagination';

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

function isConnectionType(name: string): boolean {
  return name.endsWith('Connection');
}

/** True when `name` is selected directly in this selection set (through fragments too). */
function selects(selectionSet: SelectionSetNode | undefined, name: string, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): boolean {
  for (const sel of selectionSet?.selections ?? []) {
    if (sel.kind === Kind.FIELD && sel.name.value === name) return true;
    if (sel.kind === Kind.INLINE_FRAGMENT && selects(sel.selectionSet, name, fragments, seen)) return true;
    if (sel.kind === Kind.FRAGMENT_SPREAD && !seen.has(sel.name.value)) {
      seen.add(sel.name.value);
      if (selects(fragments.get(sel.name.value)?.selectionSet, name, fragments, seen)) return true;
    }
  }
  return false;
}

function ownCost(field: GraphQLField<unknown, unknown>, parentTypeName: string): number {
  const declared = field.extensions?.complexity;
  if (typeof declared === 'number') return declared;
  return ROOT_TYPES.has(parentTypeName) ? COST.root : COST.field;
}

/** True when a connection's `filter` argument narrows the list (any field set). */
function isFiltered(filter: unknown): boolean {
  if (!filter || typeof filter !== 'object') return false;
  return Object.values(filter).some((v) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0));
}

function pageSize(first: unknown): number {
  return typeof first === 'number' ? Math.max(1, Math.min(first, MAX_PAGE_SIZE)) : DEFAULT_PAGE_SIZE;
}

/**
 * Introspection answers from the schema in memory, and its size is known in advance: the number of
 * types, of fields per type, of arguments per field… Each list is priced by what it will return:
 * - one introspection object (a type, field, argument, enum value, directive, type reference) costs
 *   `COST.field`; its scalar fields (`name`, `kind`, `description`…) come with it, except aliased ones
 *   (a second copy of a value is more answer: `COST.field` each);
 * - `types` and `directives` return every type and directive of the schema;
 * - a type's `fields`, `inputFields`, `enumValues`, `interfaces`, `possibleTypes` and a field's or
 *   directive's `args`: when the parent is one of *all* its kind (under `types { … }`), their
 *   average per parent, so that the sum is exact (`types { fields { args } }` costs one per type, field
 *   and argument of the schema); when the parent is one chosen type (`__type(name:)`, a field's `type`,
 *   `queryType`…), the largest such list of the schema;
 * - `ofType` is priced at the schema's odds that a type reference wraps another one (most are named
 *   types or one `!` deep), so a TypeRef fragment costs what its chain of references returns on average.
 * graphql's full introspection query (what GraphiQL, graphql-codegen, Apollo Sandbox and rover send)
 * then costs what its answer holds (one object per type, field, argument… of this schema: 4,939 for
 * 4,793 objects in the answer, see the README), which is its budget when over MAX_QUERY_COMPLEXITY
 * (src/pipeline/gate.ts), while 30 aliases of a wide
 * introspection cost 30 times one; an identical introspection document is then answered from a
 * cache (src/pipeline/execution.ts) rather than run again.
 */
interface ListSize {
  /** per parent, when the parent is one of all of its kind: the schema's total over its count */
  average: number;
  /** the largest list of the schema, for a parent chosen alone */
  largest: number;
}

interface IntrospectionSizes {
  lists: Record<string, ListSize | number>;
  /** the odds that a type reference's `ofType` is another type rather than null */
  wrapped: number;
}

const SIZES = new WeakMap<GraphQLSchema, IntrospectionSizes>();

function introspectionSizes(schema: GraphQLSchema): IntrospectionSizes {
  const known = SIZES.get(schema);
  if (known) return known;
  const types = Object.values(schema.getTypeMap());
  const directives = schema.getDirectives();
  const total = { fields: 0, inputFields: 0, enumValues: 0, interfaces: 0, possibleTypes: 0, fieldArgs: 0, directiveArgs: 0 };
  const largest = { ...total };
  const count = (key: keyof typeof total, n: number) => {
    total[key] += n;
    largest[key] = Math.max(largest[key], n);
  };
  let references = 0;
  let wrappers = 0;
  const reference = (type: GraphQLType) => {
    references++;
    for (let t = type; isWrappingType(t); t = t.ofType) wrappers++;
  };
  for (const type of types) {
    if (isObjectType(type) || isInterfaceType(type)) {
      const fields = Object.values(type.getFields());
      count('fields', fields.length);
      count('interfaces', type.getInterfaces().length);
      for (const field of fields) {
        count('fieldArgs', field.args.length);
        reference(field.type);
        field.args.forEach((arg) => reference(arg.type));
      }
    }
    if (isInterfaceType(type) || isUnionType(type)) count('possibleTypes', schema.getPossibleTypes(type).length);
    if (isInputObjectType(type)) {
      const fields = Object.values(type.getFields());
      count('inputFields', fields.length);
      fields.forEach((field) => reference(field.type));
    }
    if (isEnumType(type)) count('enumValues', type.getValues().length);
  }
  for (const directive of directives) count('directiveArgs', directive.args.length);
  const size = (key: keyof typeof total, parents: number): ListSize => ({ average: total[key] / Math.max(parents, 1), largest: largest[key] });
  const sizes: IntrospectionSizes = {
    lists: {
      '__Schema.types': types.length,
      '__Schema.directives': directives.length,
      '__Type.fields': size('fields', types.length),
      '__Type.inputFields': size('inputFields', types.length),
      '__Type.enumValues': size('enumValues', types.length),
      '__Type.interfaces': size('interfaces', types.length),
      '__Type.possibleTypes': size('possibleTypes', types.length),
      '__Field.args': size('fieldArgs', total.fields),
      '__Directive.args': size('directiveArgs', directives.length),
    },
    wrapped: wrappers / Math.max(references + wrappers, 1),
  };
  SIZES.set(schema, sizes);
  return sizes;
}

/** Lists under `types { … }` or `directives { … }` enumerate all their parents; anything else is one parent. */
type Parents = 'all' | 'one';
const ENUMERATES_ALL = new Set(['types', 'directives']);
const KEEPS_PARENTS = new Set(['fields', 'inputFields', 'enumValues', 'interfaces', 'possibleTypes', 'args']);

/**
 * Which selections sit under all of their parents (`types { fields }`) and which under one chosen
 * parent (`__type(name:) { fields }`), through fragments; a selection found in both is priced as one
 * (the larger). Each fragment is walked once per kind of parent, so this stays linear in the document.
 */
function introspectionParents(document: DocumentNode, fragments: Map<string, FragmentDefinitionNode>): Map<FieldNode, Parents> {
  const parents = new Map<FieldNode, Parents>();
  const walked = new Set<string>();
  const walk = (selectionSet: SelectionSetNode | undefined, under: Parents) => {
    for (const sel of selectionSet?.selections ?? []) {
      if (sel.kind === Kind.FIELD) {
        const seen = parents.get(sel);
        parents.set(sel, seen && seen !== under ? 'one' : under);
        if (sel.selectionSet) walk(sel.selectionSet, ENUMERATES_ALL.has(sel.name.value) ? 'all' : KEEPS_PARENTS.has(sel.name.value) ? under : 'one');
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet, under);
      } else if (!walked.has(`${under}:${sel.name.value}`)) {
        walked.add(`${under}:${sel.name.value}`);
        walk(fragments.get(sel.name.value)?.selectionSet, under);
      }
    }
  };
  for (const def of document.definitions) if (def.kind === Kind.OPERATION_DEFINITION) walk(def.selectionSet, 'one');
  return parents;
}

/**
 * The cost model, in one estimator:
 * - a connection costs its own SQL, a COUNT when `totalCount` is selected, a scan when it is
 *   searched, and its page size (`first` or `last`, or the default page size) times the cost of one edge;
 * - any other list of objects costs the default page size times one element;
 * - fields declare their own cost (`complexity`), root fields cost `COST.root`, others `COST.field`;
 * - introspection (`__schema`, `__type` and everything under them) by the size of what it returns
 *   (see IntrospectionSizes above); `__typename` is free.
 * Aliases are separate fields, so each one is priced.
 */
function costEstimator(schema: GraphQLSchema, document: DocumentNode, fragments: Map<string, FragmentDefinitionNode>): ComplexityEstimator {
  let parents: Map<FieldNode, Parents> | undefined;
  return ({ type, field, node, args, childComplexity }) => {
    if (field.name === '__typename') return 0;
    if (field.name.startsWith('__') || type.name.startsWith('__')) {
      const { lists, wrapped } = introspectionSizes(schema);
      if (isLeafType(getNamedType(field.type))) return node.alias && node.alias.value !== field.name ? COST.field : 0;
      const one = COST.field + childComplexity;
      const list = lists[`${type.name}.${field.name}`];
      if (typeof list === 'number') return list * one;
      if (list) {
        parents ??= introspectionParents(document, fragments);
        return (parents.get(node) === 'all' ? list.average : list.largest) * one;
      }
      return field.name === 'ofType' ? wrapped * one : one;
    }
    if (type.name === 'PageInfo' || field.name === 'pageInfo') return 0;
    if (isConnectionType(type.name)) {
      // priced by the connection field itself
      if (field.name === 'totalCount') return 0;
      if (field.name === 'edges') return childComplexity;
    }
    const own = ownCost(field, type.name);
    const named = getNamedType(field.type);
    if (isObjectType(named) && isConnectionType(named.name)) {
      // a root list without a filter reads its counter row; a filtered one counts its rows; a nested
      // connection's counts are batched per page by its loader, like its rows
      const countCost = ROOT_TYPES.has(type.name) ? (isFiltered(args.filter) ? COST.count : COST.tally) : COST.batched;
      const counts = selects(node.selectionSet, 'totalCount', fragments) ? countCost : 0;
      const searches = (args.filter as { search?: unknown } | undefined)?.search ? COST.search : 0;
      // each cursor sent may make pageInfo's hasPreviousPage/hasNextPage read beyond it: one LIMIT 1 read
      // of the list's query (for a nested list, one per page of parents), a scan again when searched
      const sides = (args.after != null ? 1 : 0) + (args.before != null ? 1 : 0);
      const probes = sides * (COST.batched + searches);
      return own + counts + searches + probes + pageSize(args.first ?? args.last) * childComplexity;
    }
    const unwrapped = isNonNullType(field.type) ? field.type.ofType : field.type;
    // `nodes(ids:)`: one object per id (each a lookup through the loaders)
    if (isListType(unwrapped) && Array.isArray(args.ids)) return own + args.ids.length * (COST.batched + childComplexity);
    if (isListType(unwrapped) && childComplexity > 0) return own + DEFAULT_PAGE_SIZE * childComplexity;
    return own + childComplexity;
  };
}

/**
 * The cost of the operation that will run, with its (already coerced-valid) variables, so that
 * `first: $n` and `@include(if: $x)` count as they will execute.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined | null,
  variables: Record<string, unknown>,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const cost = getComplexity({
    schema,
    query: document,
    operationName: operationName ?? undefined,
    variables,
    estimators: [costEstimator(schema, document, fragments)],
  });
  // introspection's averages are fractions
  return Math.ceil(cost - 1e-9);
}
