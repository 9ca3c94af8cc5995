import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { atCommit, beforeCommit, inTransaction } from '../common/database';
import { logger } from '../common/logger';
import { Statement } from '../common/statements';
import { Tally } from './tally.entity';

/**
 * Counters behind `totalCount`: a list without a filter reads one row instead of counting its rows,
 * so its cost does not grow with the partner. Each is changed in the transaction of the change it
 * counts (`countChange`), written with the COMMIT in one statement and one key order, and can be
 * rebuilt from the tables (`REBUILD`), which the server does at start when the definitions changed.
 * A filtered list (a search, a status, a reseller) still counts its rows, and its cost says so.
 */
export enum TallyName {
  /** a partner's customers: its ACTIVE reseller relationships; `*`: every customer */
  CUSTOMERS = 'customers',
  /** the events of an audience key (`p:<id>`, `c:<id>`); `*`: every event */
  EVENTS = 'events',
  /** a partner's audit trail; `*`: every entry */
  ACTIVITIES = 'activities',
  /** a partner's invitations (it created them); `*`: all */
  INVITATIONS = 'invitations',
  /** an indirect provider's partnership requests */
  PARTNERSHIP_REQUESTS = 'partnership_requests',
  /** a provider's ACTIVE partnerships (its indirect resellers); `*`: all ACTIVE partnerships */
  PARTNERSHIPS_AS_PROVIDER = 'partnerships_as_provider',
  /** a reseller's ACTIVE partnerships (its indirect providers); `*`: all ACTIVE partnerships */
  PARTNERSHIPS_AS_RESELLER = 'partnerships_as_reseller',
  /** `*`: every partner */
  PARTNERS = 'partners',
  /** a partner's admin relationships (any status); `*`: all */
  ADMIN_RELATIONSHIPS = 'admin_relationships',
}

/** The owner of a tally over every row. */
export const EVERYONE = '*';

/**
 * Each tally as `SELECT owner, total` queries over the tables it counts: the truth a rebuild restores.
 * The core's (events, the audit trail) are here; each feature registers those over its own tables
 * (`registerTally`, from its module's `register`).
 */
const REBUILD = new Map<TallyName, string[]>([
  [TallyName.EVENTS, ['SELECT audience, COUNT(*) FROM event_audience GROUP BY audience', `SELECT '${EVERYONE}', COUNT(*) FROM event`]],
  [
    TallyName.ACTIVITIES,
    ['SELECT partnerId, COUNT(*) FROM activity WHERE partnerId IS NOT NULL GROUP BY partnerId', `SELECT '${EVERYONE}', COUNT(*) FROM activity`],
  ],
]);

/** Adds the rebuild queries of a tally over a feature's table (a tally may sum several features' queries). */
export function registerTally(name: TallyName, queries: string[]): void {
  REBUILD.set(name, [...(REBUILD.get(name) ?? []), ...queries]);
}

/** The row that records which definitions the stored tallies were built with (its owner is their hash). */
const DEFINITIONS_ROW = '_definitions';
/** The hash of the definitions, in the order of TallyName (known once the modules have registered theirs). */
function definitionsHash(): string {
  const ordered = Object.fromEntries(Object.values(TallyName).flatMap((name) => (REBUILD.has(name) ? [[name, REBUILD.get(name)]] : [])));
  return createHash('sha256').update(JSON.stringify(ordered)).digest('hex').slice(0, 32);
}

/** Deltas of one transaction, by `name owner`, written just before its COMMIT. */
const pending = new WeakMap<EntityManager, Map<string, { name: TallyName; owner: string; delta: number }>>();

/**
 * Changes a tally by `delta` in the transaction of `em` (which must come from `inTransaction`): the
 * deltas are summed and written just before COMMIT, so a rollback leaves the tally as it was.
 */
export function countChange(em: EntityManager, name: TallyName, owner: string, delta = 1): void {
  let deltas = pending.get(em);
  if (!deltas) {
    const created = new Map<string, { name: TallyName; owner: string; delta: number }>();
    pending.set(em, created);
    beforeCommit(em, () => writeDeltas(em, [...created.values()]));
    deltas = created;
  }
  const key = `${name} ${owner}`;
  const entry = deltas.get(key) ?? { name, owner, delta: 0 };
  entry.delta += delta;
  deltas.set(key, entry);
}

/**
 * One upsert for all of a transaction's deltas, in key order (two transactions never wait on each other
 * crosswise), sent with the COMMIT (`atCommit`): the rows every change writes (`*`) stay locked for as
 * short a time as the database allows.
 */
function writeDeltas(em: EntityManager, deltas: { name: TallyName; owner: string; delta: number }[]): void {
  const rows = deltas.filter((d) => d.delta !== 0).sort((a, b) => (a.name === b.name ? (a.owner < b.owner ? -1 : 1) : a.name < b.name ? -1 : 1));
  if (!rows.length) return;
  const values = rows.map(() => '(?, ?, ?)').join(', ');
  const params = rows.flatMap((r) => [r.name, r.owner, r.delta]);
  const mysql = em.connection.options.type !== 'better-sqlite3';
  atCommit(
    em,
    mysql
      ? `INSERT INTO tally (name, owner, total) VALUES ${values} ON DUPLICATE KEY UPDATE total = total + VALUES(total)`
      : `INSERT INTO tally (name, owner, total) VALUES ${values} ON CONFLICT (name, owner) DO UPDATE SET total = total + excluded.total`,
    params,
  );
}

/** A tally's value; a tally without a row is 0. */
const tallyTotal = new Statement<{ name: string; owner: string }, { total: string | number }>((ds, values) =>
  ds
    .createQueryBuilder(Tally, 'tally')
    .select('tally.total', 'total')
    .where('tally.name = :name AND tally.owner = :owner', { name: values.name, owner: values.owner }),
);

export async function readTally(ds: DataSource, name: TallyName, owner: string): Promise<number> {
  const [row] = await tallyTotal.rows(ds, { name, owner });
  return row ? Number(row.total) : 0; // MySQL hands BIGINT back as a string
}

/**
 * `paginate`'s `count` from a tally: one row read. Without an owner (a filtered list, or a caller
 * the tally does not cover) undefined, so the list counts its rows.
 */
export function tallyCount(ds: DataSource, name: TallyName, owner: string | undefined | false): (() => Promise<number>) | undefined {
  return owner ? () => readTally(ds, name, owner) : undefined;
}

/** Every tally recounted from the tables, as rows. */
async function recount(em: EntityManager): Promise<Tally[]> {
  const rows: Tally[] = [];
  for (const [name, queries] of REBUILD) {
    for (const query of queries) {
      const found: Record<string, string | number>[] = await em.query(query);
      for (const row of found) {
        const [owner, total] = Object.values(row);
        if (Number(total) > 0) rows.push({ name, owner: String(owner), total: Number(total) });
      }
    }
  }
  return rows;
}

/** Replaces every tally with a recount from the tables, in one transaction. */
export async function rebuildTallies(ds: DataSource): Promise<void> {
  await inTransaction(ds, async (em) => {
    await em.createQueryBuilder().delete().from(Tally).execute();
    const rows = await recount(em);
    rows.push({ name: DEFINITIONS_ROW, owner: definitionsHash(), total: 0 });
    for (let i = 0; i < rows.length; i += 500) await em.insert(Tally, rows.slice(i, i + 500));
  });
}

/**
 * At start: rebuilds the tallies when they were built with other definitions (or never: a database
 * from before them). On MySQL a named lock keeps two servers starting together from rebuilding at once.
 */
export async function ensureTallies(ds: DataSource): Promise<void> {
  const current = () => ds.manager.findOneBy(Tally, { name: DEFINITIONS_ROW });
  const hash = definitionsHash();
  if ((await current())?.owner === hash) return;
  const mysql = ds.options.type !== 'better-sqlite3';
  const runner = ds.createQueryRunner();
  try {
    if (mysql) await runner.query("SELECT GET_LOCK('partner_center_tallies', 60)");
    if ((await current())?.owner === hash) return;
    logger.info('rebuilding the list counters (tally) from the tables');
    await rebuildTallies(ds);
  } finally {
    if (mysql) await runner.query("SELECT RELEASE_LOCK('partner_center_tallies')").catch(() => undefined);
    await runner.release();
  }
}

/** The tallies that differ from a recount of the tables: empty when every counter is right. */
export async function auditTallies(ds: DataSource): Promise<{ name: string; owner: string; stored: number; counted: number }[]> {
  const counted = await recount(ds.manager);
  const stored = await ds.manager.find(Tally);
  const key = (t: { name: string; owner: string }) => `${t.name} ${t.owner}`;
  const storedBy = new Map(stored.filter((t) => t.name !== DEFINITIONS_ROW).map((t) => [key(t), t.total]));
  const countedBy = new Map(counted.map((t) => [key(t), t.total]));
  const problems: { name: string; owner: string; stored: number; counted: number }[] = [];
  for (const k of new Set([...storedBy.keys(), ...countedBy.keys()])) {
    const [name, owner] = k.split(' ');
    const s = storedBy.get(k) ?? 0;
    const c = countedBy.get(k) ?? 0;
    if (s !== c) problems.push({ name, owner, stored: s, counted: c });
  }
  return problems;
}
