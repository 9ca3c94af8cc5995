// The traces' side the server calls: src/observability/tracing.ts starts it, src/observability/otel.ts is it (loaded only when traces are on).
import type { ApolloServerPlugin } from '@apollo/server';
import type { ExecutionArgs, GraphQLError, GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import type { Principal } from '../common/auth/principal';

/** What the operation span reads of a request's context (src/context.ts RequestContext has it). */
export interface TracedContext {
  scope: { principal?: Principal; requestId?: string };
}

export interface Tracing {
  /** Apollo's side: one span per HTTP operation, named by it (`query CustomersPage`), with its caller, request id and error code. */
  apolloPlugin(): ApolloServerPlugin<TracedContext>;
  /** Runs an HTTP operation's execution (the gateway executor) inside its span: resolver and SQL spans become its children. */
  withinOperation<T>(contextValue: object, run: () => T): T;
  /** A WebSocket subscribe's span, covering its checks and setup (`run`), not the subscription's life. */
  traceSubscribe(
    operation: { operationName?: string | null; requestId: string; principal?: Principal },
    run: () => Promise<ExecutionArgs | readonly GraphQLError[]>,
  ): Promise<ExecutionArgs | readonly GraphQLError[]>;
  /** Wraps the schema's field resolvers (only fields with their own) in spans down to `depth` fields deep; before operations are compiled. */
  traceResolvers(schema: GraphQLSchema, depth: number): void;
  /** SQL spans for SQLite (better-sqlite3 has no instrumentation of its own): a TypeORM subscriber on `ds`. */
  traceSqlite(ds: DataSource): void;
  /** A span for one SQLite statement run outside TypeORM (src/common/sqlite-direct.ts); call what it returns when done. */
  sqliteStatement(sql: string): (error?: unknown) => void;
  /** The W3C `traceparent` of the span running now (stored with the events it records), or null outside any. */
  traceparent(): string | null;
  /** Runs a webhook delivery in a span of the trace `traceparent` names (the event's originating one); its POST carries that trace. */
  webhookDelivery<T>(traceparent: string | null, attributes: Record<string, string | number>, run: () => Promise<T>): Promise<T>;
  /** Runs `fn` outside the current trace: background work a request only wakes must not join that request's trace. */
  outsideTrace<T>(fn: () => T): T;
  /** Exports what is left and stops the SDK. */
  shutdown(): Promise<void>;
}
