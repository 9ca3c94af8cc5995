import type { EntityManager, EntityTarget, FindOptionsSelect, FindOptionsWhere, ObjectLiteral } from 'typeorm';
import { forUpdate } from './database';
import type { AppError } from './errors';

/**
 * Authority at the moment of use: a rule that another row must allow (an ACTIVE partnership, a count
 * under its limit) is checked on that row LOCKED inside the transaction that writes, never on a read
 * made earlier and trusted later. On MySQL/MariaDB a plain read inside a transaction sees the snapshot
 * taken at its first read (REPEATABLE READ), so two transactions can both find "18 endpoints" or
 * "partnership ACTIVE" and both write; `SELECT … FOR UPDATE` reads the latest committed row and holds
 * it until the commit, so the other transaction waits and then reads what the first one did.
 * SQLite needs no row lock: its transactions already run one at a time (`inTransaction`).
 *
 * The helpers here only ever lock rows that exist, found by primary key: InnoDB then takes a record
 * lock alone. A `FOR UPDATE` that finds no row takes a gap lock instead, which blocks inserts of
 * unrelated keys that fall into the same gap and deadlocks two transactions that both insert there.
 */

function inOpenTransaction(em: EntityManager, caller: string): void {
  if (!em.queryRunner?.isTransactionActive) throw new Error(`${caller} needs the EntityManager of an inTransaction() call`);
}

/** Whether the database locks rows (`forUpdate` does something): MySQL and MariaDB. */
function rowLocking(em: EntityManager): boolean {
  const type = em.connection.options.type;
  return type === 'mysql' || type === 'mariadb';
}

async function lockById<T extends ObjectLiteral>(em: EntityManager, entity: EntityTarget<T>, id: string): Promise<T | null> {
  return forUpdate(em.createQueryBuilder(entity, 'locked').where('locked.id = :lockedId', { lockedId: id })).getOne();
}

/**
 * Locks the owner row (a partner, a customer) until the commit, so that the work of one owner that
 * must not interleave (count, then insert) takes turns. The owner must exist: an Error otherwise (the
 * caller's own partner or customer was checked at sign-in, so a missing one is a bug, not input).
 * Lock the owner FIRST in the transaction, before any insert that references it: such an insert takes
 * a shared lock on the owner row (foreign key), and two transactions each holding one and both asking
 * for the exclusive lock would deadlock.
 */
export async function lockOwner<T extends ObjectLiteral>(em: EntityManager, entity: EntityTarget<T>, id: string): Promise<T> {
  inOpenTransaction(em, 'lockOwner');
  const owner = await lockById(em, entity, id);
  if (!owner) throw new Error(`lockOwner: no ${em.getRepository(entity).metadata.name} ${id}`);
  return owner;
}

/** A per-owner limit: how many rows the owner may have, how to count them, and what to answer past it. */
export interface OwnerLimit<O extends ObjectLiteral> {
  /** the owner's table and id (the row that is locked) */
  owner: EntityTarget<O>;
  ownerId: string;
  /** at most this many rows once the caller's insert is done */
  max: number;
  /** the rows the owner has now, counted inside the transaction (after the lock) */
  count: (em: EntityManager) => Promise<number>;
  /** the client-facing refusal (a CONFLICT naming the limit) */
  refusal: () => AppError;
}

/**
 * The one way a per-owner count limit is checked: lock the owner row, count, refuse at the limit;
 * the caller inserts in the same transaction afterwards. Concurrent creates of one owner take turns
 * at the lock, so the limit holds however many arrive at once (on MySQL too). Returns the owner row.
 */
export async function withinOwnerLimit<O extends ObjectLiteral>(em: EntityManager, limit: OwnerLimit<O>): Promise<O> {
  const owner = await lockOwner(em, limit.owner, limit.ownerId);
  if ((await limit.count(em)) >= limit.max) throw limit.refusal();
  return owner;
}

/**
 * The row matching `where` (a unique key), locked until the commit and read as last committed, or
 * null when there is none. Found first by a plain read, then locked by its primary key, so a missing
 * row takes no gap lock (see above); rows of the tables this serves are never deleted, so a row found
 * once is there to lock. A row inserted by a concurrent transaction after this one's snapshot reads as
 * null here: the caller's insert then fails on the unique index, which it handles.
 */
export async function lockExisting<T extends ObjectLiteral & { id: string }>(
  em: EntityManager,
  entity: EntityTarget<T>,
  where: FindOptionsWhere<T>,
): Promise<T | null> {
  inOpenTransaction(em, 'lockExisting');
  // SQLite: one transaction at a time, so the plain read is already the last committed row
  if (!rowLocking(em)) return em.findOne(entity, { where });
  const found = await em.findOne(entity, { where, select: { id: true } as FindOptionsSelect<T> });
  return found ? lockById(em, entity, found.id) : null;
}
