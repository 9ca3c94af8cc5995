import type { Tracing } from './tracing-types';

export type { TracedContext, Tracing } from './tracing-types';

/**
 * Traces (OpenTelemetry), on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
 * is set and `OTEL_SDK_DISABLED` is not `true`. Off, no OpenTelemetry module is loaded at all: this
 * file imports only types (and requires the infrastructure's hooks once on), `activeTracing()` answers undefined, and each place that would make a span
 * costs one `if`. On, src/observability/otel.ts starts `@opentelemetry/sdk-node` (from
 * src/observability/tracing-bootstrap.ts, imported second by src/main.ts, before http, express, graphql
 * and mysql2 load) and is what `activeTracing()` returns. docs/operations.md, "Traces".
 */
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
  const tracing = startOtel();
  active = tracing;
  // the infrastructure's hooks (src/common/ imports nothing of this folder), required once the
  // instrumentations are in place: background work leaves the request's trace, direct SQLite reads get spans
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('../common/request-id') as typeof import('../common/request-id')).setOutsideTrace((fn) => tracing.outsideTrace(fn));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('../common/sqlite-direct') as typeof import('../common/sqlite-direct')).setStatementSpans((sql) => tracing.sqliteStatement(sql));
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
