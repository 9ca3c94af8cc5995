import type { EntityManager } from 'typeorm';
import type { AppDeps } from '../common/context';
import { UnauthenticatedError, UserInputError } from '../common/errors';
import { type ConnectionArgs, connectionOf, pageWindow } from '../common/pagination';
import type { Scope } from '../scope/scope';
import { customerKey, type EventType, partnerKey } from './catalog';
import { decodeEventCursor } from './cursor';
import { EventDispatcher } from './dispatcher';
import { toEventNode, type EventConnection, type EventFilter } from './event.types';
import { EventHub, type EventListener } from './hub';
import { type EventDraft, EventOutbox, ensureEventSequence, type StoredEvent } from './outbox';
import { type EventSelection, hasEventBeyond, readEvents, selectEvents } from './reader';
import { EVERYONE, readTally, TallyName } from '../counts/tallies';

/**
 * Events for the rest of the server: services `record` them in their transaction; callers read
 * their audience's stream (`list`, `stream`). The operator receives every event; a partner's user
 * its partner's (key `p:<id>`), a customer's user its customer's (`c:<id>`), as the catalog says.
 */
export class EventService {
  readonly dispatcher: EventDispatcher;
  readonly hub: EventHub;
  /** where the change primitive (src/changes/change.ts) writes events, in the transaction of their change */
  readonly outbox: EventOutbox;
  private sweepTimer?: NodeJS.Timeout;

  constructor(private readonly deps: AppDeps) {
    this.dispatcher = new EventDispatcher(deps.ds, deps.pubSub);
    this.hub = new EventHub(deps.ds, deps.pubSub, deps.config.eventPollMs);
    this.outbox = new EventOutbox((events) => this.dispatcher.dispatch(events));
  }

  /**
   * Writes events in the caller's transaction without a change around them: only for tests of the
   * outbox itself. Services make changes through the change primitive (src/changes/change.ts), which
   * writes their events with their audit records.
   */
  record(em: EntityManager, scope: Scope | null, drafts: EventDraft[], at?: Date): StoredEvent[] {
    return this.outbox.record(em, scope ? scope.caller : null, drafts, at ?? this.deps.clock.now(), scope?.requestId ?? null);
  }

  /** Starts the hub, hands on what an earlier process left unpublished, and keeps sweeping for such rows. */
  async start(): Promise<void> {
    await ensureEventSequence(this.deps.ds);
    await this.hub.start();
    await this.dispatcher.dispatchPending(0);
    this.sweepTimer = setInterval(() => {
      // rows another server committed but did not live to publish
      this.dispatcher.dispatchPending(this.deps.config.eventPollMs * 10).catch(() => {});
    }, this.deps.config.eventPollMs * 10);
    this.sweepTimer.unref();
  }

  /** Resolves when the events committed so far have been handed on (tests wait for it before counting SQL). */
  settled(): Promise<void> {
    return this.dispatcher.idle();
  }

  /** The hub and the sweep for unpublished rows are running (the readiness probe). */
  get running(): boolean {
    return this.sweepTimer !== undefined && this.hub.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.dispatcher.idle();
    await this.hub.stop();
  }

  /** The caller's audience key; null for the operator (every event). */
  viewerKey(scope: Scope): string | null {
    if (scope.isOperator) return null;
    if (scope.partnerId) return partnerKey(scope.partnerId);
    if (scope.customerId) return customerKey(scope.customerId);
    throw new UnauthenticatedError();
  }

  /** A page of the caller's events, oldest first. */
  async list(scope: Scope, args: ConnectionArgs, filter?: EventFilter): Promise<EventConnection> {
    const key = this.viewerKey(scope);
    if (filter?.occurredFrom && filter.occurredBefore && filter.occurredFrom >= filter.occurredBefore) {
      throw UserInputError.field('filter.occurredBefore', 'must be later than filter.occurredFrom');
    }
    const page = pageWindow(args, decodeEventCursor);
    const selection: EventSelection = {
      key,
      types: filter?.types ?? null,
      customerId: filter?.customerId ?? null,
      occurredFrom: filter?.occurredFrom ?? null,
      occurredBefore: filter?.occurredBefore ?? null,
    };
    const rows = await readEvents(this.deps.ds, { ...selection, after: page.after ?? 0, before: page.before, limit: page.size + 1, descending: page.backward });
    const beyond = (side: 'before' | 'after', position: number) => hasEventBeyond(this.deps.ds, selection, side, position);
    const nodes = rows.map((row) => toEventNode(row, scope.partnerId ?? null));
    return connectionOf(
      nodes,
      page,
      (node) => node.cursor,
      () => this.count(selection),
      beyond,
    ) as unknown as EventConnection;
  }

  /** Unfiltered: the key's tally (one row); filtered: the matching rows, counted. */
  private count(selection: EventSelection): Promise<number> {
    const filtered = selection.types?.length || selection.customerId || selection.occurredFrom || selection.occurredBefore;
    if (!filtered) return readTally(this.deps.ds, TallyName.EVENTS, selection.key ?? EVERYONE);
    return selectEvents(this.deps.ds, selection).qb.getCount();
  }

  /**
   * The caller's live stream: the stored events after `after` first, then live ones, without gap or
   * repeat. `onlyPartner` keeps the partner-only pushes (invitationAccepted, partnershipChanged) for partners' users;
   * `onBehind` runs when the stream's reader falls MAX_BEHIND events behind (src/events/hub.ts).
   */
  stream(
    scope: Scope,
    after: string | undefined | null,
    types: EventType[] | null | undefined,
    opts: { onlyPartner?: boolean; onBehind?: () => void; onRead?: (events: number) => Promise<void> } = {},
  ): EventListener {
    const key = opts.onlyPartner ? partnerKey(scope.ownPartnerId()) : this.viewerKey(scope);
    return this.hub.open({ key, after: decodeEventCursor(after), types, onBehind: opts.onBehind, onRead: opts.onRead });
  }
}
