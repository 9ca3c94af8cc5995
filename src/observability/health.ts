import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';
import type { DataSource } from 'typeorm';
import { logger } from '../common/logger';

/**
 * The probes an orchestrator asks (Kubernetes: liveness and readiness; docs/operations.md, "Health"):
 * - `GET /healthz`: the process is alive and its event loop turns. No database, nothing that can
 *   hang; answered while draining too, so a liveness probe never kills a process that is shutting down.
 * - `GET /readyz`: 200 only when every part that serves requests is ready: the database answers
 *   `SELECT 1` within READINESS_TIMEOUT, no migration is pending (MySQL/MariaDB), the event hub and
 *   dispatcher run (src/events/) and so does the webhook worker. Otherwise 503 with each part's state,
 *   `'ok'` or why not (an error code, never a host or a message that could carry one). While draining,
 *   503 `{ status: 'draining' }`: the load balancer stops sending requests that would be refused.
 *
 * Mounted before the drain's middleware (src/pipeline/drain.ts) so that the probes answer in their
 * own words while draining; nothing here waits on the drain or delays it. A check that cannot
 * answer is not retried here: the next probe asks again, so the server is ready again without a
 * restart as soon as the database is back.
 */

export const LIVENESS_PATH = '/healthz';
export const READINESS_PATH = '/readyz';

/** The parts `/readyz` checks; each is `'ok'` or why it is not. */
export interface ReadinessChecks {
  database: string;
  migrations: string;
  events: string;
  webhooks: string;
}

export type Readiness = { status: 'ready' | 'unavailable'; checks: ReadinessChecks } | { status: 'draining' };

export interface HealthParts {
  ds: DataSource;
  /** the HTTP drain (src/pipeline/drain.ts) */
  drain: { readonly isDraining: boolean; seen(req: IncomingMessage): void };
  /** the event hub and dispatcher (src/events/event.service.ts) */
  events: { readonly running: boolean };
  /** the webhook worker (src/modules/webhook/webhook.service.ts) */
  webhooks: { readonly running: boolean };
  /** READINESS_TIMEOUT: how long a database check may take before it counts as down */
  timeoutMs: number;
}

const TIMED_OUT = Symbol('timed out');

export class Health {
  /** pending migrations do not come back once applied: a positive answer is kept */
  private migrationsApplied: boolean;
  /** the checks in flight: probes that come while one runs share it, so a hung database cannot pile them up */
  private pinging: Promise<unknown> | null = null;
  private listing: Promise<boolean> | null = null;
  /** the last answer, to log changes only (a probe every few seconds would flood the log) */
  private wasReady: boolean | undefined;

  constructor(private readonly parts: HealthParts) {
    // SQLite builds its schema from the entities at start: there are no migrations to wait for
    this.migrationsApplied = parts.ds.options.type !== 'mysql' && parts.ds.options.type !== 'mariadb';
  }

  /** Answers GET (and HEAD) /healthz and /readyz; anything else goes on. */
  readonly middleware: RequestHandler = (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (req.path !== LIVENESS_PATH && req.path !== READINESS_PATH)) return next();
    // the connection is past its first request: the drain need not wait for one on it
    this.parts.drain.seen(req);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // while draining, as the drain's own answers: the client should not reuse the connection
    if (this.parts.drain.isDraining) res.setHeader('Connection', 'close');
    if (req.path === LIVENESS_PATH) {
      res.status(200).json({ status: 'ok' });
      return;
    }
    this.readiness().then(
      (answer) => send(res, answer),
      (err: unknown) => {
        logger.error({ err }, 'readiness check failed unexpectedly');
        send(res, { status: 'unavailable', checks: { database: 'unknown', migrations: 'unknown', events: 'unknown', webhooks: 'unknown' } });
      },
    );
  };

  /** What `/readyz` answers: draining, or every part's state. */
  async readiness(): Promise<Readiness> {
    if (this.parts.drain.isDraining) return { status: 'draining' };
    const [database, migrations] = await Promise.all([this.database(), this.migrations()]);
    const checks: ReadinessChecks = {
      database,
      migrations,
      events: this.parts.events.running ? 'ok' : 'stopped',
      webhooks: this.parts.webhooks.running ? 'ok' : 'stopped',
    };
    const ready = Object.values(checks).every((state) => state === 'ok');
    if (ready !== this.wasReady) {
      if (ready) logger.info({ checks }, 'ready');
      else logger.warn({ checks }, 'not ready');
      this.wasReady = ready;
    }
    return { status: ready ? 'ready' : 'unavailable', checks };
  }

  /** `SELECT 1` within the timeout: 'ok', or 'down: <error code>'. */
  private async database(): Promise<string> {
    this.pinging ??= this.parts.ds.query('SELECT 1').finally(() => (this.pinging = null));
    try {
      const answer = await this.within(this.pinging);
      return answer === TIMED_OUT ? `down: no answer within ${this.parts.timeoutMs} ms` : 'ok';
    } catch (err) {
      logger.debug({ err: (err as Error).message }, 'readiness: the database did not answer');
      return `down: ${errorCode(err)}`;
    }
  }

  /** MySQL/MariaDB: 'ok' once no migration is pending (TypeORM's `showMigrations`, which reads the migrations table). */
  private async migrations(): Promise<string> {
    if (this.migrationsApplied) return 'ok';
    this.listing ??= this.parts.ds.showMigrations().finally(() => (this.listing = null));
    try {
      const pending = await this.within(this.listing);
      if (pending === TIMED_OUT) return `unknown: no answer within ${this.parts.timeoutMs} ms`;
      if (pending) return 'pending';
      this.migrationsApplied = true;
      return 'ok';
    } catch (err) {
      return `unknown: ${errorCode(err)}`;
    }
  }

  private async within<T>(work: Promise<T>): Promise<T | typeof TIMED_OUT> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), this.parts.timeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function send(res: Response, answer: Readiness): void {
  res.status(answer.status === 'ready' ? 200 : 503).json(answer);
}

/** An error's code (ECONNREFUSED, PROTOCOL_CONNECTION_LOST, ER_ACCESS_DENIED_ERROR, SQLITE_BUSY), or its class: never its message, which may name hosts. */
function errorCode(err: unknown): string {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(code)) return code;
  return typeof name === 'string' && /^\w{1,64}$/.test(name) ? name : 'error';
}
