import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { logger } from '../common/logger';

/** What the gauges read when Prometheus scrapes (each may fail: the last value stays). */
export interface MetricSources {
  /** committed events not yet handed on: the newest position minus the last one before which all were */
  outboxLag(): Promise<number>;
  /** webhook deliveries waiting or being sent */
  webhookQueueDepth(): Promise<number>;
  /** webhook endpoints turned off (by their partner, or after their last retry failed) */
  disabledWebhookEndpoints(): Promise<number>;
  /** the database pool's connections (MySQL/MariaDB; undefined for SQLite's one connection) */
  pool(): { inUse: number; idle: number } | undefined;
}

export type Transport = 'http' | 'ws';

/** an operation whose document was not resolved (it did not parse or validate, or was refused before) */
export const NO_OPERATION = 'none';
/** an operation without a name */
export const ANONYMOUS_OPERATION = 'anonymous';
/** a name beyond the first `maxNames` seen, or too long */
export const OTHER_OPERATION = 'other';
const MAX_NAME_LENGTH = 100;

/**
 * Operation names as label values: the document's own name, never ids or variables. A client may
 * send any number of names, each a new time series for Prometheus to keep; so the first `maxNames`
 * distinct names are kept as they are and every later one counts as `other`. Only a signed-in
 * caller's operation that was admitted (priced, not refused for the budgets) adds a name: a caller
 * without a token, or one refused, cannot take the places of the names the front ends use.
 */
export class OperationNames {
  private readonly seen = new Set<string>();

  constructor(private readonly maxNames: number) {}

  label(name: string | undefined, mayAdd: boolean): string {
    if (name === undefined) return NO_OPERATION;
    if (name === '') return ANONYMOUS_OPERATION;
    if (this.seen.has(name)) return name;
    if (!mayAdd || name.length > MAX_NAME_LENGTH || this.seen.size >= this.maxNames) return OTHER_OPERATION;
    this.seen.add(name);
    return name;
  }
}

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const FAST_SECONDS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * The server's Prometheus metrics (prom-client), in a registry of their own: one per server, so that
 * two servers in one process (the tests) count apart. Labels are low-cardinality only: operation
 * names collapse (OperationNames), codes are the error codes, fields are the schema's.
 * docs/operations.md lists every metric and what it means.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly operationNames: OperationNames;

  readonly operations: Counter<'operation' | 'type' | 'transport' | 'code'>;
  readonly operationDuration: Histogram<'operation' | 'type' | 'transport'>;
  readonly operationCost: Histogram<'type'>;
  readonly wsConnections: Gauge;
  readonly wsSubscriptions: Gauge<'field'>;
  readonly eventsDispatched: Counter;
  readonly eventPushDuration: Histogram;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly webhookDeliveryDuration: Histogram;
  readonly rateLimited: Counter<'scope'>;
  readonly dbQueryDuration: Histogram;

  constructor(sources: MetricSources, opts: { maxOperationNames: number }) {
    const registers = [this.registry];
    this.operationNames = new OperationNames(opts.maxOperationNames);
    collectDefaultMetrics({ register: this.registry });
    this.operations = new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL operations answered, by operation name, type, transport and code (OK, or the first error code)',
      labelNames: ['operation', 'type', 'transport', 'code'],
      registers,
    });
    this.operationDuration = new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'Time from receiving an operation to its answer (over WebSocket: to the subscription being set up)',
      labelNames: ['operation', 'type', 'transport'],
      buckets: SECONDS,
      registers,
    });
    this.operationCost = new Histogram({
      name: 'graphql_operation_cost',
      help: 'Cost points charged per priced operation',
      labelNames: ['type'],
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    });
    this.wsConnections = new Gauge({ name: 'ws_connections', help: 'Open WebSocket connections', registers });
    this.wsSubscriptions = new Gauge({
      name: 'ws_subscriptions',
      help: 'Live GraphQL subscriptions, by subscription field',
      labelNames: ['field'],
      registers,
    });
    this.eventsDispatched = new Counter({ name: 'events_dispatched_total', help: 'Committed events handed to the live hubs and webhooks', registers });
    new Gauge({
      name: 'event_outbox_lag',
      help: 'Committed events not yet dispatched: the newest position minus the last one up to which every event was dispatched',
      registers,
      async collect() {
        await read('event_outbox_lag', async () => this.set(await sources.outboxLag()));
      },
    });
    this.eventPushDuration = new Histogram({
      name: 'event_push_duration_seconds',
      help: "Time from an event's commit to its push being written to a subscriber's socket",
      buckets: SECONDS,
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'webhook_deliveries_total',
      help: 'Webhook delivery attempts, by outcome (succeeded, failed, cancelled)',
      labelNames: ['outcome'],
      registers,
    });
    new Gauge({
      name: 'webhook_queue_depth',
      help: 'Webhook deliveries due or waiting for their retry, and being sent',
      registers,
      async collect() {
        await read('webhook_queue_depth', async () => this.set(await sources.webhookQueueDepth()));
      },
    });
    this.webhookDeliveryDuration = new Histogram({
      name: 'webhook_delivery_duration_seconds',
      help: 'Time of one webhook POST, until the answer or the timeout',
      buckets: SECONDS,
      registers,
    });
    new Gauge({
      name: 'webhook_endpoints_disabled',
      help: 'Webhook endpoints turned off (by their partner, or after their last retry failed)',
      registers,
      async collect() {
        await read('webhook_endpoints_disabled', async () => this.set(await sources.disabledWebhookEndpoints()));
      },
    });
    this.rateLimited = new Counter({
      name: 'rate_limited_total',
      help: 'Operations refused with RATE_LIMITED, by the budget that refused them (partner, customer, user, address)',
      labelNames: ['scope'],
      registers,
    });
    this.dbQueryDuration = new Histogram({ name: 'db_query_duration_seconds', help: 'Time of one SQL statement', buckets: FAST_SECONDS, registers });
    new Gauge({
      name: 'db_pool_connections',
      help: "The database pool's connections, in use and idle (MySQL/MariaDB)",
      labelNames: ['state'],
      registers,
      collect() {
        const pool = sources.pool();
        if (!pool) return;
        this.set({ state: 'in_use' }, pool.inUse);
        this.set({ state: 'idle' }, pool.idle);
      },
    });
  }

  /** The text Prometheus scrapes, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** A gauge read at scrape time; a failure (the database is away) keeps the last value and is logged. */
async function read(name: string, update: () => Promise<void>): Promise<void> {
  try {
    await update();
  } catch (err) {
    logger.warn({ metric: name, err: (err as Error).message }, 'metric not read');
  }
}
