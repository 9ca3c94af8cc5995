import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { forUpdate } from '../../common/database';
import { DelegatedAdminStatus, RelationshipStatus } from '../../common/enums';
import { ForbiddenError, NotFoundError } from '../../common/errors';
import type { Scope } from '../../scope/scope';
import { AdminRelationship, AdminRelationshipStatus, AdminRole } from '../admin-relationship/admin-relationship.entity';
import { DelegatedAdminPrivilege } from '../relationship/delegated-admin-privilege.entity';
import { ResellerRelationship } from '../relationship/reseller-relationship.entity';
import { Customer } from '../customer/customer.entity';

/**
 * Who may act in a customer's directory (its users and their licences), in one place:
 * - the customer's own admin (CUSTOMER_ADMIN), for its tenant: everything;
 * - the operator: reads;
 * - a partner's GLOBAL_ADMIN or ADMIN_AGENT, through what the customer granted it, checked on every
 *   request against the database and the business clock (no cache): delegated admin privileges
 *   (ACTIVE: everything, as Partner Center's DAP is global administration), or an admin relationship
 *   that is ACTIVE and whose endsAt has not passed, holding a role of the need (DIRECTORY_NEEDS).
 *   Roles of several relationships add up. A partner with none of these gets FORBIDDEN naming the
 *   role it lacks; one that has nothing to do with the customer (no reseller relationship, no
 *   privileges, no admin relationship ever) gets NOT_FOUND, as for any foreign id.
 * In a change, the granting rows are locked until the commit: a termination waits for it, or
 * committed first and the change is refused.
 */
export enum DirectoryNeed {
  /** read the users and their licences */
  READ = 'READ',
  /** create, update, delete and restore users */
  USERS = 'USERS',
  /** assign and unassign licences */
  LICENSES = 'LICENSES',
  /** give a user administrator roles, or change a user who holds some */
  ROLES = 'ROLES',
}

/** The admin roles that grant each need (GLOBAL_ADMINISTRATOR: all of them). */
export const DIRECTORY_NEEDS: Record<DirectoryNeed, readonly AdminRole[]> = {
  [DirectoryNeed.READ]: [
    AdminRole.DIRECTORY_READER,
    AdminRole.GLOBAL_READER,
    AdminRole.USER_ADMINISTRATOR,
    AdminRole.LICENSE_ADMINISTRATOR,
    AdminRole.GLOBAL_ADMINISTRATOR,
  ],
  [DirectoryNeed.USERS]: [AdminRole.USER_ADMINISTRATOR, AdminRole.GLOBAL_ADMINISTRATOR],
  [DirectoryNeed.LICENSES]: [AdminRole.LICENSE_ADMINISTRATOR, AdminRole.GLOBAL_ADMINISTRATOR],
  [DirectoryNeed.ROLES]: [AdminRole.PRIVILEGED_ROLE_ADMINISTRATOR, AdminRole.GLOBAL_ADMINISTRATOR],
};

export enum AccessGrantKind {
  DELEGATED_ADMIN = 'DELEGATED_ADMIN',
  ADMIN_RELATIONSHIP = 'ADMIN_RELATIONSHIP',
}
registerEnumType(AccessGrantKind, {
  name: 'AccessGrantKind',
  description: "What let a partner act in a customer's directory: its delegated admin privileges, or an admin relationship's role",
});

/** What granted a partner's action in a customer's directory: recorded on its audit records (`Activity.grantedBy`). */
@ObjectType({ description: "What let a partner act in a customer's directory, as recorded when it acted" })
export class AccessGrant {
  @Field(() => AccessGrantKind)
  kind: AccessGrantKind;

  @Field(() => ID, { nullable: true, description: 'The admin relationship (ADMIN_RELATIONSHIP)' })
  adminRelationshipId: string | null;

  @Field(() => String, { nullable: true, description: 'Its display name when the partner acted' })
  adminRelationshipName: string | null;

  @Field(() => AdminRole, { nullable: true, description: 'The role of the admin relationship that granted it' })
  role: AdminRole | null;
}

/** The grants of one action (empty for the customer's own admin and the operator). */
export type Grants = AccessGrant[];

function hasRole(roles: readonly AdminRole[], need: DirectoryNeed): AdminRole | undefined {
  return DIRECTORY_NEEDS[need].find((role) => roles.includes(role));
}

function missing(customerId: string, need: DirectoryNeed): ForbiddenError {
  const [role] = DIRECTORY_NEEDS[need];
  return new ForbiddenError(
    `This needs the ${role} role (or GLOBAL_ADMINISTRATOR) in an ACTIVE admin relationship with customer ${customerId}, or delegated admin privileges`,
  );
}

/**
 * What lets the caller act on customer `customerId`'s directory for every need of `needs` (NOT_FOUND
 * or FORBIDDEN otherwise). `em` with `lock`: inside a change, the granting rows stay locked until the commit.
 */
export async function requireDirectoryAccess(
  scope: Scope,
  customerId: string,
  needs: readonly DirectoryNeed[],
  opts: { em?: EntityManager; lock?: boolean; at?: Date; notFound?: () => Error } = {},
): Promise<Grants> {
  const em = scope.manager(opts.em);
  const notFound = opts.notFound ?? (() => new NotFoundError('Customer', customerId));
  if (scope.customerId !== undefined) {
    if (scope.customerId !== customerId) throw notFound();
    return [];
  }
  if (scope.isOperator) {
    if (needs.some((n) => n !== DirectoryNeed.READ)) throw new ForbiddenError("The operator reads a customer's directory; it does not change it");
    if (!(await em.existsBy(Customer, { id: customerId }))) throw notFound();
    return [];
  }
  const partnerId = scope.ownPartnerId();
  const dap = em
    .createQueryBuilder(DelegatedAdminPrivilege, 'dap')
    .where('dap.partnerId = :partnerId AND dap.customerId = :customerId', { partnerId, customerId });
  const ars = em
    .createQueryBuilder(AdminRelationship, 'ar')
    .where('ar.partnerId = :partnerId AND ar.customerId = :customerId', { partnerId, customerId })
    .orderBy('ar.id', 'ASC');
  const [privileges, relationships, served] = await Promise.all([
    (opts.lock ? forUpdate(dap) : dap).getOne(),
    (opts.lock ? forUpdate(ars) : ars).getMany(),
    em.existsBy(ResellerRelationship, { partnerId, customerId, status: RelationshipStatus.ACTIVE }),
  ]);
  if (!privileges && !relationships.length && !served) throw notFound();
  if (privileges?.status === DelegatedAdminStatus.ACTIVE) {
    return [{ kind: AccessGrantKind.DELEGATED_ADMIN, adminRelationshipId: null, adminRelationshipName: null, role: null }];
  }
  const now = opts.at ?? scope.now();
  const current = relationships.filter((r) => r.status === AdminRelationshipStatus.ACTIVE && r.endsAt && r.endsAt.getTime() > now.getTime());
  const grants: Grants = [];
  for (const need of needs) {
    const granting = current.find((r) => hasRole(r.roles, need));
    if (!granting) throw missing(customerId, need);
    if (grants.some((g) => g.adminRelationshipId === granting.id && g.role === hasRole(granting.roles, need))) continue;
    grants.push({
      kind: AccessGrantKind.ADMIN_RELATIONSHIP,
      adminRelationshipId: granting.id,
      adminRelationshipName: granting.displayName,
      role: hasRole(granting.roles, need)!,
    });
  }
  return grants;
}

/**
 * The partners that may read the customer's directory now (its events about users and licences go to
 * them): delegated admin privileges ACTIVE, or an admin relationship ACTIVE and not past its endsAt
 * with a reading role.
 */
export async function directoryReaders(em: EntityManager, customerId: string, now: Date): Promise<string[]> {
  const [privileges, relationships] = await Promise.all([
    em.find(DelegatedAdminPrivilege, { select: { partnerId: true }, where: { customerId, status: DelegatedAdminStatus.ACTIVE } }),
    em.find(AdminRelationship, { where: { customerId, status: AdminRelationshipStatus.ACTIVE } }),
  ]);
  const readers = new Set(privileges.map((p) => p.partnerId));
  for (const r of relationships) if (r.endsAt && r.endsAt.getTime() > now.getTime() && hasRole(r.roles, DirectoryNeed.READ)) readers.add(r.partnerId);
  return [...readers];
}
