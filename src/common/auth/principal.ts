import { Role } from './roles';

/**
 * The authenticated caller, built from verified token claims. A token is exactly one kind of caller
 * (jwt.ts refuses any other mix); `partnerId` is set for a partner's user, `customerId` for a customer's.
 */
export interface Principal {
  kind: 'operator' | 'partner' | 'customer';
  userId: string;
  roles: Role[];
  partnerId?: string;
  customerId?: string;
  /** Token expiry (ms since epoch), when the token has one. */
  expiresAt?: number;
}

export function hasAnyRole(p: Principal, roles: readonly Role[]): boolean {
  return p.roles.some((r) => roles.includes(r));
}
