/**
 * The link pages, the explorer setting and the examples over plain HTTP (the browser tests drive the
 * same pages in chromium): what each page tells, what it never tells, and when it is not served.
 */
import { ConfigError, loadConfig } from '../src/common/config';
import { RequestPartnershipDocument } from './generated/graphql';
import { approveAdmin, requestAdmin } from './support/admin-relationships';
import { createPartner, type TestPartner } from './support/factories';
import { invite, standaloneCustomer } from './support/invitations';
import { partner as partnerWith } from './support/partnerships';
import { startTestServer, type TestServer } from './support/test-server';

let t: TestServer;
let origin: string;
let contoso: TestPartner;

/** What chromium sends when it navigates to a page. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8';

const page = async (path: string, server = origin, accept = 'text/html') => {
  const res = await fetch(`${server}${path}`, { headers: { accept } });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    csp: res.headers.get('content-security-policy') ?? '',
    cache: res.headers.get('cache-control'),
    body: await res.text(),
  };
};

beforeAll(async () => {
  t = await startTestServer({ LINK_PAGES: 'true' });
  origin = new URL(t.url).origin;
  contoso = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', `Smith & O'Brien <Cloud> Ltd`);
});
afterAll(() => t?.stop());

describe('link pages', () => {
  it('serve strict, uncached, escaped HTML that loads nothing but its own stylesheet', async () => {
    const { token } = await invite(t, contoso.token, false);
    const res = await page(`/invitations/${token}`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/html/);
    expect(res.cache).toBe('no-store');
    expect(res.csp).toContain("default-src 'none'");
    expect(res.csp).toContain("style-src 'self'");
    expect(res.csp).not.toContain('script-src');
    // the partner's name is text, never markup
    expect(res.body).toContain('Smith &amp; O&#39;Brien &lt;Cloud&gt; Ltd');
    expect(res.body).not.toContain('<Cloud>');
    expect(res.body).toContain('None: the partner sells to you but does not administer your tenant.');
    // every address in the page is the server's own
    expect([...res.body.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]).filter((u) => !u.startsWith('/'))).toEqual([]);
    expect((await fetch(`${origin}/assets/pages.css`)).status).toBe(200);
  });

  it('name both partners of a three-party invitation', async () => {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER', 'PUBLIC', 'Fabrikam Pages Distribution');
    const reseller = await createPartner(t, 'INDIRECT_RESELLER', 'PUBLIC', 'Northwind Pages Solutions');
    await partnerWith(t, provider, reseller);
    const { token } = await invite(t, reseller.token, true, provider.id);
    const res = await page(`/invitations/${token}`);
    expect(res.body).toContain(
      '<strong>Northwind Pages Solutions</strong> invites your organisation to become its customer, buying through its indirect provider <strong>Fabrikam Pages Distribution</strong>',
    );
    expect(res.body).toContain('Delegated admin privileges (DAP)');
  });

  it('show a partnership request: the provider, the cloud, the expiry and the mutation', async () => {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER', 'GERMANY', 'Fabrikam Germany GmbH');
    const { requestPartnership } = await t.client(provider.token).data(RequestPartnershipDocument, { input: { resellerEmail: 'admin@reseller.example' } });
    expect(requestPartnership.url).toBe(`https://partner.example.test/partnership-requests/${requestPartnership.token}`);
    const res = await page(`/partnership-requests/${requestPartnership.token}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<h1>Partnership request from Fabrikam Germany GmbH</h1>');
    expect(res.body).toContain('<dd>Germany</dd>');
    expect(res.body).toContain(requestPartnership.request.expiresAt.slice(0, 10));
    expect(res.body).toContain(`acceptPartnershipRequest(input: { token: &quot;${requestPartnership.token}&quot; })`);
  });

  it('show an admin relationship request: roles, duration and renewal; once approved, only that it is used', async () => {
    const request = await requestAdmin(t, contoso.token, { roles: ['HELPDESK_ADMINISTRATOR', 'GLOBAL_READER'], duration: 'P45D', autoExtend: true });
    const open = await page(`/admin-relationships/${request.token}`);
    expect(open.status).toBe(200);
    expect(open.body).toContain('<li>Helpdesk administrator</li>');
    expect(open.body).toContain('<li>Global reader</li>');
    expect(open.body).toContain('45 days from your approval (P45D)');
    expect(open.body).toContain('Extends itself by 180 days');
    expect(open.body).toContain(`approveAdminRelationship(input: { token: &quot;${request.token}&quot; })`);
    const customer = await standaloneCustomer(t);
    await approveAdmin(t, customer.token, request.token);
    const used = await page(`/admin-relationships/${request.token}`);
    expect(used.status).toBe(410);
    expect(used.body).toContain('This admin relationship request has already been approved.');
    for (const secret of ['Smith', 'Helpdesk', customer.companyName, request.token, 'P45D']) expect(used.body).not.toContain(secret);
  });

  it('tell an unknown token from nothing else, whatever it holds', async () => {
    for (const path of ['/invitations/', '/partnership-requests/', '/admin-relationships/']) {
      for (const token of ['x', 'A'.repeat(43), encodeURIComponent('<script>alert(1)</script>'), 'a'.repeat(4000)]) {
        const res = await page(`${path}${token}`);
        expect(res.status).toBe(404);
        expect(res.body).toContain('This link does not belong to any');
        expect(res.body).not.toContain('<script>');
        if (token.length > 20) expect(res.body).not.toContain(token.slice(0, 20));
      }
    }
  });

  it('are not served when PUBLIC_URL points elsewhere (a portal answers the links)', async () => {
    const portal = await startTestServer({ PUBLIC_URL: 'https://portal.example.com' });
    try {
      const partner = await createPartner(portal, 'DIRECT_RESELLER');
      const { token, url } = await invite(portal, partner.token);
      expect(url).toBe(`https://portal.example.com/invitations/${token}`);
      const res = await page(`/invitations/${token}`, new URL(portal.url).origin);
      expect(res.status).toBe(404);
      expect(res.type).toMatch(/^application\/json/);
    } finally {
      await portal.stop();
    }
    // without PUBLIC_URL the links are this server's, and it serves them
    expect(loadConfig({}).linkPages).toBe(true);
    expect(loadConfig({ PUBLIC_URL: 'https://portal.example.com' }).linkPages).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'https://partners.example.com', LINK_PAGES: 'true' }).linkPages).toBe(true);
  });
});

describe('the explorer setting', () => {
  it('defaults to Sandbox in development and to none in production; rejects anything else', () => {
    expect(loadConfig({}).explorer).toBe('sandbox');
    expect(
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), WEBHOOK_SECRET_KEY: 'y'.repeat(40), CORS_ORIGINS: 'https://portal.example.com' })
        .explorer,
    ).toBe('off');
    expect(loadConfig({ EXPLORER: 'graphiql' }).explorer).toBe('graphiql');
    expect(() => loadConfig({ EXPLORER: 'playground' })).toThrow(ConfigError);
  });

  it('serves Sandbox, GraphiQL or nothing on GET /graphql from a browser; queries by GET still work', async () => {
    // t runs with the development default: Sandbox (Apollo's page, with its own policy)
    const sandbox = await page('/graphql');
    expect(sandbox.status).toBe(200);
    expect(sandbox.body).toContain('embeddable-sandbox');
    const off = await startTestServer({ EXPLORER: 'off' });
    const graphiql = await startTestServer({ EXPLORER: 'graphiql' });
    try {
      // no page, but a refusal that says what to send, whether the browser asks for HTML only or also for anything else
      for (const accept of ['text/html', BROWSER_ACCEPT]) {
        const none = await page('/graphql', new URL(off.url).origin, accept);
        expect(none.status).toBe(400);
        expect(none.type).toMatch(/^application\/json/);
        expect(none.body).not.toMatch(/<html/i);
        const [error] = (JSON.parse(none.body) as { errors: { message: string; extensions: { code: string } }[] }).errors;
        expect(error.extensions.code).toBe('BAD_REQUEST');
        expect(error.message).toContain('no explorer page');
        expect(error.message).toContain('?query=');
      }
      // the same server still answers a query by GET without a content type, also from a browser
      const offByGet = await fetch(`${off.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: BROWSER_ACCEPT } });
      expect(await offByGet.json()).toEqual({ data: { __typename: 'Query' } });
      const own = await page('/graphql', new URL(graphiql.url).origin);
      expect(own.status).toBe(200);
      expect(own.csp).toContain("script-src 'self'");
      expect(own.csp).toContain("connect-src 'self'");
      expect(own.body).toContain('<script type="module" src="/explorer/graphiql.js"></script>');
      expect(own.body).not.toMatch(/https?:\/\//);
      const bundle = await fetch(`${new URL(graphiql.url).origin}/explorer/graphiql.js`);
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get('content-type')).toMatch(/javascript/);
      // a GET query is still a query, not the page
      const byGet = await fetch(`${graphiql.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
      expect(await byGet.json()).toEqual({ data: { __typename: 'Query' } });
    } finally {
      await Promise.all([off.stop(), graphiql.stop()]);
    }
  });
});

describe('the dashboard example', () => {
  it('is served in development, with its graphql-ws client, and not in production', async () => {
    const index = await page('/examples/dashboard/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<script type="module" src="dashboard.js"></script>');
    expect(index.csp).toContain("script-src 'self'");
    expect((await fetch(`${origin}/examples/dashboard/graphql-ws.js`)).status).toBe(200);
    expect((await fetch(`${origin}/examples/dashboard`, { redirect: 'manual' })).headers.get('location')).toBe('/examples/dashboard/');
    const production = await startTestServer({ APP_ENV: 'production', CORS_ORIGINS: 'https://portal.example.com' });
    try {
      expect((await page('/examples/dashboard/', new URL(production.url).origin)).status).toBe(404);
      expect((await page('/graphql', new URL(production.url).origin)).status).toBe(400);
    } finally {
      await production.stop();
    }
  });
});
