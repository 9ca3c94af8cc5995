import { defineChange } from '../../changes/catalog';
import { ChangeKind, SubjectType } from '../../changes/kinds';
import { EVERYONE, TallyName } from '../../counts/tallies';

export const PARTNER_CREATED = defineChange<Record<string, never>>({
  kind: ChangeKind.PARTNER_CREATED,
  subjectType: SubjectType.PARTNER,
  description: 'The operator onboarded a partner. Audited only (no event).',
  counters: () => [{ tally: TallyName.PARTNERS, owner: EVERYONE, delta: 1 }],
});

export interface PartnerUpdatedData {
  /** the fields the change set (their new values: `partner`; the contact email only in the audit record) */
  changed: string[];
  partner: { name: string; mpnId: string; type: string; cloud: string };
}

export const PARTNER_UPDATED = defineChange<PartnerUpdatedData>({
  kind: ChangeKind.PARTNER_UPDATED,
  subjectType: SubjectType.PARTNER,
  description:
    'The partner’s profile changed (by its GLOBAL_ADMIN, or by the operator: also MPN ID, type, cloud). data: changed (the field names), partner (name, mpnId, type, cloud after the change). To: the partner.',
  audience: (s) => ({ partnerIds: [s.partnerId], customerIds: [] }),
});
