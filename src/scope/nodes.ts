import DataLoader from 'dataloader';
import { type GraphQLSchema, isInterfaceType } from 'graphql';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { hasAnyRole } from '../common/auth/principal';
import type { Role } from '../common/auth/roles';
import { byId } from './loaders';
import type { Scope } from './scope';

/**
 * Where `Query.node` / `Query.nodes` look an id up: one reader per GraphQL type that implements
 * `Node`, each through the caller's scope (src/scope/scope.ts) and with the roles its list query
 * needs, so a foreign, unknown or forbidden id is null: one answer, never an error that tells them
 * apart. Each feature registers its types next to its scope rules (`<feature>.scope.ts`).
 */
export interface NodeReader<S = Scope> {
  /** the rows of the type the scope may read (the same door as the type's list and by-id queries) */
  read?: (scope: S) => SelectQueryBuilder<ObjectLiteral & { id: string }>;
  /** instead of `read`: the objects of a batch of ids the scope may read, in the order of the ids (null where none) */
  load?: (scope: S, ids: readonly string[]) => Promise<(object | null)[]>;
  /** the roles the type's own queries need (@Authorized); absent: any signed-in caller */
  roles?: readonly Role[];
}

interface NodeType {
  typeName: string;
  reader: NodeReader;
}

const NODE_TYPES: NodeType[] = [];

/** Registers the GraphQL type `typeName` (which implements Node) and how a scope reads its rows. */
export function registerNodeType<S extends Scope>(typeName: string, reader: NodeReader<S>): void {
  if (!reader.read === !reader.load) throw new Error(`Node type ${typeName}: give read or load`);
  if (NODE_TYPES.some((t) => t.typeName === typeName)) throw new Error(`Node type ${typeName} is registered twice`);
  NODE_TYPES.push({ typeName, reader: reader as unknown as NodeReader });
}

export function nodeTypeNames(): string[] {
  return NODE_TYPES.map((t) => t.typeName);
}

/** Each scope's loaders by type: built on first use, once per scope (so per request or socket operation). */
const LOADERS = new WeakMap<Scope, Map<string, DataLoader<string, ObjectLiteral | null>>>();

function loaderOf(scope: Scope, type: NodeType): DataLoader<string, ObjectLiteral | null> | undefined {
  const { roles, read, load } = type.reader;
  if (roles?.length && !(scope.principal && hasAnyRole(scope.principal, [...roles]))) return undefined;
  let loaders = LOADERS.get(scope);
  if (!loaders) LOADERS.set(scope, (loaders = new Map<string, DataLoader<string, ObjectLiteral | null>>()));
  let loader = loaders.get(type.typeName);
  if (!loader) {
    loader = read ? byId(() => read(scope)) : new DataLoader<string, ObjectLiteral | null>((ids) => load!(scope, ids));
    loaders.set(type.typeName, loader);
  }
  return loader;
}

/**
 * Every object type that implements Node has a reader: registered itself, or through an interface
 * that is (`Event`). Checked when the schema is built, so that no type is silently never found.
 */
export function assertNodeTypesRegistered(schema: GraphQLSchema): void {
  const node = schema.getType('Node');
  if (!node || !isInterfaceType(node)) return;
  const registered = new Set(nodeTypeNames());
  const missing = schema
    .getPossibleTypes(node)
    .filter((type) => !registered.has(type.name) && !type.getInterfaces().some((i) => registered.has(i.name)))
    .map((type) => type.name);
  if (missing.length) throw new Error(`Node types without a reader (registerNodeType in their <feature>.scope.ts): ${missing.join(', ')}`);
}

/**
 * The object with this id that the scope may read (an entity instance, or an event of its type's
 * class: GraphQL resolves its object type by its class), or null. Every type is asked at once (ids
 * are unique across types, so at most one answers); a batch of ids (`nodes`) makes one `IN (...)`
 * query per type through the loaders.
 */
export async function loadNode(scope: Scope, id: string): Promise<object | null> {
  const found = await Promise.all(NODE_TYPES.map((type) => loaderOf(scope, type)?.load(id) ?? Promise.resolve(null)));
  return found.find((value) => value !== null && value !== undefined) ?? null;
}
