import DataLoader from 'dataloader';
import { type DataSource, type EntityTarget, In, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { readMany } from '../common/entity-reader';
import { type Connection, keysetSide, pageRequest, type PageRequest, toConnection, type ConnectionArgs } from '../common/pagination';
/** Rows of a scoped query by id, one `IN (...)` per batch, in key order (null where out of scope). */
export function byId<T extends ObjectLiteral & { id: string }>(query: () => SelectQueryBuilder<T>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const qb = query();
    const rows = await readMany(qb.andWhere(`${qb.alias}.id IN (:...loaderIds)`, { loaderIds: [...ids] }));
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/** Scoped rows of a partner ↔ customer table, grouped by customer id. */
export function byCustomer<T extends ObjectLiteral & { customerId: string }>(query: () => SelectQueryBuilder<T>) {
  return new DataLoader<string, T[]>(async (customerIds) => {
    const qb = query();
    const rows = await readMany(qb.andWhere(`${qb.alias}.customerId IN (:...loaderIds)`, { loaderIds: [...customerIds] }));
    return customerIds.map((id) => rows.filter((r) => r.customerId === id));
  });
}

interface ChildPageKey {
  customerId: string;
  page: PageRequest;
}

type CustomerRow = ObjectLiteral & { id: string; customerId: string | null };

/**
 * One page of each customer's rows of a table (as the scope reads them: its subscriptions, its admin
 * relationships, oldest first) for a whole list of customers: a window function picks the first (or,
 * for `last`, the final) `size + 1` of each customer in one query, whatever the number of customers;
 * keys asking for the same page share it. Rows come in the page's walking order (see toConnection).
 */
function childPages<T extends CustomerRow>(entity: EntityTarget<T>, query: () => SelectQueryBuilder<T>, ds: DataSource) {
  const pageKey = (page: PageRequest) => `${page.size}:${page.backward ? 'b' : 'f'}:${page.after ?? ''}:${page.before ?? ''}`;
  return new DataLoader<ChildPageKey, T[], string>(
    async (keys) => {
      const groups = new Map<string, ChildPageKey[]>();
      for (const key of keys) groups.set(pageKey(key.page), [...(groups.get(pageKey(key.page)) ?? []), key]);
      const pages = new Map<string, T[]>();
      for (const [group, groupKeys] of groups) {
        const { size, backward, after, before } = groupKeys[0].page;
        const walk = backward ? 'DESC' : 'ASC';
        const qb = query();
        const alias = qb.alias;
        const ranked = qb
          .select(`${alias}.id`, 'id')
          .addSelect(`ROW_NUMBER() OVER (PARTITION BY ${alias}.customerId ORDER BY ${alias}.id ${walk})`, 'position')
          .andWhere(`${alias}.customerId IN (:...pageCustomerIds)`, { pageCustomerIds: groupKeys.map((k) => k.customerId) });
        if (after) ranked.andWhere(`${alias}.id > :pageAfterId`, { pageAfterId: after });
        if (before) ranked.andWhere(`${alias}.id < :pageBeforeId`, { pageBeforeId: before });
        const ids: { id: string }[] = await ds
          .createQueryBuilder()
          .select('ranked.id', 'id')
          .from(`(${ranked.getQuery()})`, 'ranked')
          .where('ranked.position <= :pageLimit', { pageLimit: size + 1 })
          .setParameters(ranked.getParameters())
          .getRawMany();
        const rows = ids.length ? await ds.getRepository(entity).findBy({ id: In(ids.map((r) => r.id)) } as never) : [];
        pages.set(
          group,
          rows.sort((a, b) => (a.id < b.id ? -1 : 1) * (backward ? -1 : 1)),
        );
      }
      return keys.map((key) => pages.get(pageKey(key.page))!.filter((row) => row.customerId === key.customerId));
    },
    { cacheKeyFn: (key) => `${key.customerId}:${pageKey(key.page)}` },
  );
}

/** How many rows of each customer the scope reads, one GROUP BY per batch. */
function childCounts<T extends CustomerRow>(query: () => SelectQueryBuilder<T>) {
  return new DataLoader<string, number>(async (customerIds) => {
    const qb = query();
    const alias = qb.alias;
    const rows: { customerId: string; total: string | number }[] = await qb
      .select(`${alias}.customerId`, 'customerId')
      .addSelect('COUNT(*)', 'total')
      .andWhere(`${alias}.customerId IN (:...countCustomerIds)`, { countCustomerIds: [...customerIds] })
      .groupBy(`${alias}.customerId`)
      .getRawMany();
    const counts = new Map(rows.map((r) => [r.customerId, Number(r.total)]));
    return customerIds.map((id) => counts.get(id) ?? 0);
  });
}

/**
 * The loaders of one scope. Empty here: each feature adds its own to this interface (module
 * augmentation in its `<feature>.scope.ts`) and registers how they are built (`registerLoaders`).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Loaders {}

type LoaderFactory = (scope: never, ds: DataSource) => Partial<Loaders>;
const FACTORIES: LoaderFactory[] = [];

/** Registers a feature's loaders: built for every scope (src/scope/scope.ts), from its scoped queries. */
export function registerLoaders<S>(factory: (scope: S, ds: DataSource) => Partial<Loaders>): void {
  FACTORIES.push(factory);
}

/**
 * Whether each customer has rows at or beyond a cursor's position (PageInfo's flags beyond a cursor),
 * one query per batch of customers asking about the same side and position.
 */
function childBeyond<T extends CustomerRow>(query: () => SelectQueryBuilder<T>) {
  const keyOf = (k: { customerId: string; side: 'before' | 'after'; id: string }) => `${k.side}:${k.id}:${k.customerId}`;
  return new DataLoader<{ customerId: string; side: 'before' | 'after'; id: string }, boolean, string>(
    async (keys) => {
      const groups = new Map<string, string[]>();
      for (const k of keys) groups.set(`${k.side}:${k.id}`, [...(groups.get(`${k.side}:${k.id}`) ?? []), k.customerId]);
      const found = new Set<string>();
      for (const [group, customerIds] of groups) {
        const [side, id] = group.split(/:(.*)/s) as ['before' | 'after', string];
        const qb = query();
        const alias = qb.alias;
        const rows: { customerId: string }[] = await qb
          .select(`${alias}.customerId`, 'customerId')
          .andWhere(`${alias}.customerId IN (:...probeCustomerIds)`, { probeCustomerIds: customerIds })
          .andWhere(`${alias}.id ${keysetSide('ASC', side, true)} :probeId`, { probeId: id })
          .groupBy(`${alias}.customerId`)
          .getRawMany();
        for (const row of rows) found.add(`${group}:${row.customerId}`);
      }
      return keys.map((k) => found.has(keyOf(k)));
    },
    { cacheKeyFn: keyOf },
  );
}

/** A page of each customer's rows, and their count, through one loader each per scope. */
export function childConnections<T extends CustomerRow>(entity: EntityTarget<T>, query: () => SelectQueryBuilder<T>, ds: DataSource) {
  const pages = childPages(entity, query, ds);
  const counts = childCounts(query);
  const beyond = childBeyond(query);
  return {
    counts,
    page: async (customerId: string, args: ConnectionArgs): Promise<Connection<T>> => {
      const page = pageRequest(args);
      const rows = await pages.load({ customerId, page });
      // beyond a cursor (only when hasPreviousPage/hasNextPage is selected with one): batched per page of customers
      return toConnection(
        rows,
        page,
        () => counts.load(customerId),
        (side, id) => beyond.load({ customerId, side, id }),
      );
    },
  };
}

/** One set per scope (so per request or WebSocket operation): batching and caching never cross callers. */
export function createLoaders(scope: unknown, ds: DataSource): Loaders {
  const loaders: Partial<Loaders> = {};
  for (const factory of FACTORIES) Object.assign(loaders, factory(scope as never, ds));
  return loaders as Loaders;
}
