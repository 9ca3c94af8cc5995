/// <reference lib="dom" />
/**
 * What people open in a browser, driven in a real headless chromium (puppeteer-core): the invitation
 * link's page, GraphiQL served by the server itself, and the dashboard example. Every page must load
 * only from the server (no CDN, no third party), and log no error (a blocked CSP load is one).
 * Screenshots go to .ci/out/screenshots/ for review.
 */
import { decodeJwt } from 'jose';
import type { Browser } from 'puppeteer-core';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { ManualTokenClock } from '../src/common/clock';
import { RemoveCustomerRelationshipDocument, RevokeDelegatedAdminPrivilegesDocument } from './generated/graphql';
import { chromiumPath, launchBrowser, type WatchedPage, watchedPage } from './support/browser';
import { createCustomer, createPartner, type TestPartner } from './support/factories';
import { accept, invite, standaloneCustomer } from './support/invitations';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from './support/test-server';

const chromium = chromiumPath('test/browser.e2e.test.ts');
const describeBrowser = chromium ? describe : describe.skip;

let t: TestServer;
/** the time the server reads tokens against: moved by the token-expiry test instead of waiting */
const tokenClock = new ManualTokenClock();
let browser: Browser;
let origin: string;
let host: string;
let contoso: TestPartner;
const pages: WatchedPage[] = [];

async function open(path: string) {
  const watched = await watchedPage(browser, host);
  pages.push(watched);
  const response = await watched.page.goto(`${origin}${path}`, { waitUntil: 'networkidle0' });
  return { ...watched, status: response?.status() };
}

/** Nothing from anywhere but the server, and no error in the page's console. */
function expectClean(watched: WatchedPage) {
  expect(watched.requests.length).toBeGreaterThan(0);
  expect(watched.foreignHosts()).toEqual([]);
  expect(watched.problems).toEqual([]);
}

const text = (watched: WatchedPage, selector: string) => watched.page.$eval(selector, (el) => (el as HTMLElement).innerText);

describeBrowser('in a real browser', () => {
  beforeAll(async () => {
    t = await startTestServer({ LINK_PAGES: 'true', EXPLORER: 'graphiql' }, { tokenClock });
    origin = new URL(t.url).origin;
    host = new URL(t.url).host;
    browser = await launchBrowser(chromium!);
    contoso = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Contoso Browser Ltd');
  });

  afterAll(async () => {
    await Promise.all(pages.map((p) => p.page.close().catch(() => {})));
    await browser?.close();
    await t?.stop();
  });

  describe('the invitation link', () => {
    it('shows a valid invitation: who asks, for what, until when, and how to accept', async () => {
      const invitation = await invite(t, contoso.token, true);
      const page = await open(new URL(invitation.url).pathname);
      await page.screenshot('invitation-valid');
      expect(page.status).toBe(200);
      expect(await text(page, 'h1')).toBe('Invitation from Contoso Browser Ltd');
      const facts = await text(page, 'dl.facts');
      expect(facts).toContain('Delegated admin privileges (DAP)');
      expect(facts).toContain('Waiting for an answer');
      expect(facts).toContain(invitation.invitation.expiresAt.slice(0, 10));
      // the exact mutation, with this link's token
      expect(await text(page, 'main')).toContain(`acceptCustomerInvitation(input: { token: "${invitation.token}" })`);
      // the stylesheet applied: the facts are a grid
      expect(await page.page.$eval('dl.facts', (el) => getComputedStyle(el).display)).toBe('grid');
      expectClean(page);
    });

    it('says plainly that a used invitation can no longer be used, and nothing about it', async () => {
      const invitation = await invite(t, contoso.token, false);
      const customer = await standaloneCustomer(t);
      await accept(t, customer.token, invitation.token);
      const page = await open(`/invitations/${invitation.token}`);
      await page.screenshot('invitation-used');
      expect(page.status).toBe(410);
      expect(await text(page, 'h1')).toBe('This invitation can no longer be used');
      const main = await text(page, 'main');
      expect(main).toContain('has already been accepted');
      expect(main).not.toContain('Contoso');
      expect(main).not.toContain(customer.companyName);
      expectClean(page);
    });

    it('says that a bogus link belongs to no invitation', async () => {
      const page = await open('/invitations/not-a-real-token-0123456789abcdefghijklmnopq');
      await page.screenshot('invitation-bogus');
      expect(page.status).toBe(404);
      expect(await text(page, 'h1')).toBe('Invitation not found');
      expect(await text(page, 'main')).toContain('does not belong to any invitation');
      expectClean(page);
    });
  });

  describe('GraphiQL (EXPLORER=graphiql)', () => {
    it('loads from the server alone, runs a query with the token from the headers tab, and receives a subscription push', async () => {
      const page = await open('/graphql');
      expect(page.status).toBe(200);
      await page.page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror');
      await page.page.waitForSelector('.graphiql-editor-tool .CodeMirror');
      const setEditor = async (selector: string, value: string) => {
        await page.page.$eval(selector, (el, v) => (el as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(v), value);
      };
      const run = async (operation: string) => {
        await setEditor('.graphiql-query-editor .CodeMirror', operation);
        // one operation: the button runs it (with several it opens a menu to choose)
        await page.page.waitForSelector('.graphiql-execute-button:not([aria-haspopup])');
        await page.page.click('.graphiql-execute-button');
      };
      const responseHas = (needle: string, timeout = 15000) =>
        page.page.waitForFunction((n) => document.querySelector('.graphiql-response')?.textContent?.includes(n), { timeout }, needle);
      // the headers tab is open (the variables editor beside it is hidden) and takes the Authorization header
      await setEditor('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror', JSON.stringify({ Authorization: `Bearer ${contoso.token}` }));
      // unnamed operations: GraphiQL sends the editor's operation name as it was a moment before a programmatic change
      await run('{ viewer { id partner { name } } }');
      await responseHas('Contoso Browser Ltd');
      await page.screenshot('graphiql-query');

      await run('subscription { events(types: [CUSTOMER_CREATED]) { type customerId } }');
      // the push: a customer created over HTTP. The first one may come before the server has registered
      // the subscription (nothing tells the page when it has), so create until one is pushed, at most 5.
      let pushed: string | undefined;
      for (let attempt = 0; attempt < 5 && !pushed; attempt++) {
        const customer = await createCustomer(t, contoso.token, { companyName: `Pushed Through GraphiQL ${attempt} Ltd` });
        pushed = await responseHas(customer.id, 3000).then(
          () => customer.id,
          () => undefined,
        );
      }
      expect(pushed).toBeDefined();
      expect(await text(page, '.graphiql-response')).toContain('CUSTOMER_CREATED');
      await page.screenshot('graphiql-subscription');
      // the socket went to the server too
      expect(page.requests.some((u) => u.startsWith(`ws://${host}/graphql`))).toBe(true);
      expectClean(page);
    });
  });

  describe('the dashboard example', () => {
    it('lists the customers, shows pushes live, and catches up after its socket is dropped', async () => {
      const partner = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Dashboard Demo Ltd');
      await createCustomer(t, partner.token, { companyName: 'Already Here Corporation' });
      const page = await open('/examples/dashboard/');
      await page.page.type('#token', partner.token);
      await page.page.click('#sign-in button[type=submit]');
      await page.page.waitForFunction(() => document.getElementById('status')?.textContent === 'live', { timeout: 15000 });
      expect(await text(page, '#customers tbody')).toContain('Already Here Corporation');
      expect(await text(page, '#who')).toContain('Dashboard Demo Ltd');

      // a new acceptance, live: the event and the new row
      const first = await standaloneCustomer(t);
      const invitation = await invite(t, partner.token, true);
      await accept(t, first.token, invitation.token);
      await page.page.waitForSelector('#events li[data-type="INVITATION_ACCEPTED"]', { timeout: 15000 });
      await page.page.waitForSelector('#events li[data-type="DELEGATED_ADMIN_GRANTED"]', { timeout: 15000 });
      await page.page.waitForFunction((id) => document.querySelector(`#customers tr[data-customer-id="${id}"]`) !== null, { timeout: 15000 }, first.id);
      await page.screenshot('dashboard-live');
      // what the typed events carry (inline fragments on InvitationAcceptedEvent, DelegatedAdminGrantedEvent)
      expect(await text(page, '#events li[data-type="INVITATION_ACCEPTED"]')).toContain(`${first.companyName} · accepted, with delegated admin privileges`);
      expect(await text(page, '#events li[data-type="DELEGATED_ADMIN_GRANTED"]')).toContain(`${first.companyName} · granted`);

      // the socket drops; while the dashboard waits to reconnect, the customer revokes DAP and the partner removes the relationship
      for (const socket of t.server.wsServer.clients) socket.terminate();
      await page.page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('disconnected'), { timeout: 15000 });
      await t.client(first.token).data(RevokeDelegatedAdminPrivilegesDocument, { input: { partnerId: partner.id } });
      await t.client(partner.token).data(RemoveCustomerRelationshipDocument, { input: { customerId: first.id, attestation: true } });
      // both happened before the dashboard was back: it can only learn of them by resuming after its last cursor
      expect(await text(page, '#status')).toMatch(/^disconnected/);
      await page.page.waitForFunction(() => document.getElementById('status')?.textContent === 'live', { timeout: 20000 });
      await page.page.waitForSelector('#events li[data-type="DELEGATED_ADMIN_REVOKED"]', { timeout: 15000 });
      await page.page.waitForSelector('#events li[data-type="RELATIONSHIP_REMOVED"]', { timeout: 15000 });
      await page.page.waitForFunction((id) => document.querySelector(`#customers tr[data-customer-id="${id}"]`) === null, { timeout: 15000 }, first.id);
      await page.screenshot('dashboard-caught-up');
      // each event once: no gap, no repeat
      const types = await page.page.$$eval('#events li', (items) => items.map((li) => (li as HTMLElement).dataset.type));
      expect(types.filter((type) => type === 'INVITATION_ACCEPTED')).toHaveLength(1);
      expect(types.filter((type) => type === 'RELATIONSHIP_REMOVED')).toHaveLength(1);
      // newest first, in the order they happened
      expect(types.indexOf('RELATIONSHIP_REMOVED')).toBeLessThan(types.indexOf('DELEGATED_ADMIN_REVOKED'));
      expect(types.indexOf('DELEGATED_ADMIN_GRANTED')).toBeLessThan(types.indexOf('INVITATION_ACCEPTED'));
      // a customer no longer in the list is still named, from the events that carried its name
      expect(await text(page, '#events li[data-type="RELATIONSHIP_REMOVED"]')).toContain(first.companyName);
      expectClean(page);
    });

    it('signs out when its token expires on the open socket (4401), with the reason, and opens no other socket', async () => {
      const partner = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Short Session Ltd');
      const page = await open('/examples/dashboard/');
      // every status the page shows, in order (live lasts only as long as the token)
      await page.page.evaluate(() => {
        const status = document.getElementById('status')!;
        const seen: string[] = [];
        (window as unknown as { statuses: string[] }).statuses = seen;
        new MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, { childList: true, characterData: true, subtree: true });
      });
      // a token living 10 minutes on the server's token clock, which the test then moves past its expiry
      const shortLived = await signDevToken(TEST_JWT_SECRET, { sub: 'dashboard-short', roles: [Role.GLOBAL_ADMIN], partnerId: partner.id }, '10m');
      await page.page.$eval('#token', (el, token) => ((el as HTMLTextAreaElement).value = token), shortLived);
      await page.page.click('#sign-in button[type=submit]');
      await page.page.waitForFunction(() => document.getElementById('status')?.textContent === 'live', { timeout: 15000 });
      expect(tokenClock.pending).toBeGreaterThanOrEqual(1);
      tokenClock.advance(decodeJwt(shortLived).exp! * 1000 - tokenClock.now());
      await page.page.waitForFunction(() => !(document.getElementById('sign-in') as HTMLElement).hidden, { timeout: 10000 });
      expect(await text(page, '#sign-in-error')).toBe('The server refused the token: Token expired (4401).');
      // signed in, live on one socket, then signed out by the 4401: no reconnection
      const statuses = await page.page.evaluate(() => (window as unknown as { statuses: string[] }).statuses);
      expect(statuses).toEqual(['connecting…', 'live', 'signed out']);
      expect(page.requests.filter((url) => url.startsWith(`ws://${host}/graphql`))).toHaveLength(1);
      expectClean(page);
    });
  });
});
