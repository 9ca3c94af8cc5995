import cors from 'cors';
import type { ErrorRequestHandler, Express, Request, RequestHandler } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '../common/config';
import { logger } from '../common/logger';

/** Every refusal outside GraphQL still answers GraphQL-shaped JSON: never an HTML page, never a stack. */
function sendError(res: Parameters<RequestHandler>[1], status: number, code: string, message: string) {
  res.status(status).type('application/json').send(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
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
    allowedHeaders: ['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name'],
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
export const jsonErrors: ErrorRequestHandler = (err, _req, res, _next) => {
  const status = Number(err?.status ?? err?.statusCode) || 500;
  const known = BODY_ERRORS[String(err?.type)];
  if (known) return sendError(res, status, known[0], known[1]);
  if (status >= 500) {
    logger.error({ err }, 'unexpected HTTP error');
    return sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  }
  return sendError(res, status, 'BAD_REQUEST', 'Bad request');
};
