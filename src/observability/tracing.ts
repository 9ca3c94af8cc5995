import type { ApolloServerPlugin } from '@apollo/server';
import type { ExecutionArgs, GraphQLError, GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import type { Principal } from '../common/auth/principal';
import type { RequestContext } from '../context';

/**
 * Traces (OpenTelemetry), on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
 * is set and `OTEL_SDK_DISABLED` is not `true`. Off, no OpenTelemetry module is loaded at all: this
 * file imports only types, `activeTracing()` answers undefined, and each place that would make a span
 * costs one `if`. On, src/observability/otel.ts starts `@opentelemetry/sdk-node` (from
 * src/observability/tracing-bootstrap.ts, imported second by src/main.ts, before http, express, graphql
 * and mysql2 load) and is what `activeTracing()` returns. docs/operations.md, "Traces".
 */
export interface Tracing {
  /** Apollo's side: one span per HTTP operation, named by it (`query CustomersPage`), with its caller, request id and error code. */
  apolloPlugin(): ApolloServerPlugin<RequestContext>;
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

let active: Tracing | undefined;

/** Whether the environment asks for traces: an OTLP endpoint set, and the SDK not disabled. */
export function tracingRequested(env: Record<string, string | undefined> = process.env): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint?.trim()) return false;
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  return (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase() !== 'none';
}

/**
 * Starts OpenTelemetry when the environment asks for it (once). Must run before the instrumented
 * libraries load: src/observability/tracing-bootstrap.ts.
 */
export function startTracing(): Tracing | undefined {
  if (active || !tracingRequested()) return active;
  // required here, never at the top: without tracing no OpenTelemetry module loads
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startOtel } = require('./otel') as typeof import('./otel');
  active = startOtel();
  return active;
}

/** The running tracing, or undefined when traces are off (the common case: one `if` at each call site). */
export function activeTracing(): Tracing | undefined {
  return active;
}

/** Exports the spans still buffered and stops the SDK (the server's shutdown); nothing when traces are off. */
export async function stopTracing(): Promise<void> {
  const running = active;
  active = undefined;
  await running?.shutdown();
}
