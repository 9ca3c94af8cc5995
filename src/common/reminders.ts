import { DAY_MS } from './clock';

/**
 * Reminders before an end date (an admin relationship's end, a subscription's term end): once each at
 * 30, 7 and 1 days before it. What was sent is kept as the smallest of those days already sent
 * (`remindedDays`), so each goes out once, even with several servers sweeping.
 */
export const REMINDER_DAYS = [30, 7, 1] as const;

/**
 * The reminders already behind when a period of `remaining` ms starts (or is extended): a 5-day
 * access gets no "30 days" or "7 days" reminder, only the 1-day one. The smallest reminder at or
 * beyond `remaining`, or null when all are still ahead.
 */
export function remindersBehind(remaining: number): number | null {
  const behind = REMINDER_DAYS.filter((days) => days * DAY_MS >= remaining);
  return behind.length ? Math.min(...behind) : null;
}

/** The reminder due at `now` for a period ending at `endsAt` (the latest one passed), or null. */
export function reminderDue(endsAt: Date, now: Date, remindedDays: number | null): number | null {
  const remaining = endsAt.getTime() - now.getTime();
  if (remaining <= 0) return null;
  const passed = REMINDER_DAYS.filter((days) => remaining <= days * DAY_MS);
  if (!passed.length) return null;
  const due = Math.min(...passed);
  return remindedDays === null || remindedDays > due ? due : null;
}

/** The SQL condition of "a reminder is due" on a table's end and remindedDays columns, one per reminder day (parameters `remindBy<i>`). */
export function reminderConditions(endColumn: string, remindedColumn: string): string[] {
  return REMINDER_DAYS.map(
    (days, i) => `(${endColumn} > :now AND ${endColumn} <= :remindBy${i} AND (${remindedColumn} IS NULL OR ${remindedColumn} > ${days}))`,
  );
}

/** The parameters of `reminderConditions` at `now`. */
export function reminderParams(now: Date): Record<string, Date> {
  return { now, ...Object.fromEntries(REMINDER_DAYS.map((days, i) => [`remindBy${i}`, new Date(now.getTime() + days * DAY_MS)])) };
}
