import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isDatabaseUnavailable, isUniqueViolation } from '../common/database';
import { AppError, ErrorCode } from '../common/errors';
import { logger } from '../common/logger';
import { currentOperation, currentRequestId, withRequestId } from '../common/request-id';
import { noteErrorCode } from '../observability/operations';

const CLIENT_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Refusals of what a client sent (bad input, a document over a limit, a malformed request, too many
 * requests) are logged at warn; those of the ordinary flow (FORBIDDEN, NOT_FOUND, CONFLICT, an APQ
 * hash not yet registered, which every new query of an APQ client gets once) at debug.
 */
const WARN_CODES = new Set<string>([ErrorCode.BAD_USER_INPUT, 'GRAPHQL_VALIDATION_FAILED', ErrorCode.RATE_LIMITED, 'BAD_REQUEST']);

/** What the log keeps of a refusal: its code, the fields it names and a bounded message, never the input values. */
function logRefusal(formatted: GraphQLFormattedError, code: string) {
  const fields = formatted.extensions?.fields;
  const level = WARN_CODES.has(code) ? 'warn' : 'debug';
  logger[level]({ code, fields, path: formatted.path, message: formatted.message.slice(0, 200) }, 'operation refused');
}

/** The formatted error without transport details (`http`) or internals (`stacktrace`). */
function clientError(formatted: GraphQLFormattedError, extensions: Record<string, unknown>): GraphQLFormattedError {
  const { http: _http, stacktrace: _stack, ...rest } = extensions;
  return { ...formatted, extensions: rest };
}

/** A GraphQLError Apollo raised about the request itself: no code, no cause, an HTTP status 4xx. */
function isApolloRequestError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.originalError || error.extensions.code) return false;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * The one place errors become responses, for HTTP and WebSocket alike: typed errors keep their
 * code, a unique-key race is a CONFLICT, an unreachable database is SERVICE_UNAVAILABLE, and
 * anything unexpected is logged with its stack and answered without internals. Every error carries
 * its request id (`extensions.requestId`): `requestId`, else the one of the request being run.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, requestId = currentRequestId()): GraphQLFormattedError {
  const running = currentOperation();
  if (!requestId) {
    const out = answer(formatted, error);
    noteErrorCode(out.extensions?.code, running);
    return out;
  }
  // what is logged while formatting carries the id too
  const out = withRequestId(requestId, () => answer(formatted, error));
  // the operation's first error code, for its metrics and log line (src/observability/operations.ts)
  noteErrorCode(out.extensions?.code, running);
  return { ...out, extensions: { ...out.extensions, requestId } };
}

function answer(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  let code = formatted.extensions?.code;
  if (code === ErrorCode.INTERNAL_SERVER_ERROR && isApolloRequestError(original)) {
    // Apollo's own refusal of the request (e.g. of its persisted-query extension) has a 4xx and no code
    code = 'BAD_REQUEST';
    formatted = { ...formatted, extensions: { ...formatted.extensions, code } };
  }
  if (original instanceof AppError || (typeof code === 'string' && CLIENT_CODES.has(code) && code !== (ErrorCode.INTERNAL_SERVER_ERROR as string))) {
    const refused = clientError(formatted, formatted.extensions ?? {});
    logRefusal(refused, String(refused.extensions?.code));
    return refused;
  }
  if (isUniqueViolation(original)) {
    return { ...formatted, message: 'This conflicts with an existing record', extensions: { code: ErrorCode.CONFLICT } };
  }
  if (isDatabaseUnavailable(original)) {
    logger.warn({ err: { message: (original as Error).message, code: (original as { code?: string }).code } }, 'database unavailable');
    return {
      message: 'The database is unavailable; retry shortly',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
    };
  }
  // graphql-js's own errors about the document (over WebSocket they carry no code)
  if (original instanceof GraphQLError && !original.originalError && !code) return formatted;
  logger.error({ err: original, path: formatted.path }, 'unexpected error');
  return {
    message: 'Internal server error',
    path: formatted.path,
    locations: formatted.locations,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}
