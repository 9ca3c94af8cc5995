import DataLoader from 'dataloader';
import { type DataSource, type EntityTarget, In, type ObjectLiteral } from 'typeorm';
import type { Principal } from './auth/principal';
import { Customer } from '../modules/customer/customer.entity';
import { Offer } from '../modules/offer/offer.entity';
import { Partner } from '../modules/partner/partner.entity';
import { DelegatedAdminPrivilege } from '../modules/relationship/delegated-admin-privilege.entity';
import { ResellerRelationship } from '../modules/relationship/reseller-relationship.entity';

/** Loads rows by id with one `IN (...)` query per batch; results come back in key order. */
function byId<T extends ObjectLiteral & { id: string }>(ds: DataSource, entity: EntityTarget<T>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = await ds.getRepository(entity).findBy({ id: In([...ids]) } as never);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/** Rows of a partner ↔ customer table for one partner, by customer id. */
function forPartnerByCustomer<T extends ObjectLiteral & { customerId: string }>(
  ds: DataSource,
  entity: EntityTarget<T>,
  partnerId: string,
) {
  return new DataLoader<string, T | null>(async (customerIds) => {
    const rows = await ds.getRepository(entity).findBy({ partnerId, customerId: In([...customerIds]) } as never);
    const map = new Map(rows.map((r) => [r.customerId, r]));
    return customerIds.map((id) => map.get(id) ?? null);
  });
}

/** All rows of a partner ↔ customer table for a customer, by customer id. */
function allByCustomer<T extends ObjectLiteral & { customerId: string }>(ds: DataSource, entity: EntityTarget<T>) {
  return new DataLoader<string, T[]>(async (customerIds) => {
    const rows = await ds.getRepository(entity).findBy({ customerId: In([...customerIds]) } as never);
    return customerIds.map((id) => rows.filter((r) => r.customerId === id));
  });
}

export interface Loaders {
  partner: DataLoader<string, Partner | null>;
  customer: DataLoader<string, Customer | null>;
  offer: DataLoader<string, Offer | null>;
  /** The viewer's partner's relationship with a customer (undefined when the viewer is no partner). */
  viewerRelationship?: DataLoader<string, ResellerRelationship | null>;
  viewerDelegatedAdmin?: DataLoader<string, DelegatedAdminPrivilege | null>;
  relationshipsOfCustomer: DataLoader<string, ResellerRelationship[]>;
  delegatedAdminOfCustomer: DataLoader<string, DelegatedAdminPrivilege[]>;
}

/** One set per request (or per WebSocket operation): batching and caching never cross callers. */
export function createLoaders(ds: DataSource, principal?: Principal): Loaders {
  const partnerId = principal?.partnerId;
  return {
    partner: byId(ds, Partner),
    customer: byId(ds, Customer),
    offer: byId(ds, Offer),
    viewerRelationship: partnerId ? forPartnerByCustomer(ds, ResellerRelationship, partnerId) : undefined,
    viewerDelegatedAdmin: partnerId ? forPartnerByCustomer(ds, DelegatedAdminPrivilege, partnerId) : undefined,
    relationshipsOfCustomer: allByCustomer(ds, ResellerRelationship),
    delegatedAdminOfCustomer: allByCustomer(ds, DelegatedAdminPrivilege),
  };
}
