import { In, type EntityManager } from 'typeorm';
import type { ChangeTx } from '../../changes/change';
import { ConflictError } from '../../common/errors';
import { newId } from '../../common/ids';
import type { CustomerSubscription } from '../subscription/subscription.entity';
import { CustomerUser } from './customer-user.entity';
import { type CustomerUserSnapshotData, LICENSES_ASSIGNED, LICENSES_UNASSIGNED, type LicenseChangeCauseName } from './customer-user.changes';
import { directoryReaders } from './directory-access';
import { LicenseAssignment } from './license-assignment.entity';

/**
 * The licence book: which user holds a licence of which subscription. One rule holds it together: a
 * subscription never has more licences assigned than its quantity. Every change that could break it
 * runs under the subscription's row lock (SELECT … FOR UPDATE on MySQL; SQLite's transactions take
 * turns): an assignment counts what is assigned, a decrease (updateSubscription) refuses to go below
 * it, and a subscription that ends (cancelled, expired, upgraded) takes its licences back or moves them.
 */

export function userSnapshot(user: CustomerUser): CustomerUserSnapshotData {
  return { id: user.id, userName: user.userName, displayName: user.displayName, roles: [...user.roles], status: user.status };
}

/** How many licences of the subscription are assigned. */
export function assignedCount(em: EntityManager, subscriptionId: string): Promise<number> {
  return em.countBy(LicenseAssignment, { subscriptionId });
}

/** CONFLICT, naming the subscription, when `quantity` is below what is assigned (the subscription must be locked). */
export async function requireRoomFor(em: EntityManager, subscription: CustomerSubscription, quantity: number): Promise<void> {
  const assigned = await assignedCount(em, subscription.id);
  if (assigned > quantity) {
    throw new ConflictError(
      `Subscription ${subscription.id} has ${assigned} licences assigned: unassign ${assigned - quantity} before reducing it to ${quantity} (unassignLicenses)`,
    );
  }
}

/**
 * One LICENSES_ASSIGNED or LICENSES_UNASSIGNED record per user, to the customer, the acting partner and
 * the directory's readers (`readers`: when the caller has read them already in this transaction).
 */
export async function recordLicenseChanges(
  tx: ChangeTx,
  kind: 'assigned' | 'unassigned',
  rows: { userId: string; subscriptionId: string }[],
  subject: { partnerId: string | null; customerId: string },
  cause: LicenseChangeCauseName,
  readers?: readonly string[],
): Promise<void> {
  if (!rows.length) return;
  const byUser = new Map<string, string[]>();
  for (const row of rows) byUser.set(row.userId, [...(byUser.get(row.userId) ?? []), row.subscriptionId]);
  const users = await tx.em.findBy(CustomerUser, { id: In([...byUser.keys()]) });
  const notified = readers ?? (await directoryReaders(tx.em, subject.customerId, tx.at));
  for (const user of users.sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const subscriptionIds = byUser.get(user.id)!.sort();
    tx.record(kind === 'assigned' ? LICENSES_ASSIGNED : LICENSES_UNASSIGNED, {
      subject,
      subjectId: user.id,
      details: { subscriptionIds, cause },
      data: { user: userSnapshot(user), subscriptionIds, cause },
      changes: [
        {
          field: 'licenses',
          before: kind === 'assigned' ? null : JSON.stringify(subscriptionIds),
          after: kind === 'assigned' ? JSON.stringify(subscriptionIds) : null,
        },
      ],
      alsoNotify: notified,
    });
  }
}

/** Takes back every licence of a subscription that ended (cancelled or expired), one event per user. */
export async function releaseAll(tx: ChangeTx, subscription: CustomerSubscription, cause: LicenseChangeCauseName): Promise<void> {
  const rows = await tx.em.findBy(LicenseAssignment, { subscriptionId: subscription.id });
  if (!rows.length) return;
  await tx.em.delete(LicenseAssignment, { subscriptionId: subscription.id });
  await recordLicenseChanges(tx, 'unassigned', rows, { partnerId: subscription.soldByPartnerId, customerId: subscription.customerId }, cause);
}

/** Takes back the newest licences beyond `quantity` (a renewal to fewer licences than are assigned). */
export async function trimTo(tx: ChangeTx, subscription: CustomerSubscription, quantity: number): Promise<void> {
  const rows = await tx.em.find(LicenseAssignment, { where: { subscriptionId: subscription.id }, order: { assignedAt: 'DESC', id: 'DESC' } });
  const excess = rows.slice(0, Math.max(0, rows.length - quantity));
  if (!excess.length) return;
  await tx.em.delete(LicenseAssignment, { id: In(excess.map((r) => r.id)) });
  await recordLicenseChanges(tx, 'unassigned', excess, { partnerId: subscription.soldByPartnerId, customerId: subscription.customerId }, 'RENEWAL_QUANTITY');
}

/** Moves every licence of `from` to its upgrade `to` (the users keep a licence; CONFLICT when `to` has too few). */
export async function moveAll(tx: ChangeTx, from: CustomerSubscription, to: CustomerSubscription): Promise<void> {
  const rows = await tx.em.findBy(LicenseAssignment, { subscriptionId: from.id });
  if (!rows.length) return;
  if (rows.length > to.quantity) {
    throw new ConflictError(
      `Subscription ${from.id} has ${rows.length} licences assigned: upgrade with a quantity of at least ${rows.length}, or unassign some first (input.quantity)`,
    );
  }
  await tx.em.update(LicenseAssignment, { subscriptionId: from.id }, { subscriptionId: to.id });
  const subject = { partnerId: from.soldByPartnerId, customerId: from.customerId };
  const readers = await directoryReaders(tx.em, from.customerId, tx.at);
  const moved = rows.map((r) => ({ ...r, subscriptionId: to.id }));
  await recordLicenseChanges(tx, 'unassigned', rows, subject, 'SUBSCRIPTION_UPGRADED', readers);
  await recordLicenseChanges(tx, 'assigned', moved, subject, 'SUBSCRIPTION_UPGRADED', readers);
}

/** New assignment rows (the caller checked the room under the subscription's lock). */
export async function insertAssignments(tx: ChangeTx, rows: { customerId: string; subscriptionId: string; userId: string }[]): Promise<void> {
  if (rows.length)
    await tx.em.insert(
      LicenseAssignment,
      rows.map((r) => ({ ...r, id: newId(), assignedAt: tx.at })),
    );
}
