import { In, LessThanOrEqual, type EntityManager } from 'typeorm';
import type { ChangeTx, Changes } from '../../changes/change';
import { forUpdate, isUniqueViolation } from '../../common/database';
import { lockOwner } from '../../common/locks';
import { ConflictError, NotFoundError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import { hashPassword, newTemporaryPassword } from '../../common/secrets';
import { anyColumnContains } from '../../common/sql';
import type { Scope } from '../../scope/scope';
import { AdminRole } from '../admin-relationship/admin-relationship.entity';
import { inCatalogOrder } from '../admin-relationship/admin-relationship.rules';
import { Customer } from '../customer/customer.entity';
import { CustomerSubscription, SubscriptionStatus } from '../subscription/subscription.entity';
import { CUSTOMER_USER_CREATED, CUSTOMER_USER_DELETED, CUSTOMER_USER_PURGED, CUSTOMER_USER_RESTORED, CUSTOMER_USER_UPDATED } from './customer-user.changes';
import { CustomerUser, CustomerUserStatus } from './customer-user.entity';
import type { CreateCustomerUserInput, CustomerUserFilter, LicenseChangeInput, UpdateCustomerUserInput } from './customer-user.inputs';
import { parseUserName, purgeAt, RESTORE_DAYS, userNameKey } from './customer-user.rules';
import { directoryReaders, DirectoryNeed, requireDirectoryAccess } from './directory-access';
import { LicenseAssignment } from './license-assignment.entity';
import { assignedCount, insertAssignments, recordLicenseChanges, userSnapshot } from './licenses';
import { DAY_MS } from '../../common/clock';

const { ACTIVE, DELETED } = CustomerUserStatus;

/** A user after a change, with the subscriptions whose licences the change moved (as the caller may read them). */
export interface CustomerUserChanged {
  user: CustomerUser;
  subscriptions: CustomerSubscription[];
}

/**
 * A customer's users and their licences. Who may act is decided per operation by directory-access.ts
 * (the customer's admin; a partner through DAP or an admin relationship's roles), and what granted a
 * partner's action is recorded on each of its audit records (`Activity.grantedBy`).
 */
export class CustomerUserService {
  constructor(private readonly changes: Changes) {}

  /** A page of the customer's users, oldest first; deleted ones only with `includeDeleted`. */
  async list(scope: Scope, customerId: string, args: ConnectionArgs, filter?: CustomerUserFilter) {
    await requireDirectoryAccess(scope, customerId, [DirectoryNeed.READ]);
    const qb = scope.manager().createQueryBuilder(CustomerUser, 'customer_user').where('customer_user.customerId = :customerId', { customerId });
    if (!filter?.includeDeleted) qb.andWhere('customer_user.status = :active', { active: ACTIVE });
    if (filter?.search) qb.andWhere(anyColumnContains(['customer_user.userName', 'customer_user.displayName'], filter.search));
    return paginate(qb, args);
  }

  async create(scope: Scope, input: CreateCustomerUserInput): Promise<{ user: CustomerUser; temporaryPassword: string }> {
    const roles = inCatalogOrder([...new Set(input.roles ?? [])]);
    const temporaryPassword = newTemporaryPassword(20);
    const passwordHash = await hashPassword(temporaryPassword);
    try {
      return await this.changes.runOnLatest(scope, async (tx) => {
        const { em } = tx;
        await this.actUnder(tx, scope, input.customerId, roles.length ? [DirectoryNeed.USERS, DirectoryNeed.ROLES] : [DirectoryNeed.USERS]);
        const customer = await em.findOneByOrFail(Customer, { id: input.customerId });
        const parsed = parseUserName(input.userName, customer.domain);
        if ('problem' in parsed) throw UserInputError.field('input.userName', parsed.problem);
        const key = userNameKey(parsed.userName);
        if (await em.existsBy(CustomerUser, { userNameKey: key })) throw taken(parsed.userName);
        const user = em.create(CustomerUser, {
          id: newId(),
          customerId: customer.id,
          userName: parsed.userName,
          userNameKey: key,
          displayName: input.displayName,
          firstName: input.firstName ?? null,
          lastName: input.lastName ?? null,
          roles,
          status: ACTIVE,
          passwordHash,
          mustChangePassword: true,
          createdAt: tx.at,
          updatedAt: null,
          deletedAt: null,
        });
        await tx.insert(CustomerUser, user, CUSTOMER_USER_CREATED, {
          subject: this.subject(scope, customer.id),
          subjectId: user.id,
          data: { user: userSnapshot(user) },
          alsoNotify: await directoryReaders(em, customer.id, tx.at),
        });
        return { user, temporaryPassword };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw taken(input.userName);
      throw err;
    }
  }

  /** Names and roles; the user name never changes. Changing a user who holds administrator roles, or its roles, needs ROLES. */
  async update(scope: Scope, input: UpdateCustomerUserInput): Promise<CustomerUserChanged> {
    const given = (['displayName', 'firstName', 'lastName', 'roles'] as const).filter((f) => input[f] !== undefined && input[f] !== null);
    if (!given.length) throw UserInputError.field('input', 'give at least one of displayName, firstName, lastName, roles');
    return this.changes.runOnLatest(scope, async (tx) => {
      const user = await this.lockUser(tx, scope, input.userId);
      const roles = input.roles ? inCatalogOrder([...new Set(input.roles)]) : undefined;
      const privileged = user.roles.length > 0 || (roles !== undefined && roles.length > 0);
      await this.actUnder(tx, scope, user.customerId, privileged ? [DirectoryNeed.USERS, DirectoryNeed.ROLES] : [DirectoryNeed.USERS], user.id);
      if (user.status !== ACTIVE) throw new ConflictError(`User ${user.id} is deleted: restore it first (restoreCustomerUser)`);
      const set: Partial<CustomerUser> = {};
      if (input.displayName) set.displayName = input.displayName;
      if (input.firstName) set.firstName = input.firstName;
      if (input.lastName) set.lastName = input.lastName;
      if (roles && JSON.stringify(roles) !== JSON.stringify(user.roles)) {
        if (user.roles.includes(AdminRole.GLOBAL_ADMINISTRATOR) && !roles.includes(AdminRole.GLOBAL_ADMINISTRATOR)) {
          await this.requireAnotherGlobalAdmin(tx.em, user);
        }
        set.roles = roles;
      }
      const changed = Object.keys(set).filter((f) => JSON.stringify(set[f as keyof CustomerUser]) !== JSON.stringify(user[f as keyof CustomerUser]));
      if (!changed.length) return { user, subscriptions: [] };
      const readers = await directoryReaders(tx.em, user.customerId, tx.at);
      const after = await tx.update(CustomerUser, user, { ...set, updatedAt: tx.at }, CUSTOMER_USER_UPDATED, (row) => ({
        subject: this.subject(scope, row.customerId),
        subjectId: row.id,
        data: { user: userSnapshot(row), changed },
        alsoNotify: readers,
      }));
      if (!after) throw new ConflictError(`User ${user.id} changed meanwhile: read it again`);
      return { user: after, subscriptions: [] };
    });
  }

  /** Soft delete: DELETED, restorable for 30 days; its licences are freed at once. Never the customer's last global administrator. */
  async delete(scope: Scope, userId: string): Promise<CustomerUserChanged> {
    return this.changes.runOnLatest(scope, async (tx) => {
      const user = await this.lockUser(tx, scope, userId);
      await this.actUnder(tx, scope, user.customerId, user.roles.length ? [DirectoryNeed.USERS, DirectoryNeed.ROLES] : [DirectoryNeed.USERS], user.id);
      if (user.status !== ACTIVE) throw new ConflictError(`User ${user.id} is already deleted`);
      if (user.roles.includes(AdminRole.GLOBAL_ADMINISTRATOR)) await this.requireAnotherGlobalAdmin(tx.em, user);
      const readers = await directoryReaders(tx.em, user.customerId, tx.at);
      const after = await tx.update(CustomerUser, user, { status: DELETED, deletedAt: tx.at, updatedAt: tx.at }, CUSTOMER_USER_DELETED, (row) => ({
        subject: this.subject(scope, row.customerId),
        subjectId: row.id,
        data: { user: userSnapshot(row), purgeAt: purgeAt(tx.at).toISOString() },
        alsoNotify: readers,
      }));
      if (!after) throw new ConflictError(`User ${user.id} changed meanwhile: read it again`);
      const held = await tx.em.findBy(LicenseAssignment, { userId: user.id });
      if (held.length) {
        await tx.em.delete(LicenseAssignment, { userId: user.id });
        await recordLicenseChanges(tx, 'unassigned', held, this.subject(scope, user.customerId), 'USER_DELETED', readers);
      }
      return {
        user: after,
        subscriptions: await this.readableSubscriptions(
          scope,
          tx.em,
          held.map((h) => h.subscriptionId),
        ),
      };
    });
  }

  /** Within 30 days of its deletion (by the business clock); the user comes back without licences. */
  async restore(scope: Scope, userId: string): Promise<CustomerUserChanged> {
    return this.changes.runOnLatest(scope, async (tx) => {
      const user = await this.lockUser(tx, scope, userId);
      await this.actUnder(tx, scope, user.customerId, user.roles.length ? [DirectoryNeed.USERS, DirectoryNeed.ROLES] : [DirectoryNeed.USERS], user.id);
      if (user.status !== DELETED) throw new ConflictError(`User ${user.id} is not deleted`);
      if (tx.at.getTime() >= purgeAt(user.deletedAt!).getTime()) {
        throw new ConflictError(`User ${user.id} was deleted more than ${RESTORE_DAYS} days ago and can no longer be restored`);
      }
      const readers = await directoryReaders(tx.em, user.customerId, tx.at);
      const after = await tx.update(CustomerUser, user, { status: ACTIVE, deletedAt: null, updatedAt: tx.at }, CUSTOMER_USER_RESTORED, (row) => ({
        subject: this.subject(scope, row.customerId),
        subjectId: row.id,
        data: { user: userSnapshot(row) },
        alsoNotify: readers,
      }));
      if (!after) throw new ConflictError(`User ${user.id} changed meanwhile: read it again`);
      return { user: after, subscriptions: [] };
    });
  }

  /**
   * One licence of each subscription to the user: the subscriptions are the customer's, readable by the
   * caller, ACTIVE, and each keeps at most its quantity assigned (counted under its row lock: of
   * concurrent assignments of the last free licence, one succeeds). Already assigned: nothing to do.
   */
  async assign(scope: Scope, input: LicenseChangeInput): Promise<CustomerUserChanged> {
    return this.changes.runOnLatest(scope, async (tx) => {
      const { em } = tx;
      const user = await this.lockUser(tx, scope, input.userId);
      await this.actUnder(tx, scope, user.customerId, [DirectoryNeed.LICENSES], user.id);
      if (user.status !== ACTIVE) throw new ConflictError(`User ${user.id} is deleted: restore it first (restoreCustomerUser)`);
      const subscriptions = await this.lockSubscriptions(tx, scope, user, input.subscriptionIds);
      const held = new Set((await em.findBy(LicenseAssignment, { userId: user.id })).map((a) => a.subscriptionId));
      const added: { customerId: string; subscriptionId: string; userId: string }[] = [];
      for (const [i, s] of subscriptions.entries()) {
        if (held.has(s.id)) continue;
        if (s.status !== SubscriptionStatus.ACTIVE) {
          throw new ConflictError(`Subscription ${s.id} is ${s.status}: only an ACTIVE subscription's licences are assigned (input.subscriptionIds[${i}])`);
        }
        const assigned = await assignedCount(em, s.id);
        if (assigned >= s.quantity) {
          throw new ConflictError(`Subscription ${s.id} has no free licence: ${assigned} of ${s.quantity} assigned (input.subscriptionIds[${i}])`);
        }
        added.push({ customerId: user.customerId, subscriptionId: s.id, userId: user.id });
      }
      await insertAssignments(tx, added);
      await recordLicenseChanges(tx, 'assigned', added, this.subject(scope, user.customerId), 'REQUEST');
      return { user, subscriptions: subscriptions.filter((s) => added.some((a) => a.subscriptionId === s.id)) };
    });
  }

  /** Takes back the user's licence of each subscription (one it does not hold: nothing to do). */
  async unassign(scope: Scope, input: LicenseChangeInput): Promise<CustomerUserChanged> {
    return this.changes.runOnLatest(scope, async (tx) => {
      const { em } = tx;
      const user = await this.lockUser(tx, scope, input.userId);
      await this.actUnder(tx, scope, user.customerId, [DirectoryNeed.LICENSES], user.id);
      const subscriptions = await this.lockSubscriptions(tx, scope, user, input.subscriptionIds);
      const rows = await em.findBy(LicenseAssignment, { userId: user.id, subscriptionId: In(subscriptions.map((s) => s.id)) });
      if (rows.length) await em.delete(LicenseAssignment, { id: In(rows.map((r) => r.id)) });
      await recordLicenseChanges(tx, 'unassigned', rows, this.subject(scope, user.customerId), 'REQUEST');
      return { user, subscriptions: subscriptions.filter((s) => rows.some((r) => r.subscriptionId === s.id)) };
    });
  }

  /** The sweep: users deleted 30 days ago (by the business clock) are purged, one CUSTOMER_USER_PURGED each. */
  async purge(now = this.changes.now(), batch = 200): Promise<number> {
    const cutoff = new Date(now.getTime() - RESTORE_DAYS * DAY_MS);
    const run = `sweep-${newId()}`;
    const due = await this.changes.run(null, (tx) =>
      tx.em.find(CustomerUser, { where: { status: DELETED, deletedAt: LessThanOrEqual(cutoff) }, order: { deletedAt: 'ASC' }, take: batch }),
    );
    let purged = 0;
    for (const read of due) {
      const done = await this.changes.runOnLatest(
        null,
        async (tx) => {
          const user = await forUpdate(
            tx.em
              .createQueryBuilder(CustomerUser, 'customer_user')
              .where('customer_user.id = :id AND customer_user.status = :deleted AND customer_user.deletedAt <= :cutoff', {
                id: read.id,
                deleted: DELETED,
                cutoff,
              }),
          ).getOne();
          if (!user) return false;
          return tx.remove(CustomerUser, user, CUSTOMER_USER_PURGED, {
            subject: { partnerId: null, customerId: user.customerId },
            subjectId: user.id,
            data: { user: userSnapshot(user) },
            alsoNotify: await directoryReaders(tx.em, user.customerId, tx.at),
          });
        },
        { correlationId: run },
      );
      if (done) purged++;
    }
    return purged;
  }

  // ---------------------------------------------------------------- internals

  /** Checks the caller's access for `needs` (locking what grants it) and records the grant on the transaction's audit records. */
  private async actUnder(tx: ChangeTx, scope: Scope, customerId: string, needs: DirectoryNeed[], userId?: string): Promise<void> {
    const notFound = userId ? () => new NotFoundError('Customer user', userId) : undefined;
    tx.actingUnder(await requireDirectoryAccess(scope, customerId, needs, { em: tx.em, lock: true, at: tx.at, notFound }));
  }

  private subject(scope: Scope, customerId: string) {
    return { partnerId: scope.partnerId ?? null, customerId };
  }

  /** The user, locked; NOT_FOUND for an unknown id (whether the caller may act on it is checked next, by its customer). */
  private async lockUser(tx: ChangeTx, scope: Scope, userId: string): Promise<CustomerUser> {
    const user = await forUpdate(tx.em.createQueryBuilder(CustomerUser, 'customer_user').where('customer_user.id = :userId', { userId })).getOne();
    if (!user) throw new NotFoundError('Customer user', userId);
    // a customer's admin and a partner that has nothing to do with the customer get NOT_FOUND, never FORBIDDEN
    if (scope.customerId !== undefined && scope.customerId !== user.customerId) throw new NotFoundError('Customer user', userId);
    return user;
  }

  /** The named subscriptions, locked in id order, each the user's customer's and readable by the caller (NOT_FOUND otherwise). */
  private async lockSubscriptions(tx: ChangeTx, scope: Scope, user: CustomerUser, ids: readonly string[]): Promise<CustomerSubscription[]> {
    const unique = [...new Set(ids)].sort();
    const found: CustomerSubscription[] = [];
    for (const id of unique) {
      const s = await forUpdate(
        scope
          .subscriptions(tx.em)
          .andWhere('subscription.id = :lockId AND subscription.customerId = :lockCustomerId', { lockId: id, lockCustomerId: user.customerId }),
      ).getOne();
      if (!s) throw new NotFoundError('Subscription', id);
      found.push(s);
    }
    return found;
  }

  private async readableSubscriptions(scope: Scope, em: EntityManager, ids: string[]): Promise<CustomerSubscription[]> {
    if (!ids.length) return [];
    return scope
      .subscriptions(em)
      .andWhere('subscription.id IN (:...readIds)', { readIds: [...new Set(ids)] })
      .orderBy('subscription.id')
      .getMany();
  }

  /**
   * CONFLICT when `user` is the customer's last ACTIVE global administrator. The customer's row is locked
   * first: two administrators removing each other at once take turns, and the second reads what the first did.
   */
  private async requireAnotherGlobalAdmin(em: EntityManager, user: CustomerUser): Promise<void> {
    await lockOwner(em, Customer, user.customerId);
    const admins = await em.findBy(CustomerUser, { customerId: user.customerId, status: ACTIVE });
    if (!admins.some((u) => u.id !== user.id && u.roles.includes(AdminRole.GLOBAL_ADMINISTRATOR))) {
      throw new ConflictError(`User ${user.id} is the customer's last global administrator: give another user GLOBAL_ADMINISTRATOR first`);
    }
  }
}

function taken(userName: string): UserInputError {
  return UserInputError.field('input.userName', `${userName} is already taken (by this or another user, possibly a deleted one that can still be restored)`);
}
