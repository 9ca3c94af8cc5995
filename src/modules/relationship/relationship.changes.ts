import { defineChange, partnerAndCustomer, partnerOnly } from '../../changes/catalog';
import { ChangeKind, SubjectType } from '../../changes/kinds';
import { TallyName } from '../../counts/tallies';

export const RELATIONSHIP_ESTABLISHED = defineChange<Record<string, never>>({
  kind: ChangeKind.RELATIONSHIP_ESTABLISHED,
  subjectType: SubjectType.RELATIONSHIP,
  description:
    'A partner became a reseller of a customer (at creation, or by an accepted invitation). Audited only (no event): INVITATION_ACCEPTED and CUSTOMER_CREATED tell it.',
  counters: (s) => [{ tally: TallyName.CUSTOMERS, owner: s.partnerId, delta: 1 }],
});

export const RELATIONSHIP_REMOVED = defineChange<Record<string, never>>({
  kind: ChangeKind.RELATIONSHIP_REMOVED,
  subjectType: SubjectType.RELATIONSHIP,
  description: 'A partner removed its reseller relationship with a customer (no notice goes to the customer). To: that partner.',
  audience: partnerOnly,
  counters: (s) => [{ tally: TallyName.CUSTOMERS, owner: s.partnerId, delta: -1 }],
});

export interface DelegatedAdminGrantedData {
  restored?: boolean;
}

export const DELEGATED_ADMIN_GRANTED = defineChange<DelegatedAdminGrantedData>({
  kind: ChangeKind.DELEGATED_ADMIN_GRANTED,
  subjectType: SubjectType.DELEGATED_ADMIN,
  description: 'Delegated admin privileges were granted or restored. data: restored. To: the partner, the customer.',
  audience: partnerAndCustomer,
});

export const DELEGATED_ADMIN_REVOKED = defineChange<Record<string, never>>({
  kind: ChangeKind.DELEGATED_ADMIN_REVOKED,
  subjectType: SubjectType.DELEGATED_ADMIN,
  description: 'The customer revoked a partner’s delegated admin privileges. To: the partner, the customer.',
  audience: partnerAndCustomer,
});
