import type { EmailDraft } from '../../common/email-draft';
import { formatDay } from '../../common/links';

export interface InvitationDraftFacts {
  partnerName: string;
  indirectProviderName: string | null;
  includeDelegatedAdminPrivileges: boolean;
  url: string;
  expiresAt: Date;
}

/** The editable draft a partner sends its customer. The link is personalised: it must stay in the message. */
export function invitationDraft(f: InvitationDraftFacts): EmailDraft {
  const who = f.indirectProviderName ? `${f.partnerName} and ${f.indirectProviderName}` : f.partnerName;
  const subject = f.indirectProviderName
    ? `${f.partnerName} and ${f.indirectProviderName} invite you to a reseller relationship`
    : `${f.partnerName} invites you to a reseller relationship`;
  const privileges = f.includeDelegatedAdminPrivileges
    ? `${f.partnerName} also asks for delegated administration privileges for Azure Active Directory and Office 365, ` +
      'so that it can manage your subscriptions, users and licenses on your behalf. You can remove these privileges at any time.'
    : `${f.partnerName} does not ask for administrator permissions: it will only manage the subscriptions it provisions for you.`;
  const tiers = f.indirectProviderName
    ? `\n\nBy accepting, you authorise ${f.partnerName} and its indirect provider ${f.indirectProviderName} to be your resellers of record; ${f.indirectProviderName} can then submit orders on your behalf.`
    : '';
  const body =
    `Hello,\n\n${who} would like to establish a reseller relationship with your organisation, ` +
    `so that we can sell you cloud subscriptions and services and support you.\n\n${privileges}${tiers}\n\n` +
    `To review and accept the request, a global administrator of your organisation should follow this personal link:\n\n` +
    `${f.url}\n\nThe link can be used once and expires on ${formatDay(f.expiresAt)}.\n\nKind regards,\n${f.partnerName}`;
  return { subject, body };
}
