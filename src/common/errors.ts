import { GraphQLError } from 'graphql';

/**
 * The error codes clients can rely on (`extensions.code`). Modules throw these typed errors;
 * `formatError` in server.ts is the one place that maps anything else.
 */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  /** the operation does not fit this transport or a per-socket quota */
  BAD_REQUEST = 'BAD_REQUEST',
  /** over a budget (a tenant's or a user's cost points, or an address's operations without a token): retry after `retryAfterSeconds` */
  RATE_LIMITED = 'RATE_LIMITED',
  /** an `Idempotency-Key` sent again with another request body (HTTP 422): a new request needs a new key */
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  /** the request that first sent this `Idempotency-Key` is still running (HTTP 409): retry after `Retry-After` */
  IDEMPOTENCY_KEY_IN_USE = 'IDEMPOTENCY_KEY_IN_USE',
  /** the database cannot be reached: retry later (HTTP 503) */
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

export interface FieldProblem {
  /** dotted path of the failing input field, e.g. `input.address.country` */
  field: string;
  message: string;
}

export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required: send Authorization: Bearer <token>') {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Your role does not allow this operation') {
    super(ErrorCode.FORBIDDEN, message);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id?: string) {
    super(ErrorCode.NOT_FOUND, id ? `${what} ${id} not found` : `${what} not found`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(ErrorCode.CONFLICT, message);
  }
}

export class RateLimitedError extends AppError {
  /**
   * HTTP 429 with `Retry-After`. `headers`: more of the answer's headers (the budgets' RateLimit
   * fields); `extensions`: more of the error's (what was asked and what is left).
   */
  constructor(
    retryAfterSeconds: number,
    message = `Too many requests without a token from this address; retry in ${retryAfterSeconds} s`,
    extensions: Record<string, unknown> = {},
    headers: [string, string][] = [],
  ) {
    super(ErrorCode.RATE_LIMITED, message, {
      retryAfterSeconds,
      ...extensions,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)], ...headers]) },
    });
  }
}

export class ServiceUnavailableError extends AppError {
  constructor() {
    super(ErrorCode.SERVICE_UNAVAILABLE, 'The database is unavailable; retry shortly', { http: { status: 503 } });
  }
}

export class UserInputError extends AppError {
  constructor(problems: FieldProblem[]) {
    super(ErrorCode.BAD_USER_INPUT, `Invalid input: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, {
      fields: [...new Set(problems.map((p) => p.field))],
      problems,
    });
  }

  static field(field: string, message: string): UserInputError {
    return new UserInputError([{ field, message }]);
  }
}
