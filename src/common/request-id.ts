import { AsyncLocalStorage } from 'node:async_hooks';
import { UserInputError } from './errors';
import { newId } from './ids';

/**
 * Request ids (correlation ids). Every HTTP request and every WebSocket operation has one: the
 * client's own (`x-request-id`, or a subscribe's `extensions.requestId`) when it is 1–64 characters of
 * `[A-Za-z0-9._-]`, else a new UUIDv7. It comes back in the `x-request-id` response header and in every
 * error's `extensions.requestId`, is in every log line written while the request runs (the logger reads
 * it from here), and is stored as `correlationId` on the audit records and events the request caused.
 */

export const REQUEST_ID_HEADER = 'x-request-id';
export const REQUEST_ID_MAX_LENGTH = 64;
const REQUEST_ID_FORMAT = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The client's request id as sent in `param`: undefined when there is none (absent or empty: the
 * server makes one), a `UserInputError` naming `param` when it is not one (it is never echoed).
 */
export function clientRequestId(value: unknown, param: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' && REQUEST_ID_FORMAT.test(value)) return value;
  const sent = typeof value === 'string' ? `${value.length} characters` : `a ${Array.isArray(value) ? 'list' : typeof value}`;
  throw UserInputError.field(param, `a request id is 1 to ${REQUEST_ID_MAX_LENGTH} characters of A-Z, a-z, 0-9, ".", "_" and "-" (got ${sent})`);
}

/** A new request id. */
export function newRequestId(): string {
  return newId();
}

/**
 * The id of the `n`th operation on a socket opened with `connectionId`: `<connectionId>.<n>`, or a new
 * id where that would be longer than a request id may be.
 */
export function operationRequestId(connectionId: string, n: number): string {
  const id = `${connectionId}.${n}`;
  return id.length <= REQUEST_ID_MAX_LENGTH ? id : newRequestId();
}

/**
 * What is known of the operation being run, gathered as it runs and read when it ends (the metrics
 * and the operation's log line, src/observability/operations.ts): its request id, the SQL statements
 * it ran so far, and, once known, its name, type, cost, caller and first error code.
 */
export interface RunningOperation {
  readonly requestId: string;
  /** SQL statements run so far (src/common/database.ts counts them) */
  sql: number;
  /** the operation's name from the document (undefined: not resolved; '' anonymous) */
  name?: string;
  /** query, mutation or subscription, once the document is resolved */
  type?: string;
  /** the first error code of its answer */
  code?: string;
  /** the cost it was charged */
  cost?: number;
  /** the caller's ids (never its token) */
  caller?: { kind: string; userId: string; partnerId?: string; customerId?: string };
}

const running = new AsyncLocalStorage<RunningOperation>();

/** Runs `fn` as part of the request `requestId`: what it logs (sync or async) carries the id. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return running.run({ requestId, sql: 0 }, fn);
}

/**
 * Runs `fn` outside any request: for background work a request only starts (a worker it wakes), which
 * goes on for later requests too and must not log under this one's id, nor make spans in its trace.
 */
export function outsideRequest<T>(fn: () => T): T {
  return running.exit(outsideTrace ? () => outsideTrace!(fn) : fn);
}

/** with traces on (src/observability/tracing.ts): what runs `fn` outside the current trace */
let outsideTrace: (<T>(fn: () => T) => T) | undefined;

/** Traces on: background work (outsideRequest) leaves the request's trace too. */
export function setOutsideTrace(hook: <T>(fn: () => T) => T): void {
  outsideTrace = hook;
}

/** The id of the request being run, if any. */
export function currentRequestId(): string | undefined {
  return running.getStore()?.requestId;
}

/** The operation being run, if any (see RunningOperation). */
export function currentOperation(): RunningOperation | undefined {
  return running.getStore();
}
