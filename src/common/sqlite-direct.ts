import { type DataSource, type Logger as OrmLogger, QueryFailedError } from 'typeorm';

/** The part of better-sqlite3's API the direct reads use. */
export interface SqliteStatement {
  raw(toggle: boolean): SqliteStatement;
  all(...parameters: unknown[]): unknown[];
  columns(): { name: string }[];
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}

/**
 * better-sqlite3's own connection when that is the driver: the one connection TypeORM uses too, so a
 * read here sees exactly what a read through TypeORM would. Undefined for other drivers.
 */
export function sqliteDatabase(ds: DataSource): SqliteDatabase | undefined {
  const driver = ds.driver as unknown as { options: { type: string }; databaseConnection?: SqliteDatabase };
  return driver.options.type === 'better-sqlite3' ? driver.databaseConnection : undefined;
}

/** with traces on (src/observability/tracing.ts): starts a statement's span, returns what ends it */
let statementSpan: ((sql: string) => (error?: unknown) => void) | undefined;

/** Traces on: each direct read gets a span, as TypeORM's statements do. */
export function setStatementSpans(hook: (sql: string) => (error?: unknown) => void): void {
  statementSpan = hook;
}

/**
 * Runs a prepared SELECT on better-sqlite3 as TypeORM's query runner would, minus its awaits: booleans
 * bound as 0/1, the statement logged (the SQL counter) and traced, a failure wrapped in QueryFailedError.
 */
export function allRows(ds: DataSource, statement: SqliteStatement, sql: string, parameters: unknown[]): unknown[] {
  const bound = parameters.map((p) => (typeof p === 'boolean' ? +p : p));
  const logger = ds.logger as OrmLogger & { timed?: (seconds: number) => void };
  logger.logQuery(sql, bound);
  const started = logger.timed ? process.hrtime.bigint() : undefined;
  // traces on: a span for the statement, as TypeORM's statements get (src/observability/otel.ts)
  const done = statementSpan?.(sql);
  try {
    const rows = statement.all(...bound);
    done?.();
    return rows;
  } catch (err) {
    done?.(err);
    throw new QueryFailedError(sql, bound, err as Error);
  } finally {
    if (started !== undefined) logger.timed?.(Number(process.hrtime.bigint() - started) / 1e9);
  }
}
