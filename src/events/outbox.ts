import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../common/auth/principal';
import { afterCommit, isUniqueViolation } from '../common/database';
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
   * Call it last in the transaction: the sequence row stays locked (MySQL) until the commit, which
   * is what keeps positions in commit order, so the shorter the better and after every other lock.
   * `actor` is the signed-in caller, or null for the server itself. Services do not call it: their
   * changes go through the change primitive (src/changes/change.ts), which does.
   */
  async record(em: EntityManager, actor: Principal | null, drafts: EventDraft[], at: Date, correlationId: string | null): Promise<StoredEvent[]> {
    if (!drafts.length) return [];
    await em
      .createQueryBuilder()
      .update(EventSequence)
      .set({ position: () => `position + ${drafts.length}` })
      .where('name = :name', { name: SEQUENCE })
      .execute();
    const { position: last } = await em.findOneByOrFail(EventSequence, { name: SEQUENCE });
    const first = last - drafts.length + 1;
    // traces on: the trace the events were recorded in, which their webhook deliveries continue
    const traceparent = activeTracing()?.traceparent() ?? null;
    const events: StoredEvent[] = drafts.map((d, i) => {
      const data = d.data ?? {};
      return {
        position: first + i,
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
    await em.insert(
      EventRecord,
      events.map((e) => ({
        position: e.position,
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
    );
    const audienceRows = events.flatMap((e) => e.audience.map((audience) => ({ audience, position: e.position })));
    if (audienceRows.length) await em.insert(EventAudience, audienceRows);
    countChange(em, TallyName.EVENTS, EVERYONE, events.length);
    for (const row of audienceRows) countChange(em, TallyName.EVENTS, row.audience);
    afterCommit(em, () => {
      const committedAt = Date.now();
      for (const event of events) event.committedAt = committedAt;
      this.onCommitted(events);
    });
    return events;
  }
}
