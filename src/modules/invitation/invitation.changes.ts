import { defineChange, partnerAndCustomer, partnerOnly } from '../../changes/catalog';
import { ChangeKind, SubjectType } from '../../changes/kinds';
import { EVERYONE, TallyName } from '../../counts/tallies';

export interface InvitationCreatedData {
  includeDelegatedAdminPrivileges: boolean;
  indirectProviderId: string | null;
  expiresAt: string;
}

/** The `data` of INVITATION_ACCEPTED (what the invitationAccepted push shows). */
export interface InvitationAcceptedData {
  invitation: { status: string; includeDelegatedAdminPrivileges: boolean; indirectProviderId: string | null; acceptedAt: string };
  customer: { companyName: string; domain: string };
}

export const INVITATION_CREATED = defineChange<InvitationCreatedData>({
  kind: ChangeKind.INVITATION_CREATED,
  subjectType: SubjectType.INVITATION,
  description: 'A partner invited a customer. data: includeDelegatedAdminPrivileges, indirectProviderId, expiresAt. To: the inviting partner.',
  audience: partnerOnly,
  counters: (s) => [
    { tally: TallyName.INVITATIONS, owner: s.partnerId, delta: 1 },
    { tally: TallyName.INVITATIONS, owner: EVERYONE, delta: 1 },
  ],
});

export const INVITATION_ACCEPTED = defineChange<InvitationAcceptedData>({
  kind: ChangeKind.INVITATION_ACCEPTED,
  subjectType: SubjectType.INVITATION,
  description:
    'A customer accepted an invitation. data: invitation (status, includeDelegatedAdminPrivileges, indirectProviderId, acceptedAt), customer (companyName, domain). To: the inviting partner, the indirect provider of a three-party invitation, the customer.',
  audience: (s, d) => ({ partnerIds: [s.partnerId, d.invitation.indirectProviderId], customerIds: [s.customerId] }),
});

export const INVITATION_DECLINED = defineChange<Record<string, never>>({
  kind: ChangeKind.INVITATION_DECLINED,
  subjectType: SubjectType.INVITATION,
  description: 'A customer declined an invitation. To: the inviting partner, the customer.',
  audience: partnerAndCustomer,
});

export const INVITATION_REVOKED = defineChange<Record<string, never>>({
  kind: ChangeKind.INVITATION_REVOKED,
  subjectType: SubjectType.INVITATION,
  description: 'The inviting partner withdrew an invitation. To: the inviting partner.',
  audience: partnerOnly,
});

export const INVITATION_EXPIRED = defineChange<{ expiresAt: string }>({
  kind: ChangeKind.INVITATION_EXPIRED,
  subjectType: SubjectType.INVITATION,
  description: 'An invitation passed its expiry unanswered (found by the server’s sweep, emitted once). data: expiresAt. To: the inviting partner.',
  audience: partnerOnly,
});
