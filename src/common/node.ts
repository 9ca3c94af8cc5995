import { Field, ID, InterfaceType } from 'type-graphql';
import { registerTypeResolver } from './abstract-types';

/** The GraphQL type name of each value `Query.node` / `Query.nodes` found (src/scope/nodes.ts tags them). */
const TYPE_NAMES = new WeakMap<object, string>();

/** Marks `value` as an object of the GraphQL type `typeName`, for Node's resolveType. */
export function asNodeOf<T extends object>(value: T, typeName: string): T {
  TYPE_NAMES.set(value, typeName);
  return value;
}

/**
 * Relay's Global Object Identification: every type with an identity of its own implements `Node`
 * (`@ObjectType({ implements: Node })`). Its id is unique across all types (the server's ids are
 * UUIDv7, and the catalog's offers slugs), so a client's normalized cache (Apollo's `__typename:id`,
 * Relay's `id` alone, urql's graphcache) never mixes two records, and `node(id:)` refetches any of them.
 */
const resolveNodeType = registerTypeResolver('Node', (value) => {
  if (typeof value !== 'object' || value === null) return undefined;
  return TYPE_NAMES.get(value) ?? (value as { __typename?: string }).__typename;
});

@InterfaceType('Node', {
  description: 'An object with an id unique across all types (Relay Global Object Identification); `node(id:)` refetches it',
  resolveType: resolveNodeType,
})
export abstract class Node {
  @Field(() => ID, { description: 'Unique across all types' })
  id: string;
}
