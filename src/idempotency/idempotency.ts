import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { getOperationAST, OperationTypeNode, parse, type ParseOptions } from 'graphql';
import type { Principal } from '../common/auth/principal';
import { isDatabaseUnavailable } from '../common/database';
import { ErrorCode } from '../common/errors';
import { logger } from '../common/logger';
import { requestIdOf, sendError } from '../pipeline/http';
import { type IdempotencyStore, principalKey } from './idempotency.store';

/**
 * Idempotent mutations (the IETF `Idempotency-Key` draft, as Stripe has them). A mutation sent with an
 * `Idempotency-Key` header runs once: its answer is stored with the key, the caller and the hash of the
 * request body, and the same key with the same body gets that answer again, byte for byte, with
 * `Idempotent-Replayed: true`, from any server on the database, until IDEMPOTENCY_TTL. The same key with
 * another body is 422 IDEMPOTENCY_KEY_REUSED; while the first request runs, 409 IDEMPOTENCY_KEY_IN_USE.
 *
 * Stored: the answers of an operation that ran (2xx, errors of its fields included: a mutation with
 * two fields may have made the first change when the second failed). Not stored, so the key can be
 * sent again: every refusal before anything ran (400 parse, validation and variables; 401; 429) and
 * server errors (5xx). Keys on queries are ignored (a query is safe to repeat).
 */

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
/** 1–255 printable ASCII characters (space to tilde) */
const KEY_FORMAT = /^[\x20-\x7e]{1,255}$/;
export const MAX_KEY_LENGTH = 255;

const rawBodies = new WeakMap<IncomingMessage, Buffer>();

/** express.json's `verify`: keeps the body's bytes, whose hash a key is bound to. */
export function keepRawBody(req: IncomingMessage, _res: ServerResponse, body: Buffer): void {
  rawBodies.set(req, body);
}

/** The operation a POST body asks for: undefined when it is not one this layer can read (Apollo answers it). */
function mutationOf(body: unknown, parseOptions: ParseOptions): 'mutation' | 'other' | 'unknown' {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'unknown';
  const { query, operationName } = body as { query?: unknown; operationName?: unknown };
  if (typeof query !== 'string') return 'unknown';
  try {
    const operation = getOperationAST(parse(query, parseOptions), typeof operationName === 'string' ? operationName : undefined);
    return operation?.operation === OperationTypeNode.MUTATION ? 'mutation' : 'other';
  } catch {
    return 'unknown'; // Apollo answers the syntax error (400): nothing to store
  }
}

/** A persisted query sent by its hash alone (APQ): its operation cannot be known here. */
function hashOnly(body: unknown): boolean {
  const extensions = (body as { extensions?: { persistedQuery?: unknown } } | null)?.extensions;
  return typeof (body as { query?: unknown } | null)?.query !== 'string' && !!extensions && typeof extensions === 'object' && !!extensions.persistedQuery;
}

/** Why a key is refused, without echoing it. */
function keyProblem(value: string | string[] | undefined): string | undefined {
  if (typeof value === 'string' && KEY_FORMAT.test(value)) return undefined;
  const got =
    typeof value !== 'string'
      ? 'several'
      : value.length === 0
        ? 'an empty key'
        : value.length > MAX_KEY_LENGTH
          ? `${value.length} characters`
          : 'a character outside printable ASCII';
  return `The Idempotency-Key header must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters (got ${got})`;
}

/**
 * Holds back what the rest of the chain writes to `res` until it ends, then hands the status and the
 * whole body to `answered` and, once that has settled, sends them: an answer is stored before the
 * client can read it (and retry with the key).
 */
function holdAnswer(res: Response, answered: (status: number, body: Buffer) => Promise<void>): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res);
  const end = res.end.bind(res) as (chunk: Buffer, cb?: () => void) => Response;
  const toBuffer = (chunk: unknown, encoding?: unknown) =>
    Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, (encoding as BufferEncoding) || 'utf8') : Buffer.from(chunk as Uint8Array);
  res.write = function (chunk: unknown, encoding?: unknown, cb?: unknown) {
    chunks.push(toBuffer(chunk, typeof encoding === 'string' ? encoding : undefined));
    const callback = typeof encoding === 'function' ? encoding : cb;
    if (typeof callback === 'function') process.nextTick(callback);
    return true;
  } as Response['write'];
  res.end = function (chunk?: unknown, encoding?: unknown, cb?: unknown) {
    let callback = cb;
    if (typeof chunk === 'function') {
      callback = chunk;
      chunk = undefined;
    } else if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    if (chunk !== undefined && chunk !== null) chunks.push(toBuffer(chunk, encoding));
    res.write = write;
    res.end = end as Response['end'];
    const body = Buffer.concat(chunks);
    void answered(res.statusCode, body).finally(() => {
      if (!res.headersSent) res.setHeader('content-length', body.length);
      end(body, callback as (() => void) | undefined);
    });
    return res;
  } as Response['end'];
}

/** Whether an answer is the outcome of the mutation having run (stored) rather than a refusal before it (not stored). */
export function isStoredStatus(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * The middleware, on POST /graphql after express.json and before Apollo. `caller` is the pipeline's
 * verification of the request's token (done once: Apollo's context reads the same result).
 */
export function idempotentMutations(
  store: IdempotencyStore,
  parseOptions: ParseOptions,
  caller: (req: Request) => Promise<Principal | undefined>,
  /** before this layer answers for a signed-in caller (a replay, 409, 422): the caller's budget headers */
  beforeAnswer: (principal: Principal, res: Response) => Promise<void> = () => Promise.resolve(),
): RequestHandler {
  const run = async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers[IDEMPOTENCY_KEY_HEADER];
    if (req.method !== 'POST' || header === undefined) return next();
    const operation = mutationOf(req.body, parseOptions);
    const persistedHashOnly = operation === 'unknown' && hashOnly(req.body);
    if (operation !== 'mutation' && !persistedHashOnly) return next();
    let principal: Principal | undefined;
    try {
      principal = await caller(req);
    } catch {
      return next(); // Apollo's context answers the same refusal (401, 503)
    }
    // a persisted query's hash alone: "not found" is the protocol's signal to send its text, which says what it is
    if (persistedHashOnly) {
      if (principal) await beforeAnswer(principal, res);
      return void res
        .status(200)
        .json({ errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', requestId: requestIdOf(req) } }] });
    }
    // the header twice (a client's and a proxy's?): Node would join them as one key "a, b"
    const problem = (req.headersDistinct[IDEMPOTENCY_KEY_HEADER]?.length ?? 0) > 1 ? 'Send one Idempotency-Key header, not several' : keyProblem(header);
    if (problem) return sendError(res, 400, ErrorCode.BAD_REQUEST, problem);
    const key = header as string;
    if (!principal) {
      return sendError(res, 400, ErrorCode.BAD_REQUEST, 'An Idempotency-Key needs a signed-in caller (keys belong to the caller): send a token, or no key');
    }
    const owner = principalKey(principal);
    const requestHash = createHash('sha256')
      .update(rawBodies.get(req) ?? JSON.stringify(req.body))
      .digest('hex');
    const claim = await store.claim(owner, key, requestHash);
    if (claim.outcome !== 'claimed') await beforeAnswer(principal, res);
    switch (claim.outcome) {
      case 'replay':
        res.status(claim.status).set({
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          [IDEMPOTENT_REPLAYED_HEADER]: 'true',
        });
        return void res.end(Buffer.from(claim.body, 'utf8'));
      case 'reused':
        return sendError(
          res,
          422,
          ErrorCode.IDEMPOTENCY_KEY_REUSED,
          'This Idempotency-Key was sent with another request body; a new request needs a new key (a retry sends the same body)',
        );
      case 'in-use':
        return sendError(
          res,
          409,
          ErrorCode.IDEMPOTENCY_KEY_IN_USE,
          'The request first sent with this Idempotency-Key is still running; retry once it has answered',
          {
            'retry-after': '1',
          },
        );
      case 'claimed':
        holdAnswer(res, async (status, body) => {
          try {
            if (isStoredStatus(status)) await store.finish(owner, key, requestHash, status, body.toString('utf8'));
            else await store.release(owner, key, requestHash);
          } catch (err) {
            // the answer goes out anyway; the key stays claimed until its lease ends
            logger.error({ err, status }, 'the answer of an idempotent request could not be stored');
          }
        });
        return next();
    }
  };
  return (req, res, next) => {
    run(req, res, next).catch((err: unknown) => {
      if (isDatabaseUnavailable(err)) return sendError(res, 503, ErrorCode.SERVICE_UNAVAILABLE, 'The database is unavailable; retry shortly');
      next(err);
    });
  };
}
