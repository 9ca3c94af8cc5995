import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../common/auth/principal';
import { afterCommit, atCommit, beforeCommit, isUniqueViolation } from '../common/database';
import { newId } from '../common/ids';
import { audienceKeys, changeDefinition, partnerKey, type EventSubject } from '../changes/catalog';
import type { ChangeKind as EventType } from '../changes/kinds';
import { EventAudience, EventRecord, EventSequence } from './event.entity';
import { countChange, EVERYONE, TallyName } from '../counts/tallies';
import { activeTracing } from '../observability/tracing';

const SEQUENCE = 'events';

export type ActorKind = 'OPERATOR' | 'PARTNER_USER' | 'CUSTOMER_USER';

export interface StoredActor {
  kind: ActorKind;
  userId: string;
  partnerId: string | null;
  customerId: string | null;
}

/**
 * An event as stored, published (pubsub, across servers through Redis) and replayed: plain JSON.
 * `audience` holds the keys of `event_audience` (`p:<partnerId>`, `c:<customerId>`).
 */
export interface StoredEvent {
  position: number;
  id: string;
  type: EventType;
  occurredAt: string;
  actor: StoredActor | null;
  partnerId: string | null;
  customerId: string | null;
  invitationId: string | null;
  partnershipId: string | null;
  subscriptionId: string | null;
  adminRelationshipId: string | null;
  data: Record<string, unknown>;
  audience: string[];
  /** the request id of the API call that caused it (or the sweep run's id) */
  correlationId: string | null;
  /**
   * when its transaction committed (ms since the epoch, the committing server's clock): set on events
   * dispatched live, absent on events read back from the database; the metrics time pushes from it
   */
  committedAt?: number;
}

/** What a service says happened; the outbox adds the position, id, time, actor and audience. */
export interface EventDraft extends EventSubject {
  type: EventType;
  data?: Record<string, unknown>;
  /** partners beyond the definition's audience (ChangeRecord.alsoNotify) */
  alsoNotify?: readonly string[];
}

const ACTOR_KIND: Record<Principal['kind'], ActorKind> = { operator: 'OPERATOR', partner: 'PARTNER_USER', customer: 'CUSTOMER_USER' };

export function toStoredEvent(row: EventRecord): StoredEvent {
  return {
    position: row.position,
    id: row.id,
    type: row.type as EventType,
    occurredAt: row.occurredAt.toISOString(),
    actor: row.actorKind
      ? { kind: row.actorKind as ActorKind, userId: row.actorUserId ?? '', partnerId: row.actorPartnerId, customerId: row.actorCustomerId }
      : null,
    partnerId: row.partnerId,
    customerId: row.customerId,
    invitationId: row.invitationId,
    partnershipId: row.partnershipId,
    subscriptionId: row.subscriptionId,
    adminRelationshipId: row.adminRelationshipId,
    data: JSON.parse(row.data) as Record<string, unknown>,
    audience: row.audience ? row.audience.split(',') : [],
    correlationId: row.correlationId ?? null,
  };
}

/** Creates the sequence row if this database has none yet (idempotent; safe with several servers starting). */
export async function ensureEventSequence(ds: DataSource): Promise<void> {
  if (await ds.manager.existsBy(EventSequence, { name: SEQUENCE })) return;
  try {
    await ds.manager.insert(EventSequence, { name: SEQUENCE, position: 0 });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
}

/** The last position handed out (committed). */
export async function lastPosition(ds: DataSource): Promise<number> {
  const row = await ds.manager.findOneBy(EventSequence, { name: SEQUENCE });
  return row?.position ?? 0;
}

/**
 * The transactional outbox. `record` writes events in the caller's transaction; after the commit
 * (never on rollback) they go to `onCommitted` (the dispatcher).
 */
export class EventOutbox {
  constructor(private readonly onCommitted: (events: StoredEvent[]) => void) {}

  /**
   * Call it last in the transaction. The event rows are written with the COMMIT (`atCommit`): the
   * sequence row, whose lock keeps positions in commit order, is locked by the last statements before
   * the COMMIT and only for the database's own time, so event-producing transactions of every partner
   * and server queue on it for a fraction of a millisecond each instead of for their round trips. The
   * events returned get their positions then. `actor` is the signed-in caller, or null for the server
   * itself. Services do not call it: their changes go through the change primitive
   * (src/changes/change.ts), which does.
   */
  record(em: EntityManager, actor: Principal | null, drafts: EventDraft[], at: Date, correlationId: string | null): StoredEvent[] {
    if (!drafts.length) return [];
    // traces on: the trace the events were recorded in, which their webhook deliveries continue
    const traceparent = activeTracing()?.traceparent() ?? null;
    const events: StoredEvent[] = drafts.map((d) => {
      const data = d.data ?? {};
      return {
        position: 0,
        id: newId(),
        type: d.type,
        occurredAt: at.toISOString(),
        actor: actor ? { kind: ACTOR_KIND[actor.kind], userId: actor.userId, partnerId: actor.partnerId ?? null, customerId: actor.customerId ?? null } : null,
        partnerId: d.partnerId ?? null,
        customerId: d.customerId ?? null,
        invitationId: d.invitationId ?? null,
        partnershipId: d.partnershipId ?? null,
        subscriptionId: d.subscriptionId ?? null,
        adminRelationshipId: d.adminRelationshipId ?? null,
        data,
        audience: [...new Set([...audienceKeys(changeDefinition(d.type), d, data), ...(d.alsoNotify ?? []).map(partnerKey)])],
        correlationId,
      };
    });
    countChange(em, TallyName.EVENTS, EVERYONE, events.length);
    for (const e of events) for (const audience of e.audience) countChange(em, TallyName.EVENTS, audience);
    // the i-th of n events takes the position (sequence after the increment) - (n - 1 - i)
    const n = events.length;
    const positionOf = (i: number) => () => `(SELECT position FROM event_sequence WHERE name = '${SEQUENCE}') - ${n - 1 - i}`;
    const inserts: [string, unknown[]][] = [
      em
        .createQueryBuilder()
        .insert()
        .into(EventRecord)
        .values(
          events.map((e, i) => ({
            position: positionOf(i),
            id: e.id,
            type: e.type,
            occurredAt: at,
            actorKind: e.actor?.kind ?? null,
            actorUserId: e.actor?.userId ?? null,
            actorPartnerId: e.actor?.partnerId ?? null,
            actorCustomerId: e.actor?.customerId ?? null,
            partnerId: e.partnerId,
            customerId: e.customerId,
            invitationId: e.invitationId,
            partnershipId: e.partnershipId,
            subscriptionId: e.subscriptionId,
            adminRelationshipId: e.adminRelationshipId,
            data: JSON.stringify(e.data),
            audience: e.audience.join(','),
            correlationId,
            traceparent,
            publishedAt: null,
          })),
        )
        .getQueryAndParameters(),
    ];
    const audienceRows = events.flatMap((e, i) => e.audience.map((audience) => ({ audience, position: positionOf(i) })));
    if (audienceRows.length) inserts.push(em.createQueryBuilder().insert().into(EventAudience).values(audienceRows).getQueryAndParameters());
    // after the counters' statement (queued by their hook, which ran first): every transaction locks the tallies, then the sequence
    beforeCommit(em, () => {
      atCommit(em, `UPDATE event_sequence SET position = position + ${n} WHERE name = ?`, [SEQUENCE]);
      for (const [sql, params] of inserts) atCommit(em, sql, params);
      atCommit(em, 'SELECT position FROM event_sequence WHERE name = ?', [SEQUENCE], (rows) => {
        const last = Number((rows as { position: number | string }[])[0].position);
        events.forEach((e, i) => (e.position = last - (n - 1 - i)));
      });
    });
    afterCommit(em, () => {
      const committedAt = Date.now();
      for (const event of events) event.committedAt = committedAt;
      this.onCommitted(events);
    });
    return events;
  }
}
