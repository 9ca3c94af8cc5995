import type { EmailDraft } from '../../common/email-draft';
import { formatDay } from '../../common/links';
import { AdminRole } from './admin-relationship.entity';
import { EXTENSION_DAYS } from './admin-relationship.rules';

/** What each role lets the partner do, in the customer's words. */
const ROLE_TEXT: Record<AdminRole, string> = {
  [AdminRole.GLOBAL_READER]: 'Global Reader: read everything a Global Administrator can, change nothing',
  [AdminRole.DIRECTORY_READER]: 'Directory Reader: read basic directory information',
  [AdminRole.USER_ADMINISTRATOR]: 'User Administrator: manage users and groups, reset passwords of non-administrators',
  [AdminRole.HELPDESK_ADMINISTRATOR]: 'Helpdesk Administrator: reset passwords of non-administrators, manage service requests',
  [AdminRole.LICENSE_ADMINISTRATOR]: 'License Administrator: assign and remove licenses',
  [AdminRole.BILLING_ADMINISTRATOR]: 'Billing Administrator: make purchases, manage subscriptions and support tickets',
  [AdminRole.EXCHANGE_ADMINISTRATOR]: 'Exchange Administrator: manage mail and Exchange Online',
  [AdminRole.SHAREPOINT_ADMINISTRATOR]: 'SharePoint Administrator: manage SharePoint Online',
  [AdminRole.TEAMS_ADMINISTRATOR]: 'Teams Administrator: manage Microsoft Teams',
  [AdminRole.SECURITY_READER]: 'Security Reader: read security information and reports',
  [AdminRole.SECURITY_ADMINISTRATOR]: 'Security Administrator: manage security settings',
  [AdminRole.PRIVILEGED_ROLE_ADMINISTRATOR]: 'Privileged Role Administrator: manage role assignments',
  [AdminRole.GLOBAL_ADMINISTRATOR]: 'Global Administrator: full control of your organisation',
};

export interface AdminRelationshipDraftFacts {
  partnerName: string;
  displayName: string;
  roles: AdminRole[];
  durationDays: number;
  autoExtend: boolean;
  url: string;
  requestExpiresAt: Date;
}

/** The editable draft a partner sends its customer. The link is personalised: it must stay in the message. */
export function adminRelationshipDraft(f: AdminRelationshipDraftFacts): EmailDraft {
  const subject = `${f.partnerName} asks for administrator roles in your organisation (${f.displayName})`;
  const roles = f.roles.map((role) => `  - ${ROLE_TEXT[role]}`).join('\n');
  const extension = f.autoExtend
    ? `Unless you or we end it, the access is extended by ${EXTENSION_DAYS} days each time it reaches its end date.`
    : 'It ends by itself at the end of that period.';
  const body =
    `Hello,\n\n${f.partnerName} asks for the following administrator roles in your organisation, ` +
    `for ${f.durationDays} days from your approval:\n\n${roles}\n\n${extension} ` +
    `You can end it at any time, and it does not change any other permission you have given us.\n\n` +
    `To review and approve the request, a global administrator of your organisation should follow this personal link:\n\n` +
    `${f.url}\n\nThe link can be used once and expires on ${formatDay(f.requestExpiresAt)}.\n\nKind regards,\n${f.partnerName}`;
  return { subject, body };
}
