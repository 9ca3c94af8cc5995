import ms from 'ms';

/**
 * One typed configuration object, read from the environment and validated once at boot.
 * Every variable has a development default; production refuses the development JWT secret.
 */
export type DbType = 'sqlite' | 'mysql';

export interface AppConfig {
  nodeEnv: string;
  port: number;
  dbType: DbType;
  sqlitePath: string;
  mysqlUrl: string;
  jwtSecret: string;
  jwksUrl?: string;
  jwtIssuer?: string;
  jwtAudience?: string;
  publicUrl: string;
  redisUrl?: string;
  demoSeed: boolean;
  invitationTtlMs: number;
  logLevel: string;
  maxQueryComplexity: number;
  maxQueryDepth: number;
}

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

export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = env.NODE_ENV || 'development';
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
  const mysqlUrl = url(env, 'MYSQL_URL', 'mysql://root@127.0.0.1:3306/partner_center', ['mysql:', 'mariadb:'])!;
  return {
    nodeEnv,
    port,
    dbType,
    sqlitePath: env.SQLITE_PATH || 'data/partner-center.sqlite',
    mysqlUrl,
    jwtSecret,
    jwksUrl,
    jwtIssuer: env.JWT_ISSUER || undefined,
    jwtAudience: env.JWT_AUDIENCE || undefined,
    publicUrl: (url(env, 'PUBLIC_URL', `http://localhost:${port || 4000}`, ['https:', 'http:']) as string).replace(/\/+$/, ''),
    redisUrl: url(env, 'REDIS_URL', undefined, ['redis:', 'rediss:']),
    demoSeed: bool(env, 'DEMO_SEED', dbType === 'sqlite'),
    invitationTtlMs: duration(env, 'INVITATION_TTL', '90d'),
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'warn' : 'info'),
    maxQueryComplexity: integer(env, 'MAX_QUERY_COMPLEXITY', 5000, 10, 1_000_000),
    maxQueryDepth: integer(env, 'MAX_QUERY_DEPTH', 10, 2, 100),
  };
}
