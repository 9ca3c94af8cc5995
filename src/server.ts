import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { useServer } from 'graphql-ws/use/ws';
import type { DataSource } from 'typeorm';
import { WebSocketServer } from 'ws';
import { TokenVerifier } from './common/auth/jwt';
import { type Clock, systemClock, systemTokenClock, type TokenClock } from './common/clock';
import type { AppConfig } from './common/config';
import type { AppDeps } from './common/context';
import { prepareSchema } from './common/database';
import { logger } from './common/logger';
import { createAppPubSub } from './common/pubsub';
import type { RequestContext } from './context';
import { seedDemo } from './demo/seed';
import { appDataSource } from './entities';
import { ensureCatalog } from './modules/offer/offer.service';
import { assignRequestId, corsPolicy, jsonErrors, notFound, requireJsonBody, securityHeaders } from './pipeline/http';
import { HttpDrain } from './pipeline/drain';
import { OperationCompiler } from './pipeline/execution';
import { OperationPipeline, type SocketExtra } from './pipeline/pipeline';
import { clientAddress, originCheck, quietClientErrors } from './pipeline/sockets';
import { createAnonymousLimiter } from './pipeline/rate-limit';
import { TenantBudgets } from './pipeline/budgets';
import { buildAppSchema } from './schema';
import { createServices, type Services } from './services';
import { ensureTallies } from './counts/tallies';
import { examples, pageAssets } from './web/examples';
import { graphiql, isExplorerRequest, landingPage, noExplorer } from './web/explorer';
import { linkPages } from './web/link-pages';
import { auditExport } from './modules/activity/activity.export';
import { TestClock } from './modules/clock/test-clock';
import { idempotentMutations, keepRawBody } from './idempotency/idempotency';
import { countSockets, type Metrics, metricsRoute, observe, startMetricsListener } from './observability';
import { Health } from './observability/health';
import { activeTracing } from './observability/tracing';

export const GRAPHQL_PATH = '/graphql';
/** how long a socket closed by a shutdown (1001) has to answer before it is dropped */
const SOCKET_CLOSE_WAIT_MS = 1000;

export interface RunningServer {
  url: string;
  wsUrl: string;
  port: number;
  config: AppConfig;
  ds: DataSource;
  services: Services;
  deps: AppDeps;
  httpServer: Server;
  /** graphql-ws's socket server on the GraphQL path */
  wsServer: WebSocketServer;
  /** the cost budgets of tenants and users */
  budgets: TenantBudgets;
  /** the Prometheus metrics (undefined when off: production without METRICS_PORT or METRICS_TOKEN) */
  metrics?: Metrics;
  /** where Prometheus scrapes them: the metrics' own listener (METRICS_PORT), or /metrics on this server */
  metricsUrl?: string;
  /** Drains HTTP, closes sockets, the pubsub and the database. */
  stop(): Promise<void>;
}

/**
 * Wiring: one HTTP server carries Apollo (POST/GET /graphql, Sandbox on GET from a browser),
 * graphql-ws (WebSocket on /graphql), and the health endpoints.
 */
export async function startServer(config: AppConfig, opts: { dataSource?: DataSource; clock?: Clock; tokenClock?: TokenClock } = {}): Promise<RunningServer> {
  const ds = opts.dataSource ?? appDataSource(config);
  if (!ds.isInitialized) await ds.initialize();
  // traces on (OTEL_EXPORTER_OTLP_ENDPOINT): SQLite's statements get spans; resolvers below (src/observability/tracing.ts)
  const tracing = activeTracing();
  tracing?.traceSqlite(ds);
  await prepareSchema(ds);
  await ensureCatalog(ds);
  await ensureTallies(ds);

  const pubsub = createAppPubSub(config);
  // TEST_CLOCK=true: the system's (or the given) time plus the offset the operator moves (src/modules/clock/)
  const baseClock = opts.clock ?? systemClock;
  const clock = config.testClock ? new TestClock(baseClock, ds) : baseClock;
  if (clock instanceof TestClock) {
    await clock.start();
    logger.warn('TEST_CLOCK is on: the operator can move this server’s clock forward (advanceTestClock)');
  }
  const deps: AppDeps = { config, ds, pubSub: pubsub.pubSub, clock, tokenClock: opts.tokenClock ?? systemTokenClock };
  const services = createServices(deps);
  // the metrics and the operations' log lines (src/observability/), wired before anything is counted
  const { metrics, observer } = observe(config, ds, services);
  // the event hub and dispatcher first: the demo data's events and any left unpublished go out
  await services.events.start();
  services.webhooks.start();
  if (config.demoSeed) await seedDemo(deps, services);
  // what time does (src/sweeps.ts): expiry, renewals, reminders, audit retention
  const expirySweep = setInterval(() => {
    services.sweeps.run().catch((err) => logger.warn({ err: (err as Error).message }, 'sweep failed'));
  }, config.expirySweepMs);
  expirySweep.unref();

  const schema = await buildAppSchema(pubsub.pubSub);
  // before any operation is compiled: graphql-jit reads the resolvers then
  tracing?.traceResolvers(schema, config.traceResolverDepth);
  const verifier = new TokenVerifier(config, deps.tokenClock);

  const anonymous = createAnonymousLimiter(config, () => observer.rateLimited('address'));
  // each tenant's and user's cost points per minute (src/pipeline/budgets.ts), shared through Redis when REDIS_URL is set
  const budgets = new TenantBudgets(config, deps.tokenClock);
  await budgets.start();
  const pipeline = new OperationPipeline(schema, deps, services, verifier, config, anonymous, budgets, observer);

  const app = express();
  app.disable('x-powered-by');
  // no ETag: GraphQL answers are per caller and rarely repeat; hashing every body costs more than it saves
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  const httpServer = createServer(app);
  // first of all: once stopping, new requests answer 503 while those in flight finish (src/pipeline/drain.ts)
  const drain = new HttpDrain(httpServer);
  // an answer to a request with a token is that caller's own: no cache may keep it, whichever layer
  // answers (the drain's 503, a body the JSON parser refuses, a POST that is not JSON, the API itself)
  app.use((req, res, next) => {
    if (req.headers.authorization) res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // every request's id (src/common/request-id.ts): echoed in x-request-id whichever layer answers,
  // in its errors and log lines; a malformed x-request-id is refused here (400), before anything runs
  app.use(assignRequestId);
  // /healthz and /readyz (src/observability/health.ts) before the drain: while draining they answer in their own words
  app.use(new Health({ ds, drain, events: services.events, webhooks: services.webhooks, timeoutMs: config.readinessTimeoutMs }).middleware);
  app.use(drain.middleware);

  // graphql-ws on the same path: ws reads no message over WS_MAX_PAYLOAD (it closes the socket, 1009)
  // and refuses a browser page from an origin outside CORS_ORIGINS at the upgrade (src/pipeline/sockets.ts)
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: config.wsMaxPayload, verifyClient: originCheck(config) });
  const wsCleanup = useServer<Record<string, unknown> | undefined, SocketExtra>(pipeline.websocketOptions(clientAddress(app.request)), wsServer);
  wsServer.on('connection', quietClientErrors);
  countSockets(wsServer, metrics);

  const apolloSide = pipeline.apolloOptions();
  const apollo = new ApolloServer<RequestContext>({
    // the schema, with operations compiled once and run as functions (src/pipeline/execution.ts)
    gateway: new OperationCompiler(schema).asGateway(),
    // Apollo's switch only knows on and off: INTROSPECTION=authenticated is the gate's (src/pipeline/gate.ts)
    introspection: config.introspection !== 'off',
    // no "Did you mean …" in validation errors where the schema is not public: they spell it out a guess at a time
    hideSchemaDetailsFromClientErrors: config.introspection !== 'on',
    includeStacktraceInErrorResponses: false,
    // Apollo's CSRF prevention refuses a GET without a content type or a custom header, which is how
    // urql's default client sends every query. It guards against a cross-site page running an
    // operation with the browser's ambient credentials; this server has none: it authenticates only by
    // the `Authorization: Bearer` header (src/pipeline/pipeline.ts `authenticate`, never a cookie), which
    // no cross-site request carries without a CORS preflight. A POST must be JSON (requireJsonBody,
    // 415 otherwise, before Apollo), so every POST is preflighted; a GET runs queries only (Apollo
    // answers a mutation over GET with 405). What is left, a simple GET, runs as the anonymous caller.
    // README, "Default transports and CSRF".
    csrfPrevention: false,
    // main.ts owns SIGTERM/SIGINT (one bounded shutdown); Apollo's own handler would race it
    stopOnTerminationSignals: false,
    validationRules: apolloSide.validationRules,
    parseOptions: apolloSide.parseOptions,
    formatError: apolloSide.formatError,
    // stop() below drains HTTP and the sockets itself, before Apollo stops
    plugins: [
      // each operation's span (traces on)
      ...(tracing ? [tracing.apolloPlugin()] : []),
      // no HTTP caching of GraphQL answers here: without this, Apollo wraps every field resolver to
      // collect cache hints (about a fifth of the CPU of a page of customers)
      ApolloServerPluginCacheControlDisabled(),
      landingPage(config),
      apolloSide.plugin,
    ],
  });
  await apollo.start();

  // Apollo Sandbox sets its own policy in its page
  securityHeaders(app, (req) => config.explorer === 'sandbox' && isExplorerRequest(req, GRAPHQL_PATH));
  // the pages people open in a browser (src/web/): the links of the emails, GraphiQL, the examples
  app.use(pageAssets());
  if (config.linkPages) app.use(linkPages(config, services, anonymous));
  app.use(graphiql(config, GRAPHQL_PATH));
  app.use(noExplorer(config, GRAPHQL_PATH));
  app.use(examples(config));
  // the audit trail's export (CSV, NDJSON), streamed, with the same token, scope and filters as Query.activities
  app.use(
    auditExport(
      deps,
      (header) => pipeline.authenticate(header),
      (principal, res) => pipeline.chargeRequest(principal, config.maxQueryComplexity, res),
    ),
  );
  // /metrics on this port: behind METRICS_TOKEN, or open in development (METRICS_PORT: its own listener, below)
  if (metrics && (config.metrics.mode === 'token' || config.metrics.mode === 'open')) app.get('/metrics', metricsRoute(metrics, config.metrics));
  app.use(
    GRAPHQL_PATH,
    // every operation counted and logged when its answer is sent, whichever layer answers (src/observability/operations.ts)
    observer.http,
    corsPolicy(config),
    requireJsonBody,
    // the body's bytes kept for the idempotency keys, which are bound to their hash
    express.json({ limit: '256kb', verify: keepRawBody }),
    // a mutation with an Idempotency-Key runs once; its answer is replayed (src/idempotency/)
    idempotentMutations(
      services.idempotency,
      pipeline.parseOptions,
      (req) => pipeline.caller(req),
      (principal, res) => pipeline.budgetHeaders(principal, res),
    ),
    expressMiddleware(apollo, {
      // the persisted-query extension, the caller, early refusal of introspection (src/pipeline/pipeline.ts)
      context: ({ req }) => pipeline.httpContext(req),
    }),
  );
  app.use(notFound);
  app.use(jsonErrors);

  // the metrics' own listener (METRICS_PORT), never the public port
  const metricsListener = metrics && config.metrics.mode === 'port' ? await startMetricsListener(metrics, config.metrics) : undefined;
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, resolve);
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://localhost:${port}${GRAPHQL_PATH}`;
  const metricsUrl = metricsListener?.url ?? (metrics ? `http://localhost:${port}/metrics` : undefined);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(expirySweep);
      // no new connections or operations; requests in flight finish (a committed write is always answered)
      drain.begin();
      // sockets are told the server is going away (close 1001); ws waits for each to answer
      const socketsClosed = wsCleanup.dispose();
      if (!(await drain.settle(config.shutdownGraceMs)))
        logger.warn({ graceMs: config.shutdownGraceMs }, 'requests still running after the shutdown grace; closing them');
      drain.closeConnections();
      // a client that never answers the close (it stopped reading) would hold the stop for ws's 30 s:
      // after a short wait what is left is dropped
      await Promise.race([socketsClosed, sleep(SOCKET_CLOSE_WAIT_MS, undefined, { ref: false })]);
      for (const client of wsServer.clients) client.terminate();
      await socketsClosed;
      await apollo.stop();
      wsServer.close();
      await services.webhooks.stop();
      await services.events.stop();
      await Promise.all([pubsub.close(), anonymous.close(), budgets.close(), metricsListener?.close()]);
      if (ds.isInitialized) await ds.destroy();
    })());

  return { url, wsUrl: url.replace(/^http/, 'ws'), port, config, ds, services, deps, httpServer, wsServer, budgets, metrics, metricsUrl, stop };
}
