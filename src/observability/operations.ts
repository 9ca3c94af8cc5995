import type { RequestHandler } from 'express';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Principal } from '../common/auth/principal';
import { logger } from '../common/logger';
import { currentOperation, type RunningOperation } from '../common/request-id';
import { type Metrics, NO_OPERATION, OTHER_OPERATION, type Transport } from './metrics';

/** The code of an answer refused outside GraphQL (a body the JSON parser refused, a replayed key, …), by its status. */
const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** What the running operation is, once its document is resolved: name, type, caller. */
export function describeOperation(operation: OperationDefinitionNode, principal: Principal | undefined, running = currentOperation()): void {
  if (!running) return;
  running.name = operation.name?.value ?? '';
  running.type = operation.operation;
  if (principal) running.caller = { kind: principal.kind, userId: principal.userId, partnerId: principal.partnerId, customerId: principal.customerId };
}

/** Notes the first error code of the running operation's answer (src/pipeline/format-error.ts calls it for every error). */
export function noteErrorCode(code: unknown, running = currentOperation()): void {
  if (running && running.code === undefined && typeof code === 'string') running.code = code;
}

/**
 * Every operation, over HTTP and WebSocket, ends here: counted in the metrics (when they are on), and
 * written as one log line at info with its request id, name, type, caller ids, duration, code and
 * cost; one slower than SLOW_OPERATION_MS is written at warn, with the number of SQL statements it ran.
 */
export class OperationObserver {
  constructor(
    readonly metrics: Metrics | undefined,
    private readonly slowOperationMs: number,
  ) {}

  /** An operation's end. `fallbackCode`: its code when none was noted (OK, or one read from the HTTP status). */
  finished(transport: Transport, running: RunningOperation, seconds: number, fallbackCode: string): void {
    const code = running.code ?? fallbackCode;
    const type = running.type ?? NO_OPERATION;
    const metrics = this.metrics;
    if (metrics) {
      // a new name is kept only for a signed-in caller's admitted operation (OperationNames)
      const operation = metrics.operationNames.label(running.name, running.caller !== undefined && running.cost !== undefined && code !== 'RATE_LIMITED');
      metrics.operations.inc({ operation, type, transport, code });
      metrics.operationDuration.observe({ operation, type, transport }, seconds);
      if (running.cost !== undefined) metrics.operationCost.observe({ type }, running.cost);
    }
    const durationMs = Math.round(seconds * 1e6) / 1e3;
    const slow = durationMs > this.slowOperationMs;
    if (!logger.isLevelEnabled(slow ? 'warn' : 'info')) return;
    const line = {
      requestId: running.requestId,
      transport,
      operation: running.name === undefined ? null : running.name || '(anonymous)',
      type: running.type ?? null,
      ...running.caller,
      durationMs,
      code,
      cost: running.cost ?? null,
    };
    if (slow) logger.warn({ ...line, sql: running.sql }, 'slow operation');
    else logger.info(line, 'operation');
  }

  /**
   * For the GraphQL path, after the request id is assigned: each request is observed when its response
   * closes, whichever layer answered it (Apollo, the JSON parser, an idempotent replay, the drain).
   * What is not an operation (a CORS preflight, the explorer's page) is not counted.
   */
  readonly http: RequestHandler = (req, res, next) => {
    const running = currentOperation();
    if (!running || req.method === 'OPTIONS') return next();
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const status = res.statusCode;
      // a GET answered with a page (the explorer) ran no operation
      if (running.type === undefined && running.code === undefined && status < 400 && !/json/.test(String(res.getHeader('content-type') ?? ''))) return;
      const fallback = status < 400 ? 'OK' : (STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : `HTTP_${status}`));
      this.finished('http', running, Number(process.hrtime.bigint() - started) / 1e9, fallback);
    });
    next();
  };

  /**
   * A subscription admitted: counted live by its field (ws_subscriptions) until `place` (its place in
   * its tenant's quota) is given back; returns what gives it back and uncounts it, once.
   */
  subscriptionStarted(operation: OperationDefinitionNode, place: () => void): () => void {
    const metrics = this.metrics;
    if (!metrics) return place;
    const first = operation.selectionSet.selections[0];
    const field = first?.kind === Kind.FIELD ? first.name.value : OTHER_OPERATION;
    metrics.wsSubscriptions.inc({ field });
    let given = false;
    return () => {
      if (given) return;
      given = true;
      place();
      metrics.wsSubscriptions.dec({ field });
    };
  }

  /** A subscription's push of `payload` (an event: the time since its commit is observed) about to be written to its socket. */
  readonly pushed = (payload: unknown): void => {
    const committedAt = (payload as { committedAt?: unknown } | null)?.committedAt;
    if (this.metrics && typeof committedAt === 'number') this.metrics.eventPushDuration.observe(Math.max(0, Date.now() - committedAt) / 1000);
  };

  /** A refusal by a budget (`scope`: partner, customer, user or address). */
  rateLimited(scope: string): void {
    this.metrics?.rateLimited.inc({ scope });
  }
}
