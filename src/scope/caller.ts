import type { DataSource } from 'typeorm';
import type { Principal } from '../common/auth/principal';
import { UnauthenticatedError } from '../common/errors';
import { Statement } from '../common/statements';

/** The tenant tables a token names (by table name: the scope knows no feature's entity). */
const exists = (table: 'partner' | 'customer') =>
  new Statement<{ id: string }, { found: number }>((ds, values) =>
    ds.createQueryBuilder().select('1', 'found').from(table, 'tenant').where('tenant.id = :id', { id: values.id }).limit(1),
  );
const partnerExists = exists('partner');
const customerExists = exists('customer');

/**
 * Partners and customers found, by database: neither is ever deleted and their ids are never reused, so
 * one that exists keeps existing; one that does not is looked up again every time. Emptied when full.
 */
const found = new WeakMap<DataSource, Set<string>>();
const FOUND_KEPT = 10_000;

async function tenantExists(ds: DataSource, kind: 'partner' | 'customer', id: string): Promise<boolean> {
  let ids = found.get(ds);
  if (!ids) found.set(ds, (ids = new Set()));
  const key = `${kind}:${id}`;
  if (ids.has(key)) return true;
  const exists = (await (kind === 'partner' ? partnerExists : customerExists).rows(ds, { id })).length > 0;
  if (exists) {
    if (ids.size >= FOUND_KEPT) ids.clear();
    ids.add(key);
  }
  return exists;
}

/**
 * The last check of a sign-in, after the token's signature and the consistency of its claims:
 * the partner or customer the token names must exist (UNAUTHENTICATED otherwise). One indexed
 * lookup the first time a tenant signs in on this server (`tenantExists`).
 */
export async function confirmCaller(ds: DataSource, principal: Principal | undefined): Promise<Principal | undefined> {
  if (!principal) return undefined;
  const exists =
    principal.kind === 'partner'
      ? await tenantExists(ds, 'partner', principal.partnerId!)
      : principal.kind === 'customer'
        ? await tenantExists(ds, 'customer', principal.customerId!)
        : true;
  if (!exists) throw new UnauthenticatedError(`Your token names a ${principal.kind} that does not exist`);
  return principal;
}
