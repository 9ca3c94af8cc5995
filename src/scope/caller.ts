import type { DataSource } from 'typeorm';
import type { Principal } from '../common/auth/principal';
import { UnauthenticatedError } from '../common/errors';
import { Customer } from '../modules/customer/customer.entity';
import { Partner } from '../modules/partner/partner.entity';

/**
 * The last check of a sign-in, after the token's signature and the consistency of its claims:
 * the partner or customer the token names must exist (UNAUTHENTICATED otherwise). One indexed
 * lookup, done once per HTTP request and once per WebSocket connection (at connection_init).
 */
export async function confirmCaller(ds: DataSource, principal: Principal | undefined): Promise<Principal | undefined> {
  if (!principal) return undefined;
  const exists =
    principal.kind === 'partner'
      ? await ds.getRepository(Partner).existsBy({ id: principal.partnerId! })
      : principal.kind === 'customer'
        ? await ds.getRepository(Customer).existsBy({ id: principal.customerId! })
        : true;
  if (!exists) throw new UnauthenticatedError(`Your token names a ${principal.kind} that does not exist`);
  return principal;
}
