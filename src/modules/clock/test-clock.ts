import type { DataSource, EntityManager } from 'typeorm';
import { addCalendarMonths, type Clock } from '../../common/clock';
import { forUpdate } from '../../common/database';
import { UserInputError } from '../../common/errors';
import { ServerClock } from './server-clock.entity';

const ROW = 'test';

/**
 * The server's clock when TEST_CLOCK=true (never in production: src/common/config.ts): the system's
 * time plus an offset that only grows, which the operator moves with advanceTestClock, as payment
 * platforms' test clocks let integrators see a year of renewals in a minute. The offset lives in the
 * database (`server_clock`), and every server reads it before each operation and each sweep
 * (`refresh`), so servers sharing the database agree on the time.
 */
export class TestClock implements Clock {
  private offsetMs = 0;

  constructor(
    private readonly base: Clock,
    private readonly ds: DataSource,
  ) {}

  now(): Date {
    return new Date(this.base.now().getTime() + this.offsetMs);
  }

  /** Creates the shared row when no server has yet, and reads the offset. */
  async start(): Promise<void> {
    await this.ds.createQueryBuilder().insert().into(ServerClock).values({ id: ROW, offsetMs: 0, updatedAt: this.base.now() }).orIgnore().execute();
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const row = await this.ds.getRepository(ServerClock).findOneBy({ id: ROW });
    this.offsetMs = row?.offsetMs ?? 0;
  }

  /**
   * Moves the shared clock forward in the caller's transaction by `by(previous)` milliseconds, its row
   * locked until the commit: advances at once (from any server) take turns, each from where the one
   * before left the clock. The time before and after the move; `refresh` after the commit reads it.
   */
  async advance(em: EntityManager, by: (previous: Date) => number): Promise<{ previous: Date; now: Date }> {
    const row = await forUpdate(em.createQueryBuilder(ServerClock, 'clock').where('clock.id = :id', { id: ROW })).getOne();
    const previous = new Date(this.base.now().getTime() + (row?.offsetMs ?? 0));
    const ms = Math.trunc(by(previous));
    await em
      .createQueryBuilder()
      .update(ServerClock)
      .set({ offsetMs: () => `offsetMs + ${ms}`, updatedAt: this.base.now() })
      .where('id = :id', { id: ROW })
      .execute();
    return { previous, now: new Date(previous.getTime() + ms) };
  }
}

const DURATION = /^P(?!$)(?:(\d{1,2})Y)?(?:(\d{1,3})M)?(?:(\d{1,3})W)?(?:(\d{1,4})D)?(?:T(?=\d)(?:(\d{1,5})H)?(?:(\d{1,6})M)?(?:(\d{1,7})S)?)?$/;
/** The furthest one advance goes. */
const MAX_ADVANCE_YEARS = 10;

/**
 * The milliseconds of an ISO 8601 duration from `now` (`P8D`, `PT1H`, `P1M`: a month or year is
 * the calendar's, counted from `now`): positive, at most 10 years. BAD_USER_INPUT naming `field` otherwise.
 */
export function durationFrom(now: Date, duration: string, field: string): number {
  const match = DURATION.exec(duration);
  if (!match) throw UserInputError.field(field, 'must be an ISO 8601 duration such as P8D, PT12H, P1M or P1Y2M10DT2H30M');
  const [y, mo, w, d, h, mi, s] = match.slice(1).map((v) => Number(v ?? 0));
  // a month from the 31st of January is the last day of February, as a monthly term counts it
  const target = addCalendarMonths(now, y * 12 + mo);
  const ms = target.getTime() - now.getTime() + ((((w * 7 + d) * 24 + h) * 60 + mi) * 60 + s) * 1000;
  if (ms <= 0) throw UserInputError.field(field, 'must move the clock forward (the test clock never goes back)');
  const limit = addCalendarMonths(now, MAX_ADVANCE_YEARS * 12);
  if (now.getTime() + ms > limit.getTime()) throw UserInputError.field(field, `must be at most ${MAX_ADVANCE_YEARS} years at a time`);
  return ms;
}
