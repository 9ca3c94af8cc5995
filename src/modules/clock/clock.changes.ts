import { defineChange } from '../../changes/catalog';
import { ChangeKind, SubjectType } from '../../changes/kinds';

export const TEST_CLOCK_ADVANCED = defineChange<Record<string, never>>({
  kind: ChangeKind.TEST_CLOCK_ADVANCED,
  subjectType: SubjectType.SERVER_CLOCK,
  description:
    'The operator moved the test clock forward (TEST_CLOCK=true only): audited (changes: now, before and after; details: by), no event. What the sweep then did has its own records and events.',
});
