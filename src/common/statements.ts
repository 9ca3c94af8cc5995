import type { DataSource, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { allRows, type SqliteDatabase, type SqliteStatement, sqliteDatabase } from './sqlite-direct';

/** Stands for a named value while a statement is built: the parameters come back in SQL order as these. */
const PLACEHOLDER = '\u0000statement-value:';

type Values = Record<string, string | number>;

/**
 * A SELECT built once per database by TypeORM's query builder, then run with new values as plain SQL:
 * for the small lookups every request makes (the caller's existence, a counter), where building the
 * statement costs more than running it. `build` receives stand-ins for the named values and must use
 * them as parameters only (`where('t.id = :id', { id: values.id })`); aliases of `select` name the row's keys.
 */
export class Statement<V extends Values, Row extends ObjectLiteral> {
  private readonly built = new WeakMap<
    DataSource,
    { sql: string; order: (keyof V | { constant: unknown })[]; sqlite?: { db: SqliteDatabase; statement: SqliteStatement } }
  >();

  constructor(private readonly build: (ds: DataSource, values: V) => SelectQueryBuilder<ObjectLiteral>) {}

  private prepare(ds: DataSource) {
    let built = this.built.get(ds);
    if (!built) {
      const standIns = new Proxy({} as V, { get: (_target, name) => `${PLACEHOLDER}${String(name)}` });
      const [sql, parameters] = this.build(ds, standIns).getQueryAndParameters();
      const order = parameters.map((p) =>
        typeof p === 'string' && p.startsWith(PLACEHOLDER) ? (p.slice(PLACEHOLDER.length) as keyof V) : { constant: p as unknown },
      );
      this.built.set(ds, (built = { sql, order }));
    }
    // better-sqlite3: prepared on its connection (again if the data source has reconnected)
    const db = sqliteDatabase(ds);
    if (db && built.sqlite?.db !== db) built.sqlite = { db, statement: db.prepare(built.sql) };
    return built;
  }

  /** The rows, as the driver returns them (no entity hydration). */
  async rows(ds: DataSource, values: V): Promise<Row[]> {
    const { sql, order, sqlite } = this.prepare(ds);
    const parameters = order.map((key) => (typeof key === 'object' ? key.constant : values[key]));
    // better-sqlite3: its prepared statement, directly; other drivers through TypeORM
    return sqlite ? (allRows(ds, sqlite.statement, sql, parameters) as Row[]) : ds.query(sql, parameters);
  }
}
