import { Field, ID, InterfaceType } from 'type-graphql';

/**
 * Relay's Global Object Identification: every type with an identity of its own implements `Node`
 * (`@ObjectType({ implements: Node })`). Its id is unique across all types (the server's ids are
 * UUIDv7, and the catalog's offers slugs), so a client's normalized cache (Apollo's `__typename:id`,
 * Relay's `id` alone, urql's graphcache) never mixes two records, and `node(id:)` refetches any of them.
 * A value is resolved to its object type by its class (type-graphql's default, synchronous as
 * graphql-jit needs): the readers return entity instances, and events instances of their type's class.
 */
@InterfaceType('Node', {
  description: 'An object with an id unique across all types (Relay Global Object Identification); `node(id:)` refetches it',
})
export abstract class Node {
  @Field(() => ID, { description: 'Unique across all types' })
  id: string;
}
