import { createHash } from 'node:crypto';
import { DAY_MS } from '../../common/clock';
import { AdminRole } from './admin-relationship.entity';

/**
 * The time rules of admin relationships, in one place:
 * - a duration is ISO 8601 in days, from P1D to P730D; the access runs from approval for that long;
 * - a request not approved within 90 days expires;
 * - auto-extension (and extendAdminRelationships) adds 180 days at a time, never with GLOBAL_ADMINISTRATOR,
 *   and never to more than 730 days ahead;
 * - reminders (ADMIN_RELATIONSHIP_EXPIRING) go out once each at 30, 7 and 1 days before endsAt (src/common/reminders.ts).
 */
export const MIN_DURATION_DAYS = 1;
export const MAX_DURATION_DAYS = 730;
export const REQUEST_TTL_DAYS = 90;
export const EXTENSION_DAYS = 180;
const DAYS_DURATION = /^P(\d{1,4})D$/;

/** The days of an ISO 8601 duration in days (`P90D`) within bounds, or undefined. */
export function durationDays(duration: unknown): number | undefined {
  if (typeof duration !== 'string') return undefined;
  const match = DAYS_DURATION.exec(duration);
  if (!match) return undefined;
  const days = Number(match[1]);
  return days >= MIN_DURATION_DAYS && days <= MAX_DURATION_DAYS ? days : undefined;
}

export const DURATION_RULE = `an ISO 8601 duration in days, from P${MIN_DURATION_DAYS}D to P${MAX_DURATION_DAYS}D (e.g. P90D)`;

/** Auto-extension (and manual extension) is not allowed when the roles include GLOBAL_ADMINISTRATOR. */
export function extendable(roles: readonly string[]): boolean {
  return !roles.includes(AdminRole.GLOBAL_ADMINISTRATOR);
}

/** The roles in catalog order (the stored and shown order). */
export function inCatalogOrder(roles: readonly AdminRole[]): AdminRole[] {
  const order = Object.values(AdminRole);
  return [...roles].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/**
 * The display name as its uniqueness is judged, so that two names that look the same are the same:
 * compatibility forms folded (NFKC: full-width letters, ligatures), invisible characters (zero-width
 * spaces and joiners, soft hyphens) dropped, runs of white space made one, letter case ignored. Stored
 * as its SHA-256, a fixed 64 characters whatever the folding expands to.
 */
export function displayNameKey(displayName: string): string {
  const folded = displayName
    .normalize('NFKC')
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .replace(/\s+/gu, ' ')
    .trim()
    .toLowerCase();
  return createHash('sha256').update(folded, 'utf8').digest('hex');
}

export function addDays(at: Date, days: number): Date {
  return new Date(at.getTime() + days * DAY_MS);
}
