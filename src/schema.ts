import { GraphQLID, GraphQLScalarType, type GraphQLSchema, isObjectType } from 'graphql';
import { buildSchema, getMetadataStorage, GraphQLISODateTime, type NonEmptyArray } from 'type-graphql';
import { authChecker } from './common/auth/auth-checker';
import { assertNodeTypesRegistered } from './scope/nodes';
import { IdScalar } from './common/ids';
import { validateArgument } from './common/input-validation';
import type { AppPubSub } from './common/pubsub';
import { EventResolver } from './events/event.resolver';
import { MODULES } from './modules';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const RESOLVERS: NonEmptyArray<Function> = [EventResolver, ...MODULES.flatMap((m) => m.resolvers ?? [])];

/**
 * type-graphql gives every plain `@Field` property a resolver that runs the field's middleware chain
 * (empty here) and returns `root[name]` in a Promise: for a page of 50 customers, hundreds of promises
 * that only read a property. Plain fields are marked `simple` here, so graphql's default resolver (or
 * the compiled operation) reads the property directly: fields without `@Authorized` or
 * `@UseMiddleware`, without arguments, not methods, and named as their property. Those keep their
 * resolver, as does any field that says `simple: false`.
 */
export function readPlainFieldsAsProperties(): void {
  const storage = getMetadataStorage();
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  const sameOrSubclass = (target: Function, of: Function) => target === of || target.prototype instanceof of;
  for (const field of storage.fields) {
    if (field.simple !== undefined || field.params?.length || field.schemaName !== field.name) continue;
    const named = (m: { target: Function; fieldName: string }) => m.fieldName === field.name && sameOrSubclass(m.target, field.target); // eslint-disable-line @typescript-eslint/no-unsafe-function-type
    if (storage.authorizedFields.some(named) || storage.middlewares.some(named)) continue;
    if (storage.fieldResolvers.some((r) => r.kind === 'internal' && r.methodName === field.name && sameOrSubclass(r.target, field.target))) continue;
    field.simple = true;
  }
}

/**
 * type-graphql's `DateTimeISO` (graphql-scalars' GraphQLDateTimeISO) as it is, plus `@specifiedBy`, so
 * that codegen and clients can tell what its strings are. The URL is RFC 3339's `date-time` (section
 * 5.6), which the scalar's own description names: it writes `Date#toISOString()` (UTC, `Z`, three
 * fraction digits) and reads any RFC 3339 date-time (any fraction length, any offset). The community
 * specs on scalars.graphql.org narrow that (a fixed fraction length, for one), which this scalar's
 * input does not enforce, so pointing at one would promise clients a stricter format than it accepts.
 */
export const DateTimeISO = new GraphQLScalarType({
  ...GraphQLISODateTime.toConfig(),
  specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc3339#section-5.6',
});

const toIdScalar = new WeakSet<object>();

/**
 * Every `ID` of the schema, argument, input field or output, is the server's id scalar (`IdScalar`,
 * src/common/ids.ts): named `ID` like graphql's, so the emitted schema does not change, but it refuses
 * what is not an id and hands on ids in lower case. type-graphql keeps a scalar given as `() => ID` as
 * it is (its `scalarsMap` maps classes only), so the type getters of its metadata are wrapped here,
 * each once: any getter that returns graphql's ID returns IdScalar instead. A type left as graphql's
 * ID would make buildSchema fail on two types named `ID`, so none can be missed quietly. A field
 * declared as type-graphql's `GraphQLISODateTime` gets `DateTimeISO` (the same scalar with
 * `@specifiedBy`) the same way; one typed `Date` gets it through buildSchema's `scalarsMap`.
 */
export function useIdScalar(): void {
  const storage = getMetadataStorage();
  const entries = [storage.fields, storage.params, storage.queries, storage.mutations, storage.subscriptions, storage.fieldResolvers];
  for (const entry of entries.flat() as unknown as Record<string, unknown>[]) {
    for (const key of ['getType', 'getReturnType']) {
      const getter = entry[key];
      if (typeof getter !== 'function' || toIdScalar.has(getter)) continue;
      const wrapped = () => {
        const type = (getter as () => unknown)();
        return type === GraphQLID ? IdScalar : type === GraphQLISODateTime ? DateTimeISO : type;
      };
      toIdScalar.add(wrapped);
      entry[key] = wrapped;
    }
  }
}

/** The executable schema. Also what `npm run schema:emit` prints into schema/schema.graphql. */
export async function buildAppSchema(pubSub: AppPubSub['pubSub']): Promise<GraphQLSchema> {
  readPlainFieldsAsProperties();
  useIdScalar();
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    authMode: 'error',
    validate: true,
    validateFn: validateArgument,
    // a property typed `Date` (type-graphql's default: GraphQLISODateTime) is DateTimeISO with @specifiedBy
    scalarsMap: [{ type: Date, scalar: DateTimeISO }],
    pubSub,
    emitSchemaFile: false,
  });
  callFieldResolversDirectly(schema);
  assertNodeTypesRegistered(schema);
  return schema;
}

type Method = (...values: unknown[]) => unknown;

/**
 * type-graphql calls a field resolver through a generic wrapper: it builds the resolver data, asks its
 * container for the resolver, runs the (empty) middleware chain, sorts and maps the parameters and
 * converts the root, for every object of a list (a page of 50 customers: 50 calls per field). A field
 * resolver that takes only the root, the context and the info, with no `@Authorized`, middlewares or
 * arguments (so nothing to validate), is called directly here instead, with the same values in the same
 * order; a root that is not an instance of the declared class still goes through type-graphql (which
 * converts it).
 */
export function callFieldResolversDirectly(schema: GraphQLSchema): void {
  const storage = getMetadataStorage();
  const instances = new Map<Function, object>(); // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  for (const resolver of storage.fieldResolvers) {
    if (resolver.kind !== 'external' || !RESOLVERS.includes(resolver.target) || resolver.roles || resolver.middlewares?.length) continue;
    if (storage.authorizedResolver.some((a) => a.target === resolver.target) || storage.resolverMiddlewares.some((m) => m.target === resolver.target)) continue;
    const params = [...(resolver.params ?? [])].sort((a, b) => a.index - b.index);
    if (!params.every((p) => (p.kind === 'root' || p.kind === 'context' ? !p.propertyName : p.kind === 'info'))) continue;
    if (params.some((p, i) => p.index !== i)) continue;
    const objectClass = resolver.getObjectType?.();
    const typeName = storage.objectTypes.find((o) => o.target === objectClass)?.name;
    const type = typeName ? schema.getType(typeName) : undefined;
    if (!objectClass || !isObjectType(type)) continue;
    // a root declared as another class would be converted by type-graphql: leave those to it
    const rootParam = params.find((p) => p.kind === 'root');
    if (rootParam?.kind === 'root' && rootParam.getType && rootParam.getType() !== objectClass) continue;
    const field = type.getFields()[resolver.schemaName];
    const wrapped = field?.resolve;
    if (!wrapped) continue;
    if (!instances.has(resolver.target)) instances.set(resolver.target, new (resolver.target as new () => object)());
    const instance = instances.get(resolver.target)!;
    const method = (instance as Record<string, Method>)[resolver.methodName].bind(instance);
    const kinds = params.map((p) => p.kind);
    field.resolve = (root, args, context, info) => {
      if (!(root instanceof objectClass)) return wrapped(root, args, context, info);
      return method(...kinds.map((kind): unknown => (kind === 'root' ? root : kind === 'context' ? context : info)));
    };
  }
}
