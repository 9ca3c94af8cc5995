/**
 * Default transports work unchanged: urql's default client (`preferGetMethod: 'within-url-limit'`
 * sends every query by GET, without a content type) reads over HTTP, and its `subscriptionExchange`
 * over graphql-ws's default client receives live events. What makes that safe (README, "Default
 * transports and CSRF"): the server reads credentials only from the Authorization header, so a
 * cross-site simple request runs as the anonymous caller, and a GET never runs a mutation.
 */
import type { IncomingMessage } from 'node:http';
import { cacheExchange, Client, fetchExchange, gql, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { partnerKey } from '../src/events/catalog';
import { createCustomer, createPartner, type TestPartner, uniqueMpnId } from './support/factories';
import { startTestServer, type TestServer } from './support/test-server';

let t: TestServer;
let partner: TestPartner;
/** the method and content type of every HTTP request the server received (upgrades included) */
const seen: { method?: string; url?: string; contentType?: string }[] = [];

beforeAll(async () => {
  t = await startTestServer();
  partner = await createPartner(t);
  t.server.httpServer.prependListener('request', (req: IncomingMessage) => {
    seen.push({ method: req.method, url: req.url, contentType: req.headers['content-type'] });
  });
});
afterAll(() => t.stop());

/** Polls the server's state (the cap only ends a hung test). */
async function until(condition: () => boolean, what: string, capMs = 10_000): Promise<void> {
  for (const start = Date.now(); !condition();) {
    if (Date.now() - start > capMs) throw new Error(`still waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ViewerAndCustomers = gql<{
  viewer: { id: string; partner: { id: string } | null };
  customers: { edges: { node: { id: string; companyName: string } }[] };
}>`
  query ViewerAndCustomers {
    viewer {
      id
      partner {
        id
      }
    }
    customers(first: 2) {
      edges {
        node {
          id
          companyName
        }
      }
    }
  }
`;

/** only interface-level fields of Event, which stay as they are whatever the event's type */
const LiveEvents = gql<{ events: { id: string; type: string; occurredAt: string; cursor: string } }>`
  subscription LiveEvents {
    events {
      id
      type
      occurredAt
      cursor
    }
  }
`;

describe("urql's default client", () => {
  it('reads by GET without a content type (its default transport), with the token in the Authorization header', async () => {
    const customer = await createCustomer(t, partner.token, { companyName: 'Urql Reader Ltd' });
    const methods: string[] = [];
    const client = new Client({
      url: t.url,
      exchanges: [cacheExchange, fetchExchange],
      fetchOptions: { headers: { authorization: `Bearer ${partner.token}` } },
      // only records what urql sends; the request is urql's own
      fetch: (input, init) => {
        methods.push(init?.method ?? 'GET');
        return fetch(input, init);
      },
    });
    const from = seen.length;
    const result = await client.query(ViewerAndCustomers, {}).toPromise();
    expect(result.error).toBeUndefined();
    expect(result.data?.viewer.partner?.id).toBe(partner.id);
    expect(result.data?.viewer.id).toEqual(expect.any(String));
    // (urql adds __typename to each selection, for its cache)
    expect(result.data?.customers.edges.map((e) => e.node)).toContainEqual(expect.objectContaining({ id: customer.id, companyName: 'Urql Reader Ltd' }));
    // urql sent a GET, and the server received one, without a content type
    expect(methods).toEqual(['GET']);
    const received = seen.slice(from).filter((r) => r.url?.startsWith('/graphql'));
    expect(received).toEqual([{ method: 'GET', url: expect.stringMatching(/^\/graphql\?query=/), contentType: undefined }]);
  });

  it("receives live events through its subscriptionExchange over graphql-ws's default client", async () => {
    const wsClient = createWsClient({ url: t.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${partner.token}` } });
    const client = new Client({
      url: t.url,
      exchanges: [
        cacheExchange,
        fetchExchange,
        subscriptionExchange({
          forwardSubscription(request) {
            const input = { ...request, query: request.query ?? '' };
            return {
              subscribe(sink) {
                const unsubscribe = wsClient.subscribe(input, sink);
                return { unsubscribe };
              },
            };
          },
        }),
      ],
      fetchOptions: { headers: { authorization: `Bearer ${partner.token}` } },
    });
    const received: { id: string; type: string; occurredAt: string; cursor: string }[] = [];
    const errors: unknown[] = [];
    const live = client.subscription(LiveEvents, {}).subscribe((result) => {
      if (result.error) errors.push(result.error);
      if (result.data) received.push(result.data.events);
    });
    try {
      const hub = t.server.services.events.hub as unknown as { byKey: Map<string, Set<unknown>> };
      await until(() => (hub.byKey.get(partnerKey(partner.id))?.size ?? 0) === 1, 'the subscription to be live');
      const customer = await createCustomer(t, partner.token, { companyName: 'Urql Live Ltd' });
      await until(() => received.length > 0 || errors.length > 0, 'an event');
      expect(errors).toEqual([]);
      expect(received[0]).toEqual({ id: expect.any(String), type: 'CUSTOMER_CREATED', occurredAt: expect.any(String), cursor: expect.any(String) });
      expect(customer.id).toEqual(expect.any(String));
    } finally {
      live.unsubscribe();
      await wsClient.dispose();
    }
  });
});

describe('what a cross-site page can send', () => {
  const mutation = (name: string) =>
    `mutation { createPartner(input: { name: "${name}", mpnId: "${uniqueMpnId()}", type: DIRECT_RESELLER, cloud: PUBLIC, contactEmail: "x@csrf.example" }) { partner { id } } }`;
  const partnersNamed = async (name: string) => {
    const operator = t.client(await t.tokens.operator());
    const res = await operator.raw<{ partners: { edges: { node: { name: string } }[] } }>({
      query: 'query ($s: String) { partners(first: 100, filter: { search: $s }) { edges { node { name } } } }',
      variables: { s: name },
    });
    expect(res.errors).toBeUndefined();
    return res.data!.partners.edges.filter((e) => e.node.name === name).length;
  };

  it('never runs a mutation by GET, even with a valid token (405, nothing written)', async () => {
    const operator = await t.tokens.operator();
    const name = 'Forged By Get Ltd';
    const variants: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${operator}` },
      { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    ];
    for (const headers of variants) {
      const res = await fetch(`${t.url}?query=${encodeURIComponent(mutation(name))}`, { headers });
      expect(res.status).toBe(405);
      expect(await res.text()).toMatch(/mutation/i);
    }
    expect(await partnersNamed(name)).toBe(0);
    // the same mutation as a JSON POST runs, and the count sees it
    const posted = await t.client(operator).raw({ query: mutation(name) });
    expect(posted.errors).toBeUndefined();
    expect(await partnersNamed(name)).toBe(1);
  });

  it('refuses a simple POST (text/plain, a form) before Apollo reads it: 415, nothing written', async () => {
    const operator = await t.tokens.operator();
    const name = 'Forged By Post Ltd';
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': type, authorization: `Bearer ${operator}` },
        body: JSON.stringify({ query: mutation(name) }),
      });
      expect(res.status).toBe(415);
    }
    expect(await partnersNamed(name)).toBe(0);
  });

  it('takes no credentials a browser attaches by itself: a cookie is ignored, HTTP Basic is refused', async () => {
    const operator = await t.tokens.operator();
    const query = encodeURIComponent('{ viewer { roles } }');
    const withCookie = await fetch(`${t.url}?query=${query}`, { headers: { cookie: `token=${operator}; authorization=Bearer ${operator}` } });
    expect(await withCookie.json()).toMatchObject({ data: null, errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    const basic = await fetch(`${t.url}?query=${query}`, { headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` } });
    expect(basic.status).toBe(401);
    expect(((await basic.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});
