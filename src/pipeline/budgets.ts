import Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../common/auth/principal';
import type { BucketState, BudgetCharge } from '../common/budget';
import type { TokenClock } from '../common/clock';
import type { AppConfig } from '../common/config';
import { logger } from '../common/logger';

/** Every budget refills over one minute: PARTNER_RATE_LIMIT and USER_RATE_LIMIT are points per minute. */
export const BUDGET_WINDOW_MS = 60_000;

type BudgetConfig = Pick<AppConfig, 'redisUrl' | 'partnerRateLimit' | 'userRateLimit'>;

interface Bucket {
  key: string;
  policy: BucketState['policy'];
  limit: number;
}

/** A bucket's points and the time they were counted at (ms on the budgets' clock). */
interface Level {
  points: number;
  at: number;
}

/**
 * Token buckets, in a Redis hash per bucket (`p` points, `a` when counted). One script charges all of
 * a caller's buckets or none: each is refilled for the time passed (at most to its limit), and the
 * charge goes through only when every bucket holds the cost (or is full, for an operation costlier
 * than a whole bucket: it runs on a full bucket and leaves it in debt). The time comes from the server
 * (its token clock), so that tests move it; a server whose clock lags one that counted later refills
 * nothing until it catches up. Points are returned as strings: Redis would cut Lua numbers to integers.
 */
const CHARGE_SCRIPT = `
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local take = ARGV[3] == '1'
local ttl = tonumber(ARGV[4])
local n = #KEYS
local points = {}
local ats = {}
local fits = true
for i = 1, n do
  local limit = tonumber(ARGV[4 + i])
  local state = redis.call('HMGET', KEYS[i], 'p', 'a')
  local p = tonumber(state[1])
  local a = tonumber(state[2])
  if p == nil or a == nil then
    p = limit
    a = now
  elseif now > a then
    p = math.min(limit, p + (now - a) * limit / ${BUDGET_WINDOW_MS})
    a = now
  end
  points[i] = p
  ats[i] = a
  if p < math.min(cost, limit) then fits = false end
end
local out = { fits and '1' or '0' }
for i = 1, n do
  if fits and take then
    points[i] = points[i] - cost
    redis.call('HSET', KEYS[i], 'p', tostring(points[i]), 'a', tostring(ats[i]))
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
  out[i + 1] = tostring(points[i])
end
return out
`;

/**
 * Cost budgets per tenant (issue: runaway jobs must not starve other partners). Each operation's cost
 * (src/pipeline/cost.ts) is charged to two token buckets, the caller's tenant (its partner, or its
 * customer) at PARTNER_RATE_LIMIT points per minute and the caller's user at USER_RATE_LIMIT, both
 * refilled continuously; `0` turns one off. The operator and callers without a token have none (the
 * latter keep their per-address limit, src/pipeline/rate-limit.ts). With REDIS_URL every server charges
 * the same buckets (one atomic script); without it, or while Redis cannot be reached, buckets in this
 * process do, so the budget never silently disappears.
 */
export class TenantBudgets {
  private readonly redis?: Redis;
  /** the buckets of this process (without Redis, or while it is unreachable); an idle bucket is full again after a window */
  private readonly local = new LRUCache<string, Level>({ max: 100_000, ttl: 2 * BUDGET_WINDOW_MS, ttlAutopurge: false });

  constructor(
    private readonly config: BudgetConfig,
    private readonly clock: TokenClock,
  ) {
    if (config.redisUrl && (config.partnerRateLimit > 0 || config.userRateLimit > 0)) {
      this.redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      this.redis.on('error', (err) => logger.warn({ err: err.message }, 'budgets: redis error'));
      // sent by its SHA once Redis knows it (EVALSHA, falling back to EVAL)
      this.redis.defineCommand('chargeBudgets', { lua: CHARGE_SCRIPT });
    }
  }

  /** Waits (a few seconds at most) for Redis, so that a new server charges the shared buckets from its first request. */
  async start(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, 5000);
      timer.unref();
      redis.once('ready', done);
    });
  }

  /** The buckets a caller is charged to; none for the operator, a caller without a token, or budgets set to 0. */
  bucketsOf(principal: Principal | undefined): Bucket[] {
    const tenant = tenantOf(principal);
    if (!principal || !tenant) return [];
    const buckets: Bucket[] = [];
    if (this.config.partnerRateLimit > 0) buckets.push({ key: `pc:budget:${tenant.key}`, policy: tenant.policy, limit: this.config.partnerRateLimit });
    // a user is counted within its tenant: the same subject at another tenant is another caller
    if (this.config.userRateLimit > 0) {
      buckets.push({ key: `pc:budget:user:${tenant.key}:${principal.userId}`, policy: 'user', limit: this.config.userRateLimit });
    }
    return buckets;
  }

  /**
   * Takes `cost` points from every bucket of the caller when each holds them (or is full); otherwise
   * takes nothing and says when to retry. Undefined for a caller without budgets.
   */
  charge(principal: Principal | undefined, cost: number): Promise<BudgetCharge | undefined> {
    return this.run(principal, cost, true);
  }

  /** The caller's buckets as they stand, taking nothing (`requested` is 0). */
  peek(principal: Principal | undefined): Promise<BudgetCharge | undefined> {
    return this.run(principal, 0, false);
  }

  async close(): Promise<void> {
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
  }

  private async run(principal: Principal | undefined, cost: number, take: boolean): Promise<BudgetCharge | undefined> {
    const buckets = this.bucketsOf(principal);
    if (!buckets.length) return undefined;
    const now = this.clock.now();
    let fits: boolean;
    let points: number[];
    if (this.redis?.status === 'ready') {
      try {
        ({ fits, points } = await this.chargeRedis(buckets, now, cost, take));
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'budgets: redis unavailable, counting in this process');
        ({ fits, points } = this.chargeLocal(buckets, now, cost, take));
      }
    } else {
      ({ fits, points } = this.chargeLocal(buckets, now, cost, take));
    }
    return describe(buckets, points, fits, take ? cost : 0, now);
  }

  private async chargeRedis(buckets: Bucket[], now: number, cost: number, take: boolean): Promise<{ fits: boolean; points: number[] }> {
    const redis = this.redis as Redis & { chargeBudgets(...args: (string | number)[]): Promise<string[]> };
    const out = await redis.chargeBudgets(
      buckets.length,
      ...buckets.map((b) => b.key),
      String(now),
      String(cost),
      take ? '1' : '0',
      String(2 * BUDGET_WINDOW_MS),
      ...buckets.map((b) => String(b.limit)),
    );
    return { fits: out[0] === '1', points: out.slice(1).map(Number) };
  }

  /** The same arithmetic as the script, on this process's buckets (one event-loop turn: atomic here). */
  private chargeLocal(buckets: Bucket[], now: number, cost: number, take: boolean): { fits: boolean; points: number[] } {
    const levels = buckets.map((b) => {
      const known = this.local.get(b.key);
      if (!known) return { points: b.limit, at: now };
      if (now <= known.at) return { ...known };
      return { points: Math.min(b.limit, known.points + ((now - known.at) * b.limit) / BUDGET_WINDOW_MS), at: now };
    });
    const fits = levels.every((level, i) => level.points >= Math.min(cost, buckets[i].limit));
    if (fits && take) {
      levels.forEach((level, i) => {
        level.points -= cost;
        this.local.set(buckets[i].key, level);
      });
    }
    return { fits, points: levels.map((l) => l.points) };
  }
}

function describe(buckets: Bucket[], points: number[], fits: boolean, cost: number, now: number): BudgetCharge {
  const states: BucketState[] = buckets.map((b, i) => ({
    policy: b.policy,
    limit: b.limit,
    remaining: Math.max(0, Math.floor(points[i])),
    msToFull: Math.max(0, Math.ceil(((b.limit - points[i]) * BUDGET_WINDOW_MS) / b.limit)),
  }));
  // the one that refuses first; of two equally low, the user's (it is the narrower)
  const binding = states.reduce((low, s) => (s.remaining < low.remaining || (s.remaining === low.remaining && s.policy === 'user') ? s : low));
  // when refused: until every bucket holds the cost again (or is full, for a cost beyond a bucket)
  const retryAfterMs = fits
    ? 0
    : Math.max(...buckets.map((b, i) => Math.max(0, Math.ceil(((Math.min(cost, b.limit) - points[i]) * BUDGET_WINDOW_MS) / b.limit))));
  return { allowed: fits, requested: cost, buckets: states, binding, retryAfterMs, at: now, windowMs: BUDGET_WINDOW_MS };
}

/**
 * The answer's headers of draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy` (each budget's quota
 * and window, in cost points) and `RateLimit` (its remaining points and the seconds until it is full again).
 */
export function rateLimitHeaders(charge: BudgetCharge): [string, string][] {
  return [
    ['ratelimit-policy', charge.buckets.map((b) => `"${b.policy}";q=${b.limit};w=${charge.windowMs / 1000}`).join(', ')],
    ['ratelimit', charge.buckets.map((b) => `"${b.policy}";r=${b.remaining};t=${Math.ceil(b.msToFull / 1000)}`).join(', ')],
  ];
}

/** The tenant a caller's operations count against (`key`: `partner:<id>` or `customer:<id>`); none for the operator or without a token. */
export function tenantOf(principal: Principal | undefined): { policy: 'partner' | 'customer'; id: string; key: string } | undefined {
  const id = principal?.kind === 'partner' ? principal.partnerId : principal?.kind === 'customer' ? principal.customerId : undefined;
  if (!principal || !id) return undefined;
  const policy = principal.kind === 'partner' ? 'partner' : 'customer';
  return { policy, id, key: `${policy}:${id}` };
}

/** The answer's `extensions.cost` (as Shopify's): what this operation took and where the binding budget stands. */
export function costExtension(charge: BudgetCharge) {
  return {
    requested: charge.requested,
    remaining: charge.binding.remaining,
    limit: charge.binding.limit,
    resetAt: new Date(charge.at + charge.binding.msToFull).toISOString(),
  };
}

/**
 * Operations of one tenant (a partner's or a customer's users together) running at once over HTTP,
 * at most PARTNER_MAX_IN_FLIGHT; the next ones wait their turn in order of arrival, taking no CPU.
 * One process runs one thing at a time: twenty requests of one partner in flight would each get a
 * slice before another partner's next step, so its flood would slow everyone; a few in flight keep
 * the turns fair. The operator and callers without a token are not counted.
 */
export class TenantInFlight {
  private readonly tenants = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(private readonly limit: number) {}

  /** Waits for a turn of the caller's tenant; returns what ends it (a second call does nothing). */
  async enter(principal: Principal | undefined): Promise<() => void> {
    const key = tenantOf(principal)?.key;
    if (!key || this.limit === 0) return () => {};
    let tenant = this.tenants.get(key);
    if (!tenant) this.tenants.set(key, (tenant = { running: 0, waiting: [] }));
    // a turn handed over by the one leaving keeps `running` as it is
    if (tenant.running < this.limit) tenant.running++;
    else await new Promise<void>((resolve) => tenant.waiting.push(resolve));
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const next = tenant.waiting.shift();
      if (next) return next();
      if (--tenant.running === 0) this.tenants.delete(key);
    };
  }

  /** Tenants with an operation running or waiting (tests check that nothing stays behind). */
  get busy(): number {
    return this.tenants.size;
  }
}
