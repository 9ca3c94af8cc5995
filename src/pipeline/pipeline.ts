import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import { type DocumentNode, type ExecutionArgs, GraphQLError, type GraphQLSchema, getOperationAST, parse, specifiedRules, validate } from 'graphql';
import { CloseCode } from 'graphql-ws';
import type { ServerOptions } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import { LRUCache } from 'lru-cache';
import type { TokenVerifier } from '../common/auth/jwt';
import type { Principal } from '../common/auth/principal';
import type { AppDeps } from '../common/context';
import { isDatabaseUnavailable } from '../common/database';
import { AppError, ErrorCode, ServiceUnavailableError } from '../common/errors';
import { buildContext, type RequestContext } from '../context';
import { confirmCaller } from '../scope/caller';
import type { Services } from '../services';
import { SharedSubscriptions } from './fanout';
import { formatError } from './format-error';
import { OperationGate } from './gate';
import { limitRules, type OperationLimits, parseOptions, VALIDATION_FAILED } from './limits';
import type { AnonymousLimiter } from './rate-limit';

export type SocketExtra = {
  principal?: Principal;
  expiryTimer?: NodeJS.Timeout;
  /** subscribes refused for the per-socket limit so far */
  refusedOverLimit?: number;
};

/** A client that keeps subscribing past the limit after this many refusals is cut off (close 1008). */
const REFUSALS_BEFORE_CLOSE = 20;

function withCode(err: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(err.message, { nodes: err.nodes, source: err.source, positions: err.positions, extensions: { ...err.extensions, code } });
}

/** An error from anything the pipeline itself runs (authentication, the gate), as a GraphQL error with a code. */
function asGraphQLError(err: unknown): GraphQLError {
  if (err instanceof GraphQLError) return err;
  if (isDatabaseUnavailable(err)) return new ServiceUnavailableError();
  return new GraphQLError('Internal server error', { originalError: err as Error });
}

/**
 * One operation pipeline for both transports. HTTP (Apollo) and WebSocket (graphql-ws) share:
 * - parsing with the token limit, and validation with graphql's rules plus the limit rules
 *   (depth, aliases, directives);
 * - authentication (`authenticate`) and context building (`buildContext`: one scope per operation);
 * - the gate (per-IP limit without a token, variables, cost with variables);
 * - error formatting and logging (`formatError`).
 * The WebSocket runs only subscriptions, at most `maxSubscriptionsPerSocket` at a time.
 */
export class OperationPipeline {
  readonly gate: OperationGate;
  readonly rules;
  readonly parseOptions;
  /** parsed and validated subscription documents by their text, as Apollo keeps them for HTTP */
  private readonly documents = new LRUCache<string, { document: DocumentNode } | { errors: readonly GraphQLError[] }>({ max: 1000 });

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly deps: AppDeps,
    private readonly services: Services,
    private readonly verifier: TokenVerifier,
    private readonly limits: OperationLimits,
    anonymous: AnonymousLimiter,
  ) {
    this.gate = new OperationGate(schema, limits, anonymous);
    this.rules = limitRules(limits);
    this.parseOptions = parseOptions(limits);
  }

  /** The verified caller of an `Authorization` header (undefined without one). */
  async authenticate(header: string | undefined | null): Promise<Principal | undefined> {
    try {
      return await confirmCaller(this.deps.ds, await this.verifier.fromHeader(header));
    } catch (err) {
      if (err instanceof AppError && err.extensions.code === ErrorCode.UNAUTHENTICATED) err.extensions.http = { status: 401 };
      throw asGraphQLError(err);
    }
  }

  context(principal: Principal | undefined, ip: string): RequestContext {
    return buildContext(this.deps, this.services, principal, ip);
  }

  /** Apollo's side: the same rules, parse options and error formatting, the gate as a plugin. */
  apolloOptions(): Pick<ApolloServerOptions<RequestContext>, 'validationRules' | 'parseOptions' | 'formatError'> & {
    plugin: ApolloServerPlugin<RequestContext>;
  } {
    const { gate } = this;
    return {
      validationRules: this.rules,
      parseOptions: this.parseOptions,
      formatError,
      plugin: {
        async requestDidStart() {
          return {
            async didResolveOperation({ request, document, operation, contextValue }) {
              if (!operation) {
                // no operation of that name (or several and no name): a clear 400, not Apollo's 500 through the executor
                const name = request.operationName;
                throw new AppError(
                  ErrorCode.BAD_REQUEST,
                  name ? `The document has no operation named "${name.slice(0, 100)}"` : 'The document has several operations: send operationName',
                  { http: { status: 400 } },
                );
              }
              if (operation.operation === 'subscription') {
                throw new AppError(ErrorCode.BAD_REQUEST, 'Subscriptions run over WebSocket (the graphql-ws protocol) on this same path, not over HTTP', {
                  http: { status: 400 },
                });
              }
              await gate.admit({
                document,
                operation,
                operationName: request.operationName,
                variables: request.variables,
                principal: contextValue.scope.principal,
                ip: contextValue.ip,
              });
            },
            async willSendResponse({ response }) {
              // a database outage found while executing: tell clients to retry (formatError named it)
              if (response.body.kind !== 'single') return;
              if (response.body.singleResult.errors?.some((e) => e.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)) {
                response.http.status = 503;
              }
            },
          };
        },
      },
    };
  }

  /** Parsing (with the token limit) and validation (graphql's rules and the limit rules), cached by the document's text. */
  private parseAndValidate(query: string): { document: DocumentNode } | { errors: readonly GraphQLError[] } {
    const cached = this.documents.get(query);
    if (cached) return cached;
    let result: { document: DocumentNode } | { errors: readonly GraphQLError[] };
    try {
      const document = parse(query, this.parseOptions);
      const invalid = validate(this.schema, document, [...specifiedRules, ...this.rules]);
      result = invalid.length ? { errors: invalid.map((e) => withCode(e, VALIDATION_FAILED)) } : { document };
    } catch (err) {
      result = { errors: [withCode(asGraphQLError(err), 'GRAPHQL_PARSE_FAILED')] };
    }
    // only short documents are kept: a huge one is refused anyway and must not fill the cache
    if (query.length <= 20_000) this.documents.set(query, result);
    return result;
  }

  /** graphql-ws's side: authentication once per socket, then every subscribe through the same steps. */
  websocketOptions(): ServerOptions<Record<string, unknown> | undefined, Extra & Partial<SocketExtra>> {
    const { schema, limits } = this;
    const shared = new SharedSubscriptions();
    return {
      schema,
      // one execution per event and audience, not per subscriber (src/pipeline/fanout.ts)
      subscribe: shared.subscribe,
      // Authenticate once per socket (signature, claims, the named partner or customer exists);
      // a bad token is refused with close code 4403.
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const header = params.authorization ?? params.Authorization;
        if (header === undefined || header === null) return true;
        try {
          const principal = await this.authenticate(String(header));
          ctx.extra.principal = principal;
          // The socket lives no longer than its token: close it (4401) when the token expires.
          if (principal?.expiresAt) {
            const ms = Math.min(principal.expiresAt - Date.now(), 2 ** 31 - 1);
            ctx.extra.expiryTimer = setTimeout(() => ctx.extra.socket.close(CloseCode.Unauthorized, 'Token expired'), ms);
            ctx.extra.expiryTimer.unref();
          }
          return true;
        } catch (err) {
          if (err instanceof GraphQLError && err.extensions.code === ErrorCode.SERVICE_UNAVAILABLE) {
            ctx.extra.socket.close(1013, 'Database unavailable; retry later'); // 1013: try again later
          }
          return false;
        }
      },
      onClose: (ctx) => clearTimeout(ctx.extra.expiryTimer),
      onSubscribe: async (ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        try {
          // graphql-ws has already registered this one
          if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerSocket) {
            ctx.extra.refusedOverLimit = (ctx.extra.refusedOverLimit ?? 0) + 1;
            if (ctx.extra.refusedOverLimit === REFUSALS_BEFORE_CLOSE) {
              // say why, then stop reading what it has already sent
              const { socket } = ctx.extra;
              socket.close(1008, 'Too many subscriptions: the limit per socket was ignored');
              socket.pause();
              setTimeout(() => socket.terminate(), 1000).unref();
            }
            return [
              new GraphQLError(`This socket already has ${limits.maxSubscriptionsPerSocket} live subscriptions, the limit; complete one first`, {
                extensions: { code: ErrorCode.BAD_REQUEST, limit: limits.maxSubscriptionsPerSocket },
              }),
            ];
          }
          const checked = this.parseAndValidate(payload.query);
          if ('errors' in checked) return checked.errors;
          const { document } = checked;
          const operation = getOperationAST(document, payload.operationName);
          if (!operation) {
            return [new GraphQLError('Name the operation to run (operationName)', { extensions: { code: ErrorCode.BAD_REQUEST } })];
          }
          if (operation.operation !== 'subscription') {
            return [
              new GraphQLError(`Only subscriptions run over WebSocket; send this ${operation.operation} as an HTTP POST`, {
                extensions: { code: ErrorCode.BAD_REQUEST },
              }),
            ];
          }
          const { principal } = ctx.extra;
          const ip = ctx.extra.request.socket.remoteAddress ?? '';
          await this.gate.admit({ document, operation, operationName: payload.operationName, variables: payload.variables, principal, ip });
          return {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            // a fresh context (a fresh scope with fresh loaders) for every operation on the socket
            contextValue: this.context(principal, ip),
          };
        } catch (err) {
          return [asGraphQLError(err)];
        }
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : undefined,
    };
  }
}
