import { ArrayMaxSize, IsArray, IsDate, IsEnum, IsOptional, IsUUID, Matches } from 'class-validator';
import { Field, GraphQLISODateTime, ID, InputType } from 'type-graphql';
import type { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { Activity } from '../../changes/activity.entity';
import { ActivityActionEnum, ChangeKind, SubjectType } from '../../changes/kinds';
import { forUpdate, inTransaction } from '../../common/database';
import { allRows, sqliteDatabase } from '../../common/sqlite-direct';
import { UserInputError } from '../../common/errors';
import { countChange, EVERYONE, TallyName } from '../../counts/tallies';
import { MaxCodePoints, IsVisibleIdentifier } from '../../common/validation';
import type { Scope } from '../../scope/scope';

/** The most actions one filter may name: room for every kind of change (ChangeKind has 51), which a client may name at once. */
export const MAX_FILTER_ACTIONS = 100;
/** A correlation id, as the server stores it (the request id rule). */
export const CORRELATION_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The audit trail's filters: the same for `Query.activities` and `GET /exports/activities`. Each
 * narrows the caller's trail (its scope); none widens it.
 */
@InputType({ description: 'Filters of the audit trail; all optional, combined with AND. They narrow what the caller may read, never widen it.' })
export class ActivityFilter {
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Only records at or after this time (inclusive)' })
  @IsOptional()
  @IsDate()
  from?: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Only records before this time (exclusive); must be later than `from`' })
  @IsOptional()
  @IsDate()
  to?: Date;

  @Field(() => ID, { nullable: true, description: 'Only records about this customer' })
  @IsOptional()
  @IsUUID()
  customerId?: string;

  @Field(() => SubjectType, { nullable: true, description: 'Only records about this kind of record' })
  @IsOptional()
  @IsEnum(SubjectType)
  subjectType?: SubjectType;

  @Field(() => ID, { nullable: true, description: 'Only records about this record (an invitation, a subscription …)' })
  @IsOptional()
  subjectId?: string;

  @Field(() => [ActivityActionEnum], { nullable: true, description: `Only these actions (at most ${MAX_FILTER_ACTIONS})` })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_FILTER_ACTIONS)
  @IsEnum(ChangeKind, { each: true })
  actions?: ChangeKind[];

  @Field(() => String, { nullable: true, description: 'Only changes made by this user (the token subject; `system` for the server)' })
  @IsOptional()
  @MaxCodePoints(200)
  @IsVisibleIdentifier()
  actorUserId?: string;

  @Field(() => String, { nullable: true, description: 'Only changes of this request (its `x-request-id`)' })
  @IsOptional()
  @MaxCodePoints(64)
  @Matches(CORRELATION_ID, { message: 'correlationId must be 1 to 64 characters of A-Z a-z 0-9 . _ -' })
  correlationId?: string;
}

/** What a read of the trail asks for: the filter, and (operator, customer admin) the partner whose records to read. */
export interface TrailRequest {
  filter?: ActivityFilter | null;
  partnerId?: string | null;
  /** where the filter's fields come from, for BAD_USER_INPUT: `filter.` for GraphQL, '' for the export's parameters */
  fieldPrefix?: string;
  /** the operator reads across every partner's trail without naming one (GraphQL: when it gives a filter; the export: always) */
  acrossPartners?: boolean;
}

/** Whether the filter sets any condition (an unfiltered read counts from a tally). */
export function filters(filter: ActivityFilter | null | undefined): boolean {
  if (!filter) return false;
  return Boolean(
    filter.from ||
    filter.to ||
    filter.customerId ||
    filter.subjectType ||
    filter.subjectId ||
    filter.actions?.length ||
    filter.actorUserId ||
    filter.correlationId,
  );
}

/**
 * The caller's audit trail with the request's filters: one query builder for the GraphQL page and the
 * export. The tenant comes first (the scope: a partner's own trail, a customer admin's records about
 * its customer, the operator's named partner or every row), each filter is an equality (or IN, or a
 * time range) beside it, and the rows are read newest first on `activity.id` (UUIDv7, time-ordered)
 * through the indexes `(tenant, column, id)` declared on the entity.
 */
export function trailQuery(scope: Scope, request: TrailRequest, em?: EntityManager): SelectQueryBuilder<Activity> {
  const { filter, partnerId, fieldPrefix = 'filter.' } = request;
  if (filter?.from && filter.to && filter.from.getTime() >= filter.to.getTime()) {
    throw UserInputError.field(`${fieldPrefix}to`, `must be later than ${fieldPrefix}from`);
  }
  if (filter?.actions && filter.actions.length > MAX_FILTER_ACTIONS) {
    throw UserInputError.field(`${fieldPrefix}actions`, `at most ${MAX_FILTER_ACTIONS} actions`);
  }
  if (scope.isOperator && !partnerId && !request.acrossPartners) {
    throw UserInputError.field('partnerId', 'the operator names the partner whose trail to read (or gives a filter, to read across partners)');
  }
  const qb = scope.activities(partnerId ?? undefined, em);
  if (!filter) return qb;
  if (filter.from) qb.andWhere('activity.occurredAt >= :trailFrom', { trailFrom: filter.from });
  if (filter.to) qb.andWhere('activity.occurredAt < :trailTo', { trailTo: filter.to });
  if (filter.customerId) qb.andWhere('activity.customerId = :trailCustomerId', { trailCustomerId: filter.customerId });
  if (filter.subjectType) qb.andWhere('activity.subjectType = :trailSubjectType', { trailSubjectType: filter.subjectType });
  if (filter.subjectId) qb.andWhere('activity.subjectId = :trailSubjectId', { trailSubjectId: filter.subjectId });
  if (filter.actions?.length) qb.andWhere('activity.action IN (:...trailActions)', { trailActions: [...new Set(filter.actions)] });
  if (filter.actorUserId) qb.andWhere('activity.actorUserId = :trailActor', { trailActor: filter.actorUserId });
  if (filter.correlationId) qb.andWhere('activity.correlationId = :trailCorrelation', { trailCorrelation: filter.correlationId });
  return qb;
}

/** A value as the driver reads it: text, a number, a Date (MySQL's datetime), or null. */
export type TrailValue = string | number | Date | null;

/** Stands for the keyset value while a batch's SELECT is built (found again in its parameters). */
const BATCH_AFTER = '\u0000trail-batch-after';

/** A trail read batch by batch: `next` gives the next rows (none: done); `close` ends the reading early (or after the last batch). */
export interface TrailBatches {
  next(): Promise<TrailValue[][]>;
  close(): Promise<void>;
}

/**
 * The rows of a trail query newest first, `size` at a time, each row the values of `columns` in that
 * order as the driver returns them: no entity is hydrated, and only the caller holds a batch (a SQLite
 * datetime is its stored text, a MySQL one a Date; a boolean 0 or 1; a simple-array its text).
 *
 * - SQLite: one SELECT per batch, seeking below the last id of the one before (keyset: each reads about
 *   `size` index entries), as better-sqlite3 prepared statements returning arrays.
 * - MySQL/MariaDB: one SELECT for the whole trail, streamed (a cursor: the driver stops reading the
 *   socket while the caller does not ask for rows). A keyset SELECT per batch would be quadratic there:
 *   MariaDB walks a descending `tenant = ? AND id < ?` from the tenant's newest row, not from the cursor.
 *   `close` before the end destroys the connection, which stops the query on the server.
 *
 * The first column must be `id` (the keyset).
 */
export function trailBatches(qb: SelectQueryBuilder<Activity>, columns: readonly (keyof Activity)[], size: number): TrailBatches {
  if (columns[0] !== 'id') throw new Error('trailBatches: the first column is the keyset (id)');
  const ds = qb.connection;
  const build = (after: boolean, limit: boolean) => {
    const page = qb.clone().select(`activity.${columns[0]}`, 'c0');
    columns.forEach((c, i) => i > 0 && page.addSelect(`activity.${c}`, `c${i}`));
    if (after) page.andWhere('activity.id < :batchAfter', { batchAfter: BATCH_AFTER });
    page.orderBy('activity.id', 'DESC');
    if (limit) page.limit(size);
    const [sql, parameters] = page.getQueryAndParameters();
    const keyset = parameters.indexOf(BATCH_AFTER);
    if (after && keyset < 0) throw new Error('trailBatches: the keyset parameter is missing');
    return { sql, parameters: parameters as unknown[], keyset };
  };
  const db = sqliteDatabase(ds);
  if (!db) return streamedBatches(ds, build(false, false), columns.length, size);
  const first = build(false, true);
  const next = build(true, true);
  const prepared = { first: db.prepare(first.sql).raw(true), next: db.prepare(next.sql).raw(true) };
  let last: string | undefined;
  let done = false;
  return {
    next: () => {
      if (done) return Promise.resolve([]);
      const statement = last === undefined ? first : next;
      const parameters = last === undefined ? statement.parameters : statement.parameters.map((p, i) => (i === statement.keyset ? last : p));
      const rows = allRows(ds, last === undefined ? prepared.first : prepared.next, statement.sql, parameters) as TrailValue[][];
      if (rows.length < size) done = true;
      else last = String(rows[rows.length - 1][0]);
      return Promise.resolve(rows);
    },
    close: () => Promise.resolve(),
  };
}

/** One SELECT through its own connection, read `size` rows at a time from the driver's stream (MySQL/MariaDB). */
function streamedBatches(ds: DataSource, query: { sql: string; parameters: unknown[] }, width: number, size: number): TrailBatches {
  const aliases = Array.from({ length: width }, (_c, i) => `c${i}`);
  const runner = ds.createQueryRunner();
  let rows: AsyncIterator<Record<string, TrailValue>> | undefined;
  let ended = false;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    if (!ended) {
      // a result not read to its end: the connection cannot serve another query. Out of the pool, and its
      // socket reset (a FIN alone would leave the server blocked writing until net_write_timeout): the
      // server's next write fails, which stops the query
      const connection = (runner as unknown as { databaseConnection?: { destroy(): void; stream?: { destroy(): void } } }).databaseConnection;
      connection?.destroy();
      connection?.stream?.destroy();
    }
    await runner.release();
  };
  return {
    next: async () => {
      if (ended || closed) return [];
      rows ??= ((await runner.stream(query.sql, query.parameters)) as unknown as AsyncIterable<Record<string, TrailValue>>)[Symbol.asyncIterator]();
      const batch: TrailValue[][] = [];
      while (batch.length < size) {
        const row = await rows.next();
        if (row.done) {
          ended = true;
          await close();
          break;
        }
        batch.push(aliases.map((a) => row.value[a]));
      }
      return batch;
    },
    close,
  };
}

/** Records the retention sweep deletes per statement (and per transaction). */
export const RETENTION_BATCH = 1000;

/**
 * Deletes the trail's records that occurred before `cutoff`, oldest first, `batch` per transaction
 * (on the `occurredAt` index): each transaction locks its batch, deletes it by id and takes the
 * rows off the ACTIVITIES tallies (everyone's and each partner's) before it commits, so
 * `totalCount` stays right. Returns how many were deleted.
 */
export async function deleteTrailBefore(ds: DataSource, cutoff: Date, batch = RETENTION_BATCH): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await inTransaction(ds, async (em) => {
      const qb = em
        .createQueryBuilder(Activity, 'activity')
        .select(['activity.id', 'activity.partnerId'])
        .where('activity.occurredAt < :cutoff', { cutoff })
        .orderBy('activity.occurredAt', 'ASC')
        .limit(batch);
      const rows = await forUpdate(qb).getMany();
      if (!rows.length) return 0;
      await em
        .createQueryBuilder()
        .delete()
        .from(Activity)
        .whereInIds(rows.map((r) => r.id))
        .execute();
      countChange(em, TallyName.ACTIVITIES, EVERYONE, -rows.length);
      const perPartner = new Map<string, number>();
      for (const r of rows) if (r.partnerId) perPartner.set(r.partnerId, (perPartner.get(r.partnerId) ?? 0) + 1);
      for (const [partnerId, count] of perPartner) countChange(em, TallyName.ACTIVITIES, partnerId, -count);
      return rows.length;
    });
    deleted += n;
    if (n < batch) return deleted;
  }
}
