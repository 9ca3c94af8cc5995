import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  type GraphQLField,
  type GraphQLSchema,
  isListType,
  isNonNullType,
  isObjectType,
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
function selects(
  selectionSet: SelectionSetNode | undefined,
  name: string,
  fragments: Map<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): boolean {
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
 * The cost model, in one estimator:
 * - a connection costs its own SQL, a COUNT when `totalCount` is selected, a scan when it is
 *   searched, and its page size (`first`, or the default page size) times the cost of one edge;
 * - any other list of objects costs the default page size times one element;
 * - fields declare their own cost (`complexity`), root fields cost `COST.root`, others `COST.field`;
 * - introspection and `__typename` are free (the depth, alias and token limits bound them).
 * Aliases are separate fields, so each one is priced.
 */
function costEstimator(fragments: Map<string, FragmentDefinitionNode>): ComplexityEstimator {
  return ({ type, field, node, args, childComplexity }) => {
    if (field.name.startsWith('__')) return field.name === '__typename' ? 0 : 1;
    if (type.name.startsWith('__')) return 0;
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
      const counts = selects((node as FieldNode).selectionSet, 'totalCount', fragments) ? countCost : 0;
      const searches = (args.filter as { search?: unknown } | undefined)?.search ? COST.search : 0;
      return own + counts + searches + pageSize(args.first) * childComplexity;
    }
    const unwrapped = isNonNullType(field.type) ? field.type.ofType : field.type;
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
  return getComplexity({
    schema,
    query: document,
    operationName: operationName ?? undefined,
    variables,
    estimators: [costEstimator(fragments)],
  });
}
