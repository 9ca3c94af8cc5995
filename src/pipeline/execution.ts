import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { type DocumentNode, execute, type ExecutionResult, getOperationAST, GraphQLError, type GraphQLSchema } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { idVariablesOf } from '../common/ids';
import { logger } from '../common/logger';
import { activeTracing } from '../observability/tracing';
import { IntrospectionCache, isIntrospectionOnly } from './introspection';

/** A compiled operation, and what puts its `ID` variables in the form the ID scalar makes (see idVariablesOf). */
type Compiled = { query: CompiledQuery; ids?: (variables: Record<string, unknown>) => Record<string, unknown> } | null;

/**
 * graphql-jit's errors inherit graphql's GraphQLError but leave `extensions` undefined when the
 * thrown error has none; Apollo's error formatting (and ours) expects graphql-js's own errors, as
 * execute() makes them: same message, path, locations, original error and extensions.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const converted = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions ?? (error.originalError as GraphQLError | undefined)?.extensions,
  });
  (converted as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return converted;
}

/**
 * Compiled operations: graphql-jit turns a validated document into a function once, and every later
 * request with the same document (Apollo's document store hands back the same parsed object for the
 * same text) runs that function instead of walking the document with graphql-js. An operation the
 * compiler refuses runs with graphql-js, as before.
 *
 * The cache is per document object and operation name, so it lives as long as Apollo keeps the
 * document (a bounded LRU), and never holds a document Apollo has let go of.
 */
export class OperationCompiler {
  private readonly compiled = new WeakMap<DocumentNode, Map<string, Compiled>>();
  /** answers of introspection-only operations, for this schema */
  private readonly introspection = new IntrospectionCache();

  constructor(private readonly schema: GraphQLSchema) {}

  private compile(document: DocumentNode, operationName: string | null | undefined): Compiled {
    const key = operationName ?? '';
    let byName = this.compiled.get(document);
    if (!byName) this.compiled.set(document, (byName = new Map<string, Compiled>()));
    if (byName.has(key)) return byName.get(key)!;
    let result: Compiled = null;
    try {
      const compiled = compileQuery(this.schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
      const operation = getOperationAST(document, operationName);
      if (isCompiledQuery(compiled) && operation) result = { query: compiled, ids: idVariablesOf(this.schema, operation) };
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'operation not compiled; it runs with graphql-js');
    }
    byName.set(key, result);
    return result;
  }

  /** Runs an operation: compiled when possible, with graphql-js otherwise. */
  async run(args: {
    document: DocumentNode;
    operationName?: string | null;
    variables?: Record<string, unknown> | null;
    contextValue: unknown;
  }): Promise<ExecutionResult> {
    const compiled = this.compile(args.document, args.operationName);
    if (compiled) {
      const variables = args.variables ?? {};
      const result = await compiled.query.query(undefined, args.contextValue, compiled.ids ? compiled.ids(variables) : variables);
      return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
    }
    return execute({
      schema: this.schema,
      document: args.document,
      operationName: args.operationName,
      variableValues: args.variables,
      contextValue: args.contextValue,
    });
  }

  /** An operation's answer: from the introspection cache when it only introspects, else `run`. */
  private answer(requestContext: Parameters<GatewayExecutor>[0]): Promise<ExecutionResult> {
    const run = () =>
      this.run({
        document: requestContext.document,
        operationName: requestContext.operationName,
        variables: requestContext.request.variables,
        contextValue: requestContext.context,
      });
    const { document, operation, source } = requestContext;
    return isIntrospectionOnly(document, operation)
      ? this.introspection.answer(source, requestContext.operationName, requestContext.request.variables, run)
      : run();
  }

  /**
   * Apollo Server runs operations through a "gateway" executor when one is given: this one serves the
   * server's own schema and runs every operation with `run`; an operation that only introspects is
   * answered from the introspection cache when the same text came before (src/pipeline/introspection.ts).
   */
  asGateway(): GatewayInterface {
    const tracing = activeTracing();
    const executor: GatewayExecutor = (requestContext) =>
      // traces on: inside the operation's span, so that resolver and SQL spans are its children
      (tracing
        ? tracing.withinOperation(requestContext.context, () => this.answer(requestContext))
        : this.answer(requestContext)) as ReturnType<GatewayExecutor>;
    const { schema } = this;
    return {
      load() {
        return Promise.resolve({ executor });
      },
      onSchemaLoadOrUpdate(callback) {
        callback({ apiSchema: schema, coreSupergraphSdl: '' });
        return () => {};
      },
      async stop() {},
    };
  }
}
