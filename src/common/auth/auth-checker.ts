import type { AuthChecker } from 'type-graphql';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import { hasAnyRole, type Principal } from './principal';
import type { Role } from './roles';

/** The part of a request context the auth checker reads: the signed-in caller, if any. */
export interface AuthContext {
  scope: { principal?: Principal };
}

/**
 * The single authChecker behind every @Authorized(): no principal is UNAUTHENTICATED,
 * a principal without one of the listed roles is FORBIDDEN. An empty list means "any signed-in user".
 */
export const authChecker: AuthChecker<AuthContext, Role> = ({ context }, roles) => {
  const principal = context.scope.principal;
  if (!principal) throw new UnauthenticatedError();
  if (roles.length === 0 || hasAnyRole(principal, roles)) return true;
  throw new ForbiddenError(`This operation needs one of the roles: ${roles.join(', ')}`);
};
