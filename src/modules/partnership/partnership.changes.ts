import { defineChange, partnerOnly, type Audience } from '../../changes/catalog';
import { ChangeKind, SubjectType } from '../../changes/kinds';
import { EVERYONE, TallyName } from '../../counts/tallies';

/** A partnership's two sides. */
const bothSides = (_s: unknown, d: { providerId: string; resellerId: string }): Audience => ({ partnerIds: [d.providerId, d.resellerId], customerIds: [] });

/** Both sides' partnership counters, and everyone's, moved by `delta`. */
const partnershipCounters = (d: { providerId: string; resellerId: string }, delta: number) => [
  { tally: TallyName.PARTNERSHIPS_AS_PROVIDER, owner: d.providerId, delta },
  { tally: TallyName.PARTNERSHIPS_AS_PROVIDER, owner: EVERYONE, delta },
  { tally: TallyName.PARTNERSHIPS_AS_RESELLER, owner: d.resellerId, delta },
  { tally: TallyName.PARTNERSHIPS_AS_RESELLER, owner: EVERYONE, delta },
];

export interface PartnershipRequestedData {
  requestId: string;
  resellerEmail: string;
  expiresAt: string;
}

export interface PartnershipAcceptedData {
  requestId: string;
  providerId: string;
  resellerId: string;
  status: string;
}

export interface PartnershipRemovedData {
  providerId: string;
  resellerId: string;
  status: string;
  removedBy: string | null;
}

export const PARTNERSHIP_REQUESTED = defineChange<PartnershipRequestedData>({
  kind: ChangeKind.PARTNERSHIP_REQUESTED,
  subjectType: SubjectType.PARTNERSHIP_REQUEST,
  description: 'An indirect provider asked a reseller to partner. data: requestId, resellerEmail, expiresAt. To: the provider.',
  audience: partnerOnly,
  counters: (s) => [{ tally: TallyName.PARTNERSHIP_REQUESTS, owner: s.partnerId, delta: 1 }],
});

export const PARTNERSHIP_REQUEST_REVOKED = defineChange<Record<string, never>>({
  kind: ChangeKind.PARTNERSHIP_REQUEST_REVOKED,
  subjectType: SubjectType.PARTNERSHIP_REQUEST,
  description: 'The provider withdrew a pending partnership request. Audited only (no event).',
});

export const PARTNERSHIP_ACCEPTED = defineChange<PartnershipAcceptedData>({
  kind: ChangeKind.PARTNERSHIP_ACCEPTED,
  subjectType: SubjectType.PARTNERSHIP,
  description: 'A reseller accepted a partnership request. data: requestId, providerId, resellerId, status. To: both sides.',
  audience: bothSides,
  counters: (_s, d) => partnershipCounters(d, 1),
});

export const PARTNERSHIP_REMOVED = defineChange<PartnershipRemovedData>({
  kind: ChangeKind.PARTNERSHIP_REMOVED,
  subjectType: SubjectType.PARTNERSHIP,
  description: 'Either side removed the partnership. data: providerId, resellerId, status, removedBy. To: both sides.',
  audience: bothSides,
  counters: (_s, d) => partnershipCounters(d, -1),
});
