import ms from 'ms';

/**
 * One typed configuration object, read from the environment and validated once at boot.
 * Every variable has a development default; production refuses the development JWT secret.
 */
export type DbType = 'sqlite' | 'mysql';
export const EXPLORERS = ['sandbox', 'graphiql', 'off'] as const;
export type Explorer = (typeof EXPLORERS)[number];
/** who may introspect the schema: anyone, signed-in callers only (the production default), or nobody */
export const INTROSPECTION_MODES = ['on', 'authenticated', 'off'] as const;
export type IntrospectionMode = (typeof INTROSPECTION_MODES)[number];

export interface AppConfig {
  /** the server's profile: APP_ENV, else NODE_ENV, else development (see src/common/runtime-mode.ts) */
  nodeEnv: string;
  port: number;
  dbType: DbType;
  sqlitePath: string;
  /** how long a SQLite statement waits for another process's lock before SERVICE_UNAVAILABLE */
  sqliteBusyTimeoutMs: number;
  mysqlUrl: string;
  jwtSecret: string;
  jwksUrl?: string;
  jwtIssuer?: string;
  jwtAudience?: string;
  publicUrl: string;
  /** whether this server answers the personal links (/invitations/:token …) with pages: yes when PUBLIC_URL is this server (the default) */
  linkPages: boolean;
  /** the explorer on GET /graphql in a browser: Apollo Sandbox (loads from Apollo's CDN), GraphiQL from this server's own files, or none */
  explorer: Explorer;
  /** the example dashboard at /examples/dashboard (development only) */
  examples: boolean;
  redisUrl?: string;
  demoSeed: boolean;
  invitationTtlMs: number;
  logLevel: string;
  /** operation limits, the same on HTTP and WebSocket (src/pipeline/) */
  maxQueryComplexity: number;
  maxQueryDepth: number;
  maxQueryAliases: number;
  maxQueryDirectives: number;
  maxQueryTokens: number;
  /** the cost budget of a caller without a token (only `invitationPreview` and `adminRelationshipPreview` answer it) */
  anonymousMaxComplexity: number;
  /** operations per minute per IP for callers without a token */
  anonymousRateLimit: number;
  /** cost points per minute of a partner's (or a customer's) callers together; 0: no budget (src/pipeline/budgets.ts) */
  partnerRateLimit: number;
  /** cost points per minute of one signed-in user; 0: no budget */
  userRateLimit: number;
  /** live subscriptions of one partner's (or customer's) users across their sockets on a server */
  partnerMaxSubscriptions: number;
  /** operations of one partner's (or customer's) users that run at once on a server over HTTP; more wait their turn (0: no cap) */
  partnerMaxInFlight: number;
  /** how long a refusal by the budgets is held before it is answered (at most until its Retry-After): a client that ignores Retry-After gets its 429s slowly */
  rateLimitHoldMs: number;
  maxSubscriptionsPerSocket: number;
  /** the largest WebSocket message the server reads (bytes); a larger one closes the socket (1009) */
  wsMaxPayload: number;
  /** open sockets per signed-in user, and per address without a token; one more is closed with 4429 */
  maxSocketsPerPrincipal: number;
  /** bytes a socket may have queued unsent before it counts as a slow consumer and is closed (1013) */
  wsMaxBuffered: number;
  /** INTROSPECTION: on (development), authenticated (production default: signed-in callers only) or off */
  introspection: IntrospectionMode;
  /** the longest life a token may claim: `exp − iat` (or `exp − now` without `iat`) */
  jwtMaxAgeMs: number;
  /** browser origins allowed by CORS; `*` (any) is the development default, production must list them */
  corsOrigins: string[] | '*';
  /** express's `trust proxy` (hops or subnet list), so that the per-IP limit sees the client's address */
  trustProxy: string | number | false;
  /** how long SIGTERM waits for requests in flight (new ones get 503) before closing what is left */
  shutdownGraceMs: number;
  /** how often each server checks the event sequence for events it has not received (and, ×10, for unpublished rows) */
  eventPollMs: number;
  /** how often the server looks for invitations past their expiry (INVITATION_EXPIRED) */
  expirySweepMs: number;
  /** TEST_CLOCK: the operator may move the server's clock forward (advanceTestClock); refused in production */
  testClock: boolean;
  /** waits between webhook attempts: the n-th retry waits the n-th entry; after the last the endpoint is disabled */
  webhookRetrySchedule: number[];
  /** how long a webhook receiver has to answer */
  webhookTimeoutMs: number;
  /** how often the webhook worker looks for due deliveries (new events wake it at once) */
  webhookPollMs: number;
  /** hosts webhooks may reach even on a private or loopback address (production refuses those otherwise) */
  webhookAllowedHosts: string[];
  /** the key that encrypts webhook signing secrets at rest (AES-256-GCM); production must set its own */
  webhookSecretKey: string;
  /** IDEMPOTENCY_TTL: how long a mutation's answer is kept for its `Idempotency-Key` (src/idempotency/) */
  idempotencyTtlMs: number;
  /** AUDIT_RETENTION: audit records older than this are deleted by the sweep; undefined keeps them forever */
  auditRetentionMs?: number;
  // Traces (src/observability/tracing.ts; on with the standard OTEL_EXPORTER_OTLP_ENDPOINT, read there)
  /** TRACE_RESOLVER_DEPTH: resolvers traced down to this many fields deep (0: none); only fields with their own resolver */
  traceResolverDepth: number;
  // health (src/observability/health.ts)
  /** READINESS_TIMEOUT: how long /readyz waits for the database before it counts as down */
  readinessTimeoutMs: number;
  // ---- metrics and operation logs (src/observability/)
  /** where /metrics is served (metricsSettings) */
  metrics: MetricsSettings;
  /** SLOW_OPERATION_MS: an operation slower than this is logged at warn, with its SQL count */
  slowOperationMs: number;
}

/**
 * Where Prometheus scrapes /metrics: `port` (METRICS_PORT: its own listener on METRICS_HOST, never the
 * public port), `token` (the public port, behind `Authorization: Bearer <METRICS_TOKEN>`), `open` (the
 * public port without a token: development only) or `off` (production without either: nothing is
 * collected and /metrics is not found).
 */
export interface MetricsSettings {
  mode: 'port' | 'token' | 'open' | 'off';
  port?: number;
  host: string;
  token?: string;
  /** METRICS_MAX_OPERATION_NAMES: distinct operation names kept as labels; later ones count as `other` */
  maxOperationNames: number;
}

/** Development-only key for webhook secrets at rest. Clearly marked, and refused when NODE_ENV=production. */
export const DEV_WEBHOOK_SECRET_KEY = 'dev-only-webhook-key-change-me-do-not-use-in-production';

/** Development-only default secret. Clearly marked, and refused when NODE_ENV=production. */
export const DEV_JWT_SECRET = 'dev-only-secret-change-me-do-not-use-in-production';

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be "true" or "false" (got "${raw}")`);
}

function url(env: Env, name: string, fallback: string | undefined, protocols: string[]): string | undefined {
  const raw = env[name] || fallback;
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL (got "${raw}")`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')} (got "${parsed.protocol}")`);
  }
  return raw;
}

function duration(env: Env, name: string, fallback: string): number {
  const raw = env[name] || fallback;
  const value = ms(raw as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(name, `must be a positive duration such as 90d, 12h or 500ms (got "${raw}")`);
  }
  return value;
}

function durationList(env: Env, name: string, fallback: string): number[] {
  const raw = (env[name] || fallback).trim();
  const values = raw.split(',').map((part) => ms(part.trim() as ms.StringValue));
  if (!values.length || values.length > 20 || values.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) {
    throw new ConfigError(name, `must be 1 to 20 comma-separated positive durations such as 5s,5m,30m (got "${raw}")`);
  }
  return values;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(name, `must be one of ${values.join(', ')} (got "${raw}")`);
  return raw as T;
}

function corsOrigins(env: Env, nodeEnv: string): string[] | '*' {
  const raw = (env.CORS_ORIGINS ?? '').trim();
  if (raw === '' || raw === '*') {
    if (nodeEnv === 'production') {
      throw new ConfigError('CORS_ORIGINS', 'must list the allowed browser origins in production (comma-separated, e.g. https://portal.example.com)');
    }
    return '*';
  }
  return raw.split(',').map((origin) => {
    const value = origin.trim();
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError('CORS_ORIGINS', `must be comma-separated origins such as https://portal.example.com (got "${value}")`);
    }
    if (parsed.origin !== value.replace(/\/+$/, '')) throw new ConfigError('CORS_ORIGINS', `entries are origins, without a path (got "${value}")`);
    return parsed.origin;
  });
}

function trustProxy(env: Env): string | number | false {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === 'false') return false;
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = env.APP_ENV || env.NODE_ENV || 'development';
  const dbType = (env.DB_TYPE || 'sqlite') as DbType;
  if (dbType !== 'sqlite' && dbType !== 'mysql') {
    throw new ConfigError('DB_TYPE', `must be "sqlite" or "mysql" (got "${env.DB_TYPE}")`);
  }
  const port = integer(env, 'PORT', 4000, 0, 65535);
  const jwtSecret = env.JWT_SECRET || DEV_JWT_SECRET;
  const jwksUrl = url(env, 'JWKS_URL', undefined, ['https:', 'http:']);
  if (nodeEnv === 'production') {
    if (!jwksUrl && jwtSecret === DEV_JWT_SECRET) {
      throw new ConfigError('JWT_SECRET', 'is the development default; production needs its own secret or JWKS_URL');
    }
  }
  if (!jwksUrl && Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError('JWT_SECRET', 'must be at least 32 bytes for HS256');
  }
  const testClock = bool(env, 'TEST_CLOCK', false);
  if (testClock && nodeEnv === 'production') {
    throw new ConfigError(
      'TEST_CLOCK',
      'moves the server’s clock (renewals, refunds, expiry) and is never allowed in production: unset it or set APP_ENV to development or test',
    );
  }
  const webhookSecretKey = env.WEBHOOK_SECRET_KEY || DEV_WEBHOOK_SECRET_KEY;
  if (nodeEnv === 'production' && webhookSecretKey === DEV_WEBHOOK_SECRET_KEY) {
    throw new ConfigError('WEBHOOK_SECRET_KEY', 'is the development default; production needs its own (at least 32 bytes)');
  }
  if (Buffer.byteLength(webhookSecretKey) < 32) throw new ConfigError('WEBHOOK_SECRET_KEY', 'must be at least 32 bytes');
  const mysqlUrl = url(env, 'MYSQL_URL', 'mysql://root@127.0.0.1:3306/partner_center', ['mysql:', 'mariadb:'])!;
  return {
    nodeEnv,
    port,
    dbType,
    sqlitePath: env.SQLITE_PATH || 'data/partner-center.sqlite',
    sqliteBusyTimeoutMs: integer(env, 'SQLITE_BUSY_TIMEOUT_MS', 5000, 0, 60_000),
    mysqlUrl,
    jwtSecret,
    jwksUrl,
    jwtIssuer: env.JWT_ISSUER || undefined,
    jwtAudience: env.JWT_AUDIENCE || undefined,
    publicUrl: (url(env, 'PUBLIC_URL', `http://localhost:${port || 4000}`, ['https:', 'http:']) as string).replace(/\/+$/, ''),
    // PUBLIC_URL elsewhere is a portal that answers the links itself; LINK_PAGES=true when it is this server behind a proxy
    linkPages: bool(env, 'LINK_PAGES', !env.PUBLIC_URL),
    explorer: oneOf(env, 'EXPLORER', EXPLORERS, nodeEnv === 'production' ? 'off' : 'sandbox'),
    examples: nodeEnv !== 'production',
    redisUrl: url(env, 'REDIS_URL', undefined, ['redis:', 'rediss:']),
    demoSeed: bool(env, 'DEMO_SEED', dbType === 'sqlite'),
    invitationTtlMs: duration(env, 'INVITATION_TTL', '90d'),
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'warn' : 'info'),
    maxQueryComplexity: integer(env, 'MAX_QUERY_COMPLEXITY', 3000, 10, 1_000_000),
    maxQueryDepth: integer(env, 'MAX_QUERY_DEPTH', 10, 2, 100),
    maxQueryAliases: integer(env, 'MAX_QUERY_ALIASES', 30, 1, 10_000),
    maxQueryDirectives: integer(env, 'MAX_QUERY_DIRECTIVES', 20, 1, 10_000),
    maxQueryTokens: integer(env, 'MAX_QUERY_TOKENS', 3000, 100, 1_000_000),
    anonymousMaxComplexity: integer(env, 'ANONYMOUS_MAX_COMPLEXITY', 50, 10, 1_000_000),
    anonymousRateLimit: integer(env, 'ANONYMOUS_RATE_LIMIT', 60, 1, 1_000_000),
    partnerRateLimit: integer(env, 'PARTNER_RATE_LIMIT', 1_000_000, 0, 1_000_000_000),
    userRateLimit: integer(env, 'USER_RATE_LIMIT', 200_000, 0, 1_000_000_000),
    partnerMaxSubscriptions: integer(env, 'PARTNER_MAX_SUBSCRIPTIONS', 10_000, 1, 10_000_000),
    partnerMaxInFlight: integer(env, 'PARTNER_MAX_IN_FLIGHT', 4, 0, 100_000),
    rateLimitHoldMs: integer(env, 'RATE_LIMIT_HOLD_MS', 1000, 0, 60_000),
    maxSubscriptionsPerSocket: integer(env, 'MAX_SUBSCRIPTIONS_PER_SOCKET', 50, 1, 10_000),
    wsMaxPayload: integer(env, 'WS_MAX_PAYLOAD', 64 * 1024, 1024, 16 * 1024 * 1024),
    maxSocketsPerPrincipal: integer(env, 'MAX_SOCKETS_PER_PRINCIPAL', 20, 1, 100_000),
    wsMaxBuffered: integer(env, 'WS_MAX_BUFFERED', 1024 * 1024, 16 * 1024, 1024 * 1024 * 1024),
    introspection: oneOf(env, 'INTROSPECTION', INTROSPECTION_MODES, nodeEnv === 'production' ? 'authenticated' : 'on'),
    jwtMaxAgeMs: duration(env, 'JWT_MAX_AGE', '24h'),
    corsOrigins: corsOrigins(env, nodeEnv),
    trustProxy: trustProxy(env),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 120_000),
    eventPollMs: duration(env, 'EVENT_POLL_INTERVAL', '1s'),
    expirySweepMs: duration(env, 'EXPIRY_SWEEP_INTERVAL', '1m'),
    testClock,
    webhookRetrySchedule: durationList(env, 'WEBHOOK_RETRY_SCHEDULE', '5s,5m,30m,2h,5h,10h,14h,20h,24h'),
    webhookTimeoutMs: duration(env, 'WEBHOOK_TIMEOUT', '10s'),
    webhookPollMs: duration(env, 'WEBHOOK_POLL_INTERVAL', '1s'),
    webhookAllowedHosts: (env.WEBHOOK_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    webhookSecretKey,
    auditRetentionMs: retention(env, 'AUDIT_RETENTION'),
    idempotencyTtlMs: duration(env, 'IDEMPOTENCY_TTL', '24h'),
    // Traces (src/observability/tracing.ts)
    traceResolverDepth: integer(env, 'TRACE_RESOLVER_DEPTH', 2, 0, 20),
    // health (src/observability/health.ts)
    readinessTimeoutMs: duration(env, 'READINESS_TIMEOUT', '2s'),
    metrics: metricsSettings(env, nodeEnv),
    slowOperationMs: integer(env, 'SLOW_OPERATION_MS', 500, 0, 3_600_000),
  };
}

function metricsSettings(env: Env, nodeEnv: string): MetricsSettings {
  const port = env.METRICS_PORT === undefined || env.METRICS_PORT === '' ? undefined : integer(env, 'METRICS_PORT', 0, 0, 65_535);
  const token = env.METRICS_TOKEN || undefined;
  if (token !== undefined && (token.length < 16 || !/^[\x21-\x7e]+$/.test(token))) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 printable ASCII characters without spaces');
  }
  const mode = port !== undefined ? 'port' : token ? 'token' : nodeEnv === 'production' ? 'off' : 'open';
  return {
    mode,
    port,
    host: env.METRICS_HOST || '127.0.0.1',
    token,
    maxOperationNames: integer(env, 'METRICS_MAX_OPERATION_NAMES', 200, 1, 10_000),
  };
}

/** An optional retention of at least an hour (a bare number would be milliseconds, and delete the whole trail). */
function retention(env: Env, name: string): number | undefined {
  const raw = (env[name] ?? '').trim();
  if (!raw) return undefined;
  const value = ms(raw as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 3_600_000 || !/^\d+(\.\d+)?\s*[a-z]+$/i.test(raw)) {
    throw new ConfigError(name, `must be a duration of at least 1h with its unit, such as 400d or 12h (got "${raw.slice(0, 40)}")`);
  }
  return value;
}
