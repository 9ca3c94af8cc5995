import type { IncomingMessage } from 'node:http';
import cors from 'cors';
import type { ErrorRequestHandler, Express, Request, RequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import helmet from 'helmet';
import type { AppConfig } from '../common/config';
import { logger } from '../common/logger';
import { clientRequestId, newRequestId, REQUEST_ID_HEADER, withRequestId } from '../common/request-id';
import { formatError } from './format-error';

const requestIds = new WeakMap<IncomingMessage, string>();

/** The request id `assignRequestId` gave an HTTP request. */
export function requestIdOf(req: IncomingMessage | undefined): string | undefined {
  return req ? requestIds.get(req) : undefined;
}

/**
 * Every request gets its request id (src/common/request-id.ts): the client's `x-request-id`, or a new
 * one. It is echoed in the `x-request-id` response header whichever layer answers, and the rest of the
 * request runs with it (its log lines and errors carry it). An `x-request-id` that is not a request id
 * is refused before anything runs: 400, BAD_USER_INPUT naming `x-request-id`, with a new id.
 */
export const assignRequestId: RequestHandler = (req, res, next) => {
  let sent: string | undefined;
  let refusal: unknown;
  try {
    sent = clientRequestId(req.headers[REQUEST_ID_HEADER], REQUEST_ID_HEADER);
  } catch (err) {
    refusal = err;
  }
  const requestId = sent ?? newRequestId();
  requestIds.set(req, requestId);
  res.setHeader(REQUEST_ID_HEADER, requestId);
  if (refusal instanceof GraphQLError) {
    res
      .status(400)
      .type('application/json')
      .send(JSON.stringify({ errors: [formatError(refusal.toJSON(), refusal, requestId)] }));
    return;
  }
  withRequestId(requestId, next);
};

/** Every refusal outside GraphQL still answers GraphQL-shaped JSON (with the request id): never an HTML page, never a stack. */
export function sendError(res: Parameters<RequestHandler>[1], status: number, code: string, message: string, headers: Record<string, string> = {}) {
  const requestId = requestIdOf(res.req);
  res
    .status(status)
    .set(headers)
    .type('application/json')
    .send(JSON.stringify({ errors: [{ message, extensions: { code, requestId } }] }));
}

/** body-parser's error types, answered in words that do not echo the body. */
const BODY_ERRORS: Record<string, [string, string]> = {
  'entity.parse.failed': ['BAD_REQUEST', 'The body is not valid JSON'],
  'entity.too.large': ['PAYLOAD_TOO_LARGE', 'The body is too large'],
  'encoding.unsupported': ['UNSUPPORTED_MEDIA_TYPE', 'Unsupported content encoding'],
  'charset.unsupported': ['UNSUPPORTED_MEDIA_TYPE', 'Unsupported charset; send UTF-8'],
  'request.aborted': ['BAD_REQUEST', 'The request was aborted'],
  'request.size.invalid': ['BAD_REQUEST', 'The body does not match its Content-Length'],
};

/**
 * Security headers (helmet) on every response. The content security policy is strict
 * (`default-src 'none'`) except where `ownPolicy` says a page sets its own (Apollo Sandbox sets it
 * in the page; the server's own pages send theirs, src/web/html.ts).
 */
export function securityHeaders(app: Express, ownPolicy: (req: Request) => boolean) {
  app.use(helmet({ contentSecurityPolicy: false }));
  const strictCsp = helmet.contentSecurityPolicy({ useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } });
  app.use((req, res, next) => (ownPolicy(req) ? next() : strictCsp(req, res, next)));
}

/** CORS from CORS_ORIGINS (`*`: any origin, the development default; production must list them). */
export function corsPolicy(config: Pick<AppConfig, 'corsOrigins'>): RequestHandler {
  return cors<cors.CorsRequest>({
    origin: config.corsOrigins === '*' ? true : config.corsOrigins,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name', REQUEST_ID_HEADER, 'idempotency-key'],
    // a page may read an answer's request id (to quote it), whether it is a replay, when to retry, where its budgets stand
    exposedHeaders: [REQUEST_ID_HEADER, 'idempotent-replayed', 'retry-after', 'ratelimit', 'ratelimit-policy'],
    maxAge: 600,
  });
}

/** A POST must be JSON: anything else is a clear 415 (not a 500 from a missing body). */
export const requireJsonBody: RequestHandler = (req, res, next) => {
  if (req.method === 'POST' && !req.is('application/json')) {
    return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the operation as JSON with Content-Type: application/json');
  }
  next();
};

/** Unknown routes: JSON 404. */
export const notFound: RequestHandler = (req, res) => sendError(res, 404, 'NOT_FOUND', `No route ${req.method} ${req.path}`);

/** The last error handler: body-parser's refusals by type, anything else a logged 500 without details. */
export const jsonErrors: ErrorRequestHandler = (err, req, res, _next) => {
  const failure = (err ?? {}) as { status?: unknown; statusCode?: unknown; type?: unknown };
  const status = Number(failure.status ?? failure.statusCode) || 500;
  const known = BODY_ERRORS[String(failure.type)];
  if (known) return sendError(res, status, known[0], known[1]);
  if (status >= 500) {
    logger.error({ err, requestId: requestIdOf(req) }, 'unexpected HTTP error');
    return sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  }
  return sendError(res, status, 'BAD_REQUEST', 'Bad request');
};
