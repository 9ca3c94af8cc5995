import Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { BudgetCharge } from '../common/budget';
import type { AppConfig } from '../common/config';
import { RateLimitedError } from '../common/errors';
import { logger } from '../common/logger';
import { rateLimitHeaders } from './budgets';

export interface AnonymousLimiter {
  /**
   * Counts one operation of a caller without a token from `ip`; RATE_LIMITED (HTTP 429) beyond the
   * limit. Returns where the address's count stands, for the answer's RateLimit headers.
   */
  consume(ip: string): Promise<BudgetCharge>;
  close(): Promise<void>;
}

/**
 * Operations per minute per IP for callers without a token (rate-limiter-flexible). With REDIS_URL
 * the count is shared by every server instance; when Redis is unreachable a per-process limiter
 * of the same size stands in, so the limit never silently disappears. `onRefused` runs for each refusal (the metrics).
 */
export function createAnonymousLimiter(config: Pick<AppConfig, 'redisUrl' | 'anonymousRateLimit'>, onRefused?: () => void): AnonymousLimiter {
  const options = { keyPrefix: 'pc:anon', points: config.anonymousRateLimit, duration: 60 };
  let client: Redis | undefined;
  let limiter: RateLimiterAbstract;
  if (config.redisUrl) {
    client = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    client.on('error', (err) => logger.warn({ err: err.message }, 'rate limiter: redis error'));
    limiter = new RateLimiterRedis({ ...options, storeClient: client, insuranceLimiter: new RateLimiterMemory(options) });
  } else {
    limiter = new RateLimiterMemory(options);
  }
  /** the address's count, in the budgets' terms: `address` operations per minute (a fixed window) */
  const state = (res: RateLimiterRes, allowed: boolean): BudgetCharge => {
    const bucket = { policy: 'address' as const, limit: options.points, remaining: Math.max(0, res.remainingPoints), msToFull: Math.max(0, res.msBeforeNext) };
    return {
      allowed,
      requested: 1,
      buckets: [bucket],
      binding: bucket,
      retryAfterMs: allowed ? 0 : res.msBeforeNext,
      at: Date.now(),
      windowMs: options.duration * 1000,
    };
  };
  return {
    async consume(ip) {
      try {
        return state(await limiter.consume(ip || 'unknown'), true);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const refused = state(rejection, false);
        onRefused?.();
        throw new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)), undefined, {}, rateLimitHeaders(refused));
      }
    },
    async close() {
      if (client) await client.quit().catch(() => client?.disconnect());
    },
  };
}
