/**
 * Imported second by src/main.ts, right after src/common/runtime-mode.ts and before any library: with
 * traces on (OTEL_EXPORTER_OTLP_ENDPOINT), OpenTelemetry's instrumentations must be registered before
 * http, express, graphql and mysql2 are first loaded, or they are not instrumented. Off, it loads nothing.
 */
import { startTracing } from './tracing';

startTracing();
