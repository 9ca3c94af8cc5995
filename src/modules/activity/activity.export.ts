import { type Request, type Response, Router } from 'express';
import { GraphQLError } from 'graphql';
import type { Activity } from '../../changes/activity.entity';
import { ChangeKind, SubjectType } from '../../changes/kinds';
import { hasAnyRole, type Principal } from '../../common/auth/principal';
import { Can } from '../../common/auth/roles';
import type { AppDeps } from '../../common/context';
import { isDatabaseUnavailable } from '../../common/database';
import { AppError, ErrorCode, UserInputError } from '../../common/errors';
import { normalizeId } from '../../common/ids';
import { logger } from '../../common/logger';
import { codePointLength, identifierProblem, normalizeText } from '../../common/text';
import { REQUEST_ID_HEADER } from '../../common/request-id';
import { Scope } from '../../scope/scope';
import { ActivityFilter, CORRELATION_ID, MAX_FILTER_ACTIONS, type TrailBatches, trailBatches, type TrailValue, trailQuery } from './activity.trail';

/** The export's address. */
export const EXPORT_PATH = '/exports/activities';
/** Rows per SELECT. */
export const EXPORT_BATCH = 1000;
/**
 * About how many characters one write takes: a batch is written in pieces of this size, each far
 * under V8's large-object size (128 KB), so that a piece the socket holds for a while is collected
 * with the young generation instead of piling up in the large-object space until a full GC.
 */
const PIECE_CHARS = 32 * 1024;

const FORMATS = {
  csv: { type: 'text/csv; charset=utf-8', extension: 'csv' },
  ndjson: { type: 'application/x-ndjson; charset=utf-8', extension: 'ndjson' },
} as const;
type Format = keyof typeof FORMATS;

/** The columns of both formats, in order. */
export const EXPORT_COLUMNS = [
  'id',
  'occurredAt',
  'action',
  'subjectType',
  'subjectId',
  'partnerId',
  'customerId',
  'actorUserId',
  'actorRoles',
  'actorPartnerId',
  'actorCustomerId',
  'via',
  'correlationId',
  'attestation',
  'changes',
  'grantedBy',
] as const;

const PARAMETERS = new Set(['format', 'from', 'to', 'customerId', 'subjectType', 'subjectId', 'actions', 'actorUserId', 'correlationId', 'partnerId']);

/** A cell a spreadsheet would run as a formula (OWASP CSV injection): `=`, `+`, `-`, `@`, tab or CR first. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 field: quoted when it holds a quote, comma, CR or LF (quotes doubled); a value a
 * spreadsheet would read as a formula gets a leading `'` and is quoted (OWASP).
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : String(value);
  let quote = /[",\r\n]/.test(text);
  if (FORMULA_START.test(text)) {
    text = `'${text}`;
    quote = true;
  }
  return quote ? `"${text.replace(/"/g, '""')}"` : text;
}

/** What each row is read as: the columns of EXPORT_COLUMNS, in order, `changes` being the stored JSON text. */
const READ_COLUMNS = EXPORT_COLUMNS.map((c) => (c === 'changes' ? 'changeSet' : c)) satisfies (keyof Activity)[];
const AT = EXPORT_COLUMNS.indexOf('occurredAt');
const ROLES = EXPORT_COLUMNS.indexOf('actorRoles');
const ATTESTATION = EXPORT_COLUMNS.indexOf('attestation');
const CHANGES = EXPORT_COLUMNS.indexOf('changes');
const GRANTED_BY = EXPORT_COLUMNS.indexOf('grantedBy');

/** The text SQLite stores for a time (`2026-01-31 09:30:00.000`, UTC) or MySQL's Date, as ISO 8601 with milliseconds (as `Date.toISOString`). */
export function isoTime(value: TrailValue): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  if (text.length === 23 && text[10] === ' ' && text[19] === '.') return `${text.slice(0, 10)}T${text.slice(11)}Z`;
  // another form SQLite may hold: read as TypeORM reads it (UTC when no zone is given)
  const iso = text.replace(/^(\d{4}-\d\d-\d\d) (\d\d:\d\d)/, '$1T$2');
  return new Date(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{3})?)?$/.test(iso) ? `${iso}Z` : iso).toISOString();
}

/** A stored boolean (SQLite, MySQL: 0 or 1) as the entity reads it; null stays null. */
const bool = (value: TrailValue) => (value === null || value === undefined ? null : Boolean(value));

/** One CSV line: the roles space-separated, the field changes and the grant as their stored JSON (as in NDJSON). */
function csvLine(row: TrailValue[]): string {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    if (i > 0) line += ',';
    if (i === AT) line += csvCell(isoTime(value));
    else if (i === ROLES) line += csvCell(String(value ?? '').replace(/,/g, ' '));
    else if (i === ATTESTATION) line += csvCell(bool(value));
    else if (i === CHANGES || i === GRANTED_BY) line += csvCell((value as string | null) ?? '[]');
    else line += csvCell(value as string | null); // text columns: never a Date
  }
  return `${line}\r\n`;
}

/** The start of each NDJSON member, `{"id":` then `,"occurredAt":` …, in the columns' order. */
const NDJSON_KEYS = EXPORT_COLUMNS.map((c, i) => `${i === 0 ? '{' : ','}${JSON.stringify(c)}:`);

/**
 * One NDJSON line: one object with the columns in order, the roles an array, the stored change set
 * and grant going in as the JSON text they are (not parsed and written again).
 */
function ndjsonLine(row: TrailValue[]): string {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    line += NDJSON_KEYS[i];
    if (i === AT) line += JSON.stringify(isoTime(value));
    else if (i === ROLES) line += JSON.stringify(typeof value === 'string' && value.length > 0 ? value.split(',') : []);
    else if (i === ATTESTATION) line += JSON.stringify(bool(value));
    else if (i === CHANGES || i === GRANTED_BY) line += String(value ?? '[]');
    else line += JSON.stringify(value ?? null);
  }
  return `${line}}\n`;
}

/** A batch's rows as text, in pieces of about PIECE_CHARS (whole lines). */
function pieces(rows: TrailValue[][], line: (row: TrailValue[]) => string): string[] {
  const out: string[] = [];
  let piece = '';
  for (const row of rows) {
    piece += line(row);
    if (piece.length >= PIECE_CHARS) {
      out.push(piece);
      piece = '';
    }
  }
  if (piece) out.push(piece);
  return out;
}

/**
 * One query-string value, through the text rules every GraphQL input goes through (src/common/text.ts:
 * NFC, trimmed, no control, separator or bidirectional characters); a parameter given twice (an array)
 * is refused, an empty one is absent.
 */
function single(query: Record<string, unknown>, name: string): string | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw UserInputError.field(name, 'must be given once, as text');
  if (raw.trim() === '') return undefined;
  const text = normalizeText(raw);
  if (!text.ok) throw UserInputError.field(name, text.problem);
  return text.value;
}

/** An ISO 8601 date-time (as GraphQL's DateTime reads it): `2026-01-31T00:00:00Z`, or a date alone. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function dateParam(query: Record<string, unknown>, name: string): Date | undefined {
  const raw = single(query, name);
  if (raw === undefined) return undefined;
  const at = ISO_DATE_TIME.test(raw) ? new Date(raw) : undefined;
  if (!at || Number.isNaN(at.getTime())) throw UserInputError.field(name, 'must be an ISO 8601 date-time such as 2026-01-31T00:00:00Z');
  return at;
}

function idParam(query: Record<string, unknown>, name: string): string | undefined {
  const raw = single(query, name);
  if (raw === undefined) return undefined;
  const id = normalizeId(raw);
  if (id === undefined) throw UserInputError.field(name, 'is not an id');
  return id;
}

/** The export's parameters, checked: the same filter as `Query.activities`, named by parameter. */
export function exportParameters(query: Record<string, unknown>): { format: Format; filter: ActivityFilter; partnerId?: string } {
  for (const name of Object.keys(query)) if (!PARAMETERS.has(name)) throw UserInputError.field(name.slice(0, 40), 'is not a parameter of this export');
  const format = single(query, 'format') ?? 'csv';
  if (!(format in FORMATS)) throw UserInputError.field('format', 'must be csv or ndjson');
  const filter = new ActivityFilter();
  filter.from = dateParam(query, 'from');
  filter.to = dateParam(query, 'to');
  filter.customerId = idParam(query, 'customerId');
  filter.subjectId = idParam(query, 'subjectId');
  const subjectType = single(query, 'subjectType');
  if (subjectType !== undefined && !(Object.values(SubjectType) as string[]).includes(subjectType)) {
    throw UserInputError.field('subjectType', `must be one of ${Object.values(SubjectType).join(', ')}`);
  }
  filter.subjectType = subjectType as SubjectType | undefined;
  const actions = single(query, 'actions');
  if (actions !== undefined) {
    const list = actions.split(',').map((a) => a.trim());
    if (list.length > MAX_FILTER_ACTIONS) throw UserInputError.field('actions', `at most ${MAX_FILTER_ACTIONS} actions`);
    if (list.some((a) => !(Object.values(ChangeKind) as string[]).includes(a)))
      throw UserInputError.field('actions', 'must be comma-separated ActivityAction values');
    filter.actions = list as ChangeKind[];
  }
  filter.actorUserId = single(query, 'actorUserId');
  if (filter.actorUserId !== undefined && codePointLength(filter.actorUserId) > 200)
    throw UserInputError.field('actorUserId', 'must be at most 200 characters');
  const invisible = filter.actorUserId === undefined ? null : identifierProblem(filter.actorUserId);
  if (invisible) throw UserInputError.field('actorUserId', invisible);
  filter.correlationId = single(query, 'correlationId');
  if (filter.correlationId !== undefined && !CORRELATION_ID.test(filter.correlationId)) {
    throw UserInputError.field('correlationId', 'must be 1 to 64 characters of A-Z a-z 0-9 . _ -');
  }
  return { format: format as Format, filter, partnerId: idParam(query, 'partnerId') };
}

/** A refusal as the GraphQL endpoint words it: `{ errors: [{ message, extensions: { code, fields? } }] }`. */
function refuse(res: Response, err: unknown): void {
  let status = 500;
  let body: { message: string; extensions: Record<string, unknown> } = {
    message: 'Internal server error',
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
  if (err instanceof GraphQLError && typeof err.extensions.code === 'string') {
    const code = err.extensions.code as ErrorCode;
    const fields = err.extensions.fields;
    status =
      code === ErrorCode.BAD_USER_INPUT
        ? 400
        : code === ErrorCode.UNAUTHENTICATED
          ? 401
          : code === ErrorCode.FORBIDDEN
            ? 403
            : code === ErrorCode.NOT_FOUND
              ? 404
              : code === ErrorCode.SERVICE_UNAVAILABLE
                ? 503
                : ((err.extensions.http as { status?: number } | undefined)?.status ?? 500);
    const retryAfterSeconds = err.extensions.retryAfterSeconds;
    body =
      status === 500
        ? body
        : { message: err.message, extensions: { code, ...(fields ? { fields } : {}), ...(retryAfterSeconds ? { retryAfterSeconds } : {}) } };
    // a refusal's own headers (429: Retry-After and the budgets' RateLimit fields)
    for (const [name, value] of (err.extensions.http as { headers?: Map<string, string> } | undefined)?.headers ?? []) res.setHeader(name, value);
  } else if (isDatabaseUnavailable(err)) {
    status = 503;
    body = { message: 'The database is unavailable; retry shortly', extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } };
  }
  if (status === 500) logger.error({ err }, 'audit export failed');
  // the request's id, as every error of the API carries it (src/common/request-id.ts set the header)
  const requestId = res.getHeader(REQUEST_ID_HEADER);
  if (typeof requestId === 'string') body.extensions.requestId = requestId;
  res
    .status(status)
    .type('application/json')
    .send(JSON.stringify({ errors: [body] }));
}

/**
 * `GET /exports/activities?format=csv|ndjson&from=…&to=…` (and the filters of `Query.activities`, as
 * parameters; `actions` comma-separated): the caller's audit trail, newest first, with the same
 * Bearer token, scope and filters as the query (one query builder, src/modules/activity/activity.trail.ts).
 * The operator without `partnerId` exports every partner's records.
 *
 * Streamed: the rows are read `EXPORT_BATCH` at a time on the keyset (raw values, no entities), each
 * batch written in pieces of about PIECE_CHARS; a piece the socket cannot take yet waits for 'drain',
 * and the event loop turns once per batch, so at most one batch is in flight and memory stays flat
 * however many rows (bench/audit-export.ts); a client that goes away stops the reading before the next SELECT.
 */
export function auditExport(
  deps: AppDeps,
  authenticate: (header: string | undefined) => Promise<Principal | undefined>,
  /** charges the caller's cost budgets for the export (src/pipeline/budgets.ts): RATE_LIMITED when they do not hold it */
  charge: (principal: Principal, res: Response) => Promise<void>,
): Router {
  const router = Router();
  router.get(EXPORT_PATH, async (req: Request, res: Response) => {
    let closed = false;
    res.on('close', () => (closed = true));
    let started = false;
    let batches: TrailBatches | undefined;
    try {
      const principal = await authenticate(req.headers.authorization);
      if (!principal) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Authentication required: send Authorization: Bearer <token>');
      if (!hasAnyRole(principal, Can.readAuditTrail)) throw new AppError(ErrorCode.FORBIDDEN, 'Your role does not allow reading the audit trail');
      const { format, filter, partnerId } = exportParameters(req.query);
      // priced as the costliest single operation (MAX_QUERY_COMPLEXITY), charged before anything is read
      await charge(principal, res);
      const qb = trailQuery(new Scope(deps.ds, principal), { filter, partnerId, fieldPrefix: '', acrossPartners: true });
      const line = format === 'csv' ? csvLine : ndjsonLine;
      batches = trailBatches(qb, READ_COLUMNS, EXPORT_BATCH);
      // the first batch before any header: an error there (a database outage) is still a JSON answer
      let rows: TrailValue[][] | undefined = await batches.next();
      const stamp = deps.clock.now().toISOString().replace(/[:.]/g, '-');
      res.status(200);
      res.setHeader('Content-Type', FORMATS[format].type);
      res.setHeader('Content-Disposition', `attachment; filename="activities-${stamp}.${FORMATS[format].extension}"`);
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      started = true;
      // a piece the socket cannot take yet: wait for 'drain' (or the client's going away), then the next
      const drained = () =>
        new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      // better-sqlite3 reads synchronously and a socket that takes a piece at once drains in a microtask:
      // without a turn of the event loop per batch, the export would hold the whole server (other requests,
      // timers, the client's 'close', V8's GC tasks) until its last row
      const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
      if (format === 'csv' && !res.write(EXPORT_COLUMNS.join(',') + '\r\n')) await drained();
      // each batch turned into text at once (its rows let go), written piece by piece before the next
      // SELECT: one batch's text at most is alive, and none of it in our frames while we wait
      while (rows?.length && !closed) {
        const last: boolean = rows.length < EXPORT_BATCH;
        const text = pieces(rows, line);
        rows = undefined;
        for (let i = 0; i < text.length && !closed; i++) {
          const more = res.write(text[i]);
          text[i] = '';
          if (!more) await drained();
        }
        await turn();
        rows = last || closed ? undefined : await batches.next();
      }
      if (!closed) res.end();
    } catch (err) {
      if (!started) return refuse(res, err);
      // headers are gone: the client sees the transfer cut short (no final chunk), never a partial file as complete
      logger.warn({ err: (err as Error).message }, 'audit export stopped by an error');
      res.destroy();
    } finally {
      await batches?.close();
    }
  });
  return router;
}
