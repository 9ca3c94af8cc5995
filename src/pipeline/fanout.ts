import { createSourceEventStream, type DocumentNode, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { RequestContext } from '../context';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * graphql-ws's `subscribe`, with one execution per event and audience instead of one per subscriber.
 * graphql-js maps each source event through `execute` for every subscription; here the result is
 * kept on the event object (the hub hands the same object to every listener) under a key of the
 * document, the operation name, the variables and the viewer (kind, id, roles), so that 5,000
 * dashboards of one partner running the same query cost one execution. A subscriber whose viewer or
 * query differs gets its own. The per-event results go with the event object (a WeakMap).
 */
export class SharedSubscriptions {
  /** `pushed`: runs with each source event (for the metrics: the time from its commit) before its result goes to the socket */
  constructor(private readonly pushed?: (payload: unknown) => void) {}

  private readonly documentIds = new WeakMap<DocumentNode, number>();
  private nextDocumentId = 0;
  private readonly results = new WeakMap<object, Map<string, Result>>();

  subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const key = this.keyOf(args);
    const iterator = source[Symbol.asyncIterator]();
    const pushed = this.pushed;
    const run = (payload: unknown): Result => {
      if (typeof payload !== 'object' || payload === null) return execute({ ...args, rootValue: payload });
      let perEvent = this.results.get(payload);
      if (!perEvent) this.results.set(payload, (perEvent = new Map<string, Result>()));
      let result = perEvent.get(key);
      if (!result) {
        result = execute({ ...args, rootValue: payload });
        perEvent.set(key, result);
      }
      return result;
    };
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

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
