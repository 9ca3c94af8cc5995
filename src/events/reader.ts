import type { DataSource } from 'typeorm';
import type { EventType } from './catalog';
import { EventAudience, EventRecord } from './event.entity';
import { type StoredEvent, toStoredEvent } from './outbox';

export interface EventRange {
  /** the caller's audience key (`p:<partnerId>` or `c:<customerId>`); null reads every event (the operator) */
  key: string | null;
  /** positions strictly after this one */
  after: number;
  /** and at most this one */
  until?: number;
  types?: EventType[] | null;
  customerId?: string | null;
  occurredFrom?: Date | null;
  occurredBefore?: Date | null;
  limit: number;
}

/**
 * Stored events in position order (oldest first). A caller's range is a scan of its key in
 * `event_audience`'s primary key (audience, position), so a page reads about `limit` index entries
 * whatever the size of the table.
 */
export async function readEvents(ds: DataSource, range: EventRange): Promise<StoredEvent[]> {
  const qb = ds.manager.createQueryBuilder(EventRecord, 'event');
  let order = 'event.position';
  if (range.key !== null) {
    qb.innerJoin(EventAudience, 'aud', 'aud.position = event.position AND aud.audience = :key', { key: range.key });
    order = 'aud.position';
  }
  qb.where(`${order} > :after`, { after: range.after });
  if (range.until !== undefined) qb.andWhere(`${order} <= :until`, { until: range.until });
  if (range.types?.length) qb.andWhere('event.type IN (:...types)', { types: range.types });
  if (range.customerId) qb.andWhere('event.customerId = :customerId', { customerId: range.customerId });
  if (range.occurredFrom) qb.andWhere('event.occurredAt >= :from', { from: range.occurredFrom });
  if (range.occurredBefore) qb.andWhere('event.occurredAt < :before', { before: range.occurredBefore });
  const rows = await qb.orderBy(order, 'ASC').limit(range.limit).getMany();
  return rows.map(toStoredEvent);
}
