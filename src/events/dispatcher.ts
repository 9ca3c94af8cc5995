import { outsideRequest } from '../common/request-id';
import type { DataSource, EntityManager } from 'typeorm';
import { inTransaction } from '../common/database';
import { logger } from '../common/logger';
import { type AppPubSub, EVENTS_TOPIC, type PublishedEvent } from '../common/pubsub';
import { EventRecord } from './event.entity';
import { lastPosition, type StoredEvent, toStoredEvent } from './outbox';

/** Work done with committed events in the dispatcher's transaction (webhook deliveries are created this way). */
export type EventConsumer = (em: EntityManager, events: StoredEvent[]) => Promise<void>;

const BATCH = 500;

/**
 * Hands committed events on: first to the pubsub (every process's hub, through Redis when
 * REDIS_URL is set), then, in one transaction, to the consumers, marking the rows published. A row
 * still unpublished (the process died in between, or the database was away) is handed on again by
 * `dispatchPending`, at start and by the periodic sweep; hubs drop repeats by position and
 * consumers write idempotently.
 */
export class EventDispatcher {
  private readonly consumers: EventConsumer[] = [];
  private pending: StoredEvent[] = [];
  private running: Promise<void> | null = null;
  /** runs with the number of events of each dispatch (the metrics' events_dispatched_total) */
  onDispatched?: (count: number) => void;

  constructor(
    private readonly ds: DataSource,
    private readonly pubSub: AppPubSub['pubSub'],
  ) {}

  addConsumer(consumer: EventConsumer): void {
    this.consumers.push(consumer);
  }

  dispatch(events: StoredEvent[]): void {
    for (const event of events) this.pubSub.publish(EVENTS_TOPIC, event as unknown as PublishedEvent);
    this.pending.push(...events);
    this.onDispatched?.(events.length);
    // the drain outlives the request whose commit started it: its log lines are not that request's
    this.running ??= outsideRequest(() => this.drain()).finally(() => (this.running = null));
  }

  /** Resolves when everything dispatched so far has been handed to the consumers (or failed to). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * How far dispatching lags: the newest committed position minus the last position up to which every
   * event has been handed on (0 when none waits). Two indexed reads.
   */
  async lag(): Promise<number> {
    const newest = await lastPosition(this.ds);
    const oldest = await this.ds.manager
      .createQueryBuilder(EventRecord, 'event')
      .select('MIN(event.position)', 'position')
      .where('event.publishedAt IS NULL')
      .getRawOne<{ position: number | string | null }>();
    if (oldest?.position === null || oldest?.position === undefined) return 0;
    return Math.max(0, newest - (Number(oldest.position) - 1));
  }

  /** Hands on the committed rows not yet published that are at least `olderThanMs` old; returns how many. */
  async dispatchPending(olderThanMs: number): Promise<number> {
    const qb = this.ds.manager
      .createQueryBuilder(EventRecord, 'event')
      .where('event.publishedAt IS NULL')
      .andWhere('event.occurredAt <= :cutoff', { cutoff: new Date(Date.now() - olderThanMs) })
      .orderBy('event.position', 'ASC')
      .limit(BATCH);
    const rows = await qb.getMany();
    if (rows.length) {
      logger.info({ count: rows.length, from: rows[0].position }, 'dispatching events left unpublished');
      this.dispatch(rows.map(toStoredEvent));
      await this.idle();
    }
    return rows.length;
  }

  private async drain(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0, BATCH);
      try {
        await inTransaction(this.ds, async (em) => {
          for (const consume of this.consumers) await consume(em, batch);
          await em
            .createQueryBuilder()
            .update(EventRecord)
            .set({ publishedAt: new Date() })
            .where('position IN (:...positions) AND publishedAt IS NULL', { positions: batch.map((e) => e.position) })
            .execute();
        });
      } catch (err) {
        // left unpublished: the periodic sweep hands them on again
        logger.warn({ err: (err as Error).message, from: batch[0].position }, 'could not hand events on; will retry');
      }
    }
  }
}
