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
 * The last check of a sign-in, after the token's signature and the consistency of its claims:
 * the partner or customer the token names must exist (UNAUTHENTICATED otherwise). One indexed
 * lookup, done once per HTTP request and once per WebSocket connection (at connection_init).
 */
export async function confirmCaller(ds: DataSource, principal: Principal | undefined): Promise<Principal | undefined> {
  if (!principal) return undefined;
  const exists =
    principal.kind === 'partner'
      ? (await partnerExists.rows(ds, { id: principal.partnerId! })).length > 0
      : principal.kind === 'customer'
        ? (await customerExists.rows(ds, { id: principal.customerId! })).length > 0
        : true;
  if (!exists) throw new UnauthenticatedError(`Your token names a ${principal.kind} that does not exist`);
  return principal;
}
