import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintColumn, nullableRefColumn, nullableTimeColumn, timeColumn } from '../common/columns';

const positionColumn = bigintColumn;

/**
 * The transactional outbox and the replayable stream in one table: one row per event, written in the
 * transaction of the change it describes. `position` is gapless and in commit order (it is taken from
 * `event_sequence` under that row's lock at the end of the transaction), so a reader that has seen
 * position N has seen every event before it. `publishedAt` stays null until the dispatcher has handed
 * the row on (pubsub, webhook deliveries); rows still null at start are handed on then.
 */
@Entity('event')
@Index('IDX_event_unpublished', ['publishedAt'])
export class EventRecord {
  @PrimaryColumn(positionColumn)
  position: number;

  @Index('UQ_event_id', { unique: true })
  @Column({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column(timeColumn)
  occurredAt: Date;

  /** OPERATOR, PARTNER_USER, CUSTOMER_USER; null for the server itself (a sweep, a webhook worker) */
  @Column({ type: 'varchar', length: 16, nullable: true })
  actorKind: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  actorUserId: string | null;

  @Column(nullableRefColumn)
  actorPartnerId: string | null;

  @Column(nullableRefColumn)
  actorCustomerId: string | null;

  @Column(nullableRefColumn)
  partnerId: string | null;

  @Column(nullableRefColumn)
  customerId: string | null;

  @Column(nullableRefColumn)
  invitationId: string | null;

  @Column(nullableRefColumn)
  partnershipId: string | null;

  @Column(nullableRefColumn)
  subscriptionId: string | null;

  @Column(nullableRefColumn)
  adminRelationshipId: string | null;

  /** JSON */
  @Column({ type: 'text' })
  data: string;

  /** the audience keys (`p:<id>`, `c:<id>`), comma-separated; `event_audience` indexes them */
  @Column({ type: 'text' })
  audience: string;

  @Column(nullableTimeColumn)
  publishedAt: Date | null;

  /** the request id of the API call that caused the event (or the sweep run's id) */
  @Column({ type: 'varchar', length: 64, nullable: true })
  correlationId: string | null;

  /**
   * The W3C `traceparent` of the span that recorded the event, when traces are on (null otherwise): its
   * webhook deliveries are sent in that trace (src/observability/tracing.ts). ASCII on MySQL.
   */
  @Column({ type: 'varchar', length: 55, nullable: true })
  traceparent: string | null;
}

/** One row per (audience key, event): a caller's stream is a range scan of its key, in position order. */
@Entity('event_audience')
export class EventAudience {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  audience: string;

  @PrimaryColumn(positionColumn)
  position: number;
}

/** The last position handed out; its row lock orders event-writing transactions by commit. */
@Entity('event_sequence')
export class EventSequence {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  name: string;

  @Column(positionColumn)
  position: number;
}
