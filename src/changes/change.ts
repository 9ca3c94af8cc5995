import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { Principal } from '../common/auth/principal';
import type { Clock } from '../common/clock';
import type { AppDeps } from '../common/context';
import { inTransaction, type ReadMode } from '../common/database';
import { UnauthenticatedError } from '../common/errors';
import { newId } from '../common/ids';
import { countChange, EVERYONE, TallyName } from '../counts/tallies';
import type { EventOutbox, EventDraft, StoredEvent } from '../events/outbox';
import { Activity, type FieldChange } from './activity.entity';
import { type ChangeDefinition, type EventSubject } from './catalog';
import { ChangeOrigin } from './kinds';
import { mayMove, stateColumn } from './transitions';

/**
 * The one way state changes: every mutation (and every sweep) runs its writes in `changes.run(...)`
 * and makes each change through its `ChangeTx`:
 * - `insert`, `update` (conditional: applied only while the row still holds the state and values it
 *   was read with, and only along the entity's declared transitions), `remove`, or `record` for a
 *   change that moves no row of its own;
 * - each writes one audit record with the field changes (before/after), the actor, the request's
 *   correlation id, and queues the event of its catalog entry (src/changes/catalog.ts) to its
 *   audience, and the entry's counters;
 * - the events go to the outbox last, just before the commit, and are published only after it.
 * Time is the injected clock's (`tx.at`, one instant per transaction), never `new Date()`.
 */

/** What the audit record and the event of one change say, beside what the primitive knows. */
export interface ChangeRecord<D extends object> {
  /** the ids the change is about: `partnerId` is the partner whose trail the audit record joins */
  subject: EventSubject;
  /** the record the change is about (its `subjectType` comes from the catalog entry) */
  subjectId: string | null;
  /** the event's data (typed by the catalog entry) */
  data: D;
  /** the attestation the caller gave, where the change needs one */
  attestation?: boolean | null;
  /** the audit record's free-form details (JSON), beside `changes` */
  details?: Record<string, unknown>;
  /** more partners whose trail the audit record joins (both sides of a partnership): one record each */
  alsoForPartners?: (string | null | undefined)[];
  /** false: audited, but this occurrence sends no event */
  event?: boolean;
  /**
   * More partners the event goes to, beside its definition's audience: found by the service in the
   * transaction (the partners that serve a customer), where the audience rule cannot read the database
   */
  alsoNotify?: readonly string[];
  /** the field changes, when the change moves no row through `insert`/`update`/`remove` */
  changes?: FieldChange[];
}

/** A condition of a conditional update beside the state it was read in: SQL on the entity's columns, with its parameters. */
export interface UpdateCondition {
  where: string;
  params?: Record<string, unknown>;
}

/** Fields whose values never reach the audit trail. */
const SECRET_FIELD = /token|secret|password|hash/i;
/** Bookkeeping fields that are not a change of their own (a subscription's licence windows follow its quantity). */
const BOOKKEEPING = new Set(['updatedAt', 'licenseWindows']);

function encode(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  return JSON.stringify(value);
}

/** The fields that differ between `before` and `after` (only the keys of `after`), each JSON-encoded. */
export function fieldChanges(before: ObjectLiteral, after: ObjectLiteral): FieldChange[] {
  const out: FieldChange[] = [];
  for (const field of Object.keys(after)) {
    if (SECRET_FIELD.test(field) || BOOKKEEPING.has(field) || after[field] === undefined) continue;
    const was = encode(before[field]);
    const now = encode(after[field]);
    if (was !== now) out.push({ field, before: was, after: now });
  }
  return out;
}

interface PendingAudit<D extends object> {
  definition: ChangeDefinition<D>;
  record: ChangeRecord<D>;
  changes: FieldChange[];
}

const SYSTEM_ACTOR = { userId: 'system', roles: [] as string[], partnerId: undefined, customerId: undefined };

/** The changes of one transaction: what it wrote, audited and queued, flushed before the commit. */
export class ChangeTx {
  private readonly audits: PendingAudit<object>[] = [];

  private instant?: Date;

  /** what let the caller act in another tenant (JSON on each audit record of this transaction), if anything did */
  private grants: readonly object[] = [];

  constructor(
    readonly em: EntityManager,
    /** the signed-in caller; null for the server itself */
    readonly actor: Principal | null,
    readonly correlationId: string | null,
    private readonly clock: Clock,
  ) {}

  /**
   * The one instant of this transaction, from the injected clock, taken when first read: read it after
   * the locks whose order it must follow (a customer created for a reseller is younger than a removal
   * of the partnership that committed before its lock was granted).
   */
  get at(): Date {
    return (this.instant ??= this.clock.now());
  }

  /**
   * Records, on every audit record of this transaction, what let the caller act (a partner acting in a
   * customer's directory: its delegated admin privileges, or the admin relationship and role).
   */
  actingUnder(grants: readonly object[]): void {
    this.grants = grants;
  }

  /** Inserts a new row: its audit record has every field as `after`. */
  async insert<E extends ObjectLiteral, D extends object>(
    entity: EntityTarget<E>,
    row: E,
    definition: ChangeDefinition<D>,
    record: ChangeRecord<D>,
  ): Promise<E> {
    await this.em.insert(entity, row);
    this.queue(definition, record, fieldChanges({}, row));
    return row;
  }

  /**
   * Sets `set` on the row read as `current`, with one conditional UPDATE: only while the row still
   * has the state (the entity's declared state column) and the values of the changed fields it was
   * read with, and `condition` holds; a state move must be one the entity declares. Returns the row
   * as it is after the change, or null when it was not applied (the caller answers why).
   * `describe` builds the audit record and the event from the row after the change; it returns null
   * for a row that changes as part of a change another call of this transaction records (a request
   * consumed by the partnership it creates).
   */
  async update<E extends ObjectLiteral & { id: string }, D extends object>(
    entity: EntityTarget<E>,
    current: E,
    set: Partial<E>,
    definition: ChangeDefinition<D>,
    describe: (after: E) => ChangeRecord<D> | null,
    condition?: UpdateCondition,
  ): Promise<E | null> {
    const changes = fieldChanges(current, set);
    const state = stateColumn(entity);
    // a set state is a move, even to the state it has (answering an answered request twice): the table decides
    if (state && set[state] !== undefined && !mayMove(entity, current[state], set[state])) return null;
    const params: Record<string, unknown> = { ...(condition?.params ?? {}), changeId: current.id };
    const where = ['id = :changeId'];
    // the values the change was decided on: the state, and each changed field that is a plain value
    const guarded = new Set(changes.map((c) => c.field));
    if (state) guarded.add(state);
    let i = 0;
    for (const field of guarded) {
      const value: unknown = current[field];
      if (value instanceof Date || (value !== null && typeof value === 'object')) continue;
      if (value === null || value === undefined) where.push(`${field} IS NULL`);
      else {
        where.push(`${field} = :was${i}`);
        params[`was${i++}`] = value;
      }
    }
    if (condition) where.push(`(${condition.where})`);
    const result = await this.em.createQueryBuilder().update(entity).set(set).where(where.join(' AND '), params).execute();
    if (!result.affected) return null;
    const after = { ...current, ...set };
    const record = describe(after);
    if (record) this.queue(definition, record, changes);
    return after;
  }

  /** Deletes the row read as `current`: its audit record has every field as `before`. */
  async remove<E extends ObjectLiteral & { id: string }, D extends object>(
    entity: EntityTarget<E>,
    current: E,
    definition: ChangeDefinition<D>,
    record: ChangeRecord<D>,
  ): Promise<boolean> {
    const result = await this.em.createQueryBuilder().delete().from(entity).where('id = :id', { id: current.id }).execute();
    if (!result.affected) return false;
    const cleared = Object.fromEntries(Object.keys(current).map((k) => [k, null]));
    this.queue(definition, record, fieldChanges(current, cleared));
    return true;
  }

  /** A change that moves no row through this transaction's helpers (its `changes` say what it changed). */
  record<D extends object>(definition: ChangeDefinition<D>, record: ChangeRecord<D>): void {
    this.queue(definition, record, record.changes ?? []);
  }

  private queue<D extends object>(definition: ChangeDefinition<D>, record: ChangeRecord<D>, changes: FieldChange[]): void {
    this.audits.push({ definition, record, changes } as unknown as PendingAudit<object>);
  }

  /** Writes the audit records and counters, then the events (last: the outbox holds the sequence lock until the commit). */
  async flush(outbox: EventOutbox): Promise<StoredEvent[]> {
    if (!this.audits.length) return [];
    const actor = this.actor ?? SYSTEM_ACTOR;
    const via = this.actor ? ChangeOrigin.API : ChangeOrigin.SYSTEM;
    const rows: Activity[] = [];
    const drafts: EventDraft[] = [];
    for (const { definition, record, changes } of this.audits) {
      const trails = new Set<string | null>(definition.audit === false ? [] : [record.subject.partnerId ?? null]);
      if (definition.audit !== false) for (const p of record.alsoForPartners ?? []) if (p) trails.add(p);
      for (const partnerId of trails) {
        rows.push(
          this.em.create(Activity, {
            id: newId(),
            occurredAt: this.at,
            action: definition.kind,
            actorUserId: actor.userId,
            actorRoles: actor.roles,
            actorPartnerId: actor.partnerId ?? null,
            actorCustomerId: actor.customerId ?? null,
            partnerId,
            customerId: record.subject.customerId ?? null,
            subjectId: record.subjectId,
            subjectType: definition.subjectType,
            attestation: record.attestation ?? null,
            details: record.details ? JSON.stringify(record.details) : null,
            changeSet: JSON.stringify(changes),
            correlationId: this.correlationId,
            via,
            grantedBy: this.grants.length ? JSON.stringify(this.grants) : null,
          }),
        );
      }
      for (const move of definition.counters?.(record.subject, record.data) ?? []) {
        if (move.owner) countChange(this.em, move.tally, move.owner, move.delta);
      }
      if (definition.audience && record.event !== false) {
        drafts.push({ ...record.subject, type: definition.kind, data: record.data as Record<string, unknown>, alsoNotify: record.alsoNotify });
      }
    }
    this.audits.length = 0;
    if (rows.length) await this.em.insert(Activity, rows);
    for (const row of rows) {
      countChange(this.em, TallyName.ACTIVITIES, EVERYONE);
      if (row.partnerId) countChange(this.em, TallyName.ACTIVITIES, row.partnerId);
    }
    return outbox.record(this.em, this.actor, drafts, this.at, this.correlationId);
  }
}

/** Who makes the changes of a transaction: a scope (the signed-in caller and its request id), or null for the server. */
export interface ChangeActor {
  principal?: Principal;
  requestId?: string;
}

/** Opens transactions for changes; one per process (`services.changes`). */
export class Changes {
  constructor(
    private readonly deps: AppDeps,
    private readonly outbox: EventOutbox,
  ) {}

  /** The injected clock's time: what services read instead of `new Date()`. */
  now(): Date {
    return this.deps.clock.now();
  }

  /**
   * Runs `work` in one transaction whose changes are made through the `ChangeTx` it gets; the audit
   * records, counters and events are written at its end, before the commit. `by` is the caller's
   * scope, or null for the server itself (then `correlationId` names the sweep run, when given).
   * `reads`: how its statements read on MySQL/MariaDB (src/common/database.ts ReadMode; `runOnLatest`).
   */
  run<T>(by: ChangeActor | null, work: (tx: ChangeTx) => Promise<T>, opts: { correlationId?: string; reads?: ReadMode } = {}): Promise<T> {
    return inTransaction(
      this.deps.ds,
      async (em) => {
        if (by && !by.principal) throw new UnauthenticatedError();
        const principal = by?.principal ?? null;
        const tx = new ChangeTx(em, principal, by?.requestId ?? opts.correlationId ?? null, this.deps.clock);
        const result = await work(tx);
        await tx.flush(this.outbox);
        return result;
      },
      opts.reads,
    );
  }

  /**
   * `run` for a change whose rule counts or reads rows after taking a row lock (licences assigned against a
   * subscription's quantity, the other global administrators): on MySQL/MariaDB each statement reads what
   * has committed when it runs, not the snapshot of the transaction's first read (ReadMode 'latest').
   */
  runOnLatest<T>(by: ChangeActor | null, work: (tx: ChangeTx) => Promise<T>, opts: { correlationId?: string } = {}): Promise<T> {
    return this.run(by, work, { ...opts, reads: 'latest' });
  }
}
