import { setTimeout } from 'node:timers/promises';
import { type Request, type Response, Router } from 'express';
import type { AppConfig } from '../common/config';
import { isDatabaseUnavailable } from '../common/database';
import { InvitationStatus } from '../common/enums';
import { RateLimitedError } from '../common/errors';
import { logger } from '../common/logger';
import { AdminRelationshipStatus } from '../modules/admin-relationship/admin-relationship.entity';
import { durationDays, EXTENSION_DAYS } from '../modules/admin-relationship/admin-relationship.rules';
import type { AnonymousLimiter } from '../pipeline/rate-limit';
import type { Services } from '../services';
import { CSP, documentOf, html, type SafeHtml, sendHtml } from './html';

/**
 * The pages behind the personal links of the emails (`PUBLIC_URL/invitations/<token>` …), served when
 * PUBLIC_URL is this server. Anyone holding a link may read what it asks for, as the GraphQL previews
 * answer without a token; nothing else. A used, expired or unknown link says only that: one lookup by
 * the token's hash either way, and every answer leaves ANSWER_AFTER_MS after the request came.
 */

/** What an open link asks for, as shown on its page. */
interface OpenLink {
  title: string;
  lead: SafeHtml;
  facts: [string, SafeHtml | string][];
  expiresAt: Date;
  /** who can accept, and the GraphQL mutations that accept and refuse */
  who: string;
  accept: string;
  refuse: string;
}

/** A link that no longer works: its status only. */
interface ClosedLink {
  closed: string;
}

interface LinkKind {
  /** "invitation", for the unknown-link page */
  noun: string;
  look(services: Services, token: string): Promise<OpenLink | ClosedLink | null>;
}

const CLOSED: Record<string, string> = {
  ACCEPTED: 'has already been accepted',
  DECLINED: 'was declined',
  REVOKED: 'was withdrawn by the partner who sent it',
  EXPIRED: 'has expired',
  ACTIVE: 'has already been approved',
  TERMINATED: 'was rejected, or the access it granted has ended',
};

/** The time every link page takes: well above the work of any of them (about 1 ms), so open, used and unknown links look alike. */
const ANSWER_AFTER_MS = 20;

const closed = (status: string): ClosedLink => ({ closed: CLOSED[status] ?? 'can no longer be used' });

/** The mutation an integrator runs, with the token filled in (the token is already in the address). */
function mutation(name: string, token: string, selection: string) {
  return `mutation {\n  ${name}(input: { token: ${JSON.stringify(token)} }) {\n    ${selection}\n  }\n}`;
}

const words = (value: string) => value.charAt(0) + value.slice(1).toLowerCase().replace(/_/g, ' ');

const KINDS: Record<string, LinkKind> = {
  invitations: {
    noun: 'invitation',
    async look(services, token) {
      const p = await services.invitations.preview(token);
      if (!p) return null;
      if (p.status !== InvitationStatus.PENDING) return closed(p.status);
      const lead = p.indirectProviderName
        ? html`<strong>${p.partnerName}</strong> invites your organisation to become its customer, buying through its indirect provider <strong>${p.indirectProviderName}</strong>. Both become your partners.`
        : html`<strong>${p.partnerName}</strong> invites your organisation to become its customer.`;
      return {
        title: `Invitation from ${p.partnerName}`,
        lead,
        facts: [
          [p.indirectProviderName ? 'Reseller' : 'Partner', p.partnerName],
          ...(p.indirectProviderName ? [['Indirect provider', p.indirectProviderName] as [string, string]] : []),
          [
            'Admin privileges',
            p.includeDelegatedAdminPrivileges
              ? html`<strong>Delegated admin privileges (DAP)</strong>: the partner's admin agents may administer your organisation's tenant until you remove them.`
              : 'None: the partner sells to you but does not administer your tenant.',
          ],
        ],
        expiresAt: p.expiresAt,
        who: "Your organisation's global administrator",
        accept: mutation('acceptCustomerInvitation', token, 'customer { id companyName }\n    invitation { status }'),
        refuse: mutation('declineCustomerInvitation', token, 'invitation { status }'),
      };
    },
  },
  'partnership-requests': {
    noun: 'partnership request',
    async look(services, token) {
      const p = await services.partnerships.preview(token);
      if (!p) return null;
      if (p.status !== InvitationStatus.PENDING) return closed(p.status);
      return {
        title: `Partnership request from ${p.providerName}`,
        lead: html`<strong>${p.providerName}</strong>, an indirect provider, asks your company to resell its offers as one of its indirect resellers.`,
        facts: [
          ['Indirect provider', p.providerName],
          ['Cloud', words(p.cloud)],
        ],
        expiresAt: p.expiresAt,
        who: "Your company's admin (an indirect reseller in the same cloud)",
        accept: mutation('acceptPartnershipRequest', token, 'partnership { id status provider { name } }'),
        refuse: 'Ignore the request: it expires by itself, or the provider withdraws it.',
      };
    },
  },
  'admin-relationships': {
    noun: 'admin relationship request',
    async look(services, token) {
      const p = await services.adminRelationships.preview(token);
      if (!p) return null;
      if (p.status !== AdminRelationshipStatus.APPROVAL_PENDING) return closed(p.status);
      const days = durationDays(p.duration);
      return {
        title: `Admin access request from ${p.partnerName}`,
        lead: html`<strong>${p.partnerName}</strong> asks for time-limited administrator roles in your organisation's tenant.`,
        facts: [
          ['Partner', p.partnerName],
          ['Name of the access', p.displayName],
          ['Roles', html`<ul class="roles">${p.roles.map((role) => html`<li>${words(role)}</li>`)}</ul>`],
          ['Duration', `${days ?? p.duration} days from your approval (${p.duration})`],
          ['Renewal', p.autoExtend ? `Extends itself by ${EXTENSION_DAYS} days at each end, until you or the partner end it` : 'Ends after its duration'],
        ],
        expiresAt: p.requestExpiresAt,
        who: "Your organisation's global administrator",
        accept: mutation('approveAdminRelationship', token, 'adminRelationship { id status activatedAt endsAt }'),
        refuse: mutation('rejectAdminRelationship', token, 'adminRelationship { id status }'),
      };
    },
  },
};

function timeOf(date: Date) {
  return html`<time datetime="${date.toISOString()}">${date.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

function openPage(link: OpenLink, explorer: boolean) {
  return documentOf({
    title: link.title,
    stylesheets: ['/assets/pages.css'],
    body: html`<main>
<h1>${link.title}</h1>
<p class="lead">${link.lead}</p>
<dl class="facts">
${link.facts.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>\n`)}<dt>Status</dt><dd><span class="status open">Waiting for an answer</span></dd>
<dt>Link valid until</dt><dd>${timeOf(link.expiresAt)}</dd>
</dl>
<h2>How to accept</h2>
<ol>
<li><strong>${link.who}</strong> signs in to the partner portal and opens this link there to accept or refuse.</li>
<li>An integrator runs this GraphQL mutation at <code>/graphql</code>, with that administrator's token in the <code>Authorization</code> header:
<pre><code>${link.accept}</code></pre>
To refuse: ${link.refuse.startsWith('mutation') ? html`<pre><code>${link.refuse}</code></pre>` : link.refuse}
</li>
</ol>
${explorer ? html`<p>The <a href="/graphql">GraphQL explorer</a> of this server runs these mutations.</p>` : ''}
<p class="note">The link works once. Do not forward it: whoever holds it can read this page.</p>
</main>`,
  });
}

function closedPage(title: string, message: SafeHtml) {
  return documentOf({
    title,
    stylesheets: ['/assets/pages.css'],
    body: html`<main>
<h1>${title}</h1>
<p class="lead" role="status">${message}</p>
<p>Ask the partner who sent it for a new link if you still need one.</p>
</main>`,
  });
}

/** The page for what the lookup found: 200 open, 410 used or expired, 404 unknown. */
function render(kind: LinkKind, link: OpenLink | ClosedLink | null, explorer: boolean): [number, string] {
  const noun = kind.noun.charAt(0).toUpperCase() + kind.noun.slice(1);
  if (!link) {
    return [404, closedPage(`${noun} not found`, html`This link does not belong to any ${kind.noun}. Check that you opened the whole link from the email.`)];
  }
  if ('closed' in link) return [410, closedPage(`This ${kind.noun} can no longer be used`, html`This ${kind.noun} ${link.closed}.`)];
  return [200, openPage(link, explorer)];
}

async function answer(kind: LinkKind, services: Services, anonymous: AnonymousLimiter, explorer: boolean, req: Request, res: Response) {
  try {
    await anonymous.consume(req.ip ?? '');
  } catch (err) {
    if (!(err instanceof RateLimitedError)) throw err;
    res.setHeader('Retry-After', String(err.extensions.retryAfterSeconds));
    return sendHtml(res, 429, CSP.page, closedPage('Too many requests', html`Too many pages were asked for from this address. Try again in a minute.`));
  }
  // every answer leaves at the same moment after the request came, whatever was found (no timing tell)
  const answerAt = performance.now() + ANSWER_AFTER_MS;
  const [status, page] = render(kind, await kind.look(services, String(req.params.token)), explorer);
  await setTimeout(Math.max(0, answerAt - performance.now()));
  sendHtml(res, status, CSP.page, page);
}

/** GET /invitations/:token, /partnership-requests/:token, /admin-relationships/:token. */
export function linkPages(config: AppConfig, services: Services, anonymous: AnonymousLimiter): Router {
  const router = Router();
  for (const [path, kind] of Object.entries(KINDS)) {
    router.get(`/${path}/:token`, (req, res, next) => {
      answer(kind, services, anonymous, config.explorer !== 'off', req, res).catch((err) => {
        if (!isDatabaseUnavailable(err)) return next(err);
        logger.warn({ err: (err as Error).message, path }, 'link page: database unavailable');
        res.setHeader('Retry-After', '5');
        sendHtml(res, 503, CSP.page, closedPage('Try again in a moment', html`This page cannot be shown right now. Reload it in a few seconds.`));
      });
    });
  }
  return router;
}
