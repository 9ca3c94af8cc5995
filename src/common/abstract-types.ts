import type { GraphQLSchema, GraphQLTypeResolver } from 'graphql';
import { isAbstractType } from 'graphql';

/**
 * The resolveType of the schema's interfaces and unions, as plain synchronous functions. type-graphql
 * wraps a `resolveType` option in an async function, and graphql-jit (src/pipeline/execution.ts) calls
 * an abstract type's resolveType without awaiting it: each abstract type registers its own here, and
 * src/schema.ts puts them in place once the schema is built.
 */
const RESOLVERS = new Map<string, GraphQLTypeResolver<unknown, unknown>>();

export function registerTypeResolver(typeName: string, resolve: (value: unknown) => string | undefined): (value: unknown) => string | undefined {
  RESOLVERS.set(typeName, resolve);
  return resolve;
}

/** Puts every registered resolveType on its type. */
export function useSyncTypeResolvers(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    const resolve = RESOLVERS.get(type.name);
    if (resolve && isAbstractType(type)) type.resolveType = resolve;
  }
}
