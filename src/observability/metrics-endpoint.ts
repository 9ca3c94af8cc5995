import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import type { MetricsSettings } from '../common/config';
import { logger } from '../common/logger';
import type { Metrics } from './metrics';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether an `Authorization` header carries the token (compared in constant time). */
function hasToken(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const sent = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  return sent !== undefined && timingSafeEqual(digest(sent), digest(token));
}

async function answer(metrics: Metrics, authorization: string | undefined, token: string | undefined) {
  if (!hasToken(authorization, token)) {
    return { status: 401, headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' }, body: 'Unauthorized\n' };
  }
  const { contentType, body } = await metrics.exposition();
  return { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-store' }, body };
}

/** GET /metrics on the public port (METRICS_TOKEN, or no token in development). */
export function metricsRoute(metrics: Metrics, settings: MetricsSettings): RequestHandler {
  return (req, res, next) => {
    answer(metrics, req.headers.authorization, settings.token)
      .then(({ status, headers, body }) => res.status(status).set(headers).send(body))
      .catch(next);
  };
}

/** The metrics' own listener (METRICS_PORT on METRICS_HOST): GET /metrics only, behind METRICS_TOKEN when it is set too. */
export async function startMetricsListener(metrics: Metrics, settings: MetricsSettings): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: GET /metrics\n');
      return;
    }
    answer(metrics, req.headers.authorization, settings.token).then(
      ({ status, headers, body }) => res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body),
      (err: Error) => {
        logger.error({ err }, 'metrics exposition failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal error\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port ?? 0, settings.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
