import { defineChange, partnerAndCustomer } from '../../changes/catalog';
import { ChangeKind, SubjectType } from '../../changes/kinds';
import { EVERYONE, TallyName } from '../../counts/tallies';
import type { AdminRelationshipEndReason } from './admin-relationship.entity';

/** What every admin relationship event carries: the relationship as it is after the change. */
export interface AdminRelationshipData {
  adminRelationship: {
    displayName: string;
    roles: string[];
    duration: string;
    autoExtend: boolean;
    status: string;
    activatedAt: string | null;
    endsAt: string | null;
  };
}

// every event goes to the partner and, once one is known (named in the request, or the one that answered it), the customer
const base = { subjectType: SubjectType.ADMIN_RELATIONSHIP, audience: partnerAndCustomer };

export const ADMIN_RELATIONSHIP_CREATED = defineChange<AdminRelationshipData & { requestExpiresAt: string }>({
  ...base,
  kind: ChangeKind.ADMIN_RELATIONSHIP_CREATED,
  description: 'A partner asked for admin roles. data: adminRelationship, requestExpiresAt. To: the partner, and the customer when the request names one.',
  counters: (s) => [
    { tally: TallyName.ADMIN_RELATIONSHIPS, owner: s.partnerId, delta: 1 },
    { tally: TallyName.ADMIN_RELATIONSHIPS, owner: EVERYONE, delta: 1 },
  ],
});

export const ADMIN_RELATIONSHIP_APPROVED = defineChange<AdminRelationshipData>({
  ...base,
  kind: ChangeKind.ADMIN_RELATIONSHIP_APPROVED,
  description: 'The customer approved: the access runs from now to endsAt. data: adminRelationship. To: the partner, the customer.',
});

export const ADMIN_RELATIONSHIP_REJECTED = defineChange<AdminRelationshipData>({
  ...base,
  kind: ChangeKind.ADMIN_RELATIONSHIP_REJECTED,
  description: 'The customer rejected the request. data: adminRelationship. To: the partner, the customer.',
});

export const ADMIN_RELATIONSHIP_UPDATED = defineChange<AdminRelationshipData & { changed: string[] }>({
  ...base,
  kind: ChangeKind.ADMIN_RELATIONSHIP_UPDATED,
  description: 'The partner turned auto-extension on or off. data: adminRelationship, changed. To: the partner, the customer.',
});

export const ADMIN_RELATIONSHIP_EXTENDED = defineChange<AdminRelationshipData & { previousEndsAt: string | null; extendedBy: 'AUTO_EXTEND' | 'PARTNER' }>({
  ...base,
  kind: ChangeKind.ADMIN_RELATIONSHIP_EXTENDED,
  description:
    'endsAt moved 180 days later: by auto-extension at the end date (actor null) or by the partner. data: adminRelationship, previousEndsAt, extendedBy (AUTO_EXTEND | PARTNER). To: the partner, the customer.',
});

export const ADMIN_RELATIONSHIP_EXPIRING = defineChange<AdminRelationshipData & { daysBefore: number }>({
  ...base,
  kind: ChangeKind.ADMIN_RELATIONSHIP_EXPIRING,
  audit: false,
  description:
    'A reminder, once each at 30, 7 and 1 days before endsAt (from the server’s sweep; also for auto-extending ones, which data.adminRelationship.autoExtend tells). data: adminRelationship, daysBefore. To: the partner, the customer.',
});

export const ADMIN_RELATIONSHIP_EXPIRED = defineChange<AdminRelationshipData & { reason: AdminRelationshipEndReason }>({
  ...base,
  kind: ChangeKind.ADMIN_RELATIONSHIP_EXPIRED,
  description:
    'Not approved within 90 days, or endsAt passed without auto-extension (from the server’s sweep). data: adminRelationship, reason (NOT_APPROVED_IN_TIME | END_DATE_REACHED). To: the partner, and the customer when known.',
});

export const ADMIN_RELATIONSHIP_TERMINATED = defineChange<AdminRelationshipData & { terminatedBy: 'PARTNER' | 'CUSTOMER' }>({
  ...base,
  kind: ChangeKind.ADMIN_RELATIONSHIP_TERMINATED,
  description:
    'Either side ended it (or the partner withdrew the request). data: adminRelationship, terminatedBy (PARTNER | CUSTOMER). To: the partner, the customer.',
});
