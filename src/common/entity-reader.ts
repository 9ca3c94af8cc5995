import type { Driver, EntityMetadata, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { DriverUtils } from 'typeorm/driver/DriverUtils';

type Raw = Record<string, unknown>;
/** Builds the entity of one alias from a raw row; undefined when the row has none (a LEFT JOIN that found nothing). */
type Hydrate = (raw: Raw) => ObjectLiteral | undefined;

/** Column types whose raw values both drivers hand back as the entity keeps them (strings, or null). */
const PLAIN_TYPES = new Set<unknown>(['varchar', 'nvarchar', 'char', 'nchar', 'text', 'tinytext', 'mediumtext', 'longtext', 'uuid', String]);

function isPlain(column: ColumnMetadata): boolean {
  return PLAIN_TYPES.has(column.type) && !column.transformer;
}

/**
 * How one alias's entity is built from a raw row, compiled once per driver, entity and alias:
 * the raw key of each column (as TypeORM names it in its SELECT), the conversion (none for plain
 * strings, the driver's `prepareHydratedValue` otherwise: dates, numbers, JSON, transformers), and
 * where the value goes (embedded columns into their embedded object, as TypeORM does).
 */
function compileHydrate(driver: Driver, metadata: EntityMetadata, alias: string): Hydrate {
  const columns = metadata.columns
    .filter((column) => !column.isVirtual)
    .map((column) => ({
      column,
      key: DriverUtils.buildAlias(driver, undefined, alias, column.databaseName),
      plain: isPlain(column),
      direct: !column.embeddedMetadata,
    }));
  const primaryKeys = metadata.primaryColumns.map((column) => DriverUtils.buildAlias(driver, undefined, alias, column.databaseName));
  return (raw) => {
    // a joined row that is not there (every primary column null): no entity, as TypeORM
    if (primaryKeys.every((key) => raw[key] === null || raw[key] === undefined)) return undefined;
    const entity = metadata.create(undefined, { fromDeserializer: true });
    for (const { column, key, plain, direct } of columns) {
      const value = raw[key];
      if (value === undefined) continue;
      const hydrated = plain ? value : driver.prepareHydratedValue(value, column);
      if (direct) entity[column.propertyName] = hydrated;
      else column.setEntityValue(entity, hydrated);
    }
    return entity;
  };
}

const compiled = new WeakMap<Driver, Map<EntityMetadata, Map<string, Hydrate>>>();

function hydrator(driver: Driver, metadata: EntityMetadata, alias: string): Hydrate {
  let byEntity = compiled.get(driver);
  if (!byEntity) compiled.set(driver, (byEntity = new Map()));
  let byAlias = byEntity.get(metadata);
  if (!byAlias) byEntity.set(metadata, (byAlias = new Map()));
  let hydrate = byAlias.get(alias);
  if (!hydrate) byAlias.set(alias, (hydrate = compileHydrate(driver, metadata, alias)));
  return hydrate;
}

/**
 * The plan for a query the fast path can read: whole entities of the main alias, plus entities
 * joined with `…JoinAndMapOne` onto a property. Anything else (relation joins, many-mapping,
 * partial selects, relation ids, eager relations, entity listeners or subscribers) has no plan and is
 * read by TypeORM.
 */
function plan(qb: SelectQueryBuilder<ObjectLiteral>): { main: Hydrate; joins: { property: string; hydrate: Hydrate }[] } | undefined {
  const map = qb.expressionMap;
  const main = map.mainAlias;
  if (!main?.hasMetadata) return undefined;
  if (map.relationIdAttributes.length || map.selects.length !== 1 + map.joinAttributes.length) return undefined;
  if (map.selects[0].selection !== main.name || main.metadata.eagerRelations.length || main.metadata.listeners.length) return undefined;
  if (qb.connection.subscribers.length) return undefined;
  const { driver } = qb.connection;
  const joins: { property: string; hydrate: Hydrate }[] = [];
  for (const join of map.joinAttributes) {
    const property = join.mapToPropertyPropertyName;
    if (join.isMappingMany || !join.isSelected || join.relation || !property || join.mapToPropertyParentAlias !== main.name) return undefined;
    if (!map.selects.some((select) => select.selection === join.alias.name) || join.metadata!.listeners.length) return undefined;
    joins.push({ property, hydrate: hydrator(driver, join.metadata!, join.alias.name) });
  }
  return { main: hydrator(driver, main.metadata, main.name), joins };
}

/**
 * `qb.getMany()` for the hot lists, without TypeORM's general result transformer: the raw rows
 * are read with `getRawMany()` (same SQL, same parameters, same query runner or transaction) and
 * turned into entities by a mapper compiled per entity and alias. The entities are the same as
 * `getMany()` makes: same class, same property values, embedded objects, joined entities on their
 * mapped property (null when the join found nothing); rows are distinct by the main entity's
 * primary key, as `getMany()` groups them. A query outside the plan's shapes is read by `getMany()`.
 */
export async function readMany<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): Promise<T[]> {
  const shape = plan(qb as SelectQueryBuilder<ObjectLiteral>);
  if (!shape) return qb.getMany();
  const raws = await qb.getRawMany<Raw>();
  const primary = qb.expressionMap.mainAlias!.metadata.primaryColumns;
  const keyOf = (entity: ObjectLiteral) => (primary.length === 1 ? entity[primary[0].propertyName] : primary.map((c) => c.getEntityValue(entity)).join('\u0000'));
  const seen = new Set<unknown>();
  const entities: T[] = [];
  for (const raw of raws) {
    const entity = shape.main(raw);
    if (!entity) continue;
    const key = keyOf(entity);
    if (seen.has(key)) continue;
    seen.add(key);
    // null when the join found nothing, as TypeORM maps it
    for (const join of shape.joins) entity[join.property] = join.hydrate(raw) ?? null;
    entities.push(entity as T);
  }
  return entities;
}
