import type { Driver, EntityMetadata, ObjectLiteral, QueryRunner, SelectQueryBuilder } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { DriverUtils } from 'typeorm/driver/DriverUtils';
import { JOINED } from './selection';
import { allRows, type SqliteDatabase, type SqliteStatement, sqliteDatabase } from './sqlite-direct';

/** A raw row: an object keyed by column alias, or (better-sqlite3's raw mode) an array in SELECT order. */
type Raw = Record<string | number, unknown>;
/** Builds the entity of one alias from a raw row; undefined when the row has none (a LEFT JOIN that found nothing). */
type Hydrate = (raw: Raw) => ObjectLiteral | undefined;
/** Where a column alias is found in a raw row: the alias itself, or its position. */
type Slot = (key: string) => string | number;
const byKey: Slot = (key) => key;

/** Column types whose raw values both drivers hand back as the entity keeps them (strings, or null). */
const PLAIN_TYPES = new Set<unknown>(['varchar', 'nvarchar', 'char', 'nchar', 'text', 'tinytext', 'mediumtext', 'longtext', 'uuid', String]);

function isPlain(column: ColumnMetadata): boolean {
  return PLAIN_TYPES.has(column.type) && !column.transformer;
}

/**
 * The conversion of one column's raw value. Plain strings stay as they are; a datetime in the form
 * TypeORM writes it to SQLite (`YYYY-MM-DD HH:MM:SS.SSS`, UTC) or a Date from mysql2 is converted
 * here, with the result the driver gives (`prepareHydratedValue`: the same instant); everything else,
 * and any other form, goes to the driver.
 */
function converter(driver: Driver, column: ColumnMetadata): ((value: unknown) => unknown) | undefined {
  if (isPlain(column)) return undefined;
  const byDriver = (value: unknown): unknown => driver.prepareHydratedValue(value, column);
  if ((column.type !== 'datetime' && column.type !== Date) || column.transformer) return byDriver;
  return (value) => {
    if (value instanceof Date) return value;
    if (typeof value !== 'string' || value.length !== 23 || value[10] !== ' ' || value[19] !== '.') return byDriver(value);
    const n = (from: number, to: number) => Number(value.slice(from, to));
    return new Date(Date.UTC(n(0, 4), n(5, 7) - 1, n(8, 10), n(11, 13), n(14, 16), n(17, 19), n(20, 23)));
  };
}

/**
 * How one alias's entity is built from a raw row, for the columns the statement selects: the raw key
 * of each column (as TypeORM names it in its SELECT), the conversion (`converter`), and where the
 * value goes (embedded columns into their embedded object, as TypeORM does).
 */
function compileHydrate(driver: Driver, metadata: EntityMetadata, alias: string, selected: readonly ColumnMetadata[], slot: Slot = byKey): Hydrate {
  const columns = selected.map((column) => ({
    column,
    key: slot(DriverUtils.buildAlias(driver, undefined, alias, column.databaseName)),
    convert: converter(driver, column),
    direct: !column.embeddedMetadata,
  }));
  const primaryKeys = metadata.primaryColumns.map((column) => slot(DriverUtils.buildAlias(driver, undefined, alias, column.databaseName)));
  return (raw) => {
    // a joined row that is not there (every primary column null): no entity, as TypeORM
    if (primaryKeys.every((key) => raw[key] === null || raw[key] === undefined)) return undefined;
    const entity = metadata.create(undefined, { fromDeserializer: true }) as ObjectLiteral;
    for (const { column, key, convert, direct } of columns) {
      const value = raw[key];
      if (value === undefined) continue;
      const hydrated = convert && (value !== null || column.transformer) ? convert(value) : value;
      if (direct) entity[column.propertyName] = hydrated;
      else column.setEntityValue(entity, hydrated);
    }
    return entity;
  };
}

/** The columns of an alias the builder selects: all for the alias itself, else those named `alias.path`. */
function selectedColumns(qb: SelectQueryBuilder<ObjectLiteral>, alias: string, metadata: EntityMetadata): ColumnMetadata[] {
  const selections = qb.expressionMap.selects.map((select) => select.selection);
  const columns = metadata.columns.filter((column) => !column.isVirtual);
  if (selections.includes(alias)) return columns;
  return columns.filter((column) => selections.includes(`${alias}.${column.propertyPath}`));
}

/** The columns of `metadata` that `properties` (paths relative to the entity) read, with the primary key; undefined when one is no column. */
function columnsFor(metadata: EntityMetadata, properties: readonly string[]): ColumnMetadata[] | undefined {
  const columns = metadata.columns.filter((column) => !column.isVirtual);
  const covers = (property: string, path: string) => path === property || path.startsWith(`${property}.`) || property.startsWith(`${path}.`);
  if (!properties.every((property) => columns.some((column) => covers(property, column.propertyPath)))) return undefined;
  return columns.filter((column) => column.isPrimary || properties.some((property) => covers(property, column.propertyPath)));
}

/**
 * Narrows the SELECT to what `properties` read: property paths of the main entity (`companyName`,
 * `address.city`, a whole embedded `address`), and of entities joined onto a property
 * (`@viewerRelationship.status`; `@viewerRelationship` whole; see JOINED). Primary keys are always selected (a
 * joined entity nobody reads: only its key). Unchanged when a property is no column (a getter, a
 * relation): then every column is read.
 */
function selectOnly(qb: SelectQueryBuilder<ObjectLiteral>, properties: readonly string[]): void {
  const { mainAlias, joinAttributes } = qb.expressionMap;
  const joined = new Map(joinAttributes.map((join) => [join.mapToPropertyPropertyName!, join]));
  const own: string[] = [];
  const ofJoin = new Map<string, string[]>(joinAttributes.map((join) => [join.mapToPropertyPropertyName!, []]));
  for (const path of properties) {
    const property = path.startsWith(JOINED) ? path.slice(JOINED.length) : path;
    const head = property.split('.', 1)[0];
    if (!joined.has(head)) {
      if (property === path) own.push(property); // a JOINED path into a property this query does not join: not read from it
    } else if (head === property)
      ofJoin.delete(head); // the whole joined entity
    else ofJoin.get(head)?.push(property.slice(head.length + 1));
  }
  const selects: string[] = [];
  const main = columnsFor(mainAlias!.metadata, own);
  if (!main) return;
  selects.push(...main.map((column) => `${mainAlias!.name}.${column.propertyPath}`));
  for (const [property, join] of joined) {
    const paths = ofJoin.get(property);
    const columns = paths && columnsFor(join.metadata!, paths);
    if (paths && !columns) return;
    if (columns) selects.push(...columns.map((column) => `${join.alias.name}.${column.propertyPath}`));
    else selects.push(join.alias.name);
  }
  qb.select(selects);
}

interface Hydrators {
  main: Hydrate;
  joins: { property: string; hydrate: Hydrate }[];
}

interface ReadPlan extends Hydrators {
  /** the SQL text, with TypeORM's `:named` parameters */
  sql: string;
  primary: ColumnMetadata[];
  /** the same hydrators for rows by position (`slot` from a statement's columns) */
  positional: (slot: Slot) => Hydrators;
  /** better-sqlite3 statements of this plan in raw mode (on connection `db`), by SQL text, with their positional hydrators */
  sqlite?: { db: SqliteDatabase; statements: Map<string, { statement: SqliteStatement; hydrators: Hydrators }> };
}

/**
 * The plan for a query the fast path can read: whole entities (or the columns `properties` read) of
 * the main alias, plus entities joined with `…JoinAndMapOne` onto a property. Anything else (relation
 * joins, many-mapping, raw selects, relation ids, eager relations, entity listeners or afterLoad subscribers)
 * has no plan and is read by TypeORM. Narrows the builder's SELECT (`selectOnly`).
 */
function plan(qb: SelectQueryBuilder<ObjectLiteral>, properties: readonly string[] | undefined): ReadPlan | null {
  const map = qb.expressionMap;
  const main = map.mainAlias;
  if (!main?.hasMetadata) return null;
  if (map.relationIdAttributes.length || main.metadata.eagerRelations.length || main.metadata.listeners.length) return null;
  // each alias whole, or some of its columns; nothing else (no raw expressions)
  const aliases = [main.name, ...map.joinAttributes.map((join) => join.alias.name)];
  const selected = (alias: string) => map.selects.some((select) => select.selection === alias || select.selection.startsWith(`${alias}.`));
  if (!map.selects.every((select) => aliases.some((alias) => select.selection === alias || select.selection.startsWith(`${alias}.`)))) return null;
  if (!aliases.every(selected)) return null;
  // a subscriber that sees loaded entities (afterLoad) needs TypeORM's reading; those that only see the
  // statements (beforeQuery/afterQuery: the metrics' timing, the SQL spans) are served by this path too
  if (qb.connection.subscribers.some((subscriber) => 'afterLoad' in subscriber)) return null;
  for (const join of map.joinAttributes) {
    const property = join.mapToPropertyPropertyName;
    if (join.isMappingMany || !join.isSelected || join.relation || !property || join.mapToPropertyParentAlias !== main.name) return null;
    if (join.metadata!.listeners.length) return null;
  }
  if (properties) selectOnly(qb, properties);
  const { driver } = qb.connection;
  const mainColumns = selectedColumns(qb, main.name, main.metadata);
  const joinColumns = map.joinAttributes.map((join) => selectedColumns(qb, join.alias.name, join.metadata!));
  const hydrators = (slot: Slot): Hydrators => ({
    main: compileHydrate(driver, main.metadata, main.name, mainColumns, slot),
    joins: map.joinAttributes.map((join, i) => ({
      property: join.mapToPropertyPropertyName!,
      hydrate: compileHydrate(driver, join.metadata!, join.alias.name, joinColumns[i], slot),
    })),
  });
  return { sql: qb.getQuery(), primary: main.metadata.primaryColumns, ...hydrators(byKey), positional: hydrators };
}

const SQLITE_STATEMENTS_PER_PLAN = 20;

/**
 * Rows of a plan's SQL on better-sqlite3, read in raw mode (arrays, not an object per row), with the
 * plan's hydrators by position. Logged like every statement (the SQL counter), errors wrapped as
 * TypeORM wraps them.
 */
function readSqlite(
  qb: SelectQueryBuilder<ObjectLiteral>,
  db: SqliteDatabase,
  plan: ReadPlan,
  sql: string,
  parameters: unknown[],
): { rows: Raw[]; hydrators: Hydrators } {
  if (plan.sqlite?.db !== db) plan.sqlite = { db, statements: new Map() }; // first use, or the data source reconnected
  const { statements } = plan.sqlite;
  let prepared = statements.get(sql);
  if (!prepared) {
    if (statements.size >= SQLITE_STATEMENTS_PER_PLAN) statements.clear();
    const statement = db.prepare(sql).raw(true);
    const positions = new Map(statement.columns().map((column, i) => [column.name, i]));
    prepared = { statement, hydrators: plan.positional((key) => positions.get(key) ?? -1) };
    statements.set(sql, prepared);
  }
  return { rows: allRows(qb.connection, prepared.statement, sql, parameters) as Raw[], hydrators: prepared.hydrators };
}

/**
 * What TypeORM's SQL text (with `:named` parameters) is made of: aliases, selects, joins, conditions,
 * order, limit, locks. Two builders with the same key build the same text; values are parameters, and
 * are not part of it.
 */
function statementKey(qb: SelectQueryBuilder<ObjectLiteral>): string {
  const m = qb.expressionMap;
  return JSON.stringify([
    m.queryType,
    m.subQuery,
    m.aliases.map((alias) => [alias.type, alias.name, alias.hasMetadata ? alias.metadata.tablePath : alias.tablePath, alias.subQuery]),
    m.selects,
    m.selectDistinct,
    m.selectDistinctOn,
    m.joinAttributes.map((join) => [
      join.direction,
      join.alias.name,
      join.alias.hasMetadata ? join.alias.metadata.tablePath : String(join.entityOrProperty),
      join.condition,
      join.mapToProperty,
      join.isMappingMany,
    ]),
    m.wheres,
    m.havings,
    m.groupBys,
    m.orderBys,
    m.limit,
    m.offset,
    m.take,
    m.skip,
    m.lockMode,
    m.lockVersion,
    m.lockTables,
    m.onLocked,
    m.withDeleted,
    m.comment,
    m.useIndex,
    m.commonTableExpressions.length,
    m.maxExecutionTime,
    m.relationIdAttributes.length,
  ]);
}

const PLAN_CACHE_LIMIT = 1000;
const plans = new WeakMap<Driver, Map<string, ReadPlan | null>>();
/** Outside production every cached plan's SQL is checked against a fresh build, so a key that misses a difference fails the tests. */
const verifyCachedPlans = process.env.NODE_ENV !== 'production';

/**
 * The read plan of a builder, made once per statement shape (`statementKey`), selection and database:
 * building the SQL text (aliases, column lists, property names) and the mappers costs more than
 * running a page.
 */
function cachedPlan(qb: SelectQueryBuilder<ObjectLiteral>, properties: readonly string[] | undefined): ReadPlan | null {
  const { driver } = qb.connection;
  let cache = plans.get(driver);
  if (!cache) plans.set(driver, (cache = new Map<string, ReadPlan | null>()));
  const key = `${statementKey(qb)}\u0000${properties?.join('\u0000') ?? '*'}`;
  let found = cache.get(key);
  if (found === undefined) {
    if (cache.size >= PLAN_CACHE_LIMIT) cache.clear();
    cache.set(key, (found = plan(qb, properties)));
  } else if (verifyCachedPlans && found && found.sql !== plan(qb.clone(), properties)?.sql) {
    throw new Error(`statementKey missed a difference between two statements: ${found.sql} / ${plan(qb.clone(), properties)?.sql}`);
  }
  return found;
}

/**
 * `qb.getMany()` for the hot lists, without TypeORM's general result transformer: the raw rows are
 * read with the builder's SQL (its text and mappers made once per statement shape, `cachedPlan`) and
 * parameters, on its query runner or transaction, and turned into entities by mappers compiled for
 * the selected columns of each entity and alias. The entities are the same as
 * `getMany()` makes: same class, same property values, embedded objects, joined entities on their
 * mapped property (null when the join found nothing); rows are distinct by the main entity's
 * primary key, as `getMany()` groups them. A query outside the plan's shapes is read by `getMany()`.
 *
 * With `properties` (what the GraphQL selection reads, `selectedProperties`), only their columns and
 * the primary key are selected: such entities are partial, and go nowhere but to the response.
 */
export async function readMany<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, properties?: readonly string[]): Promise<T[]> {
  const shape = cachedPlan(qb, properties);
  if (!shape) return qb.getMany();
  // bound as TypeORM binds them (getQueryAndParameters)
  const [sql, parameters] = qb.connection.driver.escapeQueryWithParameters(shape.sql, qb.getParameters());
  const sqlite = sqliteDatabase(qb.connection);
  let raws: Raw[];
  let hydrators: Hydrators = shape;
  if (sqlite) {
    ({ rows: raws, hydrators } = readSqlite(qb, sqlite, shape, sql, parameters));
  } else {
    // on the builder's own query runner (a transaction's) when it has one, as getRawMany runs it; else
    // one from the pool for this statement
    const { queryRunner } = qb as unknown as { queryRunner?: QueryRunner };
    raws = await qb.connection.query(sql, parameters, queryRunner);
  }
  const { primary } = shape;
  const keyOf = (entity: ObjectLiteral): unknown =>
    primary.length === 1 ? entity[primary[0].propertyName] : primary.map((c): unknown => c.getEntityValue(entity)).join('\u0000');
  const seen = new Set<unknown>();
  const entities: T[] = [];
  for (const raw of raws) {
    const entity = hydrators.main(raw);
    if (!entity) continue;
    const key = keyOf(entity);
    if (seen.has(key)) continue;
    seen.add(key);
    // null when the join found nothing, as TypeORM maps it
    for (const join of hydrators.joins) entity[join.property] = join.hydrate(raw) ?? null;
    entities.push(entity as T);
  }
  return entities;
}
