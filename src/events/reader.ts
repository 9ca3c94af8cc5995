import type { DataSource, SelectQueryBuilder } from 'typeorm';
import type { EventType } from './catalog';
import { EventAudience, EventRecord } from './event.entity';
import { type StoredEvent, toStoredEvent } from './outbox';

/** Who reads, and which events: the filter part of a range (Query.events counts with it too). */
export interface EventSelection {
  /** the caller's audience key (`p:<partnerId>` or `c:<customerId>`); null reads every event (the operator) */
  key: string | null;
  types?: EventType[] | null;
  customerId?: string | null;
  occurredFrom?: Date | null;
  occurredBefore?: Date | null;
}

export interface EventRange extends EventSelection {
  /** positions strictly after this one */
  after: number;
  /** and at most this one */
  until?: number;
  /** and strictly before this one */
  before?: number;
  limit: number;
  /** newest first from the end of the range (a backward page); default oldest first */
  descending?: boolean;
}

/** The events a selection picks, and the column their position is ordered by (the audience row's, for a key). */
export function selectEvents(ds: DataSource, sel: EventSelection): { qb: SelectQueryBuilder<EventRecord>; order: string } {
  const qb = ds.manager.createQueryBuilder(EventRecord, 'event');
  let order = 'event.position';
  if (sel.key !== null) {
    qb.innerJoin(EventAudience, 'aud', 'aud.position = event.position AND aud.audience = :key', { key: sel.key });
    order = 'aud.position';
  }
  if (sel.types?.length) qb.andWhere('event.type IN (:...types)', { types: sel.types });
  if (sel.customerId) qb.andWhere('event.customerId = :customerId', { customerId: sel.customerId });
  if (sel.occurredFrom) qb.andWhere('event.occurredAt >= :from', { from: sel.occurredFrom });
  if (sel.occurredBefore) qb.andWhere('event.occurredAt < :before', { before: sel.occurredBefore });
  return { qb, order };
}

/** Whether the selection has an event at or before (`'before'`), or at or after (`'after'`), a position. */
export async function hasEventBeyond(ds: DataSource, sel: EventSelection, side: 'before' | 'after', position: number): Promise<boolean> {
  const { qb, order } = selectEvents(ds, sel);
  const found = await qb
    .select(order, 'position')
    .andWhere(`${order} ${side === 'before' ? '<=' : '>='} :probe`, { probe: position })
    .limit(1)
    .getRawMany();
  return found.length > 0;
}

/**
 * Stored events in position order (oldest first; `descending`: newest first). A caller's range is a scan of its key in
 * `event_audience`'s primary key (audience, position), so a page reads about `limit` index entries
 * whatever the size of the table.
 */
export async function readEvents(ds: DataSource, range: EventRange): Promise<StoredEvent[]> {
  const { qb, order } = selectEvents(ds, range);
  qb.andWhere(`${order} > :after`, { after: range.after });
  if (range.until !== undefined) qb.andWhere(`${order} <= :until`, { until: range.until });
  if (range.before !== undefined) qb.andWhere(`${order} < :before`, { before: range.before });
  const rows = await qb
    .orderBy(order, range.descending ? 'DESC' : 'ASC')
    .limit(range.limit)
    .getMany();
  return rows.map(toStoredEvent);
}
