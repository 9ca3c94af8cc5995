import { UserInputError } from '../common/errors';

const PREFIX = 'ev1:';

/** An event's cursor: opaque to clients (base64url of its position). */
export function encodeEventCursor(position: number): string {
  return Buffer.from(PREFIX + position, 'utf8').toString('base64url');
}

export function decodeEventCursor(cursor: string | undefined | null, field = 'after'): number | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  const raw = cursor.length <= 100 ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const digits = raw.startsWith(PREFIX) ? raw.slice(PREFIX.length) : '';
  if (!/^\d{1,15}$/.test(digits)) throw UserInputError.field(field, 'is not a valid event cursor (use an Event.cursor or an endCursor of events)');
  return Number(digits);
}
