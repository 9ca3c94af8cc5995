import Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AppConfig } from '../common/config';
import { RateLimitedError } from '../common/errors';
import { logger } from '../common/logger';

export interface AnonymousLimiter {
  /** Counts one operation of a caller without a token from `ip`; RATE_LIMITED (HTTP 429) beyond the limit. */
  consume(ip: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Operations per minute per IP for callers without a token (rate-limiter-flexible). With REDIS_URL
 * the count is shared by every server instance; when Redis is unreachable a per-process limiter
 * of the same size stands in, so the limit never silently disappears.
 */
export function createAnonymousLimiter(config: Pick<AppConfig, 'redisUrl' | 'anonymousRateLimit'>): AnonymousLimiter {
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
  return {
    async consume(ip) {
      try {
        await limiter.consume(ip || 'unknown');
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
        throw rejection;
      }
    },
    async close() {
      if (client) await client.quit().catch(() => client?.disconnect());
    },
  };
}
