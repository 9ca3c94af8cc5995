import { DAY_MS } from '../../common/clock';
import { identifierProblem } from '../../common/text';

/**
 * The rules of a customer's users, in one place:
 * - a user name is `local@domain`: the domain is the customer's own, the local part 1 to 64 of
 *   A–Z a–z 0–9 and ' . - _ ! # ^ ~ (no leading, trailing or doubled dot), as Microsoft Entra allows;
 *   it is read in NFKC (a full-width "Ｂ" is a "B"), and two names that differ only in letter case are
 *   the same user (userNameKey);
 * - a deleted user can be restored for RESTORE_DAYS days (until `purgeAt`); the sweep then purges it.
 */
export const RESTORE_DAYS = 30;
const LOCAL_PART = /^[A-Za-z0-9'._!#^~-]{1,64}$/;

/** The user name as its uniqueness is judged (the unique column `userNameKey`). */
export function userNameKey(userName: string): string {
  return userName.normalize('NFKC').toLowerCase();
}

/** The user name as stored (NFKC, the domain in lower case), or the reason it is refused. */
export function parseUserName(raw: string, customerDomain: string): { userName: string } | { problem: string } {
  const value = raw.normalize('NFKC').trim();
  const invisible = identifierProblem(value);
  if (invisible) return { problem: `userName ${invisible}` };
  const at = value.lastIndexOf('@');
  if (at < 0) return { problem: `userName must be name@${customerDomain}` };
  const local = value.slice(0, at);
  const domain = value.slice(at + 1).toLowerCase();
  if (domain !== customerDomain.toLowerCase()) return { problem: `userName must be in the customer's domain (name@${customerDomain}), not @${domain}` };
  if (!LOCAL_PART.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return { problem: "userName's name part must be 1 to 64 of A-Z a-z 0-9 ' . - _ ! # ^ ~, without a leading, trailing or doubled dot" };
  }
  return { userName: `${local}@${domain}` };
}

/** Until when a user deleted at `deletedAt` can be restored; the sweep purges it then. */
export function purgeAt(deletedAt: Date): Date {
  return new Date(deletedAt.getTime() + RESTORE_DAYS * DAY_MS);
}
