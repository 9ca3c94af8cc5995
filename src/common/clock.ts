/**
 * The time the server's rules read. Everything time-bound that tests must move through in days
 * (admin relationships: request expiry, end dates, reminders) takes "now" from here, so a test hands
 * the server a clock it advances instead of waiting.
 */
export interface Clock {
  now(): Date;
  /**
   * Reads what other servers agreed on, where the clock is shared (the test clock, TEST_CLOCK=true:
   * src/modules/clock/): called before each operation and each sweep. Absent for the system's clock.
   */
  refresh?(): Promise<void>;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until moved: for tests and benchmarks. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(at: Date): void {
    this.current = at.getTime();
  }
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The same day of the month `months` later (UTC), or the last day of that month when it is shorter (a monthly term from 31 January ends on 28 or 29 February; the test clock's P1M too). */
export function addCalendarMonths(start: Date, months: number): Date {
  const end = new Date(start.getTime());
  const day = start.getUTCDate();
  end.setUTCDate(1);
  end.setUTCMonth(end.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate();
  end.setUTCDate(Math.min(day, lastDay));
  return end;
}

/**
 * The time tokens are read against (their `exp`, `iat` and `nbf`, src/common/auth/jwt.ts) and the
 * timer that closes a socket when its token expires (src/pipeline/pipeline.ts): the wall clock.
 * Separate from `Clock`, which tests move through days while their tokens stay valid; a test of
 * token expiry hands the server a ManualTokenClock and advances it instead of waiting.
 */
export interface TokenClock {
  /** milliseconds since the epoch */
  now(): number;
  /** runs `fn` once `ms` have passed on this clock; returns what cancels it */
  after(ms: number, fn: () => void): () => void;
}

export const systemTokenClock: TokenClock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** A token clock that stands still until advanced, running the timers it passes: for tests. */
export class ManualTokenClock implements TokenClock {
  private current: number;
  private timers: { at: number; fn: () => void }[] = [];

  constructor(start: number = Date.now()) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.current + ms, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** how many timers wait */
  get pending(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    this.current += ms;
    const due = this.timers.filter((t) => t.at <= this.current).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => t.at > this.current);
    for (const t of due) t.fn();
  }
}
