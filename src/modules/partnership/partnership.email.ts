import type { EmailDraft } from '../../common/email-draft';
import { formatDay } from '../../common/links';

/** The editable draft an indirect provider sends a reseller. The link is personalised: keep it in the message. */
export function partnershipRequestDraft(providerName: string, url: string, expiresAt: Date): EmailDraft {
  return {
    subject: `${providerName} invites you to partner as an indirect reseller`,
    body:
      `Hello,\n\n${providerName} would like to establish an indirect provider–reseller partnership with you in the ` +
      `Cloud Solution Provider program. Once you accept, we can serve common customers together: add new customers ` +
      `on your behalf, submit orders for your customers, credit you as reseller of record, and designate you as a ` +
      `support contact.\n\nTo accept, an admin of your Partner Center account should follow this personal link:\n\n` +
      `${url}\n\nThe link can be used once and expires on ${formatDay(expiresAt)}.\n\nKind regards,\n${providerName}`,
  };
}
