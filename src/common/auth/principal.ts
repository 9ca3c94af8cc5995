import { Role } from './roles';

/** The authenticated caller, built from verified token claims. */
export interface Principal {
  userId: string;
  roles: Role[];
  partnerId?: string;
  customerId?: string;
  /** Token expiry (ms since epoch), when the token has one. */
  expiresAt?: number;
}

export function isOperator(p: Principal): boolean {
  return p.roles.includes(Role.PLATFORM_ADMIN);
}

export function hasAnyRole(p: Principal, roles: readonly Role[]): boolean {
  return p.roles.some((r) => roles.includes(r));
}
