import type { DataSource } from 'typeorm';
import type { AppPubSub } from '../common/pubsub';
import { EVENTS_TOPIC } from '../common/pubsub';
import { logger } from '../common/logger';
import type { EventType } from './catalog';
import { lastPosition, type StoredEvent } from './outbox';
import { readEvents } from './reader';

/** Events a listener may hold for a slow reader before it falls back to reading them from the database. */
const MAX_QUEUED = 1000;
/**
 * Events a live listener may hold untaken before its `onBehind` runs: more than one change's events
 * (a bulk operation of 100 items commits its events at once), far fewer than a stalled reader piles up.
 */
export const MAX_BEHIND = 250;
const REPLAY_PAGE = 100;

export interface StreamRequest {
  /** the viewer's audience key; null for the operator (every event) */
  key: string | null;
  /** resume after this position (replayed from the database first); undefined: live only */
  after?: number;
  types?: EventType[] | null;
  /** runs once when MAX_BEHIND live events wait untaken (on the WebSocket: the socket is a slow consumer) */
  onBehind?: () => void;
  /**
   * runs for each page of events read from the database (a replay after `after`, or catching up after
   * falling behind) before they are yielded: the caller's budgets are charged for them; a refusal ends
   * the stream with it (resume with `after`: nothing is skipped)
   */
  onRead?: (events: number) => Promise<void>;
}

/**
 * One ordered stream of committed events per process. It receives each event once (from the
 * dispatcher through the pubsub, locally or through Redis), puts events back in position order
 * (positions are gapless: a gap is an event still in flight, read from the database if it does not
 * come), and hands each event, the same object, to the listeners of its audience keys. Nothing is
 * executed or serialized per listener here.
 */
export class EventHub {
  /** the last position handed to listeners; every event up to it has been delivered, in order */
  private delivered = 0;
  private readonly early = new Map<number, StoredEvent>();
  private readonly byKey = new Map<string, Set<EventListener>>();
  private readonly everyone = new Set<EventListener>();
  private filling: Promise<void> | null = null;
  private pollTimer?: NodeJS.Timeout;
  private stopped = false;
  private feed?: AsyncIterator<unknown>;
  private feedEnded = false;

  constructor(
    private readonly ds: DataSource,
    private readonly pubSub: AppPubSub['pubSub'],
    private readonly pollMs: number,
  ) {}

  /** Starts after the last committed event; polls the sequence so that nothing waits on a lost message. */
  async start(): Promise<void> {
    this.delivered = await lastPosition(this.ds);
    const feed = this.pubSub.subscribe(EVENTS_TOPIC)[Symbol.asyncIterator]();
    this.feed = feed;
    void (async () => {
      for (;;) {
        const next = await feed.next();
        if (next.done) return;
        this.receive(next.value as unknown as StoredEvent);
      }
    })()
      .catch((err) => logger.error({ err }, 'event feed stopped'))
      .finally(() => (this.feedEnded = true));
    this.pollTimer = setInterval(() => void this.poll(), this.pollMs);
    this.pollTimer.unref();
  }

  /** Started, not stopped, and its feed from the pubsub still read (the readiness probe, src/observability/health.ts). */
  get running(): boolean {
    return this.feed !== undefined && !this.stopped && !this.feedEnded;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    await this.feed?.return?.();
    for (const l of [...this.everyone, ...[...this.byKey.values()].flatMap((s) => [...s])]) l.end();
  }

  /** A listener for one subscription: replay after `after` (if given), then live, without gap or repeat. */
  open(req: StreamRequest): EventListener {
    const listener = new EventListener(this, this.ds, req, this.delivered);
    if (req.key === null) this.everyone.add(listener);
    else {
      let set = this.byKey.get(req.key);
      if (!set) this.byKey.set(req.key, (set = new Set()));
      set.add(listener);
    }
    return listener;
  }

  /** @internal */
  close(listener: EventListener): void {
    if (listener.key === null) {
      this.everyone.delete(listener);
      return;
    }
    const set = this.byKey.get(listener.key);
    set?.delete(listener);
    if (set && !set.size) this.byKey.delete(listener.key);
  }

  /** An event from the pubsub or the database, in any order and possibly more than once. */
  receive(event: StoredEvent): void {
    if (event.position <= this.delivered) return;
    if (event.position > this.delivered + 1) {
      this.early.set(event.position, event);
      void this.fill();
      return;
    }
    this.deliver(event);
    for (let next = this.early.get(this.delivered + 1); next; next = this.early.get(this.delivered + 1)) {
      this.early.delete(next.position);
      this.deliver(next);
    }
  }

  private deliver(event: StoredEvent): void {
    this.delivered = event.position;
    for (const l of this.everyone) l.push(event);
    for (const key of event.audience) {
      const set = this.byKey.get(key);
      if (set) for (const l of set) l.push(event);
    }
  }

  /** Reads what is missing from the database (committed, since positions follow commit order). */
  private fill(): Promise<void> {
    this.filling ??= (async () => {
      try {
        for (let round = 0; round < 100 && !this.stopped; round++) {
          const rows = await readEvents(this.ds, { key: null, after: this.delivered, limit: 500 });
          for (const row of rows) this.receive(row);
          if (rows.length < 500) break;
        }
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'could not read missing events; will retry');
      } finally {
        this.filling = null;
      }
    })();
    return this.filling;
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.filling) return;
    try {
      if ((await lastPosition(this.ds)) > this.delivered) await this.fill();
    } catch {
      /* the database is away; the next poll tries again */
    }
  }
}

/**
 * The events of one subscription, as an async iterator: first the stored ones after the cursor
 * (read page by page, so a long replay holds one page in memory), then the live ones the hub pushes.
 * `cursor` is the position of the last event yielded (or skipped); an event at or before it never
 * comes twice. A reader that falls `MAX_QUEUED` events behind drops its queue and reads the same
 * events from the database instead.
 */
export class EventListener implements AsyncIterableIterator<StoredEvent> {
  readonly key: string | null;
  private readonly types: Set<string> | null;
  private cursor: number;
  /** while set: positions (cursor, replayUntil] are read from the database before any live event */
  private replayUntil: number | null;
  private page: StoredEvent[] = [];
  private live: StoredEvent[] = [];
  private wake: (() => void) | null = null;
  private done = false;
  private readonly onBehind?: () => void;
  private readonly onRead?: (events: number) => Promise<void>;
  private direct: ((event: StoredEvent) => boolean) | null = null;

  constructor(
    private readonly hub: EventHub,
    private readonly ds: DataSource,
    req: StreamRequest,
    hubPosition: number,
  ) {
    this.key = req.key;
    this.onBehind = req.onBehind;
    this.onRead = req.onRead;
    this.types = req.types?.length ? new Set(req.types) : null;
    const after = req.after;
    this.cursor = after ?? hubPosition;
    this.replayUntil = after !== undefined && after < hubPosition ? hubPosition : null;
  }

  /**
   * Sets a writer that may take live events straight from the hub (src/pipeline/fanout.ts: the
   * pre-serialized push written to the socket), instead of their going through this iterator. It is
   * offered an event only when its reader is waiting in `next()` with nothing before it (no replay,
   * nothing queued): everything earlier has been yielded, so the order holds. It returns false to
   * decline (the event is then queued and yielded as usual, and so is every later one until the
   * queue is empty again).
   */
  writeDirectly(writer: (event: StoredEvent) => boolean): void {
    this.direct = writer;
  }

  /** From the hub, in position order. */
  push(event: StoredEvent): void {
    if (this.done || (this.types && !this.types.has(event.type))) return;
    if (this.replayUntil !== null && event.position <= this.replayUntil) return;
    if (
      this.direct &&
      this.wake &&
      !this.live.length &&
      !this.page.length &&
      this.replayUntil === null &&
      event.position > this.cursor &&
      this.writtenDirectly(event)
    ) {
      this.cursor = event.position;
      return;
    }
    if (this.live.length >= MAX_QUEUED) {
      this.live = [];
      this.replayUntil = event.position;
    } else {
      this.live.push(event);
      if (this.live.length === MAX_BEHIND) this.onBehind?.();
    }
    this.wake?.();
  }

  /** The direct writer's answer; one that throws is dropped (this event and the later ones are queued) rather than stop the hub's delivery. */
  private writtenDirectly(event: StoredEvent): boolean {
    try {
      return this.direct!(event);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'a direct push failed; the subscription continues through its iterator');
      this.direct = null;
      return false;
    }
  }

  async next(): Promise<IteratorResult<StoredEvent>> {
    for (;;) {
      if (this.done) return { done: true, value: undefined };
      if (this.page.length) return this.yield(this.page.shift()!);
      if (this.replayUntil !== null) {
        const until = this.replayUntil;
        this.page = await readEvents(this.ds, {
          key: this.key,
          after: this.cursor,
          until,
          types: this.types ? ([...this.types] as EventType[]) : null,
          limit: REPLAY_PAGE,
        });
        if (!this.page.length && this.replayUntil === until) this.replayUntil = null;
        if (this.page.length && this.onRead) {
          try {
            await this.onRead(this.page.length);
          } catch (err) {
            this.end();
            throw err;
          }
        }
        continue;
      }
      const event = this.live.shift();
      if (event) {
        if (event.position <= this.cursor) continue;
        return this.yield(event);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  private yield(event: StoredEvent): IteratorResult<StoredEvent> {
    this.cursor = event.position;
    return { done: false, value: event };
  }

  /** Called by graphql-ws when the client completes or the socket closes. */
  return(): Promise<IteratorResult<StoredEvent>> {
    this.end();
    return Promise.resolve({ done: true, value: undefined });
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.hub.close(this);
    this.page = [];
    this.live = [];
    this.direct = null;
    this.wake?.();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
