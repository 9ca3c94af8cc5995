import { defineChange } from '../../changes/catalog';
import { ChangeKind, SubjectType } from '../../changes/kinds';
import { EVERYONE, TallyName } from '../../counts/tallies';

export const PARTNER_CREATED = defineChange<Record<string, never>>({
  kind: ChangeKind.PARTNER_CREATED,
  subjectType: SubjectType.PARTNER,
  description: 'The operator onboarded a partner. Audited only (no event).',
  counters: () => [{ tally: TallyName.PARTNERS, owner: EVERYONE, delta: 1 }],
});
