/**
 * The time the server's rules read. Everything time-bound that tests must move through in days
 * (admin relationships: request expiry, end dates, reminders) takes "now" from here, so a test hands
 * the server a clock it advances instead of waiting.
 */
export interface Clock {
  now(): Date;
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
