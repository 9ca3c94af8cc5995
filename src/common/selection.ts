import {
  type FieldNode,
  type GraphQLNamedType,
  type FragmentDefinitionNode,
  getNamedType,
  type GraphQLField,
  type GraphQLResolveInfo,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { Extensions } from 'type-graphql';

/** The extension key of `Reads`. */
const READS = 'reads';

/**
 * Marks a path into an entity a resolver returns from a property that the list's query may have
 * joined (`@viewerRelationship.status`): used when the query maps that property, ignored when it
 * does not (the resolver then loads the entity itself).
 */
export const JOINED = '@';

interface ReadsDeclaration {
  /** properties of the parent entity the resolver reads */
  properties: string[];
  /** the property holding the entity the resolver returns (a joined one): its columns follow the field's own selection */
  returns?: string;
}

/**
 * Declares what a field resolver reads of its parent entity (besides the primary key, always read),
 * so a list asked for that field selects only those columns:
 * - `@Reads('indirectResellerId')`; `@Reads()` for a resolver that needs only the id;
 * - `@Reads({ returns: 'viewerRelationship' })` for one that answers with an entity the list's query
 *   joined onto that property: of it, the columns the field's own selection reads.
 * A field resolver without it makes a list read every column of its rows.
 */
export function Reads(...declared: (string | { returns: string })[]) {
  const declaration: ReadsDeclaration = { properties: [] };
  for (const item of declared) {
    if (typeof item === 'string') declaration.properties.push(item);
    else declaration.returns = item.returns;
  }
  return Extensions({ [READS]: declaration });
}

/** The fields selected in `sets` (fragments and inline fragments included), grouped by name. */
function fieldsOf(sets: readonly SelectionSetNode[], fragments: Record<string, FragmentDefinitionNode>): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>();
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        fields.set(name, [...(fields.get(name) ?? []), selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, seen);
      } else if (!seen.has(selection.name.value) && fragments[selection.name.value]) {
        seen.add(selection.name.value);
        visit(fragments[selection.name.value].selectionSet, seen);
      }
    }
  };
  for (const set of sets) visit(set, new Set());
  return fields;
}

const setsOf = (nodes: readonly FieldNode[]) => nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));

/** The properties the selection `sets` reads of objects of `type` (see selectedProperties); undefined: unknown. */
function propertiesOf(type: GraphQLNamedType, sets: readonly SelectionSetNode[], fragments: Record<string, FragmentDefinitionNode>): string[] | undefined {
  if (!isObjectType(type)) return undefined;
  const properties = new Set<string>();
  const defs = type.getFields();
  for (const [name, nodes] of fieldsOf(sets, fragments)) {
    if (name === '__typename') continue;
    const def: GraphQLField<unknown, unknown> | undefined = defs[name];
    if (!def) return undefined;
    const reads = def.extensions?.[READS] as ReadsDeclaration | undefined;
    if (reads) {
      reads.properties.forEach((property) => properties.add(property));
      if (reads.returns) {
        const inner = propertiesOf(getNamedType(def.type), setsOf(nodes), fragments);
        if (inner) inner.forEach((property) => properties.add(`${JOINED}${reads.returns}.${property}`));
        else properties.add(`${JOINED}${reads.returns}`);
      }
    } else if (def.resolve) {
      return undefined;
    } else {
      // a plain field: its property; of a plain object (an embedded address), what its own selection reads
      const inner = getNamedType(def.type);
      const nested = isObjectType(inner) ? propertiesOf(inner, setsOf(nodes), fragments) : undefined;
      if (nested?.length) nested.forEach((property) => properties.add(`${name}.${property}`));
      else properties.add(name);
    }
  }
  return [...properties];
}

/**
 * The entity properties the selection reads of the objects at `path` below the resolved field
 * (`['edges', 'node']` for a connection's nodes), as property paths: `companyName`, `address.city`,
 * `@viewerRelationship.status` (see JOINED). The primary key is always read, and is not listed.
 * - a plain field (no resolver) reads its property; of a plain object (an embedded address) only
 *   the plain fields selected in it;
 * - a field resolver reads what its `@Reads` declares;
 * - anything else (a resolver without `@Reads`) is unknown: undefined, and the list reads every column.
 * `@skip`/`@include` are not evaluated: a field they may leave out is counted as read.
 */
export function selectedProperties(info: GraphQLResolveInfo, path: readonly string[]): readonly string[] | undefined {
  // the answer depends only on the document (cached documents are the same objects) and the path
  const node = info.fieldNodes.length === 1 ? info.fieldNodes[0] : undefined;
  const key = path.join('.');
  const known = node && answers.get(node);
  if (known?.has(key)) return known.get(key);
  const answer = walk(info, path);
  if (node) {
    if (known) known.set(key, answer);
    else answers.set(node, new Map([[key, answer]]));
  }
  return answer;
}

const answers = new WeakMap<FieldNode, Map<string, string[] | undefined>>();

function walk(info: GraphQLResolveInfo, path: readonly string[]): string[] | undefined {
  let type = getNamedType(info.returnType);
  let sets = setsOf(info.fieldNodes);
  for (const step of path) {
    if (!isObjectType(type)) return undefined;
    const field = type.getFields()[step];
    if (!field) return undefined;
    sets = setsOf(fieldsOf(sets, info.fragments).get(step) ?? []);
    type = getNamedType(field.type);
  }
  return propertiesOf(type, sets, info.fragments);
}
