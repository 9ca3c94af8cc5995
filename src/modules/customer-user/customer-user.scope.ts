import DataLoader from 'dataloader';
import { In } from 'typeorm';
import { registerLoaders } from '../../scope/loaders';
import { registerNodeType } from '../../scope/nodes';
import type { Scope } from '../../scope/scope';
import type { CustomerSubscription } from '../subscription/subscription.entity';
import { LicenseAssignment } from './license-assignment.entity';
import { CustomerUser } from './customer-user.entity';
import { DirectoryNeed, requireDirectoryAccess } from './directory-access';
import { Can } from '../../common/auth/roles';

declare module '../../scope/loaders' {
  interface Loaders {
    /** How many licences of each subscription are assigned (one GROUP BY per batch). */
    assignedLicenses: DataLoader<string, number>;
    /** The subscriptions whose licence each user holds, as the caller may read them (by id). */
    licensesOfUser: DataLoader<string, CustomerSubscription[]>;
  }
}

registerLoaders((scope: Scope, ds) => ({
  assignedLicenses: new DataLoader<string, number>(async (subscriptionIds) => {
    const rows: { subscriptionId: string; total: string | number }[] = await ds
      .createQueryBuilder(LicenseAssignment, 'la')
      .select('la.subscriptionId', 'subscriptionId')
      .addSelect('COUNT(*)', 'total')
      .where('la.subscriptionId IN (:...ids)', { ids: [...subscriptionIds] })
      .groupBy('la.subscriptionId')
      .getRawMany();
    const counts = new Map(rows.map((r) => [r.subscriptionId, Number(r.total)]));
    return subscriptionIds.map((id) => counts.get(id) ?? 0);
  }),
  licensesOfUser: new DataLoader<string, CustomerSubscription[]>(async (userIds) => {
    const rows = await ds.getRepository(LicenseAssignment).find({ where: { userId: In([...userIds]) }, order: { subscriptionId: 'ASC' } });
    const subscriptions = await scope.loaders.subscription.loadMany([...new Set(rows.map((r) => r.subscriptionId))]);
    const readable = new Map(subscriptions.flatMap((s) => (s && !(s instanceof Error) ? [[s.id, s] as const] : [])));
    return userIds.map((userId) => rows.filter((r) => r.userId === userId && readable.has(r.subscriptionId)).map((r) => readable.get(r.subscriptionId)!));
  }),
}));

/** The users of these ids the caller may read (its customer's directory, directory-access.ts), in the order of the ids (null elsewhere). */
async function readableUsers(scope: Scope, ids: readonly string[]): Promise<(CustomerUser | null)[]> {
  const users = ids.length ? await scope.manager().findBy(CustomerUser, { id: In([...ids]) }) : [];
  const allowed = new Set<string>();
  for (const customerId of new Set(users.map((u) => u.customerId))) {
    const readable = await requireDirectoryAccess(scope, customerId, [DirectoryNeed.READ]).then(
      () => true,
      () => false,
    );
    if (readable) allowed.add(customerId);
  }
  const byId = new Map(users.filter((u) => allowed.has(u.customerId)).map((u) => [u.id, u]));
  return ids.map((id) => byId.get(id) ?? null);
}

registerNodeType('CustomerUser', { load: readableUsers, roles: Can.readCustomerUsers });
