import { createSourceEventStream, type DocumentNode, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import type { RequestContext } from '../context';
import { EventListener } from '../events/hub';
import type { StoredEvent } from '../events/outbox';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * Where a subscription's pushes go, for writing them without graphql-ws's per-message steps: the
 * socket and the subscription's id. Set on the subscribe's context by the pipeline (src/pipeline/pipeline.ts).
 */
export interface PushTarget {
  socket: WebSocket;
  id: string;
}

/** What one event's executions leave behind for its subscribers: the result and its JSON, per key. */
interface PerEvent {
  results: Map<string, Result>;
  /** the result's JSON per key: the same for every subscription id, so serialized once per key */
  payloads: Map<string, string>;
}

/**
 * graphql-ws's `subscribe`, with one execution per event and audience instead of one per subscriber.
 * graphql-js maps each source event through `execute` for every subscription; here the result is
 * kept on the event object (the hub hands the same object to every listener) under a key of the
 * document, the operation name, the variables and the viewer (kind, id, roles), so that 5,000
 * dashboards of one partner running the same query cost one execution. A subscriber whose viewer or
 * query differs gets its own. The per-event results go with the event object (a WeakMap).
 *
 * A live event of the hub (src/events/hub.ts) whose shared result is ready (no resolver waited) and
 * holds no error is written straight to the socket as the `next` message graphql-ws would send (the
 * same text: the result serialized once per key, framed with each subscription's id), within the hub's
 * delivery: no promise, no serialization and no graphql-ws step per socket. It is written only when the listener's reader
 * (graphql-ws) waits for the next event with nothing queued (so everything before it has been sent)
 * and the socket has nothing unsent (so a reader that stopped reading still makes events queue up to
 * MAX_BEHIND, as when graphql-ws waits for each write); anything else takes graphql-ws's path, whose
 * onNext shuts a socket over WS_MAX_BUFFERED.
 */
export class SharedSubscriptions {
  /** `pushed`: runs with each source event (for the metrics: the time from its commit) before its result goes to the socket */
  constructor(private readonly pushed?: (payload: unknown) => void) {}

  private readonly documentIds = new WeakMap<DocumentNode, number>();
  private nextDocumentId = 0;
  private readonly perEvent = new WeakMap<object, PerEvent>();

  subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const key = this.keyOf(args);
    const iterator = source[Symbol.asyncIterator]();
    const pushed = this.pushed;
    const shared = (payload: object): PerEvent => {
      let perEvent = this.perEvent.get(payload);
      if (!perEvent) this.perEvent.set(payload, (perEvent = { results: new Map(), payloads: new Map() }));
      return perEvent;
    };
    const run = (payload: unknown): Result => {
      if (typeof payload !== 'object' || payload === null) return execute({ ...args, rootValue: payload });
      const { results } = shared(payload);
      let result = results.get(key);
      if (!result) {
        result = execute({ ...args, rootValue: payload });
        results.set(key, result);
      }
      return result;
    };
    const target = (args.contextValue as { pushTo?: PushTarget } | undefined)?.pushTo;
    if (target && iterator instanceof EventListener) {
      const { socket, id } = target;
      const idJson = JSON.stringify(id);
      iterator.writeDirectly((event: StoredEvent) => {
        if (socket.readyState !== socket.OPEN || socket.bufferedAmount > 0) return false;
        const result = run(event);
        if (isPromise(result) || result.errors) return false;
        const { payloads } = shared(event);
        let payload = payloads.get(key);
        if (payload === undefined) payloads.set(key, (payload = JSON.stringify(result)));
        pushed?.(event);
        socket.send(`{"id":${idJson},"type":"next","payload":${payload}}`);
        return true;
      });
    }
    const mapped: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        const item = await iterator.next();
        if (item.done) return item;
        const value = await run(item.value);
        pushed?.(item.value);
        return { done: false, value };
      },
      async return() {
        await iterator.return?.();
        return { done: true, value: undefined };
      },
      async throw(err: unknown) {
        await iterator.return?.();
        throw err;
      },
      [Symbol.asyncIterator]() {
        return mapped;
      },
    };
    return mapped;
  };

  private keyOf(args: ExecutionArgs): string {
    let documentId = this.documentIds.get(args.document);
    if (documentId === undefined) this.documentIds.set(args.document, (documentId = this.nextDocumentId++));
    const principal = (args.contextValue as RequestContext | undefined)?.scope.principal;
    const viewer = principal ? `${principal.kind}:${principal.partnerId ?? principal.customerId ?? ''}:${[...principal.roles].sort().join(',')}` : 'anonymous';
    return `${documentId}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}\u0000${viewer}`;
  }
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
