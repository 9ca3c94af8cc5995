import type { TallyName } from '../counts/tallies';
import type { ChangeKind, SubjectType } from './kinds';

/**
 * The change catalog: one definition per kind of change (`defineChange`), written next to its feature
 * in `src/modules/<feature>/<feature>.changes.ts`. The change primitive (./change.ts) reads it to write
 * the audit record, the event to its audiences and the counters of every change of that kind; the
 * event stream, webhooks and the README read the same entries.
 */

/** The ids a change is about; the audience rules read them, and they are columns of the event row. */
export interface EventSubject {
  partnerId?: string | null;
  customerId?: string | null;
  invitationId?: string | null;
  partnershipId?: string | null;
  subscriptionId?: string | null;
  adminRelationshipId?: string | null;
}

/** Who receives an event: partners' users and customers' users (the operator receives every event). */
export interface Audience {
  partnerIds: (string | null | undefined)[];
  customerIds: (string | null | undefined)[];
}

/** One counter (src/counts/) a change moves: `delta` on the tally `tally` of `owner` (skipped when the owner is null). */
export interface CounterMove {
  tally: TallyName;
  owner: string | null | undefined;
  delta: number;
}

/** The declaration of one kind of change. `D` is its data: a wrong or missing field is a compile error where the change is made. */
export interface ChangeDefinition<D extends object = object> {
  kind: ChangeKind;
  /** what kind of record the audit entry names in `subjectId` */
  subjectType: SubjectType;
  /** what happened, what `data` holds and who receives it (the README's event catalog) */
  description: string;
  /** false: a notice, not a change of state (a reminder): it sends its event but writes no audit record */
  audit?: boolean;
  /** who receives the event, from the subject and the data only (no database read); none: audited, no event */
  audience?: (subject: EventSubject, data: D) => Audience;
  /** the counters every change of this kind moves */
  counters?: (subject: EventSubject, data: D) => CounterMove[];
}

const DEFINITIONS = new Map<ChangeKind, ChangeDefinition>();

/** Declares a kind of change (once per kind: a second definition of the same kind is a bug). */
export function defineChange<D extends object>(definition: ChangeDefinition<D>): ChangeDefinition<D> {
  if (DEFINITIONS.has(definition.kind)) throw new Error(`change ${definition.kind} is defined twice`);
  DEFINITIONS.set(definition.kind, definition as unknown as ChangeDefinition);
  return definition;
}

/** The definition of a kind (an Error for one no module defines: the modules list is incomplete). */
export function changeDefinition(kind: ChangeKind): ChangeDefinition {
  const found = DEFINITIONS.get(kind);
  if (!found) throw new Error(`change ${kind} has no definition (is its module listed in src/modules/index.ts?)`);
  return found;
}

/** Every definition, in the order the modules declared them (the README's catalog, the enum's descriptions). */
export function changeDefinitions(): ChangeDefinition[] {
  return [...DEFINITIONS.values()];
}

/** Audience keys as stored (one row per key): `p:<partnerId>` and `c:<customerId>`. */
export const partnerKey = (partnerId: string) => `p:${partnerId}`;
export const customerKey = (customerId: string) => `c:${customerId}`;

export function audienceKeys(definition: ChangeDefinition, subject: EventSubject, data: object): string[] {
  if (!definition.audience) return [];
  const { partnerIds, customerIds } = definition.audience(subject, data);
  const keys = new Set<string>();
  for (const id of partnerIds) if (id) keys.add(partnerKey(id));
  for (const id of customerIds) if (id) keys.add(customerKey(id));
  return [...keys];
}

// ---------------------------------------------------------------- audiences most definitions use
export const partnerOnly = (s: EventSubject): Audience => ({ partnerIds: [s.partnerId], customerIds: [] });
export const partnerAndCustomer = (s: EventSubject): Audience => ({ partnerIds: [s.partnerId], customerIds: [s.customerId] });
