import type { AuthChecker } from 'type-graphql';
import type { RequestContext } from '../context';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import { hasAnyRole } from './principal';
import type { Role } from './roles';

/**
 * The single authChecker behind every @Authorized(): no principal is UNAUTHENTICATED,
 * a principal without one of the listed roles is FORBIDDEN. An empty list means "any signed-in user".
 */
export const authChecker: AuthChecker<RequestContext, Role> = ({ context }, roles) => {
  if (!context.principal) throw new UnauthenticatedError();
  if (roles.length === 0 || hasAnyRole(context.principal, roles)) return true;
  throw new ForbiddenError(`This operation needs one of the roles: ${roles.join(', ')}`);
};
