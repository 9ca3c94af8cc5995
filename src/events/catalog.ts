/**
 * The event side of the change catalog (src/changes/): an event's type is its change's kind, and its
 * audience is the one its change definition declares. Kept as the events' entry point.
 */
export { ChangeKind as EventType } from '../changes/kinds';
export { audienceKeys, customerKey, partnerKey, type Audience, type EventSubject } from '../changes/catalog';
