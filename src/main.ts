import './common/runtime-mode'; // first: sets the libraries' mode before they load
import './observability/tracing-bootstrap'; // second: traces' instrumentations before http, express, graphql, mysql2 load (when on)
import 'reflect-metadata';
import { ConfigError, loadConfig } from './common/config';
import { logger } from './common/logger';
import { printDemoTokens } from './demo/seed';
import { stopTracing } from './observability/tracing';
import { startServer } from './server';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      logger.fatal(err.message);
      process.exit(1);
    }
    throw err;
  }
  const server = await startServer(config);
  logger.info({ url: server.url, db: config.dbType }, 'partner-center GraphQL server ready');
  const origin = `http://localhost:${server.port}`;
  const explorer = {
    sandbox: `Apollo Sandbox:   ${server.url}`,
    graphiql: `GraphiQL:         ${server.url}`,
    off: 'Explorer:         off (EXPLORER=sandbox or graphiql)',
  }[config.explorer];
  const lines = [explorer, `WebSocket:        ${server.wsUrl}`, `Health:           ${origin}/healthz`];
  if (server.metricsUrl) lines.push(`Metrics:          ${server.metricsUrl}${config.metrics.mode === 'token' ? ' (Bearer METRICS_TOKEN)' : ''}`);
  if (config.examples) lines.push(`Dashboard:        ${origin}/examples/dashboard/`);
  console.log(`\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
  if (config.demoSeed) await printDemoTokens(server.deps);

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'draining and shutting down');
    // new requests answer 503, requests in flight get SHUTDOWN_GRACE_MS, then their connections are
    // closed and the workers, pubsub and database stop; past that plus a margin something is stuck
    const timer = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 5000);
    timer.unref();
    try {
      await server.stop();
      // the spans still buffered are exported before the process ends
      await stopTracing().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'traces not flushed'));
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error while stopping');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  logger.fatal({ err }, 'failed to start');
  process.exit(1);
});
