import type { DataSource } from 'typeorm';
import type { WebSocketServer } from 'ws';
import type { AppConfig } from '../common/config';
import { poolStats } from '../common/database';
import type { Services } from '../services';
import { Metrics } from './metrics';
import { OperationObserver } from './operations';
import { timeQueries } from './sql-timing';

export { metricsRoute, startMetricsListener } from './metrics-endpoint';
export { Metrics } from './metrics';
export { OperationObserver } from './operations';

/**
 * The metrics (unless METRICS says off: production without METRICS_PORT or METRICS_TOKEN) wired to
 * what they count: the SQL statements, the event dispatcher, the webhook worker; and the observer every
 * operation ends in (metrics, its log line). Call before the services start.
 */
export function observe(config: AppConfig, ds: DataSource, services: Services): { metrics?: Metrics; observer: OperationObserver } {
  const metrics =
    config.metrics.mode === 'off'
      ? undefined
      : new Metrics(
          {
            outboxLag: () => services.events.dispatcher.lag(),
            webhookQueueDepth: () => services.webhooks.queueDepth(),
            disabledWebhookEndpoints: () => services.webhooks.disabledEndpoints(),
            pool: () => poolStats(ds),
          },
          { maxOperationNames: config.metrics.maxOperationNames },
        );
  if (metrics) {
    timeQueries(ds, (seconds) => metrics.dbQueryDuration.observe(seconds));
    services.events.dispatcher.onDispatched = (count) => metrics.eventsDispatched.inc(count);
    services.webhooks.onAttempt = (outcome, seconds) => {
      metrics.webhookDeliveries.inc({ outcome });
      if (seconds !== undefined) metrics.webhookDeliveryDuration.observe(seconds);
    };
  }
  return { metrics, observer: new OperationObserver(metrics, config.slowOperationMs) };
}

/** Counts the open WebSocket connections (ws_connections). */
export function countSockets(wsServer: WebSocketServer, metrics: Metrics | undefined): void {
  if (!metrics) return;
  wsServer.on('connection', (socket) => {
    metrics.wsConnections.inc();
    socket.once('close', () => metrics.wsConnections.dec());
  });
}
