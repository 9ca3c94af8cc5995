/**
 * @jest-environment-options {"customExportConditions": ["development", "node", "node-addons"]}
 */
// The "development" export condition loads Apollo Client's development build (as a front-end app's dev
// server does), so it checks and warns as it would in a browser during development.
import { ApolloClient, gql, HttpLink, InMemoryCache, type DocumentNode, type ObservableQuery, type OperationVariables, type Reference } from '@apollo/client';
import { loadDevMessages, loadErrorMessages } from '@apollo/client/dev';
import { relayStylePagination } from '@apollo/client/utilities';
import { format } from 'node:util';
import { getOperationAST, print } from 'graphql';
import { approveAdmin, requestAdmin } from './support/admin-relationships';
import { createCustomer, createPartner, customerInput, uniqueMpnId, type TestPartner } from './support/factories';
import { accept, invite, standaloneCustomer } from './support/invitations';
import { startTestServer, type TestServer } from './support/test-server';
import { createEndpoint, deliveries, startReceiver, until } from './support/webhooks';

/**
 * Apollo Client (in Node, with its development checks on) against the real server, configured as the
 * README tells a front-end team: an `InMemoryCache` with no type policy except `relayStylePagination`
 * on the customers list. Every object with an identity carries a global `id`, so the cache normalizes
 * it without `keyFields`; connections page both ways; and every mutation's payload returns what it
 * changed, so watched queries show a mutation's effect without asking the server again.
 */

loadDevMessages();
loadErrorMessages();

let t: TestServer;
let mutationNames: string[];
type TypeFields = { fields: { name: string }[] };
/** The object types whose fields the cases check (what exists only on a payload is not on the entity). */
const INTROSPECTED = ['Customer', 'CustomerInvitation', 'PartnershipRequest', 'AdminRelationship', 'WebhookEndpoint', 'CustomerUser'];
const typeFields: Record<string, string[]> = {};

/** What Apollo (or anything else) printed through console.warn / console.error / console.log during a test. */
let printed: string[];
let spies: jest.SpyInstance[];

beforeAll(async () => {
  t = await startTestServer();
  // the whole introspection query costs more than a caller may ask for: the types this test reads, by name
  const introspection = await t
    .client(await t.tokens.operator())
    .raw<{ __schema: { mutationType: { fields: { name: string }[] } } } & Record<string, TypeFields>>({
      query: `{ __schema { mutationType { fields { name } } } ${INTROSPECTED.map((name) => `${name}: __type(name: "${name}") { fields { name } }`).join(' ')} }`,
    });
  expect(introspection.errors).toBeUndefined();
  mutationNames = introspection.data!.__schema.mutationType.fields.map((f) => f.name).sort();
  for (const name of INTROSPECTED) typeFields[name] = introspection.data![name].fields.map((f) => f.name);
});
afterAll(() => t.stop());

beforeEach(() => {
  printed = [];
  spies = (['warn', 'error', 'log'] as const).map((level) =>
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      printed.push(`${level}: ${format(...args)}`);
    }),
  );
});
afterEach(() => spies?.forEach((s) => s.mockRestore()));

interface Session {
  client: ApolloClient;
  /** The operation name of every HTTP request the client sent, in order. */
  requests: string[];
}

/** An Apollo Client for one signed-in user (of `server`): the documented cache configuration, and a fetch that counts requests. */
function session(token: string, server: TestServer = t): Session {
  const requests: string[] = [];
  const countingFetch: typeof fetch = async (input, init) => {
    requests.push((JSON.parse(typeof init?.body === 'string' ? init.body : '{}') as { operationName: string }).operationName);
    return fetch(input, init);
  };
  const client = new ApolloClient({
    link: new HttpLink({ uri: server.url, headers: { authorization: `Bearer ${token}` }, fetch: countingFetch }),
    cache: new InMemoryCache({ typePolicies: { Query: { fields: { customers: relayStylePagination(['filter']) } } } }),
  });
  return { client, requests };
}

/** Lets the client finish whatever it would do by itself: a few event-loop turns and a few hundred milliseconds. */
async function quiet(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

interface Watched<T> {
  query: ObservableQuery<T>;
  /** The latest complete result the watcher received. */
  latest(): T;
  results: T[];
  errors: unknown[];
  stop(): void;
}

/** `client.watchQuery`, subscribed like a component would; resolves once the first complete result arrived. */
async function watch<T = Record<string, unknown>>(s: Session, query: DocumentNode, variables?: OperationVariables): Promise<Watched<T>> {
  const observable = s.client.watchQuery<T>({ query, variables });
  const results: T[] = [];
  const errors: unknown[] = [];
  const subscription = observable.subscribe({
    next: (r) => {
      if (r.error) errors.push(r.error);
      if (r.dataState === 'complete' && !r.loading) results.push(r.data);
    },
    error: (e) => errors.push(e),
  });
  await until(
    'the first result',
    () => results.length + errors.length,
    (n) => n > 0,
  );
  expect(errors).toEqual([]);
  return { query: observable, latest: () => results.at(-1)!, results, errors, stop: () => subscription.unsubscribe() };
}

/**
 * Runs a mutation and checks it was the only request the client sent meanwhile (no refetch of any watched query).
 * `update`: what the client writes to the cache itself from the answer (a value without an id).
 */
async function mutateOnly<T = Record<string, unknown>>(
  s: Session,
  mutation: DocumentNode,
  variables: OperationVariables,
  options: Pick<ApolloClient.MutateOptions<T>, 'update'> = {},
): Promise<T> {
  const before = s.requests.length;
  const res = await s.client.mutate<T>({ mutation, variables, ...options });
  await quiet();
  expect(s.requests.slice(before)).toEqual([getOperationAST(mutation)?.name?.value]);
  return res.data as T;
}

let fragments = 0;

/** The cached object of that type and id, read back with the fragment's fields (null when it is not in the cache). */
function cached<T>(s: Session, typename: string, id: string, fields: string): T | null {
  const cacheId = s.client.cache.identify({ __typename: typename, id });
  expect(cacheId).toBe(`${typename}:${id}`);
  // a fragment name of its own each time (graphql-tag warns about two fragments with the same name)
  const fragment = gql(`fragment Check${typename}${++fragments} on ${typename} { ${fields} }`);
  return s.client.cache.readFragment<T>({ id: cacheId, fragment });
}

function fieldsOf(type: string): string[] {
  expect(typeFields[type]).toBeDefined();
  return typeFields[type];
}

const cacheWarnings = () => printed.filter((p) => /Cache data may be lost|endless cycle|Missing field/i.test(p));

describe('connections with relayStylePagination', () => {
  let owner: TestPartner;
  let customerIds: string[];
  const Customers = gql`
    query Customers($first: Int, $after: String, $last: Int, $before: String, $filter: CustomerFilter) {
      customers(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
        edges {
          cursor
          node {
            id
            companyName
          }
        }
        pageInfo {
          hasNextPage
          hasPreviousPage
          startCursor
          endCursor
        }
      }
    }
  `;
  interface CustomersData {
    customers: {
      edges: { cursor: string; node: { id: string; companyName: string } }[];
      pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
    };
  }

  beforeAll(async () => {
    owner = await createPartner(t);
    customerIds = [];
    for (let i = 0; i < 7; i++) customerIds.push((await createCustomer(t, owner.token, { companyName: `Apollo Paging ${i} Limited` })).id);
  });

  it('pages every customer forward with fetchMore(first/after) into one watched list', async () => {
    const s = session(owner.token);
    const list = await watch<CustomersData>(s, Customers, { first: 3, filter: { search: 'Apollo Paging' } });
    const ids = () => list.latest().customers.edges.map((e) => e.node.id);
    expect(ids()).toEqual(customerIds.slice(0, 3));
    expect(list.latest().customers.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    for (let seen = 3; list.latest().customers.pageInfo.hasNextPage; seen += 3) {
      await list.query.fetchMore({ variables: { after: list.latest().customers.pageInfo.endCursor } });
      await until(
        'the merged page',
        () => ids().length,
        (n) => n === Math.min(seen + 3, 7),
      );
      expect(ids()).toEqual(customerIds.slice(0, Math.min(seen + 3, 7)));
    }
    const { edges, pageInfo } = list.latest().customers;
    expect(edges.map((e) => e.node.companyName)).toEqual(customerIds.map((_, i) => `Apollo Paging ${i} Limited`));
    expect(pageInfo).toEqual({
      __typename: 'PageInfo',
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: edges[0].cursor,
      endCursor: edges[6].cursor,
    });
    expect(s.requests).toEqual(['Customers', 'Customers', 'Customers']);
    list.stop();
    expect(printed).toEqual([]);
  });

  it('pages every customer backward with fetchMore(last/before), prepending each page', async () => {
    const s = session(owner.token);
    const list = await watch<CustomersData>(s, Customers, { last: 3, filter: { search: 'Apollo Paging' } });
    const ids = () => list.latest().customers.edges.map((e) => e.node.id);
    expect(ids()).toEqual(customerIds.slice(4));
    expect(list.latest().customers.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    for (let seen = 3; list.latest().customers.pageInfo.hasPreviousPage; seen += 3) {
      await list.query.fetchMore({ variables: { before: list.latest().customers.pageInfo.startCursor } });
      await until(
        'the merged page',
        () => ids().length,
        (n) => n === Math.min(seen + 3, 7),
      );
      expect(ids()).toEqual(customerIds.slice(-Math.min(seen + 3, 7)));
    }
    const { edges, pageInfo } = list.latest().customers;
    expect(edges.map((e) => e.node.id)).toEqual(customerIds);
    expect(pageInfo).toEqual({
      __typename: 'PageInfo',
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: edges[0].cursor,
      endCursor: edges[6].cursor,
    });
    expect(s.requests).toEqual(['Customers', 'Customers', 'Customers']);
    list.stop();
    expect(printed).toEqual([]);
  });
});

describe('two watched queries reading different fields of the same objects', () => {
  const Status = gql`
    query RelationshipStatus($id: ID!) {
      customer(id: $id) {
        id
        relationship {
          id
          status
        }
      }
    }
  `;
  const Dates = gql`
    query RelationshipDates($id: ID!) {
      customer(id: $id) {
        id
        relationship {
          id
          establishedAt
        }
        delegatedAdminPrivileges {
          id
          grantedAt
        }
      }
    }
  `;
  // the same two queries as a client would have written them before the relationship and the privileges had ids
  const StatusNoIds = gql`
    query RelationshipStatusNoIds($id: ID!) {
      customer(id: $id) {
        id
        relationship {
          status
        }
      }
    }
  `;
  const DatesNoIds = gql`
    query RelationshipDatesNoIds($id: ID!) {
      customer(id: $id) {
        id
        relationship {
          establishedAt
        }
        delegatedAdminPrivileges {
          grantedAt
        }
      }
    }
  `;

  async function customerWithPrivileges() {
    const p = await createPartner(t);
    const customer = await standaloneCustomer(t);
    const { token } = await invite(t, p.token, true);
    await accept(t, customer.token, token);
    return { partner: p, customerId: customer.id };
  }

  it('settles both (two requests, then none), without a cache warning', async () => {
    const { partner: p, customerId } = await customerWithPrivileges();
    const s = session(p.token);
    const status = await watch<{ customer: { relationship: { status: string } } }>(s, Status, { id: customerId });
    const dates = await watch<{ customer: { relationship: { establishedAt: string }; delegatedAdminPrivileges: { grantedAt: string } } }>(s, Dates, {
      id: customerId,
    });
    await quiet();
    await quiet();
    expect(s.requests).toEqual(['RelationshipStatus', 'RelationshipDates']);
    expect(status.latest().customer.relationship.status).toBe('ACTIVE');
    expect(dates.latest().customer.relationship.establishedAt).toEqual(expect.any(String));
    expect(dates.latest().customer.delegatedAdminPrivileges.grantedAt).toEqual(expect.any(String));
    // each watcher got its result once: the other query's write did not disturb it
    expect(status.results).toHaveLength(1);
    expect(dates.results).toHaveLength(1);
    expect(status.errors).toEqual([]);
    expect(dates.errors).toEqual([]);
    status.stop();
    dates.stop();
    expect(cacheWarnings()).toEqual([]);
    expect(printed).toEqual([]);
  });

  it('(the same queries without the nested ids: what the test above would catch)', async () => {
    const { partner: p, customerId } = await customerWithPrivileges();
    const s = session(p.token);
    const status = await watch(s, StatusNoIds, { id: customerId });
    const dates = await watch(s, DatesNoIds, { id: customerId });
    await quiet();
    await quiet();
    // Without an id the relationship is stored inside the customer; each query's write replaces the
    // other's object, Apollo warns about it, the first query finds its field missing and refetches,
    // which replaces the second one's, ... until Apollo halts the cycle.
    expect(printed.some((p) => /Cache data may be lost when replacing the relationship field of a Customer object/.test(p))).toBe(true);
    expect(printed.some((p) => /endless cycle/.test(p) && /RelationshipStatusNoIds/.test(p))).toBe(true);
    expect(s.requests.length).toBeGreaterThan(2);
    status.stop();
    dates.stop();
  });
});

/**
 * After each mutation of the schema, the watched queries show the change without a refetch. Each case
 * watches what the mutation changes (before it), runs it with a document that selects the payload's
 * objects with their ids and the changed fields, and checks the watched result; `mutateOnly` checks that
 * the mutation was the only request. A mutation that creates something cannot be watched before: its
 * case checks the created object (and what else the payload returns) is normalized in the cache with the
 * values sent. The list of mutations comes from introspection: a new mutation without a case fails.
 */
type Case = () => Promise<void>;

const cases: Record<string, Case> = {
  async createPartner() {
    const s = session(await t.tokens.operator());
    const mpnId = uniqueMpnId();
    const data = await mutateOnly<{ createPartner: { partner: { id: string } } }>(
      s,
      gql`
        mutation CreatePartner($input: CreatePartnerInput!) {
          createPartner(input: $input) {
            partner {
              id
              name
              mpnId
              type
              cloud
            }
          }
        }
      `,
      { input: { name: 'Apollo Cache Partner Ltd', mpnId, type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'contact@partner.example' } },
    );
    expect(cached(s, 'Partner', data.createPartner.partner.id, 'id name mpnId type cloud')).toEqual({
      __typename: 'Partner',
      id: data.createPartner.partner.id,
      name: 'Apollo Cache Partner Ltd',
      mpnId,
      type: 'DIRECT_RESELLER',
      cloud: 'PUBLIC',
    });
  },

  async createCustomer() {
    const p = await createPartner(t);
    const s = session(p.token);
    const input = customerInput({ companyName: 'Apollo Created Customer Limited' });
    const data = await mutateOnly<{ createCustomer: { customer: { id: string; relationship: { id: string } }; adminCredentials: { userName: string } } }>(
      s,
      gql`
        mutation CreateCustomer($input: CreateCustomerInput!) {
          createCustomer(input: $input) {
            customer {
              id
              companyName
              domain
              relationship {
                id
                status
              }
            }
            adminCredentials {
              userName
              temporaryPassword
            }
          }
        }
      `,
      { input },
    );
    const id = data.createCustomer.customer.id;
    expect(cached(s, 'Customer', id, 'id companyName domain relationship { id status }')).toEqual({
      __typename: 'Customer',
      id,
      companyName: 'Apollo Created Customer Limited',
      domain: input.domain,
      relationship: { __typename: 'ResellerRelationship', id: data.createCustomer.customer.relationship.id, status: 'ACTIVE' },
    });
    expect(cached(s, 'ResellerRelationship', data.createCustomer.customer.relationship.id, 'status')).toEqual({
      __typename: 'ResellerRelationship',
      status: 'ACTIVE',
    });
    // the credentials exist once: on the payload, not on the customer
    expect(data.createCustomer.adminCredentials.userName).toEqual(expect.any(String));
    expect(fieldsOf('Customer')).not.toContain('adminCredentials');
  },

  async createCustomerInvitation() {
    const p = await createPartner(t);
    const s = session(p.token);
    const data = await mutateOnly<{ createCustomerInvitation: { invitation: { id: string }; url: string; token: string; emailDraft: { body: string } } }>(
      s,
      gql`
        mutation CreateInvitation($input: CreateCustomerInvitationInput!) {
          createCustomerInvitation(input: $input) {
            invitation {
              id
              status
              includeDelegatedAdminPrivileges
            }
            url
            token
            emailDraft {
              subject
              body
            }
          }
        }
      `,
      { input: { includeDelegatedAdminPrivileges: true } },
    );
    const { invitation, url, token, emailDraft } = data.createCustomerInvitation;
    expect(cached(s, 'CustomerInvitation', invitation.id, 'id status includeDelegatedAdminPrivileges')).toEqual({
      __typename: 'CustomerInvitation',
      id: invitation.id,
      status: 'PENDING',
      includeDelegatedAdminPrivileges: true,
    });
    // the link exists once, on the payload: a later read of the invitation cannot overwrite it with null
    expect(url).toContain(token);
    expect(emailDraft.body).toContain(url);
    expect(fieldsOf('CustomerInvitation')).not.toEqual(expect.arrayContaining(['url']));
    expect(fieldsOf('CustomerInvitation').filter((f) => ['url', 'token', 'emailDraft'].includes(f))).toEqual([]);
  },

  async revokeCustomerInvitation() {
    const p = await createPartner(t);
    const { invitation } = await invite(t, p.token);
    const s = session(p.token);
    const list = await watch<{ invitations: { edges: { node: { id: string; status: string; revokedAt: string | null } }[] } }>(
      s,
      gql`
        query Invitations {
          invitations(first: 10) {
            edges {
              node {
                id
                status
                revokedAt
              }
            }
          }
        }
      `,
    );
    expect(list.latest().invitations.edges.map((e) => e.node)).toEqual([
      { __typename: 'CustomerInvitation', id: invitation.id, status: 'PENDING', revokedAt: null },
    ]);
    await mutateOnly(
      s,
      gql`
        mutation RevokeInvitation($input: RevokeCustomerInvitationInput!) {
          revokeCustomerInvitation(input: $input) {
            invitation {
              id
              status
              revokedAt
            }
          }
        }
      `,
      { input: { invitationId: invitation.id } },
    );
    expect(list.latest().invitations.edges[0].node).toMatchObject({ id: invitation.id, status: 'REVOKED', revokedAt: expect.any(String) });
    list.stop();
  },

  async acceptCustomerInvitation() {
    const p = await createPartner(t);
    const customer = await standaloneCustomer(t);
    const { invitation, token } = await invite(t, p.token, true);
    const s = session(customer.token);
    type Partners = {
      customer: {
        partners: {
          partner: { id: string };
          relationship: { id: string; status: string } | null;
          delegatedAdminPrivileges: { id: string; status: string } | null;
        }[];
      };
    };
    const watched = await watch<Partners>(s, PartnersOfCustomer, { id: customer.id });
    expect(watched.latest().customer.partners).toEqual([]);
    const data = await mutateOnly<{ acceptCustomerInvitation: { invitation: { id: string } } }>(
      s,
      gql`
        mutation AcceptInvitation($input: AcceptCustomerInvitationInput!) {
          acceptCustomerInvitation(input: $input) {
            invitation {
              id
              status
              acceptedAt
            }
            customer {
              id
              partners {
                partner {
                  id
                  name
                }
                relationship {
                  id
                  status
                }
                delegatedAdminPrivileges {
                  id
                  status
                  revokedAt
                }
              }
            }
          }
        }
      `,
      { input: { token } },
    );
    expect(watched.latest().customer.partners).toEqual([
      expect.objectContaining({
        partner: expect.objectContaining({ id: p.id }),
        relationship: expect.objectContaining({ status: 'ACTIVE' }),
        delegatedAdminPrivileges: expect.objectContaining({ status: 'ACTIVE' }),
      }),
    ]);
    expect(data.acceptCustomerInvitation.invitation.id).toBe(invitation.id);
    expect(cached(s, 'CustomerInvitation', invitation.id, 'status')).toEqual({ __typename: 'CustomerInvitation', status: 'ACCEPTED' });
    watched.stop();
  },

  async declineCustomerInvitation() {
    // The customer reads a pending invitation only through invitationPreview(token), a value without an id:
    // nothing of it can be watched. The payload's invitation is normalized with its new status.
    const p = await createPartner(t);
    const customer = await standaloneCustomer(t);
    const { invitation, token } = await invite(t, p.token);
    const s = session(customer.token);
    await mutateOnly(
      s,
      gql`
        mutation DeclineInvitation($input: DeclineCustomerInvitationInput!) {
          declineCustomerInvitation(input: $input) {
            invitation {
              id
              status
              declinedAt
            }
          }
        }
      `,
      { input: { token } },
    );
    expect(cached(s, 'CustomerInvitation', invitation.id, 'id status declinedAt')).toEqual({
      __typename: 'CustomerInvitation',
      id: invitation.id,
      status: 'DECLINED',
      declinedAt: expect.any(String),
    });
  },

  async revokeDelegatedAdminPrivileges() {
    const p = await createPartner(t);
    const customer = await standaloneCustomer(t);
    await accept(t, customer.token, (await invite(t, p.token, true)).token);
    const s = session(customer.token);
    type Partners = {
      customer: { partners: { partner: { id: string }; delegatedAdminPrivileges: { id: string; status: string; revokedAt: string | null } }[] };
    };
    const watched = await watch<Partners>(s, PartnersOfCustomer, { id: customer.id });
    const privileges = watched.latest().customer.partners[0].delegatedAdminPrivileges;
    expect(privileges).toMatchObject({ status: 'ACTIVE', revokedAt: null });
    await mutateOnly(
      s,
      gql`
        mutation RevokePrivileges($input: RevokeDelegatedAdminPrivilegesInput!) {
          revokeDelegatedAdminPrivileges(input: $input) {
            delegatedAdminPrivileges {
              id
              status
              revokedAt
            }
            customer {
              id
              partners {
                partner {
                  id
                  name
                }
                relationship {
                  id
                  status
                }
                delegatedAdminPrivileges {
                  id
                  status
                  revokedAt
                }
              }
            }
          }
        }
      `,
      { input: { partnerId: p.id } },
    );
    expect(watched.latest().customer.partners[0].delegatedAdminPrivileges).toEqual({ ...privileges, status: 'REVOKED', revokedAt: expect.any(String) });
    watched.stop();
  },

  async removeCustomerRelationship() {
    const p = await createPartner(t);
    const { id } = await createCustomer(t, p.token);
    const s = session(p.token);
    const watched = await watch<{ customer: { relationship: { id: string; status: string; removedAt: string | null } } }>(
      s,
      gql`
        query CustomerRelationship($id: ID!) {
          customer(id: $id) {
            id
            relationship {
              id
              status
              removedAt
            }
          }
        }
      `,
      { id },
    );
    const before = watched.latest().customer.relationship;
    expect(before).toMatchObject({ status: 'ACTIVE', removedAt: null });
    await mutateOnly(
      s,
      gql`
        mutation RemoveRelationship($input: RemoveCustomerRelationshipInput!) {
          removeCustomerRelationship(input: $input) {
            customer {
              id
              relationship {
                id
                status
                removedAt
              }
            }
          }
        }
      `,
      { input: { customerId: id, attestation: true } },
    );
    expect(watched.latest().customer.relationship).toEqual({ ...before, status: 'REMOVED', removedAt: expect.any(String) });
    watched.stop();
  },

  async createSubscription() {
    const p = await createPartner(t);
    const { id } = await createCustomer(t, p.token);
    const s = session(p.token);
    const watched = await watch<Subscriptions>(s, SubscriptionsOfCustomer, { id });
    expect(watched.latest().customer.subscriptions).toMatchObject({ totalCount: 0, edges: [] });
    const data = await mutateOnly<{ createSubscription: { subscription: { id: string } } }>(
      s,
      gql`
        mutation CreateSubscription($input: CreateSubscriptionInput!) {
          createSubscription(input: $input) {
            subscription {
              id
              quantity
            }
            customer {
              id
              subscriptions(first: 10) {
                totalCount
                edges {
                  node {
                    id
                    quantity
                  }
                }
              }
            }
          }
        }
      `,
      { input: { customerId: id, offerId: 'm365-e3', quantity: 3 } },
    );
    const created = data.createSubscription.subscription.id;
    expect(watched.latest().customer.subscriptions).toMatchObject({ totalCount: 1, edges: [{ node: { id: created, quantity: 3 } }] });
    watched.stop();
  },

  async updateSubscription() {
    const p = await createPartner(t);
    const { id } = await createCustomer(t, p.token);
    const sub = await t.client(p.token).raw<{ createSubscription: { subscription: { id: string } } }>({
      query: 'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }',
      variables: { input: { customerId: id, offerId: 'm365-e3', quantity: 2 } },
    });
    const subscriptionId = sub.data!.createSubscription.subscription.id;
    const s = session(p.token);
    const watched = await watch<Subscriptions>(s, SubscriptionsOfCustomer, { id });
    expect(watched.latest().customer.subscriptions.edges.map((e) => e.node)).toEqual([{ __typename: 'CustomerSubscription', id: subscriptionId, quantity: 2 }]);
    await mutateOnly(
      s,
      gql`
        mutation UpdateSubscription($input: UpdateSubscriptionInput!) {
          updateSubscription(input: $input) {
            subscription {
              id
              quantity
            }
          }
        }
      `,
      { input: { subscriptionId, quantity: 7 } },
    );
    expect(watched.latest().customer.subscriptions.edges.map((e) => e.node)).toEqual([{ __typename: 'CustomerSubscription', id: subscriptionId, quantity: 7 }]);
    watched.stop();
  },

  async cancelSubscription() {
    const { p, customerId, subscriptionId } = await subscriptionWorld();
    const s = session(p.token);
    const watched = await watch<Lifecycle>(s, LifecycleOfCustomer, { id: customerId });
    expect(lifecycleNode(watched, subscriptionId)).toMatchObject({ status: 'ACTIVE', endedAt: null });
    const data = await mutateOnly<{ cancelSubscription: { refund: { amount: string; currency: string } } }>(
      s,
      gql`
        mutation CancelSubscription($input: CancelSubscriptionInput!) {
          cancelSubscription(input: $input) {
            subscription {
              ...LifecycleFields
            }
            refund {
              amount
              currency
            }
          }
        }
        ${LifecycleFields}
      `,
      { input: { subscriptionId, reason: 'Ordered by mistake' } },
    );
    expect(lifecycleNode(watched, subscriptionId)).toMatchObject({ status: 'CANCELLED', endedAt: expect.any(String) });
    // the refund exists once, on the payload
    expect(data.cancelSubscription.refund).toEqual({ __typename: 'Money', amount: expect.any(String), currency: 'USD' });
    watched.stop();
  },

  async suspendSubscription() {
    const { p, customerId, subscriptionId } = await subscriptionWorld({ scheduledQuantity: 5 });
    const s = session(p.token);
    const watched = await watch<Lifecycle>(s, LifecycleOfCustomer, { id: customerId });
    const before = lifecycleNode(watched, subscriptionId);
    expect(before).toMatchObject({ status: 'ACTIVE', scheduledChange: { quantity: 5 } });
    const data = await mutateOnly<{ suspendSubscription: { removedScheduledChange: unknown } }>(
      s,
      gql`
        mutation SuspendSubscription($input: SuspendSubscriptionInput!) {
          suspendSubscription(input: $input) {
            subscription {
              ...LifecycleFields
            }
            removedScheduledChange {
              quantity
              termDuration
              billingFrequency
              offer {
                id
              }
            }
          }
        }
        ${LifecycleFields}
      `,
      { input: { subscriptionId, reason: 'Unpaid invoice' } },
    );
    // suspended, and its scheduled change gone: the payload names the removed one
    expect(lifecycleNode(watched, subscriptionId)).toEqual({ ...before, status: 'SUSPENDED', scheduledChange: null });
    expect(data.suspendSubscription.removedScheduledChange).toEqual(before.scheduledChange);
    watched.stop();
  },

  async reactivateSubscription() {
    const { p, customerId, subscriptionId } = await subscriptionWorld({ suspended: true });
    const s = session(p.token);
    const watched = await watch<Lifecycle>(s, LifecycleOfCustomer, { id: customerId });
    const before = lifecycleNode(watched, subscriptionId);
    expect(before.status).toBe('SUSPENDED');
    await mutateOnly(
      s,
      gql`
        mutation ReactivateSubscription($input: ReactivateSubscriptionInput!) {
          reactivateSubscription(input: $input) {
            subscription {
              ...LifecycleFields
            }
            removedScheduledChange {
              quantity
              termDuration
              billingFrequency
              offer {
                id
              }
            }
          }
        }
        ${LifecycleFields}
      `,
      { input: { subscriptionId } },
    );
    expect(lifecycleNode(watched, subscriptionId)).toEqual({ ...before, status: 'ACTIVE' });
    watched.stop();
  },

  async setSubscriptionAutoRenew() {
    const { p, customerId, subscriptionId } = await subscriptionWorld({ scheduledQuantity: 4 });
    const s = session(p.token);
    const watched = await watch<Lifecycle>(s, LifecycleOfCustomer, { id: customerId });
    const before = lifecycleNode(watched, subscriptionId);
    expect(before).toMatchObject({ autoRenew: true, scheduledChange: { quantity: 4 } });
    await mutateOnly(
      s,
      gql`
        mutation SetAutoRenew($input: SetSubscriptionAutoRenewInput!) {
          setSubscriptionAutoRenew(input: $input) {
            subscription {
              ...LifecycleFields
            }
            removedScheduledChange {
              quantity
              termDuration
              billingFrequency
              offer {
                id
              }
            }
          }
        }
        ${LifecycleFields}
      `,
      { input: { subscriptionId, autoRenew: false } },
    );
    // off: the change scheduled for a renewal that will not happen is gone too
    expect(lifecycleNode(watched, subscriptionId)).toEqual({ ...before, autoRenew: false, scheduledChange: null });
    watched.stop();
  },

  async setSubscriptionExternalId() {
    const { p, customerId, subscriptionId } = await subscriptionWorld();
    const s = session(p.token);
    const watched = await watch<Lifecycle>(s, LifecycleOfCustomer, { id: customerId });
    const before = lifecycleNode(watched, subscriptionId);
    expect(before.externalId).toBeNull();
    await mutateOnly(
      s,
      gql`
        mutation SetExternalId($input: SetSubscriptionExternalIdInput!) {
          setSubscriptionExternalId(input: $input) {
            subscription {
              ...LifecycleFields
            }
          }
        }
        ${LifecycleFields}
      `,
      { input: { subscriptionId, externalId: 'APOLLO-SUB-1' } },
    );
    expect(lifecycleNode(watched, subscriptionId)).toEqual({ ...before, externalId: 'APOLLO-SUB-1' });
    watched.stop();
  },

  async scheduleSubscriptionChange() {
    const { p, customerId, subscriptionId } = await subscriptionWorld();
    const s = session(p.token);
    const watched = await watch<Lifecycle>(s, LifecycleOfCustomer, { id: customerId });
    const before = lifecycleNode(watched, subscriptionId);
    expect(before.scheduledChange).toBeNull();
    await mutateOnly(
      s,
      gql`
        mutation ScheduleChange($input: ScheduleSubscriptionChangeInput!) {
          scheduleSubscriptionChange(input: $input) {
            subscription {
              ...LifecycleFields
            }
          }
        }
        ${LifecycleFields}
      `,
      { input: { subscriptionId, quantity: 6, termDuration: 'P1Y', billingFrequency: 'ANNUAL' } },
    );
    expect(lifecycleNode(watched, subscriptionId)).toEqual({
      ...before,
      scheduledChange: {
        __typename: 'SubscriptionScheduledChange',
        quantity: 6,
        termDuration: 'P1Y',
        billingFrequency: 'ANNUAL',
        offer: { __typename: 'Offer', id: 'm365-business-basic' },
      },
    });
    watched.stop();
  },

  async cancelScheduledSubscriptionChange() {
    const { p, customerId, subscriptionId } = await subscriptionWorld({ scheduledQuantity: 3 });
    const s = session(p.token);
    const watched = await watch<Lifecycle>(s, LifecycleOfCustomer, { id: customerId });
    const before = lifecycleNode(watched, subscriptionId);
    expect(before.scheduledChange).toMatchObject({ quantity: 3 });
    await mutateOnly(
      s,
      gql`
        mutation CancelScheduledChange($input: CancelScheduledSubscriptionChangeInput!) {
          cancelScheduledSubscriptionChange(input: $input) {
            subscription {
              ...LifecycleFields
            }
            removedScheduledChange {
              quantity
              termDuration
              billingFrequency
              offer {
                id
              }
            }
          }
        }
        ${LifecycleFields}
      `,
      { input: { subscriptionId } },
    );
    expect(lifecycleNode(watched, subscriptionId)).toEqual({ ...before, scheduledChange: null });
    watched.stop();
  },

  async upgradeSubscription() {
    const { p, customerId, subscriptionId } = await subscriptionWorld();
    const s = session(p.token);
    const watched = await watch<Lifecycle>(s, LifecycleOfCustomer, { id: customerId });
    const before = lifecycleNode(watched, subscriptionId);
    expect(watched.latest().customer.subscriptions.totalCount).toBe(1);
    // the payload's customer, with the same list the screen shows, brings the new subscription into it
    const data = await mutateOnly<{ upgradeSubscription: { subscription: { id: string } } }>(
      s,
      gql`
        mutation UpgradeSubscription($input: UpgradeSubscriptionInput!) {
          upgradeSubscription(input: $input) {
            subscription {
              ...LifecycleFields
            }
            previousSubscription {
              ...LifecycleFields
            }
            customer {
              id
              subscriptions(first: 10) {
                totalCount
                edges {
                  node {
                    ...LifecycleFields
                  }
                }
              }
            }
          }
        }
        ${LifecycleFields}
      `,
      { input: { subscriptionId, targetOfferId: 'm365-business-standard' } },
    );
    const upgradedId = data.upgradeSubscription.subscription.id;
    expect(watched.latest().customer.subscriptions.totalCount).toBe(2);
    expect(lifecycleNode(watched, subscriptionId)).toEqual({
      ...before,
      status: 'CANCELLED',
      endedAt: expect.any(String),
      upgradedTo: { __typename: 'CustomerSubscription', id: upgradedId },
    });
    expect(lifecycleNode(watched, upgradedId)).toEqual({
      ...before,
      id: upgradedId,
      offer: { __typename: 'Offer', id: 'm365-business-standard' },
      upgradedFrom: { __typename: 'CustomerSubscription', id: subscriptionId },
    });
    watched.stop();
  },

  async advanceTestClock() {
    // only on a server started with TEST_CLOCK=true, by the operator. The payload is the clock's two
    // times (no object with an id): the screen's `serverTime` is written from it in the mutation's
    // `update`, as a client writes any root field a payload answers. (What the sweep changed, renewals
    // and expiry, reaches clients as events.)
    const clocked = await startTestServer({ TEST_CLOCK: 'true' });
    try {
      const s = session(await clocked.tokens.operator(), clocked);
      const ServerTime = gql`
        query ServerTime {
          serverTime
        }
      `;
      const watched = await watch<{ serverTime: string }>(s, ServerTime);
      const before = watched.latest().serverTime;
      const data = await mutateOnly<{ advanceTestClock: { previous: string; now: string } }>(
        s,
        gql`
          mutation AdvanceTestClock($input: AdvanceTestClockInput!) {
            advanceTestClock(input: $input) {
              previous
              now
            }
          }
        `,
        { input: { by: 'P3D' } },
        {
          update: (cache, { data: answer }) => {
            const { now } = (answer as { advanceTestClock: { now: string } }).advanceTestClock;
            cache.writeQuery({ query: ServerTime, data: { serverTime: now } });
          },
        },
      );
      const { previous, now } = data.advanceTestClock;
      expect(new Date(previous).getTime()).toBeGreaterThanOrEqual(new Date(before).getTime());
      expect(new Date(now).getTime() - new Date(previous).getTime()).toBeGreaterThanOrEqual(3 * 24 * 3600 * 1000);
      expect(watched.latest().serverTime).toBe(now);
      watched.stop();
    } finally {
      await clocked.stop();
    }
  },

  async requestPartnership() {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const s = session(provider.token);
    const data = await mutateOnly<{ requestPartnership: { request: { id: string }; url: string; token: string; emailDraft: { body: string } } }>(
      s,
      gql`
        mutation RequestPartnership($input: RequestPartnershipInput!) {
          requestPartnership(input: $input) {
            request {
              id
              status
              resellerEmail
            }
            url
            token
            emailDraft {
              subject
              body
            }
          }
        }
      `,
      { input: { resellerEmail: 'admin@reseller.example' } },
    );
    const { request, url, token } = data.requestPartnership;
    expect(cached(s, 'PartnershipRequest', request.id, 'id status resellerEmail')).toEqual({
      __typename: 'PartnershipRequest',
      id: request.id,
      status: 'PENDING',
      resellerEmail: 'admin@reseller.example',
    });
    expect(url).toContain(token);
    expect(fieldsOf('PartnershipRequest').filter((f) => ['url', 'token', 'emailDraft'].includes(f))).toEqual([]);
  },

  async revokePartnershipRequest() {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const { request } = await requestPartnership(provider);
    const s = session(provider.token);
    const watched = await watch<{ partnershipRequests: { edges: { node: { id: string; status: string; revokedAt: string | null } }[] } }>(
      s,
      gql`
        query PartnershipRequests {
          partnershipRequests(first: 10) {
            edges {
              node {
                id
                status
                revokedAt
              }
            }
          }
        }
      `,
    );
    expect(watched.latest().partnershipRequests.edges.map((e) => e.node)).toEqual([
      { __typename: 'PartnershipRequest', id: request.id, status: 'PENDING', revokedAt: null },
    ]);
    await mutateOnly(
      s,
      gql`
        mutation RevokeRequest($input: RevokePartnershipRequestInput!) {
          revokePartnershipRequest(input: $input) {
            request {
              id
              status
              revokedAt
            }
          }
        }
      `,
      { input: { requestId: request.id } },
    );
    expect(watched.latest().partnershipRequests.edges[0].node).toEqual({
      __typename: 'PartnershipRequest',
      id: request.id,
      status: 'REVOKED',
      revokedAt: expect.any(String),
    });
    watched.stop();
  },

  async acceptPartnershipRequest() {
    // The reseller cannot read the request before accepting it (only the provider lists it), and the
    // partnership does not exist yet: the payload's request and partnership are normalized with their state.
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    const { request, token } = await requestPartnership(provider);
    const s = session(reseller.token);
    const data = await mutateOnly<{ acceptPartnershipRequest: { partnership: { id: string } } }>(
      s,
      gql`
        mutation AcceptPartnership($input: AcceptPartnershipRequestInput!) {
          acceptPartnershipRequest(input: $input) {
            request {
              id
              status
              acceptedAt
            }
            partnership {
              id
              status
              provider {
                id
              }
              reseller {
                id
              }
            }
          }
        }
      `,
      { input: { token } },
    );
    expect(cached(s, 'PartnershipRequest', request.id, 'id status acceptedAt')).toEqual({
      __typename: 'PartnershipRequest',
      id: request.id,
      status: 'ACCEPTED',
      acceptedAt: expect.any(String),
    });
    const partnershipId = data.acceptPartnershipRequest.partnership.id;
    expect(cached(s, 'Partnership', partnershipId, 'id status provider { id } reseller { id }')).toEqual({
      __typename: 'Partnership',
      id: partnershipId,
      status: 'ACTIVE',
      provider: { __typename: 'Partner', id: provider.id },
      reseller: { __typename: 'Partner', id: reseller.id },
    });
  },

  async removePartnership() {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    const { token } = await requestPartnership(provider);
    await t.client(reseller.token).raw({
      query: 'mutation ($input: AcceptPartnershipRequestInput!) { acceptPartnershipRequest(input: $input) { partnership { id } } }',
      variables: { input: { token } },
    });
    const s = session(provider.token);
    const watched = await watch<{ indirectResellers: { edges: { node: { id: string; status: string; removedAt: string | null } }[] } }>(
      s,
      gql`
        query IndirectResellers {
          indirectResellers(first: 10) {
            edges {
              node {
                id
                status
                removedAt
              }
            }
          }
        }
      `,
    );
    const [partnership] = watched.latest().indirectResellers.edges.map((e) => e.node);
    expect(partnership).toMatchObject({ status: 'ACTIVE', removedAt: null });
    await mutateOnly(
      s,
      gql`
        mutation RemovePartnership($input: RemovePartnershipInput!) {
          removePartnership(input: $input) {
            partnership {
              id
              status
              removedAt
            }
          }
        }
      `,
      { input: { partnershipId: partnership.id, confirm: true, attestation: true } },
    );
    expect(watched.latest().indirectResellers.edges[0].node).toEqual({ ...partnership, status: 'REMOVED', removedAt: expect.any(String) });
    watched.stop();
  },

  async createAdminRelationship() {
    const p = await createPartner(t);
    const s = session(p.token);
    const data = await mutateOnly<{ createAdminRelationship: { adminRelationship: { id: string }; url: string; token: string; emailDraft: { body: string } } }>(
      s,
      gql`
        mutation CreateAdmin($input: CreateAdminRelationshipInput!) {
          createAdminRelationship(input: $input) {
            adminRelationship {
              id
              displayName
              roles
              duration
              status
            }
            url
            token
            emailDraft {
              subject
              body
            }
          }
        }
      `,
      { input: { displayName: 'Apollo Helpdesk', roles: ['HELPDESK_ADMINISTRATOR'], duration: 'P30D' } },
    );
    const { adminRelationship, url, token } = data.createAdminRelationship;
    expect(cached(s, 'AdminRelationship', adminRelationship.id, 'id displayName roles duration status')).toEqual({
      __typename: 'AdminRelationship',
      id: adminRelationship.id,
      displayName: 'Apollo Helpdesk',
      roles: ['HELPDESK_ADMINISTRATOR'],
      duration: 'P30D',
      status: 'APPROVAL_PENDING',
    });
    expect(url).toContain(token);
    expect(fieldsOf('AdminRelationship').filter((f) => ['url', 'token', 'emailDraft'].includes(f))).toEqual([]);
  },

  async approveAdminRelationship() {
    const { customer, pending } = await adminWorld();
    const s = session(customer.token);
    const watched = await watch<AdminList>(s, AdminRelationships);
    const node = () => watched.latest().adminRelationships.edges.find((e) => e.node.id === pending.adminRelationship.id)?.node;
    expect(node()).toMatchObject({ status: 'APPROVAL_PENDING', endsAt: null });
    await mutateOnly(
      s,
      gql`
        mutation ApproveAdmin($input: ApproveAdminRelationshipInput!) {
          approveAdminRelationship(input: $input) {
            adminRelationship {
              ...AdminFields
            }
          }
        }
        ${AdminFields}
      `,
      { input: { token: pending.token } },
    );
    expect(node()).toMatchObject({ status: 'ACTIVE', endsAt: expect.any(String) });
    watched.stop();
  },

  async rejectAdminRelationship() {
    const { customer, pending } = await adminWorld();
    const s = session(customer.token);
    const watched = await watch<AdminList>(s, AdminRelationships);
    const node = () => watched.latest().adminRelationships.edges.find((e) => e.node.id === pending.adminRelationship.id)?.node;
    expect(node()).toMatchObject({ status: 'APPROVAL_PENDING', endReason: null });
    await mutateOnly(
      s,
      gql`
        mutation RejectAdmin($input: RejectAdminRelationshipInput!) {
          rejectAdminRelationship(input: $input) {
            adminRelationship {
              ...AdminFields
            }
          }
        }
        ${AdminFields}
      `,
      { input: { token: pending.token } },
    );
    expect(node()).toMatchObject({
      status: 'TERMINATED',
      endReason: 'REJECTED',
      endedAt: expect.any(String),
    });
    watched.stop();
  },

  async updateAdminRelationship() {
    const { partner: p, active } = await adminWorld();
    const s = session(p.token);
    const watched = await watch<AdminList>(s, AdminRelationships);
    expect(watched.latest().adminRelationships.edges.find((e) => e.node.id === active.id)!.node.autoExtend).toBe(false);
    await mutateOnly(
      s,
      gql`
        mutation UpdateAdmin($input: UpdateAdminRelationshipInput!) {
          updateAdminRelationship(input: $input) {
            adminRelationship {
              ...AdminFields
            }
          }
        }
        ${AdminFields}
      `,
      { input: { adminRelationshipId: active.id, autoExtend: true } },
    );
    expect(watched.latest().adminRelationships.edges.find((e) => e.node.id === active.id)!.node.autoExtend).toBe(true);
    watched.stop();
  },

  async extendAdminRelationships() {
    const { partner: p, active } = await adminWorld();
    const s = session(p.token);
    const watched = await watch<AdminList>(s, AdminRelationships);
    const before = watched.latest().adminRelationships.edges.find((e) => e.node.id === active.id)!.node;
    expect(before.extensions).toBe(0);
    await mutateOnly(
      s,
      gql`
        mutation ExtendAdmins($input: ExtendAdminRelationshipsInput!) {
          extendAdminRelationships(input: $input) {
            succeeded
            results {
              adminRelationshipId
              adminRelationship {
                ...AdminFields
              }
              error {
                code
              }
            }
          }
        }
        ${AdminFields}
      `,
      { input: { adminRelationshipIds: [active.id] } },
    );
    const after = watched.latest().adminRelationships.edges.find((e) => e.node.id === active.id)!.node;
    expect(after.extensions).toBe(1);
    expect(new Date(after.endsAt!).getTime() - new Date(before.endsAt!).getTime()).toBe(180 * 24 * 3600 * 1000);
    watched.stop();
  },

  async terminateAdminRelationship() {
    const { partner: p, active } = await adminWorld();
    const s = session(p.token);
    const watched = await watch<AdminList>(s, AdminRelationships);
    await mutateOnly(
      s,
      gql`
        mutation TerminateAdmin($input: TerminateAdminRelationshipInput!) {
          terminateAdminRelationship(input: $input) {
            adminRelationship {
              ...AdminFields
            }
          }
        }
        ${AdminFields}
      `,
      { input: { adminRelationshipId: active.id } },
    );
    expect(watched.latest().adminRelationships.edges.find((e) => e.node.id === active.id)!.node).toMatchObject({
      status: 'TERMINATED',
      endReason: 'TERMINATED',
      endedAt: expect.any(String),
    });
    watched.stop();
  },

  async terminateAdminRelationships() {
    const { partner: p, active, pending } = await adminWorld();
    const s = session(p.token);
    const watched = await watch<AdminList>(s, AdminRelationships);
    await mutateOnly(
      s,
      gql`
        mutation TerminateAdmins($input: TerminateAdminRelationshipsInput!) {
          terminateAdminRelationships(input: $input) {
            succeeded
            results {
              adminRelationshipId
              adminRelationship {
                ...AdminFields
              }
              error {
                code
              }
            }
          }
        }
        ${AdminFields}
      `,
      { input: { adminRelationshipIds: [active.id, pending.adminRelationship.id] } },
    );
    expect(watched.latest().adminRelationships.edges.map((e) => e.node.status)).toEqual(['TERMINATED', 'TERMINATED']);
    watched.stop();
  },

  async createWebhookEndpoint() {
    const p = await createPartner(t);
    const s = session(p.token);
    const url = 'https://hooks.partner.example/apollo';
    const data = await mutateOnly<{ createWebhookEndpoint: { endpoint: { id: string }; secret: string } }>(
      s,
      gql`
        mutation CreateEndpoint($input: CreateWebhookEndpointInput!) {
          createWebhookEndpoint(input: $input) {
            endpoint {
              id
              url
              description
              eventTypes
              enabled
            }
            secret
          }
        }
      `,
      { input: { url, description: 'Apollo', eventTypes: ['INVITATION_CREATED'] } },
    );
    const { endpoint, secret } = data.createWebhookEndpoint;
    expect(cached(s, 'WebhookEndpoint', endpoint.id, 'id url description eventTypes enabled')).toEqual({
      __typename: 'WebhookEndpoint',
      id: endpoint.id,
      url,
      description: 'Apollo',
      eventTypes: ['INVITATION_CREATED'],
      enabled: true,
    });
    expect(secret).toEqual(expect.any(String));
    expect(fieldsOf('WebhookEndpoint')).not.toContain('secret');
  },

  async updateWebhookEndpoint() {
    const p = await createPartner(t);
    const { endpoint } = await createEndpoint(t, p.token, 'https://hooks.partner.example/before');
    const s = session(p.token);
    const watched = await watch<Endpoints>(s, WebhookEndpoints);
    expect(watched.latest().webhookEndpoints.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({ id: endpoint.id, url: 'https://hooks.partner.example/before', description: null }),
    ]);
    await mutateOnly(
      s,
      gql`
        mutation UpdateEndpoint($input: UpdateWebhookEndpointInput!) {
          updateWebhookEndpoint(input: $input) {
            endpoint {
              id
              url
              description
              enabled
            }
          }
        }
      `,
      { input: { endpointId: endpoint.id, url: 'https://hooks.partner.example/after', description: 'moved' } },
    );
    expect(watched.latest().webhookEndpoints.edges[0].node).toMatchObject({
      id: endpoint.id,
      url: 'https://hooks.partner.example/after',
      description: 'moved',
    });
    watched.stop();
  },

  async deleteWebhookEndpoint() {
    const p = await createPartner(t);
    const kept = (await createEndpoint(t, p.token, 'https://hooks.partner.example/kept')).endpoint;
    const removed = (await createEndpoint(t, p.token, 'https://hooks.partner.example/removed')).endpoint;
    const s = session(p.token);
    const watched = await watch<Endpoints>(s, WebhookEndpoints);
    expect(
      watched
        .latest()
        .webhookEndpoints.edges.map((e) => e.node.id)
        .sort(),
    ).toEqual([kept.id, removed.id].sort());
    const data = await mutateOnly<{ deleteWebhookEndpoint: { endpointId: string } }>(
      s,
      gql`
        mutation DeleteEndpoint($input: DeleteWebhookEndpointInput!) {
          deleteWebhookEndpoint(input: $input) {
            endpointId
          }
        }
      `,
      { input: { endpointId: removed.id } },
    );
    // the payload names what it removed; the client evicts it, and drops it from the lists that held it
    expect(data.deleteWebhookEndpoint.endpointId).toBe(removed.id);
    const before = s.requests.length;
    s.client.cache.batch({
      update: (cache) => {
        const id = cache.identify({ __typename: 'WebhookEndpoint', id: data.deleteWebhookEndpoint.endpointId });
        expect(cache.evict({ id })).toBe(true);
        cache.modify({
          fields: {
            webhookEndpoints: (existing: unknown, { readField }) => {
              const list = existing as { edges: { node: Reference }[] };
              return { ...list, edges: list.edges.filter((e) => readField('id', e.node) !== undefined) };
            },
          },
        });
        cache.gc();
      },
    });
    await quiet();
    expect(s.requests.length).toBe(before);
    expect(watched.latest().webhookEndpoints.edges.map((e) => e.node.id)).toEqual([kept.id]);
    expect(cached(s, 'WebhookEndpoint', removed.id, 'id url')).toBeNull();
    watched.stop();
  },

  async redeliverWebhook() {
    const receiver = await startReceiver([200]);
    try {
      const p = await createPartner(t);
      const { endpoint } = await createEndpoint(t, p.token, receiver.url);
      await invite(t, p.token);
      const first = await until(
        'the first delivery',
        () => deliveries(t, p.token, endpoint.id),
        (d) => d.deliveries[0]?.status === 'SUCCEEDED',
      );
      const s = session(p.token);
      const watched = await watch<Endpoints>(s, WebhookEndpoints);
      expect(watched.latest().webhookEndpoints.edges[0].node.deliveries.edges.map((e) => e.node.id)).toEqual([first.deliveries[0].id]);
      const data = await mutateOnly<{ redeliverWebhook: { delivery: { id: string } } }>(
        s,
        gql`
          mutation Redeliver($input: RedeliverWebhookInput!) {
            redeliverWebhook(input: $input) {
              delivery {
                id
                attempt
                status
              }
              endpoint {
                id
                url
                description
                enabled
                deliveries(first: 20) {
                  edges {
                    node {
                      id
                      attempt
                      status
                    }
                  }
                }
              }
            }
          }
        `,
        { input: { deliveryId: first.deliveries[0].id } },
      );
      // newest first: the redelivery (a new delivery) leads the watched endpoint's list
      expect(watched.latest().webhookEndpoints.edges[0].node.deliveries.edges.map((e) => e.node.id)).toEqual([
        data.redeliverWebhook.delivery.id,
        first.deliveries[0].id,
      ]);
      watched.stop();
    } finally {
      await receiver.stop();
    }
  },

  async updatePartner() {
    const p = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Apollo Profile Ltd');
    const s = session(p.token);
    const Profile = gql`
      query PartnerProfile($id: ID!) {
        partner(id: $id) {
          id
          name
          contactEmail
        }
      }
    `;
    const watched = await watch<{ partner: { id: string; name: string; contactEmail: string | null } }>(s, Profile, { id: p.id });
    expect(watched.latest().partner).toMatchObject({ name: 'Apollo Profile Ltd', contactEmail: 'contact@partner.example' });
    await mutateOnly(
      s,
      gql`
        mutation UpdatePartner($input: UpdatePartnerInput!) {
          updatePartner(input: $input) {
            partner {
              id
              name
              contactEmail
            }
          }
        }
      `,
      { input: { partnerId: p.id, name: 'Apollo Profile Group Ltd', contactEmail: 'ops@profile.example' } },
    );
    expect(watched.latest().partner).toEqual({ __typename: 'Partner', id: p.id, name: 'Apollo Profile Group Ltd', contactEmail: 'ops@profile.example' });
    watched.stop();
  },

  async updateCustomer() {
    const p = await createPartner(t);
    const { id, domain } = await createCustomer(t, p.token);
    // the customer's own admin changes its account details
    const s = session(await t.tokens.customer(id));
    const watched = await watch<{ customer: Record<string, unknown> }>(s, AccountOfCustomer, { id });
    const before = watched.latest().customer;
    expect(before).toMatchObject({ domain, billingContact: null, updatedAt: null });
    const billingContact = { firstName: 'Bill', lastName: 'Payer', email: 'bill@customer.example', phoneNumber: '+1 206 555 0142' };
    await mutateOnly(
      s,
      gql`
        mutation UpdateCustomer($input: UpdateCustomerInput!) {
          updateCustomer(input: $input) {
            customer {
              ...AccountFields
            }
          }
        }
        ${AccountFields}
      `,
      { input: { customerId: id, companyName: 'Apollo Renamed Limited', billingContact } },
    );
    expect(watched.latest().customer).toEqual({
      ...before,
      companyName: 'Apollo Renamed Limited',
      billingContact: { __typename: 'Contact', ...billingContact },
      updatedAt: expect.any(String),
    });
    watched.stop();
  },

  async createCustomerUser() {
    const { p, customerId, domain } = await directoryWorld({ user: false });
    // the partner, through the delegated admin privileges of the customer it created
    const s = session(p.token);
    const data = await mutateOnly<{ createCustomerUser: { user: { id: string }; temporaryPassword: string } }>(
      s,
      gql`
        mutation CreateCustomerUser($input: CreateCustomerUserInput!) {
          createCustomerUser(input: $input) {
            user {
              ...UserFields
            }
            temporaryPassword
          }
        }
        ${UserFields}
      `,
      { input: { customerId, userName: `grace@${domain}`, displayName: 'Grace Hopper' } },
    );
    const { id } = data.createCustomerUser.user;
    expect(cached(s, 'CustomerUser', id, 'id userName displayName roles status licenses { edges { node { id } } }')).toEqual({
      __typename: 'CustomerUser',
      id,
      userName: `grace@${domain}`,
      displayName: 'Grace Hopper',
      roles: [],
      status: 'ACTIVE',
      licenses: { __typename: 'CustomerSubscriptionConnection', edges: [] },
    });
    // the password exists once: on the payload, not on the user
    expect(data.createCustomerUser.temporaryPassword).toEqual(expect.any(String));
    expect(fieldsOf('CustomerUser')).not.toContain('temporaryPassword');
  },

  async updateCustomerUser() {
    const { p, customerId, userId } = await directoryWorld();
    const s = session(p.token);
    const watched = await watch<Directory>(s, DirectoryOfCustomer, { id: customerId });
    const before = userNode(watched, userId);
    expect(before.displayName).toBe('Apollo User');
    await mutateOnly(
      s,
      gql`
        mutation UpdateCustomerUser($input: UpdateCustomerUserInput!) {
          updateCustomerUser(input: $input) {
            user {
              ...UserFields
            }
          }
        }
        ${UserFields}
      `,
      { input: { userId, displayName: 'Apollo Renamed', firstName: 'Apollo' } },
    );
    expect(userNode(watched, userId)).toEqual({ ...before, displayName: 'Apollo Renamed', firstName: 'Apollo' });
    watched.stop();
  },

  async assignLicenses() {
    const { p, customerId, userId, subscriptionId } = await directoryWorld();
    const s = session(p.token);
    const watched = await watch<Directory>(s, DirectoryOfCustomer, { id: customerId });
    expect(licensesOf(userNode(watched, userId))).toEqual([]);
    expect(assignedOf(watched, subscriptionId)).toBe(0);
    await mutateOnly(s, LicensesMutation('AssignLicenses', 'assignLicenses'), { input: { userId, subscriptionIds: [subscriptionId] } });
    // the user holds it, and the subscription (the same cached object) counts it
    expect(licensesOf(userNode(watched, userId))).toEqual([{ __typename: 'CustomerSubscription', id: subscriptionId, assignedLicenses: 1 }]);
    expect(assignedOf(watched, subscriptionId)).toBe(1);
    watched.stop();
  },

  async unassignLicenses() {
    const { customerId, customerToken, userId, subscriptionId } = await directoryWorld({ assigned: true });
    // the customer's own admin takes it back
    const s = session(customerToken);
    const watched = await watch<Directory>(s, DirectoryOfCustomer, { id: customerId });
    expect(assignedOf(watched, subscriptionId)).toBe(1);
    await mutateOnly(s, LicensesMutation('UnassignLicenses', 'unassignLicenses'), { input: { userId, subscriptionIds: [subscriptionId] } });
    expect(licensesOf(userNode(watched, userId))).toEqual([]);
    expect(assignedOf(watched, subscriptionId)).toBe(0);
    watched.stop();
  },

  async deleteCustomerUser() {
    const { p, customerId, userId, subscriptionId } = await directoryWorld({ assigned: true });
    const s = session(p.token);
    const watched = await watch<Directory>(s, DirectoryOfCustomer, { id: customerId });
    const before = userNode(watched, userId);
    expect(before).toMatchObject({ status: 'ACTIVE', deletedAt: null, purgeAt: null });
    expect(assignedOf(watched, subscriptionId)).toBe(1);
    await mutateOnly(
      s,
      gql`
        mutation DeleteCustomerUser($input: DeleteCustomerUserInput!) {
          deleteCustomerUser(input: $input) {
            user {
              ...UserFields
            }
            subscriptions {
              id
              assignedLicenses
            }
          }
        }
        ${UserFields}
      `,
      { input: { userId } },
    );
    // DELETED (the list shows the deleted ones), restorable until purgeAt, and its licence freed
    expect(userNode(watched, userId)).toEqual({
      ...before,
      status: 'DELETED',
      deletedAt: expect.any(String),
      purgeAt: expect.any(String),
      licenses: { ...before.licenses, edges: [] },
    });
    expect(assignedOf(watched, subscriptionId)).toBe(0);
    watched.stop();
  },

  async restoreCustomerUser() {
    const { p, customerId, userId } = await directoryWorld({ deleted: true });
    const s = session(p.token);
    const watched = await watch<Directory>(s, DirectoryOfCustomer, { id: customerId });
    const before = userNode(watched, userId);
    expect(before).toMatchObject({ status: 'DELETED', deletedAt: expect.any(String) });
    await mutateOnly(
      s,
      gql`
        mutation RestoreCustomerUser($input: RestoreCustomerUserInput!) {
          restoreCustomerUser(input: $input) {
            user {
              ...UserFields
            }
          }
        }
        ${UserFields}
      `,
      { input: { userId } },
    );
    expect(userNode(watched, userId)).toEqual({ ...before, status: 'ACTIVE', deletedAt: null, purgeAt: null });
    watched.stop();
  },
};

// shared documents and worlds of the cases

const PartnersOfCustomer = gql`
  query PartnersOfCustomer($id: ID!) {
    customer(id: $id) {
      id
      partners {
        partner {
          id
          name
        }
        relationship {
          id
          status
        }
        delegatedAdminPrivileges {
          id
          status
          revokedAt
        }
      }
    }
  }
`;

interface Subscriptions {
  customer: { subscriptions: { totalCount: number; edges: { node: { id: string; quantity: number } }[] } };
}
const SubscriptionsOfCustomer = gql`
  query SubscriptionsOfCustomer($id: ID!) {
    customer(id: $id) {
      id
      subscriptions(first: 10) {
        totalCount
        edges {
          node {
            id
            quantity
          }
        }
      }
    }
  }
`;

/** A subscription over its life, as a screen shows it (the scheduled change has no id: it is a value of its subscription). */
const LifecycleFields = gql`
  fragment LifecycleFields on CustomerSubscription {
    id
    quantity
    status
    autoRenew
    endedAt
    externalId
    offer {
      id
    }
    scheduledChange {
      quantity
      termDuration
      billingFrequency
      offer {
        id
      }
    }
    upgradedFrom {
      id
    }
    upgradedTo {
      id
    }
  }
`;
interface LifecycleNode {
  id: string;
  quantity: number;
  status: string;
  autoRenew: boolean;
  endedAt: string | null;
  externalId: string | null;
  offer: { id: string };
  scheduledChange: { quantity: number; termDuration: string; billingFrequency: string; offer: { id: string } } | null;
  upgradedFrom: { id: string } | null;
  upgradedTo: { id: string } | null;
}
interface Lifecycle {
  customer: { subscriptions: { totalCount: number; edges: { node: LifecycleNode }[] } };
}
const LifecycleOfCustomer = gql`
  query LifecycleOfCustomer($id: ID!) {
    customer(id: $id) {
      id
      subscriptions(first: 10) {
        totalCount
        edges {
          node {
            ...LifecycleFields
          }
        }
      }
    }
  }
  ${LifecycleFields}
`;
const lifecycleNode = (watched: Watched<Lifecycle>, id: string): LifecycleNode =>
  watched.latest().customer.subscriptions.edges.find((e) => e.node.id === id)!.node;

/**
 * A partner with a customer and one subscription it sold (a month of Business Basic, 2 licences, renewing);
 * `scheduledQuantity`: a change of quantity scheduled for its renewal; `suspended`: then suspended.
 */
async function subscriptionWorld(opts: { scheduledQuantity?: number; suspended?: boolean } = {}) {
  const p = await createPartner(t);
  const { id: customerId } = await createCustomer(t, p.token);
  const ask = async <T>(query: string, input: Record<string, unknown>) => {
    const res = await t.client(p.token).raw<T>({ query, variables: { input } });
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const sold = await ask<{ createSubscription: { subscription: { id: string } } }>(
    'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }',
    { customerId, offerId: 'm365-business-basic', quantity: 2, termDuration: 'P1M', billingFrequency: 'MONTHLY' },
  );
  const subscriptionId = sold.createSubscription.subscription.id;
  if (opts.scheduledQuantity) {
    await ask('mutation ($input: ScheduleSubscriptionChangeInput!) { scheduleSubscriptionChange(input: $input) { subscription { id } } }', {
      subscriptionId,
      quantity: opts.scheduledQuantity,
    });
  }
  if (opts.suspended) {
    await ask('mutation ($input: SuspendSubscriptionInput!) { suspendSubscription(input: $input) { subscription { id } } }', { subscriptionId });
  }
  return { p, customerId, subscriptionId };
}

const AdminFields = gql`
  fragment AdminFields on AdminRelationship {
    id
    status
    autoExtend
    activatedAt
    endsAt
    endedAt
    endReason
    extensions
  }
`;
interface AdminList {
  adminRelationships: {
    edges: {
      node: {
        id: string;
        status: string;
        autoExtend: boolean;
        activatedAt: string | null;
        endsAt: string | null;
        endReason: string | null;
        extensions: number;
      };
    }[];
  };
}
const AdminRelationships = gql`
  query AdminRelationships {
    adminRelationships(first: 20) {
      edges {
        node {
          ...AdminFields
        }
      }
    }
  }
  ${AdminFields}
`;

interface Endpoints {
  webhookEndpoints: {
    edges: { node: { id: string; url: string; description: string | null; enabled: boolean; deliveries: { edges: { node: { id: string } }[] } } }[];
  };
}
const WebhookEndpoints = gql`
  query WebhookEndpoints {
    webhookEndpoints(first: 10) {
      edges {
        node {
          id
          url
          description
          enabled
          deliveries(first: 20) {
            edges {
              node {
                id
                attempt
                status
              }
            }
          }
        }
      }
    }
  }
`;

async function requestPartnership(provider: TestPartner) {
  const res = await t.client(provider.token).raw<{ requestPartnership: { request: { id: string }; token: string } }>({
    query: 'mutation ($input: RequestPartnershipInput!) { requestPartnership(input: $input) { request { id } token } }',
    variables: { input: { resellerEmail: 'admin@reseller.example' } },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.requestPartnership;
}

/** A partner with a customer of its own, an ACTIVE admin relationship with it and a pending one addressed to it. */
async function adminWorld() {
  const p = await createPartner(t);
  const { id } = await createCustomer(t, p.token);
  const customer = { id, token: await t.tokens.customer(id) };
  const active = await approveAdmin(t, customer.token, (await requestAdmin(t, p.token, { customerId: id })).token);
  const pending = await requestAdmin(t, p.token, { customerId: id });
  return { partner: p, customer, active, pending };
}

const AccountFields = gql`
  fragment AccountFields on Customer {
    id
    companyName
    domain
    updatedAt
    address {
      addressLine1
      city
      country
    }
    billingContact {
      firstName
      lastName
      email
      phoneNumber
    }
  }
`;
const AccountOfCustomer = gql`
  query AccountOfCustomer($id: ID!) {
    customer(id: $id) {
      ...AccountFields
    }
  }
  ${AccountFields}
`;

/** A customer's user as a directory screen shows it (its licences are subscriptions: the same cached objects as the customer's list). */
const UserFields = gql`
  fragment UserFields on CustomerUser {
    id
    userName
    displayName
    firstName
    roles
    status
    deletedAt
    purgeAt
    licenses {
      edges {
        node {
          id
          assignedLicenses
        }
      }
    }
  }
`;
interface UserNode {
  id: string;
  displayName: string;
  status: string;
  deletedAt: string | null;
  purgeAt: string | null;
  licenses: { edges: { node: { id: string; assignedLicenses: number } }[] };
}

/** The subscriptions whose licence a cached user holds. */
const licensesOf = (user: UserNode) => user.licenses.edges.map((e) => e.node);
interface Directory {
  customer: { subscriptions: { edges: { node: { id: string; assignedLicenses: number } }[] } };
  customerUsers: { totalCount: number; edges: { node: UserNode }[] };
}
/** The customer's subscriptions with their assigned licences, and its users (the deleted ones too). */
const DirectoryOfCustomer = gql`
  query DirectoryOfCustomer($id: ID!) {
    customer(id: $id) {
      id
      subscriptions(first: 10) {
        edges {
          node {
            id
            assignedLicenses
          }
        }
      }
    }
    customerUsers(customerId: $id, first: 10, filter: { includeDeleted: true }) {
      totalCount
      edges {
        node {
          ...UserFields
        }
      }
    }
  }
  ${UserFields}
`;
const userNode = (watched: Watched<Directory>, id: string): UserNode => watched.latest().customerUsers.edges.find((e) => e.node.id === id)!.node;
const assignedOf = (watched: Watched<Directory>, id: string): number =>
  watched.latest().customer.subscriptions.edges.find((e) => e.node.id === id)!.node.assignedLicenses;
const LicensesMutation = (operation: string, field: string) =>
  gql(`
    mutation ${operation}($input: ${operation}Input!) {
      ${field}(input: $input) {
        user {
          ...UserFields
        }
        subscriptions {
          id
          assignedLicenses
        }
      }
    }
    ${print(UserFields)}
  `);

/**
 * A partner, the customer it created (its delegated admin privileges: it manages the directory), a month of
 * Business Basic with 2 licences it sold, and (`user`, default) a user made by the customer's admin;
 * `assigned`: holding one licence; `deleted`: then deleted.
 */
async function directoryWorld(opts: { user?: boolean; assigned?: boolean; deleted?: boolean } = {}) {
  const p = await createPartner(t);
  const { id: customerId, domain } = await createCustomer(t, p.token);
  const customerToken = await t.tokens.customer(customerId);
  const ask = async <T>(token: string, query: string, input: Record<string, unknown>) => {
    const res = await t.client(token).raw<T>({ query, variables: { input } });
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const sold = await ask<{ createSubscription: { subscription: { id: string } } }>(
    p.token,
    'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }',
    { customerId, offerId: 'm365-business-basic', quantity: 2 },
  );
  const subscriptionId = sold.createSubscription.subscription.id;
  let userId = '';
  if (opts.user !== false) {
    const made = await ask<{ createCustomerUser: { user: { id: string } } }>(
      customerToken,
      'mutation ($input: CreateCustomerUserInput!) { createCustomerUser(input: $input) { user { id } } }',
      { customerId, userName: `apollo.user@${domain}`, displayName: 'Apollo User' },
    );
    userId = made.createCustomerUser.user.id;
    if (opts.assigned) {
      await ask(customerToken, 'mutation ($input: AssignLicensesInput!) { assignLicenses(input: $input) { user { id } } }', {
        userId,
        subscriptionIds: [subscriptionId],
      });
    }
    if (opts.deleted) {
      await ask(customerToken, 'mutation ($input: DeleteCustomerUserInput!) { deleteCustomerUser(input: $input) { user { id } } }', { userId });
    }
  }
  return { p, customerId, domain, customerToken, subscriptionId, userId };
}

describe('after each mutation, the watched queries show the change without a refetch', () => {
  it('has a case for every mutation of the schema', () => {
    const mutations = mutationNames;
    expect(mutations.filter((m) => !cases[m])).toEqual([]);
    expect(Object.keys(cases).filter((c) => !mutations.includes(c))).toEqual([]);
  });

  for (const [name, run] of Object.entries(cases)) {
    it(name, async () => {
      await run();
      // no cache warning, no refetch loop: nothing printed at all
      expect(printed).toEqual([]);
    });
  }
});
