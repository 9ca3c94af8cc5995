import DataLoader from 'dataloader';
import { type DataSource, type EntityTarget, In, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { readMany } from '../common/entity-reader';
import { type Connection, pageRequest, type PageRequest, toConnection, type ConnectionArgs } from '../common/pagination';
import { AdminRelationship } from '../modules/admin-relationship/admin-relationship.entity';
import type { Customer } from '../modules/customer/customer.entity';
import { Offer } from '../modules/offer/offer.entity';
import type { Partner } from '../modules/partner/partner.entity';
import type { DelegatedAdminPrivilege } from '../modules/relationship/delegated-admin-privilege.entity';
import type { ResellerRelationship } from '../modules/relationship/reseller-relationship.entity';
import { CustomerSubscription } from '../modules/subscription/subscription.entity';

/** The scoped queries the loaders are built from (the Scope provides them). */
export interface ScopedQueries {
  partners(): SelectQueryBuilder<Partner>;
  withContactDetails(): SelectQueryBuilder<Partner>;
  customers(): SelectQueryBuilder<Customer>;
  relationships(): SelectQueryBuilder<ResellerRelationship>;
  delegatedAdminPrivileges(): SelectQueryBuilder<DelegatedAdminPrivilege>;
  subscriptions(): SelectQueryBuilder<CustomerSubscription>;
  adminRelationships(): SelectQueryBuilder<AdminRelationship>;
}

/** Rows of a scoped query by id, one `IN (...)` per batch, in key order (null where out of scope). */
function byId<T extends ObjectLiteral & { id: string }>(query: () => SelectQueryBuilder<T>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const qb = query();
    const rows = await readMany(qb.andWhere(`${qb.alias}.id IN (:...loaderIds)`, { loaderIds: [...ids] }));
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/** Scoped rows of a partner ↔ customer table, grouped by customer id. */
function byCustomer<T extends ObjectLiteral & { customerId: string }>(query: () => SelectQueryBuilder<T>) {
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
 * relationships) for a whole list of customers: a window function picks the first `first + 1` of
 * each customer in one query, whatever the number of customers; keys asking for the same page size
 * and cursor share it.
 */
function childPages<T extends CustomerRow>(entity: EntityTarget<T>, query: () => SelectQueryBuilder<T>, ds: DataSource) {
  const pageKey = (page: PageRequest) => `${page.first}:${page.afterId ?? ''}`;
  return new DataLoader<ChildPageKey, T[], string>(
    async (keys) => {
      const groups = new Map<string, ChildPageKey[]>();
      for (const key of keys) groups.set(pageKey(key.page), [...(groups.get(pageKey(key.page)) ?? []), key]);
      const pages = new Map<string, T[]>();
      for (const [group, groupKeys] of groups) {
        const { first, afterId } = groupKeys[0].page;
        const qb = query();
        const alias = qb.alias;
        const ranked = qb
          .select(`${alias}.id`, 'id')
          .addSelect(`ROW_NUMBER() OVER (PARTITION BY ${alias}.customerId ORDER BY ${alias}.id)`, 'position')
          .andWhere(`${alias}.customerId IN (:...pageCustomerIds)`, { pageCustomerIds: groupKeys.map((k) => k.customerId) });
        if (afterId) ranked.andWhere(`${alias}.id > :pageAfterId`, { pageAfterId: afterId });
        const ids: { id: string }[] = await ds
          .createQueryBuilder()
          .select('ranked.id', 'id')
          .from(`(${ranked.getQuery()})`, 'ranked')
          .where('ranked.position <= :pageLimit', { pageLimit: first + 1 })
          .setParameters(ranked.getParameters())
          .getRawMany();
        const rows = ids.length ? await ds.getRepository(entity).findBy({ id: In(ids.map((r) => r.id)) } as never) : [];
        pages.set(group, rows.sort((a, b) => (a.id < b.id ? -1 : 1)));
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

/** The ids among a batch whose contact details the caller may read. */
function contactDetails(scope: ScopedQueries) {
  return new DataLoader<string, boolean>(async (ids) => {
    const rows = await scope
      .withContactDetails()
      .select('partner.id', 'id')
      .andWhere('partner.id IN (:...loaderIds)', { loaderIds: [...ids] })
      .getRawMany<{ id: string }>();
    const allowed = new Set(rows.map((r) => r.id));
    return ids.map((id) => allowed.has(id));
  });
}

export interface Loaders {
  /** A partner as the caller may know it (null outside `scope.partners()`). */
  partner: DataLoader<string, Partner | null>;
  /** Whether the caller may read a partner's contact details. */
  partnerContactDetails: DataLoader<string, boolean>;
  customer: DataLoader<string, Customer | null>;
  /** The catalog: not tenant data. */
  offer: DataLoader<string, Offer | null>;
  /** The relationships of a customer that concern the caller (a partner: only its own). */
  relationshipsOfCustomer: DataLoader<string, ResellerRelationship[]>;
  delegatedAdminOfCustomer: DataLoader<string, DelegatedAdminPrivilege[]>;
  subscriptionCount: DataLoader<string, number>;
  /** A page of a customer's subscriptions as the caller may read them. */
  subscriptions(customerId: string, args: ConnectionArgs): Promise<Connection<CustomerSubscription>>;
  /** A page of a customer's admin relationships as the caller may read them (a partner: its own). */
  adminRelationships(customerId: string, args: ConnectionArgs): Promise<Connection<AdminRelationship>>;
}

/** A page of each customer's rows, and their count, through one loader each per scope. */
function childConnections<T extends CustomerRow>(entity: EntityTarget<T>, query: () => SelectQueryBuilder<T>, ds: DataSource) {
  const pages = childPages(entity, query, ds);
  const counts = childCounts(query);
  return {
    counts,
    page: async (customerId: string, args: ConnectionArgs): Promise<Connection<T>> => {
      const page = pageRequest(args);
      const rows = await pages.load({ customerId, page });
      return toConnection(rows, page, () => counts.load(customerId));
    },
  };
}

/** One set per scope (so per request or WebSocket operation): batching and caching never cross callers. */
export function createLoaders(scope: ScopedQueries, ds: DataSource): Loaders {
  const subscriptions = childConnections(CustomerSubscription, () => scope.subscriptions(), ds);
  const adminRelationships = childConnections(AdminRelationship, () => scope.adminRelationships(), ds);
  return {
    partner: byId(() => scope.partners()),
    partnerContactDetails: contactDetails(scope),
    customer: byId(() => scope.customers()),
    offer: byId(() => ds.getRepository(Offer).createQueryBuilder('offer')),
    relationshipsOfCustomer: byCustomer(() => scope.relationships()),
    delegatedAdminOfCustomer: byCustomer(() => scope.delegatedAdminPrivileges()),
    subscriptionCount: subscriptions.counts,
    subscriptions: subscriptions.page,
    adminRelationships: adminRelationships.page,
  };
}
