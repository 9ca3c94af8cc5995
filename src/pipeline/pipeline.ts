import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import type { Request, Response } from 'express';
import {
  type DocumentNode,
  type ExecutionArgs,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import type { Context, ServerOptions, SubscribePayload } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import { LRUCache } from 'lru-cache';
import type { TokenVerifier } from '../common/auth/jwt';
import type { Principal } from '../common/auth/principal';
import type { AppDeps } from '../common/context';
import { isDatabaseUnavailable } from '../common/database';
import { logger } from '../common/logger';
import { AppError, ErrorCode, RateLimitedError, ServiceUnavailableError } from '../common/errors';
import { clientRequestId, currentOperation, currentRequestId, newRequestId, operationRequestId, REQUEST_ID_HEADER, withRequestId } from '../common/request-id';
import { describeOperation, noteErrorCode, type OperationObserver } from '../observability/operations';
import { buildContext, type RequestContext } from '../context';
import { confirmCaller } from '../scope/caller';
import type { Services } from '../services';
import { type PushTarget, SharedSubscriptions } from './fanout';
import { formatError } from './format-error';
import { OperationGate } from './gate';
import { requestIdOf } from './http';
import { limitRules, type OperationLimits, parseOptions, VALIDATION_FAILED } from './limits';
import type { AnonymousLimiter } from './rate-limit';
import { costExtension, rateLimitHeaders, TenantInFlight, type TenantBudgets } from './budgets';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_SUBSCRIPTION_ID_LENGTH, shut, shutIfSlow, shutSlow, SocketClose, SocketCounter, socketOwner, TenantSubscriptions } from './sockets';
import type { BudgetCharge } from '../common/budget';
import { activeTracing } from '../observability/tracing';

export type SocketExtra = {
  principal?: Principal;
  /** the caller's address (as Express's req.ip reads it, TRUST_PROXY), set in onConnect */
  ip?: string;
  /** cancels the close at the token's expiry (on the token clock: the wall clock, or a test's) */
  cancelExpiry?: () => void;
  /** subscribes refused for the per-socket limit so far */
  refusedOverLimit?: number;
  /** the socket's request id (its upgrade's x-request-id, or a new one), set in onConnect */
  requestId?: string;
  /** subscribes received so far: the n of each one's request id `<requestId>.<n>` */
  operations?: number;
  /** what gives back each subscription's place in its tenant's quota (PARTNER_MAX_SUBSCRIPTIONS), by the subscribe's payload */
  places?: Map<SubscribePayload, () => void>;
  /** the ids whose subscribe is being checked (from its message until onSubscribe answers) */
  pending?: Set<string>;
};

/** A client that keeps subscribing past the limit after this many refusals is cut off (close 1008). */
const REFUSALS_BEFORE_CLOSE = 20;

/** The reasons of a 4401: short, and never the token itself. */
const MISSING_TOKEN = 'Missing token: send { authorization: "Bearer <token>" } in connection_init';
const TOKEN_EXPIRED = 'Token expired';
const INVALID_TOKEN = 'Invalid token';
/** a close frame's reason is at most 123 bytes (RFC 6455) */
const MAX_REASON_BYTES = 123;

/**
 * Why a token was refused, as a close reason: "Token expired" when the token says it has expired
 * (the verifier's "Invalid or expired token" does not say which), else the refusal's own words (they
 * name a claim, never its value), cut to their first clause when too long for a close frame.
 */
function unauthorizedReason(err: GraphQLError, header: string, now: number): string {
  const token = /^Bearer\s+(\S+)$/i.exec(header.trim())?.[1];
  let exp: unknown;
  try {
    exp = token ? decodeJwt(token).exp : undefined;
  } catch {
    return INVALID_TOKEN; // not even a JWT
  }
  if (typeof exp === 'number' && exp * 1000 <= now) return TOKEN_EXPIRED;
  if (/^Invalid or expired token/.test(err.message)) return INVALID_TOKEN;
  if (Buffer.byteLength(err.message) <= MAX_REASON_BYTES) return err.message;
  const clause = err.message.split(':')[0];
  return Buffer.byteLength(clause) <= MAX_REASON_BYTES ? clause : INVALID_TOKEN;
}

function withCode(err: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(err.message, { nodes: err.nodes, source: err.source, positions: err.positions, extensions: { ...err.extensions, code } });
}

/** An error from anything the pipeline itself runs (authentication, the gate), as a GraphQL error with a code. */
function asGraphQLError(err: unknown): GraphQLError {
  if (err instanceof GraphQLError) return err;
  if (isDatabaseUnavailable(err)) return new ServiceUnavailableError();
  return new GraphQLError('Internal server error', { originalError: err as Error });
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The query and extensions of an HTTP request, as Apollo will read them: from the JSON body, or a GET's search parameters. */
function operationParams(req: Request): { query?: unknown; extensions?: unknown } {
  if (req.method === 'GET') {
    const { query, extensions } = req.query as Record<string, unknown>;
    if (typeof extensions !== 'string') return { query };
    try {
      return { query, extensions: JSON.parse(extensions) };
    } catch {
      return { query }; // Apollo answers invalid JSON there with a 400
    }
  }
  const body: unknown = req.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? body : {};
}

/**
 * Automatic persisted queries (Apollo's APQ, on by default): `extensions.persistedQuery` must be
 * `{ version: 1, sha256Hash }` with the lowercase hex SHA-256 of the query, the one Apollo computes.
 * Checked before Apollo reads it: Apollo answers a hash that does not match, or a version other than
 * 1, with an error without a code (an INTERNAL_SERVER_ERROR, logged as unexpected), and looks up a
 * hash that cannot be one (PERSISTED_QUERY_NOT_FOUND, as if a client could register it). Here each is
 * a BAD_REQUEST (400) saying what is wrong; a well-formed unknown hash still gets Apollo's
 * PERSISTED_QUERY_NOT_FOUND, the protocol's signal to send the query.
 */
function checkPersistedQuery(req: Request) {
  const { query, extensions } = operationParams(req);
  if (!extensions || typeof extensions !== 'object') return; // Apollo refuses that itself, with a code
  const persisted = (extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } }).persistedQuery;
  if (persisted === undefined) return;
  const refuse = (message: string) => {
    throw new AppError(ErrorCode.BAD_REQUEST, message, { http: { status: 400 } });
  };
  if (!persisted || typeof persisted !== 'object') refuse('extensions.persistedQuery must be an object: { version: 1, sha256Hash }');
  if (persisted.version !== 1) refuse('Unsupported persisted query version: extensions.persistedQuery.version must be 1');
  const hash = persisted.sha256Hash;
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) {
    refuse('extensions.persistedQuery.sha256Hash must be the SHA-256 of the query, as 64 lowercase hexadecimal characters');
  }
  if (typeof query === 'string' && createHash('sha256').update(query).digest('hex') !== hash) {
    refuse('The persisted query hash (extensions.persistedQuery.sha256Hash) is not the SHA-256 of the query');
  }
}

/**
 * One operation pipeline for both transports. HTTP (Apollo) and WebSocket (graphql-ws) share:
 * - parsing with the token limit, and validation with graphql's rules plus the limit rules
 *   (depth, aliases, directives);
 * - authentication (`authenticate`) and context building (`buildContext`: one scope per operation);
 * - the gate (per-IP limit without a token, variables, cost with variables), then the caller's cost
 *   budgets charged with that cost (src/pipeline/budgets.ts: 429 RATE_LIMITED beyond them);
 * - error formatting and logging (`formatError`).
 * The WebSocket runs only subscriptions, at most `maxSubscriptionsPerSocket` at a time.
 */
export class OperationPipeline {
  readonly gate: OperationGate;
  readonly rules;
  readonly parseOptions;
  /** each HTTP request's verified caller (`caller`) */
  private readonly callers = new WeakMap<Request, Promise<Principal | undefined>>();
  /** parsed and validated subscription documents by their text, as Apollo keeps them for HTTP */
  private readonly documents = new LRUCache<string, { document: DocumentNode } | { errors: readonly GraphQLError[] }>({ max: 1000 });

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly deps: AppDeps,
    private readonly services: Services,
    private readonly verifier: TokenVerifier,
    private readonly limits: OperationLimits,
    anonymous: AnonymousLimiter,
    readonly budgets: TenantBudgets,
    /** the metrics and the operations' log lines (src/observability/operations.ts) */
    readonly observer: OperationObserver,
    private readonly inFlight = new TenantInFlight(deps.config.partnerMaxInFlight),
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

  /**
   * Charges the operation's cost to the caller's budgets: RATE_LIMITED (HTTP 429, `Retry-After`, the
   * RateLimit headers) when one of them does not hold it, in which case nothing was taken.
   */
  async chargeBudgets(principal: Principal | undefined, cost: number): Promise<BudgetCharge | undefined> {
    const charge = await this.budgets.charge(principal, cost);
    if (!charge || charge.allowed) return charge;
    // held a moment (at most until it could pass): a client that ignores Retry-After and asks again at
    // once gets its refusals slowly instead of spending the server's turns on them
    const hold = Math.min(this.deps.config.rateLimitHoldMs, charge.retryAfterMs);
    if (hold > 0) await sleep(hold);
    const seconds = Math.max(1, Math.ceil(charge.retryAfterMs / 1000));
    const refusing = charge.buckets.find((b) => b.remaining < Math.min(cost, b.limit)) ?? charge.binding;
    this.observer.rateLimited(refusing.policy);
    const whose = refusing.policy === 'user' ? 'Your' : refusing.policy === 'partner' ? "Your partner's" : "Your customer's";
    throw new RateLimitedError(
      seconds,
      `${whose} budget of ${refusing.limit} cost points per minute holds ${refusing.remaining}; this operation costs ${cost}. Retry in ${seconds} s`,
      { policy: refusing.policy, cost: costExtension({ ...charge, binding: refusing }) },
      rateLimitHeaders(charge),
    );
  }

  /**
   * An answer given before Apollo (an idempotent replay, a key in use or reused) costs the request's
   * one point, like a document refused before it is priced, and carries the budgets' headers.
   */
  async budgetHeaders(principal: Principal, res: Response): Promise<void> {
    const charge = await this.budgets.charge(principal, 1);
    for (const [name, value] of charge ? rateLimitHeaders(charge) : []) res.setHeader(name, value);
  }

  /**
   * For an answer outside GraphQL (the audit export): charges `cost` and sets the budgets' headers on
   * `res`; RATE_LIMITED (with its own headers) when the budgets do not hold it.
   */
  async chargeRequest(principal: Principal, cost: number, res: Response): Promise<void> {
    const charge = await this.chargeBudgets(principal, cost);
    for (const [name, value] of charge ? rateLimitHeaders(charge) : []) res.setHeader(name, value);
  }

  /**
   * The verified caller of an HTTP request, verified once however many layers ask (the idempotency
   * keys' middleware, then Apollo's context): the same result, a refusal included.
   */
  caller(req: Request): Promise<Principal | undefined> {
    let verified = this.callers.get(req);
    if (!verified) {
      verified = this.authenticate(req.headers.authorization);
      this.callers.set(req, verified);
    }
    return verified;
  }

  /** `requestId`: the request's (src/common/request-id.ts), the correlation id of the changes it makes. */
  context(principal: Principal | undefined, ip: string, requestId: string): RequestContext {
    return buildContext(this.deps, this.services, principal, ip, requestId);
  }

  /**
   * The context of an HTTP operation (Apollo's `context`): the persisted-query extension checked, the
   * caller authenticated, introspection refused early where INTROSPECTION says so. An error here is
   * Apollo's answer as it stands (a 400, a 401). (`Cache-Control: no-store` for a request with a token
   * is set before any layer answers, in src/server.ts.)
   */
  async httpContext(req: Request): Promise<RequestContext> {
    checkPersistedQuery(req);
    // the test clock (TEST_CLOCK=true) as the servers sharing the database last moved it
    if (this.deps.clock.refresh) await this.deps.clock.refresh();
    const principal = await this.caller(req);
    const ip = req.ip ?? '';
    // introspection this caller may not run, refused before Apollo parses and validates it (the gate checks again)
    await this.gate.refuseIntrospectionText(operationParams(req).query, principal, ip);
    // set by the first middleware (src/pipeline/http.ts)
    return { ...this.context(principal, ip, requestIdOf(req) ?? currentRequestId() ?? newRequestId()), httpResponse: req.res };
  }

  /** Apollo's side: the same rules, parse options and error formatting, the gate as a plugin. */
  apolloOptions(): Pick<ApolloServerOptions<RequestContext>, 'validationRules' | 'parseOptions' | 'formatError'> & {
    plugin: ApolloServerPlugin<RequestContext>;
  } {
    const { gate, budgets, inFlight } = this;
    const charge = (principal: Principal | undefined, cost: number) => this.chargeBudgets(principal, cost);
    return {
      validationRules: this.rules,
      parseOptions: this.parseOptions,
      formatError,
      plugin: {
        requestDidStart() {
          return Promise.resolve({
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
              if (operation.operation === OperationTypeNode.SUBSCRIPTION) {
                throw new AppError(ErrorCode.BAD_REQUEST, 'Subscriptions run over WebSocket (the graphql-ws protocol) on this same path, not over HTTP', {
                  http: { status: 400 },
                });
              }
              const principal = contextValue.scope.principal;
              const running = currentOperation();
              describeOperation(operation, principal, running);
              const { cost, address } = await gate.admit({
                document,
                operation,
                operationName: request.operationName,
                variables: request.variables,
                principal,
                ip: contextValue.ip,
              });
              contextValue.budget = address;
              if (running) running.cost = cost;
              try {
                contextValue.budget ??= await charge(principal, cost);
              } catch (err) {
                // refused: the 429 carries its own RateLimit headers; nothing more is taken for it
                contextValue.refused = true;
                throw err;
              }
              // the tenant's turn (PARTNER_MAX_IN_FLIGHT at once), ended when the answer is sent, or the response closes first
              const leave = await inFlight.enter(principal);
              contextValue.leave = leave;
              contextValue.httpResponse?.once('close', leave);
            },
            async willSendResponse({ request, response, contextValue }) {
              contextValue.leave?.();
              // the caller's budgets, on every answer: what this operation took, or (refused before it was
              // priced: a document that does not parse or validate) one point for the request itself
              const principal = contextValue.scope.principal;
              if (!contextValue.refused && !contextValue.budget && principal) contextValue.budget = await budgets.charge(principal, 1);
              const budget = contextValue.budget;
              if (budget) {
                for (const [name, value] of rateLimitHeaders(budget)) response.http.headers.set(name, value);
                if (budget.binding.policy !== 'address' && response.body.kind === 'single') {
                  const result = response.body.singleResult;
                  result.extensions = { ...result.extensions, cost: costExtension(budget) };
                }
              }
              // an answer to a request with a token is that caller's own: no cache may keep it (errors too;
              // Apollo's PERSISTED_QUERY_NOT_FOUND carries its own Cache-Control, replaced here)
              if (request.http?.headers.get('authorization')) response.http.headers.set('cache-control', 'no-store');
              // a database outage found while executing: tell clients to retry (formatError named it)
              if (response.body.kind === 'single' && response.body.singleResult.errors?.some((e) => e.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)) {
                response.http.status = 503;
              }
            },
          });
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
      // no "Did you mean …" where the schema is not public (as Apollo's hideSchemaDetailsFromClientErrors for HTTP)
      const invalid = validate(this.schema, document, [...specifiedRules, ...this.rules], { hideSuggestions: this.limits.introspection !== 'on' });
      result = invalid.length ? { errors: invalid.map((e) => withCode(e, VALIDATION_FAILED)) } : { document };
    } catch (err) {
      result = { errors: [withCode(asGraphQLError(err), 'GRAPHQL_PARSE_FAILED')] };
    }
    // only short documents are kept: a huge one is refused anyway and must not fill the cache
    if (query.length <= 20_000) this.documents.set(query, result);
    return result;
  }

  /**
   * graphql-ws's side: authentication once per socket, then every subscribe through the same steps.
   * `clientAddress` reads the caller's address from the upgrade request (behind a proxy, the client's).
   * `sockets` counts the open sockets of each user and address (src/pipeline/sockets.ts).
   */
  websocketOptions(
    clientAddress: (req: IncomingMessage) => string = (req) => req.socket.remoteAddress ?? '',
    sockets = new SocketCounter(this.deps.config.maxSocketsPerPrincipal),
    tenants = new TenantSubscriptions(this.deps.config.partnerMaxSubscriptions),
  ): ServerOptions<Record<string, unknown> | undefined, Extra & Partial<SocketExtra>> {
    const { schema } = this;
    const { maxSocketsPerPrincipal, wsMaxBuffered } = this.deps.config;
    // the time tokens are read against: the one their signatures were checked against (src/common/auth/jwt.ts)
    const { tokenClock } = this.deps;
    const shared = new SharedSubscriptions(this.observer.pushed);
    // each subscribe's request id, by its message's payload (the one object all its hooks get)
    const operationIds = new WeakMap<object, string>();
    const tracing = activeTracing();
    return {
      schema,
      // one execution per event and audience, not per subscriber (src/pipeline/fanout.ts)
      subscribe: shared.subscribe,
      // Authenticate once per socket (signature, claims, the named partner or customer exists). No
      // subscription field answers without a token, so a socket without one, or with a bad or expired
      // one, is closed at once with 4401 (graphql-ws's Unauthorized, which its clients do not retry).
      // Then the socket counts against its user's share: one beyond is closed with 4429.
      onConnect: async (ctx) => {
        const { socket } = ctx.extra;
        // the socket's request id: its upgrade's x-request-id (a malformed one closes it, 4400), or a new one
        try {
          ctx.extra.requestId = clientRequestId(ctx.extra.request.headers[REQUEST_ID_HEADER], REQUEST_ID_HEADER) ?? newRequestId();
        } catch (err) {
          shut(socket, SocketClose.BAD_REQUEST, (err as Error).message.slice(0, 120));
          return false;
        }
        ctx.extra.ip = clientAddress(ctx.extra.request);
        const params = ctx.connectionParams ?? {};
        const header = params.authorization ?? params.Authorization;
        const unauthorized = (reason: string) => {
          shut(socket, SocketClose.UNAUTHORIZED, reason);
          return false;
        };
        if (header === undefined || header === null || header === '') return unauthorized(MISSING_TOKEN);
        const text = typeof header === 'string' ? header : JSON.stringify(header);
        let principal: Principal | undefined;
        try {
          principal = await this.authenticate(text);
        } catch (err) {
          if (err instanceof GraphQLError && err.extensions.code === ErrorCode.UNAUTHENTICATED)
            return unauthorized(unauthorizedReason(err, text, tokenClock.now()));
          // the token could not be checked now (the database is unreachable, or an unexpected failure):
          // 1013, "try again later", which graphql-ws clients retry
          const unavailable = err instanceof GraphQLError && err.extensions.code === ErrorCode.SERVICE_UNAVAILABLE;
          if (!unavailable) logger.error({ err: err instanceof GraphQLError ? (err.originalError ?? err) : err }, 'WebSocket sign-in failed');
          shut(socket, SocketClose.TRY_AGAIN_LATER, unavailable ? 'Database unavailable; retry later' : 'The token could not be checked; retry later');
          return false;
        }
        if (!principal) return unauthorized(MISSING_TOKEN);
        // the token's own clock: the one its signature was checked against (src/common/auth/jwt.ts)
        const lifeLeft = principal.expiresAt === undefined ? Infinity : principal.expiresAt - tokenClock.now();
        // accepted within jose's clock tolerance, but a socket must not outlive its token: refused rather than acknowledged and closed
        if (lifeLeft <= 0) return unauthorized(TOKEN_EXPIRED);
        const admitted = sockets.admit(socket, socketOwner(principal));
        if (admitted === 'full') {
          shut(socket, SocketClose.TOO_MANY_SOCKETS, `Too many open sockets for this user (limit ${maxSocketsPerPrincipal}); close one first`);
        }
        if (admitted !== 'admitted') return false;
        ctx.extra.principal = principal;
        // The socket lives no longer than its token: closed (4401) when the token expires.
        if (lifeLeft !== Infinity) {
          ctx.extra.cancelExpiry = tokenClock.after(lifeLeft, () => shut(socket, SocketClose.UNAUTHORIZED, TOKEN_EXPIRED));
        }
        return true;
      },
      onClose: (ctx) => {
        ctx.extra.cancelExpiry?.();
        // the socket's subscriptions end with it: their places in the tenant's quota are given back
        for (const giveBack of ctx.extra.places?.values() ?? []) giveBack();
        ctx.extra.places?.clear();
      },
      // a subscription completed by either side (or refused by its resolver) gives its place back
      onComplete: (ctx, _id, payload) => {
        ctx.extra.places?.get(payload)?.();
        ctx.extra.places?.delete(payload);
      },
      onSubscribe: (ctx, id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> | readonly GraphQLError[] => {
        // An id completed and subscribed again while its first subscribe is still being checked: graphql-ws
        // would run both under one id (and lose the first one's stream). Refused as graphql-ws refuses
        // an id already live: the socket is closed with 4409, which gives back everything it held.
        const pending = (ctx.extra.pending ??= new Set());
        if (pending.has(id)) {
          shut(ctx.extra.socket, SocketClose.SUBSCRIBER_ALREADY_EXISTS, `Subscriber for ${id.slice(0, 40)} is still being set up`, { stopReading: true });
          return [new GraphQLError('Subscription id already in use', { extensions: { code: ErrorCode.BAD_REQUEST } })];
        }
        // the operation's request id: the payload's `extensions.requestId`, else `<the socket's>.<n>`
        ctx.extra.operations = (ctx.extra.operations ?? 0) + 1;
        const ownId = operationRequestId(ctx.extra.requestId ?? newRequestId(), ctx.extra.operations);
        operationIds.set(payload, ownId);
        let requestId: string;
        try {
          requestId = clientRequestId((payload.extensions as { requestId?: unknown } | null | undefined)?.requestId, 'extensions.requestId') ?? ownId;
        } catch (err) {
          // refused before its steps: still one operation, counted and logged under the socket's own id
          withRequestId(ownId, () => this.observer.finished('ws', currentOperation()!, 0, ErrorCode.BAD_USER_INPUT));
          return [err as GraphQLError];
        }
        operationIds.set(payload, requestId);
        pending.add(id);
        // what the steps log carries the id; traces on, they run in the subscribe's span. The subscribe is
        // observed (metrics, its log line) once it is set up or refused
        const started = process.hrtime.bigint();
        return withRequestId(requestId, async () => {
          const running = currentOperation()!;
          try {
            const args = await (tracing
              ? tracing.traceSubscribe({ operationName: payload.operationName, requestId, principal: ctx.extra.principal }, () =>
                  this.subscribeArgs(ctx, id, payload, requestId, tenants),
                )
              : this.subscribeArgs(ctx, id, payload, requestId, tenants));
            if (Array.isArray(args)) noteErrorCode((args as readonly GraphQLError[])[0]?.extensions?.code, running);
            return args;
          } finally {
            pending.delete(id);
            this.observer.finished('ws', running, Number(process.hrtime.bigint() - started) / 1e9, 'OK');
          }
        });
      },
      // A socket that went away while a push was being written fails that write: graphql-ws reports it
      // here, but nothing can be sent any more and nothing is logged (a client that vanishes is no
      // server error); the placeholder only satisfies graphql-ws's message check.
      onError: (ctx, _id, payload, errors) =>
        ctx.extra.socket.readyState === ctx.extra.socket.OPEN
          ? errors.map((e) => formatError(e.toJSON(), e, operationIds.get(payload)))
          : [{ message: 'The socket is closed' }],
      onNext: (ctx, _id, payload, _args, result) => {
        // before each push: a socket whose reader has fallen too far behind is closed (1013) instead
        // of queueing more. graphql-ws then sends nothing more (the socket is no longer open); once
        // dropped, the socket's subscriptions are returned and leave the event hub.
        shutIfSlow(ctx.extra.socket, wsMaxBuffered);
        return result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e, operationIds.get(payload))) } : undefined;
      },
    };
  }

  /** A subscribe's steps once it has its request id: the socket's limits, parse and validate, the gate; its context. */
  private async subscribeArgs(
    ctx: Context<Record<string, unknown> | undefined, Extra & Partial<SocketExtra>>,
    id: string,
    payload: SubscribePayload,
    requestId: string,
    tenants: TenantSubscriptions,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> {
    const { schema, limits } = this;
    try {
      // the id comes back in every message of the subscription, and graphql-ws keeps it as a key
      if (id.length > MAX_SUBSCRIPTION_ID_LENGTH) {
        shut(ctx.extra.socket, SocketClose.BAD_REQUEST, `Subscription id longer than ${MAX_SUBSCRIPTION_ID_LENGTH} characters`, { stopReading: true });
        return [new GraphQLError('Subscription id too long', { extensions: { code: ErrorCode.BAD_REQUEST } })];
      }
      // graphql-ws has already registered this one
      if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerSocket) {
        ctx.extra.refusedOverLimit = (ctx.extra.refusedOverLimit ?? 0) + 1;
        if (ctx.extra.refusedOverLimit === REFUSALS_BEFORE_CLOSE) {
          // say why, then stop reading what it has already sent
          shut(ctx.extra.socket, SocketClose.POLICY_VIOLATION, 'Too many subscriptions: the limit per socket was ignored', { stopReading: true });
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
      if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
        return [
          new GraphQLError(`Only subscriptions run over WebSocket; send this ${operation.operation} as an HTTP POST`, {
            extensions: { code: ErrorCode.BAD_REQUEST },
          }),
        ];
      }
      const { principal } = ctx.extra;
      const ip = ctx.extra.ip ?? '';
      const running = currentOperation();
      describeOperation(operation, principal, running);
      const { cost } = await this.gate.admit({ document, operation, operationName: payload.operationName, variables: payload.variables, principal, ip });
      if (running) running.cost = cost;
      // one more live subscription for the caller's tenant (PARTNER_MAX_SUBSCRIPTIONS across its sockets)
      const place = principal ? tenants.take(principal) : () => {};
      if (!place) {
        const { partnerMaxSubscriptions } = this.deps.config;
        return [
          new GraphQLError(
            `Your ${principal?.kind ?? 'tenant'}'s users already have ${partnerMaxSubscriptions} live subscriptions, the limit; complete one first`,
            {
              extensions: { code: ErrorCode.BAD_REQUEST, limit: partnerMaxSubscriptions },
            },
          ),
        ];
      }
      // the live subscriptions by field (ws_subscriptions) follow the places: counted now, uncounted when the place is given back
      const giveBack = this.observer.subscriptionStarted(operation, place);
      let budget: BudgetCharge | undefined;
      try {
        budget = await this.chargeBudgets(principal, cost);
      } catch (err) {
        giveBack();
        throw err;
      }
      const places = (ctx.extra.places ??= new Map());
      places.set(payload, giveBack);
      // the socket closed while this was checked (onClose has run), or the client completed the id meanwhile
      // (graphql-ws then drops the stream without onComplete): the place is given back now
      if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN || !(id in ctx.subscriptions)) {
        giveBack();
        places.delete(payload);
      }
      return {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        // a fresh context (a fresh scope with fresh loaders) for every operation on the socket
        contextValue: {
          ...this.context(principal, ip, requestId),
          budget,
          chargeMore: async (more: number) => void (await this.chargeBudgets(principal, more)),
          fallingBehind: () => shutSlow(ctx.extra.socket),
          // where a shared push may be written directly (src/pipeline/fanout.ts)
          pushTo: { socket: ctx.extra.socket, id } satisfies PushTarget,
        },
      };
    } catch (err) {
      return [asGraphQLError(err)];
    }
  }
}
