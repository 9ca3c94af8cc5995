import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Mutex } from 'async-mutex';
import {
  DataSource,
  type DataSourceOptions,
  type EntityManager,
  type Logger as OrmLogger,
  type ObjectLiteral,
  QueryFailedError,
  type SelectQueryBuilder,
} from 'typeorm';
import type { AppConfig } from './config';
import { logger } from './logger';
import { currentOperation } from './request-id';

/** Counts every SQL statement; the N+1 test and the benchmarks read it. LOG_SQL=true prints them. */
export class CountingLogger implements OrmLogger {
  count = 0;
  /** what times the statements TypeORM does not run (the direct reads), when the metrics are on (src/observability/sql-timing.ts) */
  timed?: (seconds: number) => void;
  private readonly print = process.env.LOG_SQL === 'true';

  logQuery(query: string, parameters?: unknown[]) {
    this.count++;
    // the operation's own count, for its slow-operation log line (src/observability/operations.ts)
    const operation = currentOperation();
    if (operation) operation.sql++;
    if (this.print) logger.info({ query, parameters }, 'sql');
  }
  logQueryError(error: string | Error, query: string) {
    logger.debug({ err: error, query }, 'sql error');
  }
  logQuerySlow(time: number, query: string) {
    logger.warn({ time, query }, 'slow sql');
  }
  logSchemaBuild() {}
  logMigration(message: string) {
    logger.info(message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown) {
    if (level === 'warn') logger.warn(String(message));
  }
}

export function parseMysqlUrl(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.replace(/^\//, ''),
  };
}

/**
 * The DataSource factory; the wiring (src/entities.ts) hands in the entity list. SQLite (embedded
 * default) builds its schema from the entities; MySQL only ever through migrations.
 */
export function createDataSource(config: AppConfig, entities: DataSourceOptions['entities']): DataSource {
  const ormLogger = new CountingLogger();
  const common = {
    entities,
    logger: ormLogger,
    logging: ['query', 'error', 'warn'] as ('query' | 'error' | 'warn')[],
    maxQueryExecutionTime: 1000,
  };
  if (config.dbType === 'mysql') {
    return new DataSource({
      ...common,
      // mariadb:// selects TypeORM's MariaDB dialect (same mysql2 client), which reads MariaDB's catalog correctly
      type: new URL(config.mysqlUrl).protocol === 'mariadb:' ? 'mariadb' : 'mysql',
      ...parseMysqlUrl(config.mysqlUrl),
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      synchronize: false,
      migrations: [join(__dirname, '..', 'migrations', '*.{ts,js}')],
      migrationsRun: false,
      extra: { connectionLimit: 20 },
    });
  }
  if (config.sqlitePath !== ':memory:') mkdirSync(dirname(config.sqlitePath), { recursive: true });
  return new DataSource({
    ...common,
    type: 'better-sqlite3',
    database: config.sqlitePath,
    synchronize: true,
    enableWAL: config.sqlitePath !== ':memory:',
    timeout: config.sqliteBusyTimeoutMs,
  });
}

export function queryCounter(ds: DataSource): CountingLogger {
  return ds.logger as CountingLogger;
}

/** The MySQL/MariaDB pool's connections in use and idle (mysql2's pool); undefined on SQLite, which has one connection. */
export function poolStats(ds: DataSource): { inUse: number; idle: number } | undefined {
  const pool = (ds.driver as unknown as { pool?: { _allConnections?: { length: number }; _freeConnections?: { length: number } } }).pool;
  if (!pool?._allConnections || !pool._freeConnections) return undefined;
  const all = pool._allConnections.length;
  const idle = pool._freeConnections.length;
  return { inUse: all - idle, idle };
}

/**
 * Brings the schema up to date: migrations on MySQL, entity sync on SQLite (done at initialize). On
 * MySQL/MariaDB the server refuses to start unless the database and every table and text column are
 * utf8mb4 (requireUtf8mb4).
 */
export async function prepareSchema(ds: DataSource): Promise<void> {
  if (ds.options.type !== 'mysql' && ds.options.type !== 'mariadb') return;
  try {
    // the database's default first: the migrations create their tables in it
    await requireUtf8mb4(ds, 'database');
    await ds.runMigrations({ transaction: 'each' });
    await requireUtf8mb4(ds, 'tables');
  } catch (err) {
    // this server will not start: close the pool so that the process can end
    if (err instanceof SchemaCharsetError && ds.isInitialized) await ds.destroy();
    throw err;
  }
}

export class SchemaCharsetError extends Error {}

/**
 * Refuses a MySQL/MariaDB schema that cannot store every character. Only utf8mb4 holds every Unicode
 * code point: a latin1 or utf8mb3 ("utf8") table or column refuses an emoji (an error 500 on a valid
 * name) or, outside strict mode, stores "?" in its place. The text rules (src/common/text.ts) count
 * lengths as a utf8mb4 varchar does, so they hold only on utf8mb4. A column may be ascii where it
 * holds only ids, which are ASCII by their format.
 */
async function requireUtf8mb4(ds: DataSource, what: 'database' | 'tables'): Promise<void> {
  const fix = 'convert it (ALTER DATABASE … / ALTER TABLE … CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)';
  // a collation's name starts with its character set's (utf8mb4_unicode_ci, latin1_swedish_ci, utf8mb3_general_ci)
  const charsetOf = (collation: string) => collation.split('_')[0];
  if (what === 'database') {
    const rows: { name: string; collation: string }[] = await ds.query(
      'SELECT SCHEMA_NAME AS name, DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()',
    );
    const db = rows[0];
    if (db && charsetOf(db.collation) !== 'utf8mb4') {
      throw new SchemaCharsetError(`The database \`${db.name}\` is ${charsetOf(db.collation)} (${db.collation}), not utf8mb4: ${fix}`);
    }
    return;
  }
  const tables: { name: string; collation: string | null }[] = await ds.query(
    "SELECT TABLE_NAME AS name, TABLE_COLLATION AS collation FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
  );
  const columns: { tableName: string; name: string; charset: string }[] = await ds.query(
    'SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name, CHARACTER_SET_NAME AS charset FROM information_schema.COLUMNS ' +
      // ascii: the id columns, ASCII by their format (src/common/ids.ts, migration IdsBinaryCollation)
      "WHERE TABLE_SCHEMA = DATABASE() AND CHARACTER_SET_NAME NOT IN ('utf8mb4', 'ascii') ORDER BY TABLE_NAME, ORDINAL_POSITION",
  );
  const wrong = [
    ...tables
      .filter((t) => t.collation && charsetOf(t.collation) !== 'utf8mb4')
      .map((t) => `table \`${t.name}\` is ${charsetOf(t.collation!)} (${t.collation})`),
    ...columns.map((c) => `column \`${c.tableName}\`.\`${c.name}\` is ${c.charset}`),
  ];
  if (wrong.length)
    throw new SchemaCharsetError(
      `The schema must be utf8mb4 to store every character: ${wrong.slice(0, 10).join('; ')}${wrong.length > 10 ? ` (and ${wrong.length - 10} more)` : ''}. To fix, ${fix}`,
    );
}

// better-sqlite3 is one connection: transactions from concurrent requests must take turns.
const sqliteWriteLock = new Mutex();

interface TransactionHooks {
  /** run in order inside the transaction, after its work, before COMMIT (an error rolls back) */
  beforeCommit: (() => Promise<void> | void)[];
  /** sent together after the beforeCommit hooks, right before COMMIT (see `atCommit`) */
  closing: ClosingStatement[];
  /** run after COMMIT, never after a rollback */
  afterCommit: (() => void)[];
}

interface ClosingStatement {
  sql: string;
  params: unknown[];
  then?: (result: unknown) => void;
}

/** The hooks of the transaction an EntityManager belongs to (see `beforeCommit`, `afterCommit`). */
const transactionHooks = new WeakMap<EntityManager, TransactionHooks>();

function hooksOf(em: EntityManager, caller: string): TransactionHooks {
  const hooks = transactionHooks.get(em);
  if (!hooks) throw new Error(`${caller} needs the EntityManager of an inTransaction() call`);
  return hooks;
}

/**
 * Runs `fn` inside the transaction of `em` once its work is done, just before COMMIT (the counters
 * of src/counts/ write their deltas then, in one order, so two transactions never lock them crosswise).
 */
export function beforeCommit(em: EntityManager, fn: () => Promise<void> | void): void {
  hooksOf(em, 'beforeCommit').beforeCommit.push(fn);
}

/**
 * Sends `sql` at the very end of the transaction of `em`, after every `beforeCommit` hook, together with
 * the transaction's other closing statements (in the order they were queued) and right before its COMMIT.
 * On MySQL/MariaDB they are handed to the connection at once, which runs them back to back: the row locks
 * they take (the event sequence, the counters every change writes) are held for the database's own time,
 * one round trip (the last result back, the COMMIT out) and the COMMIT, not across a round trip through a
 * busy event loop per statement (where other requests' work runs while the lock is held). `then` gets the
 * statement's result; a failing statement rolls the transaction back.
 */
export function atCommit(em: EntityManager, sql: string, params: unknown[] = [], then?: (result: unknown) => void): void {
  hooksOf(em, 'atCommit').closing.push({ sql, params, then });
}

/** The closing statements of a transaction (`atCommit`): MySQL gets them all at once; SQLite runs them in turn. */
async function sendClosing(em: EntityManager, closing: ClosingStatement[]): Promise<void> {
  if (!closing.length) return;
  if (em.connection.options.type === 'better-sqlite3') {
    for (const s of closing) {
      const result: unknown = await em.query(s.sql, s.params);
      s.then?.(result);
    }
    return;
  }
  // issued in one go through the same code path, so they reach the connection's queue in this order
  const results = await Promise.allSettled(closing.map((s) => em.query(s.sql, s.params)));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  for (const [i, s] of closing.entries()) s.then?.((results[i] as PromiseFulfilledResult<unknown>).value);
}

/**
 * Runs `fn` after the transaction `em` belongs to has committed, and never when it rolls back (the
 * transactional outbox hands its rows to the dispatcher this way). `em` must come from `inTransaction`.
 */
export function afterCommit(em: EntityManager, fn: () => void): void {
  hooksOf(em, 'afterCommit').afterCommit.push(fn);
}

/**
 * How a transaction reads on MySQL/MariaDB. `snapshot` (InnoDB's default, REPEATABLE READ): every plain
 * read sees the snapshot of the transaction's first one. `latest` (READ COMMITTED): every statement sees
 * what has committed when it runs, so a count made after taking a row lock counts what the transaction
 * that held the lock wrote, whatever was read before the lock (a licence assigned while this one waited
 * for the subscription's row: src/modules/customer-user/licenses.ts). SQLite: transactions take turns, so
 * every read is the latest either way.
 */
export type ReadMode = 'snapshot' | 'latest';

/** Runs `work` in one transaction; `beforeCommit` hooks and `atCommit` statements run at its end, `afterCommit` hooks after the commit. */
export async function inTransaction<T>(ds: DataSource, work: (em: EntityManager) => Promise<T>, reads: ReadMode = 'snapshot'): Promise<T> {
  const hooks: TransactionHooks = { beforeCommit: [], closing: [], afterCommit: [] };
  const body = async (em: EntityManager) => {
    transactionHooks.set(em, hooks);
    const result = await work(em);
    for (const hook of hooks.beforeCommit) await hook();
    await sendClosing(em, hooks.closing);
    return result;
  };
  const rowLocking = ds.options.type === 'mysql' || ds.options.type === 'mariadb';
  const run = () => (rowLocking && reads === 'latest' ? ds.transaction('READ COMMITTED', body) : ds.transaction(body));
  const result = ds.options.type === 'better-sqlite3' ? await sqliteWriteLock.runExclusive(run) : await run();
  for (const hook of hooks.afterCommit) {
    try {
      hook();
    } catch (err) {
      logger.error({ err }, 'after-commit hook failed');
    }
  }
  return result;
}

/**
 * Makes a read inside a transaction lock its rows until the commit (`SELECT … FOR UPDATE` on MySQL),
 * so a rule checked on another row (a partnership or relationship being ACTIVE) still holds when the
 * write lands. SQLite needs no row lock: its transactions already run one at a time (`inTransaction`).
 */
export function forUpdate<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
  const type = qb.connection.options.type;
  return type === 'mysql' || type === 'mariadb' ? qb.setLock('pessimistic_write') : qb;
}

export function isUniqueViolation(err: unknown): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const code = (err.driverError as { code?: string } | undefined)?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Driver error codes that mean "the database cannot be reached or is locked right now", not a bug. */
const UNAVAILABLE_CODES = new Set([
  // network and connection state (mysql2)
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  // the embedded file (better-sqlite3)
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
]);

export function isDatabaseUnavailable(err: unknown): boolean {
  // TypeORM wraps the driver's error (driverError); graphql-js wraps a thrown non-Error (thrownValue)
  type Wrapped = { code?: unknown; message?: unknown; driverError?: unknown; thrownValue?: unknown; originalError?: unknown; cause?: unknown };
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length && seen.size < 8) {
    const e = queue.shift() as Wrapped | undefined;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_BUSY'))) return true;
    // a closed pool says so in words only
    if (typeof e.message === 'string' && /Pool is closed|Can't add new command when connection is in closed state/.test(e.message)) return true;
    queue.push(e.driverError, e.thrownValue, e.originalError, e.cause);
  }
  return false;
}
