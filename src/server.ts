import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { DataSource } from 'typeorm';
import { WebSocketServer } from 'ws';
import { TokenVerifier } from './common/auth/jwt';
import type { Principal } from './common/auth/principal';
import type { AppConfig } from './common/config';
import type { AppDeps } from './common/context';
import { prepareSchema } from './common/database';
import { AppError, ErrorCode } from './common/errors';
import { formatError } from './common/format-error';
import { logger } from './common/logger';
import { createAppPubSub } from './common/pubsub';
import { queryLimitsPlugin } from './common/query-limits';
import { buildContext, type RequestContext } from './context';
import { seedDemo } from './demo/seed';
import { appDataSource } from './entities';
import { ensureCatalog } from './modules/offer/offer.service';
import { buildAppSchema } from './schema';
import { confirmCaller } from './scope/caller';
import { createServices, type Services } from './services';

export const GRAPHQL_PATH = '/graphql';

export interface RunningServer {
  url: string;
  wsUrl: string;
  port: number;
  config: AppConfig;
  ds: DataSource;
  services: Services;
  deps: AppDeps;
  httpServer: Server;
  /** Drains HTTP, closes sockets, the pubsub and the database. */
  stop(): Promise<void>;
}

type SocketExtra = {
  principal?: Principal;
  expiryTimer?: NodeJS.Timeout;
};

/**
 * Wiring: one HTTP server carries Apollo (POST/GET /graphql, Sandbox on GET from a browser),
 * graphql-ws (WebSocket on /graphql), and the health endpoints.
 */
export async function startServer(config: AppConfig, opts: { dataSource?: DataSource } = {}): Promise<RunningServer> {
  const ds = opts.dataSource ?? appDataSource(config);
  if (!ds.isInitialized) await ds.initialize();
  await prepareSchema(ds);
  await ensureCatalog(ds);

  const pubsub = createAppPubSub(config);
  const deps: AppDeps = { config, ds, pubSub: pubsub.pubSub };
  const services = createServices(deps);
  if (config.demoSeed) await seedDemo(deps, services);

  const schema = await buildAppSchema(pubsub.pubSub);
  const verifier = new TokenVerifier(config);

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);

  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: 256 * 1024 });
  const wsCleanup = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      schema,
      // Authenticate once per socket (signature, claims, the named partner or customer exists);
      // a bad token is refused with close code 4403.
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const header = params.authorization ?? params.Authorization;
        if (header === undefined || header === null) return true;
        try {
          const principal = await confirmCaller(ds, await verifier.fromHeader(String(header)));
          ctx.extra.principal = principal;
          // The socket lives no longer than its token: close it (4401) when the token expires.
          if (principal?.expiresAt) {
            const ms = Math.min(principal.expiresAt - Date.now(), 2 ** 31 - 1);
            ctx.extra.expiryTimer = setTimeout(() => ctx.extra.socket.close(CloseCode.Unauthorized, 'Token expired'), ms);
            ctx.extra.expiryTimer.unref();
          }
          return true;
        } catch {
          return false;
        }
      },
      onClose: (ctx) => clearTimeout(ctx.extra.expiryTimer),
      // A fresh context (a fresh scope with fresh loaders) for every operation on the socket.
      context: (ctx) => buildContext(deps, services, ctx.extra.principal),
    },
    wsServer,
  );

  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: true,
    formatError,
    includeStacktraceInErrorResponses: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
      ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      queryLimitsPlugin(schema, config.maxQueryDepth, config.maxQueryComplexity),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await ds.query('SELECT 1');
      res.status(200).json({ status: 'ready' });
    } catch (err) {
      logger.warn({ err }, 'readiness check failed');
      res.status(503).json({ status: 'database unavailable' });
    }
  });
  app.use(
    GRAPHQL_PATH,
    cors<cors.CorsRequest>(),
    express.json({ limit: '256kb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        try {
          return buildContext(deps, services, await confirmCaller(ds, await verifier.fromHeader(req.headers.authorization)));
        } catch (err) {
          if (err instanceof AppError && err.extensions.code === ErrorCode.UNAUTHENTICATED) {
            err.extensions.http = { status: 401 };
          }
          throw err;
        }
      },
    }),
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, resolve);
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://localhost:${port}${GRAPHQL_PATH}`;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await apollo.stop();
      wsServer.close();
      await pubsub.close();
      if (ds.isInitialized) await ds.destroy();
    })());

  return { url, wsUrl: url.replace(/^http/, 'ws'), port, config, ds, services, deps, httpServer, stop };
}
