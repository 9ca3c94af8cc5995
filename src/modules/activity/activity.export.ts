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
import { codePointLength } from '../../common/text';
import { Scope } from '../../scope/scope';
import { ActivityFilter, CORRELATION_ID, MAX_FILTER_ACTIONS, trailBatches, trailQuery } from './activity.trail';

/** The export's address. */
export const EXPORT_PATH = '/exports/activities';
/** Rows per SELECT (and per chunk written). */
export const EXPORT_BATCH = 1000;
/** Rows per chunk written. */
const CHUNK_ROWS = 100;

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
] as const;

const PARAMETERS = new Set(['format', 'from', 'to', 'customerId', 'subjectType', 'subjectId', 'actions', 'actorUserId', 'correlationId', 'partnerId']);

/** One record as the export writes it: every value a string (CSV) or JSON value (NDJSON). */
function exportRow(a: Activity): Record<(typeof EXPORT_COLUMNS)[number], unknown> {
  return {
    id: a.id,
    occurredAt: a.occurredAt.toISOString(),
    action: a.action,
    subjectType: a.subjectType,
    subjectId: a.subjectId,
    partnerId: a.partnerId,
    customerId: a.customerId,
    actorUserId: a.actorUserId,
    actorRoles: a.actorRoles,
    actorPartnerId: a.actorPartnerId,
    actorCustomerId: a.actorCustomerId,
    via: a.via,
    correlationId: a.correlationId,
    attestation: a.attestation,
    changes: undefined, // written from the stored JSON text (csvLine, ndjsonLine)
  };
}

/** A cell a spreadsheet would run as a formula (OWASP CSV injection): `=`, `+`, `-`, `@`, tab or CR first. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 field: quoted when it holds a quote, comma, CR or LF (quotes doubled); a value a
 * spreadsheet would read as a formula gets a leading `'` and is quoted (OWASP).
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : String(value);
  let quote = /[",\r\n]/.test(text);
  if (FORMULA_START.test(text)) {
    text = `'${text}`;
    quote = true;
  }
  return quote ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(a: Activity): string {
  const row = exportRow(a);
  let line = '';
  for (const c of EXPORT_COLUMNS) {
    if (line || c !== 'id') line += ',';
    // the roles space-separated; the field changes as their stored JSON (as `changes` in NDJSON)
    if (c === 'actorRoles') line += csvCell(a.actorRoles.join(' '));
    else if (c === 'changes') line += csvCell(a.changeSet ?? '[]');
    else line += csvCell(row[c]);
  }
  return `${line}\r\n`;
}

/** One JSON object: the stored change set goes in as the JSON text it is (not parsed and written again). */
function ndjsonLine(a: Activity): string {
  const { changes: _changes, ...rest } = exportRow(a);
  return `${JSON.stringify(rest).slice(0, -1)},"changes":${a.changeSet ?? '[]'}}\n`;
}

/** One query-string value: a parameter given twice (an array) is refused. */
function single(query: Record<string, unknown>, name: string): string | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw UserInputError.field(name, 'must be given once, as text');
  const value = raw.trim();
  return value === '' ? undefined : value;
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
    if (list.some((a) => !(Object.values(ChangeKind) as string[]).includes(a))) throw UserInputError.field('actions', 'must be comma-separated ActivityAction values');
    filter.actions = list as ChangeKind[];
  }
  filter.actorUserId = single(query, 'actorUserId');
  if (filter.actorUserId !== undefined && codePointLength(filter.actorUserId) > 200) throw UserInputError.field('actorUserId', 'must be at most 200 characters');
  filter.correlationId = single(query, 'correlationId');
  if (filter.correlationId !== undefined && !CORRELATION_ID.test(filter.correlationId)) {
    throw UserInputError.field('correlationId', 'must be 1 to 64 characters of A-Z a-z 0-9 . _ -');
  }
  return { format: format as Format, filter, partnerId: idParam(query, 'partnerId') };
}

/** A refusal as the GraphQL endpoint words it: `{ errors: [{ message, extensions: { code, fields? } }] }`. */
function refuse(res: Response, err: unknown): void {
  let status = 500;
  let body: { message: string; extensions: Record<string, unknown> } = { message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  if (err instanceof GraphQLError && typeof err.extensions.code === 'string') {
    const code = err.extensions.code;
    const fields = err.extensions.fields;
    status =
      code === ErrorCode.BAD_USER_INPUT ? 400
      : code === ErrorCode.UNAUTHENTICATED ? 401
      : code === ErrorCode.FORBIDDEN ? 403
      : code === ErrorCode.NOT_FOUND ? 404
      : code === ErrorCode.SERVICE_UNAVAILABLE ? 503
      : ((err.extensions.http as { status?: number } | undefined)?.status ?? 500);
    body = status === 500 ? body : { message: err.message, extensions: { code, ...(fields ? { fields } : {}) } };
  } else if (isDatabaseUnavailable(err)) {
    status = 503;
    body = { message: 'The database is unavailable; retry shortly', extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } };
  }
  if (status === 500) logger.error({ err }, 'audit export failed');
  res.status(status).type('application/json').send(JSON.stringify({ errors: [body] }));
}

/**
 * `GET /exports/activities?format=csv|ndjson&from=…&to=…` (and the filters of `Query.activities`, as
 * parameters; `actions` comma-separated): the caller's audit trail, newest first, with the same
 * Bearer token, scope and filters as the query (one query builder, src/modules/activity/activity.trail.ts).
 * The operator without `partnerId` exports every partner's records.
 *
 * Streamed: the rows are read `EXPORT_BATCH` at a time on the keyset, each batch written as one chunk;
 * a chunk the socket cannot take yet waits for 'drain' before the next SELECT, so memory stays flat
 * however many rows; a client that goes away stops the reading before the next SELECT.
 */
export function auditExport(deps: AppDeps, authenticate: (header: string | undefined) => Promise<Principal | undefined>): Router {
  const router = Router();
  router.get(EXPORT_PATH, async (req: Request, res: Response) => {
    let closed = false;
    res.on('close', () => (closed = true));
    let started = false;
    try {
      const principal = await authenticate(req.headers.authorization);
      if (!principal) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Authentication required: send Authorization: Bearer <token>');
      if (!hasAnyRole(principal, Can.readAuditTrail)) throw new AppError(ErrorCode.FORBIDDEN, 'Your role does not allow reading the audit trail');
      const { format, filter, partnerId } = exportParameters(req.query as Record<string, unknown>);
      const qb = trailQuery(new Scope(deps.ds, principal), { filter, partnerId, fieldPrefix: '', acrossPartners: true });
      const line = format === 'csv' ? csvLine : ndjsonLine;
      const batches = trailBatches(qb, EXPORT_BATCH, () => closed);
      // the first batch before any header: an error there (a database outage) is still a JSON answer
      const first = await batches.next();
      const stamp = deps.clock.now().toISOString().replace(/[:.]/g, '-');
      res.status(200);
      res.setHeader('Content-Type', FORMATS[format].type);
      res.setHeader('Content-Disposition', `attachment; filename="activities-${stamp}.${FORMATS[format].extension}"`);
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      started = true;
      // a chunk the socket cannot take yet: wait for 'drain' (or the client's going away), then the next
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
      const write = async (chunk: string) => {
        if (!closed && !res.write(chunk)) await drained();
      };
      if (format === 'csv') await write(EXPORT_COLUMNS.join(',') + '\r\n');
      let rows = first.done ? undefined : first.value;
      while (rows && !closed) {
        // written CHUNK_ROWS at a time, the batch let go before the next SELECT: little is alive at once
        for (let i = 0; i < rows.length && !closed; i += CHUNK_ROWS) {
          let chunk = '';
          for (const a of rows.slice(i, i + CHUNK_ROWS)) chunk += line(a);
          await write(chunk);
        }
        rows = undefined;
        const next = await batches.next();
        rows = next.done ? undefined : next.value;
      }
      if (!closed) res.end();
      else await batches.return(undefined);
    } catch (err) {
      if (!started) return refuse(res, err);
      // headers are gone: the client sees the transfer cut short (no final chunk), never a partial file as complete
      logger.warn({ err: (err as Error).message }, 'audit export stopped by an error');
      res.destroy();
    }
  });
  return router;
}
