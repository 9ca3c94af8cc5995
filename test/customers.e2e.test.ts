import { CreateCustomerDocument, CustomerDocument, CustomersDocument, CustomersWithRelationsDocument, ViewerDocument } from './generated/graphql';
import { createCustomer, createPartner, customerInput, type TestPartner } from './support/factories';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer, UNBUDGETED } from './support/test-server';

let t: TestServer;
let contoso: TestPartner;
let fabrikam: TestPartner;

beforeAll(async () => {
  // the SQL-count test selects every relation field of 50 customers, over the default cost budget
  t = await startTestServer({ MAX_QUERY_COMPLEXITY: '1000000', ...UNBUDGETED });
  contoso = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Contoso Resale Ltd');
  fabrikam = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Fabrikam Resale Ltd');
});
afterAll(() => t.stop());

async function countCustomers(): Promise<number> {
  const res = await t.client(await t.tokens.operator()).data(CustomersDocument, { first: 1 });
  return res.customers.totalCount;
}

describe('createCustomer', () => {
  it('creates the customer, an ACTIVE relationship and admin credentials shown once', async () => {
    const input = customerInput({ companyName: 'Alpine Ski House Limited' });
    const { createCustomer: res } = await t.client(contoso.token).data(CreateCustomerDocument, { input });
    expect(res.customer).toMatchObject({
      companyName: 'Alpine Ski House Limited',
      domain: input.domain,
      cloud: 'PUBLIC',
      address: { city: 'Seattle', postalCode: '98101', country: 'US' },
      relationship: { status: 'ACTIVE' },
      delegatedAdminPrivileges: { status: 'ACTIVE' },
    });
    expect(res.adminCredentials.userName).toBe(`admin@${input.domain}`);
    expect(res.adminCredentials.temporaryPassword.length).toBeGreaterThanOrEqual(16);

    // The password is nowhere in the schema after creation: no field exposes a password or hash.
    const introspection = await t.client(contoso.token).raw<{ __schema: { types: { name: string; fields: { name: string }[] | null }[] } }>({
      query: '{ __schema { types { name fields { name } } } }',
    });
    const fieldNames = introspection.data!.__schema.types.flatMap((ty) => (ty.fields ?? []).map((f) => f.name.toLowerCase()));
    expect(fieldNames.filter((n) => n.includes('hash'))).toEqual([]);
    // the one-time passwords of the creating payloads (AdminCredentials, CreateCustomerUserPayload), and a flag: never a password of a user
    expect(fieldNames.filter((n) => n.includes('password')).sort()).toEqual(['mustchangepassword', 'temporarypassword', 'temporarypassword']);

    // Stored only as a hash.
    const rows = await t.server.ds.query<{ passwordHash: string }[]>('SELECT passwordHash FROM customer_user WHERE userName = ?', [
      res.adminCredentials.userName,
    ]);
    expect(rows[0].passwordHash).toMatch(/^scrypt\$/);
    expect(rows[0].passwordHash).not.toContain(res.adminCredentials.temporaryPassword);
  });

  it('lets the operator create a customer with no partner', async () => {
    const operator = t.client(await t.tokens.operator());
    const { createCustomer: res } = await operator.data(CreateCustomerDocument, { input: customerInput() });
    expect(res.customer.relationship).toBeNull();
    const { customer } = await operator.data(CustomerDocument, { id: res.customer.id });
    expect(customer?.partners).toEqual([]);
  });

  it('refuses a duplicate domain with CONFLICT', async () => {
    const input = customerInput();
    await t.client(contoso.token).data(CreateCustomerDocument, { input });
    const again = { ...customerInput(), domain: input.domain.toUpperCase() };
    expect(await t.client(fabrikam.token).errorCode(CreateCustomerDocument, { input: again })).toBe('CONFLICT');
  });

  const badInputs: [string, Parameters<typeof customerInput>[0], string][] = [
    ['empty name', { companyName: '' }, 'input.companyName'],
    ['5,000-character name', { companyName: 'A'.repeat(5000) }, 'input.companyName'],
    ['test name', { companyName: 'Test Company' }, 'input.companyName'],
    ['bad domain', { domain: 'not a domain' }, 'input.domain'],
    ['bad email', { primaryContact: { firstName: 'J', lastName: 'D', email: 'not-an-email', phoneNumber: '+1 206 555 0100' } }, 'input.primaryContact.email'],
    ['bad phone', { primaryContact: { firstName: 'J', lastName: 'D', email: 'j@d.example', phoneNumber: '12' } }, 'input.primaryContact.phoneNumber'],
    ['unknown country', { address: { addressLine1: '1 Road', city: 'Nowhere', postalCode: '12345', country: 'XX' } }, 'input.address.country'],
    ['bad postal code', { address: { addressLine1: '1 Road', city: 'Seattle', state: 'WA', postalCode: 'ABCDE', country: 'US' } }, 'input.address.postalCode'],
    ['bad German postal code', { address: { addressLine1: 'Hauptstr. 1', city: 'Berlin', postalCode: '1234', country: 'DE' } }, 'input.address.postalCode'],
    [
      'agreement in the future',
      { agreement: { signatoryName: 'J D', signatoryEmail: 'j@d.example', acceptedAt: '2999-01-01T00:00:00Z' } },
      'input.agreement.acceptedAt',
    ],
  ];

  it.each(badInputs)('answers BAD_USER_INPUT for a %s, naming the field, and writes nothing', async (_label, overrides, field) => {
    const before = await countCustomers();
    const res = await t.client(contoso.token).request(CreateCustomerDocument, { input: customerInput(overrides) });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].extensions?.fields).toContain(field);
    expect(res.errors?.[0].message).toContain(field);
    expect(await countCustomers()).toBe(before);
  });

  it('refuses a cloud other than the partner’s', async () => {
    const res = await t.client(contoso.token).request(CreateCustomerDocument, { input: customerInput({ cloud: 'GERMANY' }) });
    expect(res.errors?.[0].extensions?.fields).toEqual(['input.cloud']);
  });
});

describe('partner scoping', () => {
  it('does not let a partner read another partner’s customer, nor list it', async () => {
    const mine = await createCustomer(t, contoso.token);
    const res = await t.client(fabrikam.token).request(CustomerDocument, { id: mine.id });
    expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(res.errors?.[0].message).not.toContain(mine.companyName);

    const list = await t.client(fabrikam.token).data(CustomersDocument, { first: 100 });
    expect(list.customers.edges.map((e) => e.node.id)).not.toContain(mine.id);
    const own = await t.client(contoso.token).data(CustomerDocument, { id: mine.id });
    expect(own.customer?.id).toBe(mine.id);
  });

  it('answers NOT_FOUND for an id that does not exist', async () => {
    const res = await t.client(contoso.token).request(CustomerDocument, { id: '00000000-0000-7000-8000-000000000000' });
    expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('lets a customer’s user read its own customer, and nothing else', async () => {
    const mine = await createCustomer(t, contoso.token);
    const other = await createCustomer(t, contoso.token);
    const customer = t.client(await t.tokens.customer(mine.id));
    const { viewer } = await customer.data(ViewerDocument);
    expect(viewer.customer?.id).toBe(mine.id);
    const own = await customer.data(CustomerDocument, { id: mine.id });
    expect(own.customer?.partners.map((p) => p.partner.id)).toEqual([contoso.id]);
    expect(await customer.errorCode(CustomerDocument, { id: other.id })).toBe('NOT_FOUND');
    const list = await customer.data(CustomersDocument, {});
    expect(list.customers.edges.map((e) => e.node.id)).toEqual([mine.id]);
  });
});

describe('customers connection', () => {
  let pager: TestPartner;
  beforeAll(async () => {
    pager = await createPartner(t);
    for (let i = 0; i < 26; i++) await createCustomer(t, pager.token, { companyName: `Paging Customer ${i} GmbH` });
  });

  it('pages through 26 customers 10 at a time, each exactly once', async () => {
    const seen: string[] = [];
    let after: string | null | undefined;
    let pages = 0;
    for (;;) {
      const { customers } = await t.client(pager.token).data(CustomersDocument, { first: 10, after });
      expect(customers.totalCount).toBe(26);
      seen.push(...customers.edges.map((e) => e.node.id));
      pages++;
      if (!customers.pageInfo.hasNextPage) break;
      after = customers.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(26);
    expect(new Set(seen).size).toBe(26);
  });

  it('refuses first: 100000 and a forged cursor', async () => {
    const res = await t.client(pager.token).request(CustomersDocument, { first: 100000 });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].extensions?.fields).toEqual(['first']);
    const forged = await t.client(pager.token).request(CustomersDocument, { first: 10, after: 'bm90LWEtY3Vyc29y' });
    expect(forged.errors?.[0].extensions?.fields).toEqual(['after']);
  });

  it('searches company name and domain', async () => {
    const { customers } = await t.client(pager.token).data(CustomersDocument, { first: 100, filter: { search: 'customer 1' } });
    const names = customers.edges.map((e) => e.node.companyName).sort();
    expect(names).toEqual(['Paging Customer 1 GmbH', ...Array.from({ length: 10 }, (_, i) => `Paging Customer 1${i} GmbH`)].sort());
    const none = await t.client(pager.token).data(CustomersDocument, { filter: { search: '%' } });
    expect(none.customers.totalCount).toBe(0);
  });
});

describe('no N+1', () => {
  it('runs the same number of SQL statements for 10 and for 50 customers with every relation field', async () => {
    // an indirect provider adding customers for its reseller, each with an order naming the reseller:
    // every relation field (indirect reseller, relationship, DAP, partners, subscriptions and their partners) has rows
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    await partner(t, provider, reseller);
    for (let i = 0; i < 50; i++) {
      await createCustomer(t, provider.token, {
        companyName: `Batch Customer ${i} AG`,
        indirectResellerId: reseller.id,
        subscriptions: [
          { offerId: 'm365-e3', quantity: 10 + i },
          { offerId: 'power-bi-pro', quantity: 5 },
        ],
      });
    }
    const client = t.client(provider.token);
    // the dispatcher hands the last events on in the background: let it finish before counting
    await t.server.services.events.settled();
    const measure = async (first: number) => {
      const before = t.queryCount();
      const { customers } = await client.data(CustomersWithRelationsDocument, { first });
      expect(customers.edges).toHaveLength(first);
      for (const { node } of customers.edges) {
        expect(node.relationship?.status).toBe('ACTIVE');
        expect(node.indirectReseller?.id).toBe(reseller.id);
        expect(node.subscriptions.totalCount).toBe(2);
        expect(node.subscriptions.edges.map((e) => e.node.reseller?.contactEmail)).toEqual(['contact@partner.example', 'contact@partner.example']);
      }
      return t.queryCount() - before;
    };
    const ten = await measure(10);
    const fifty = await measure(50);
    expect(fifty).toBe(ten);
    // the caller check, the page and its count, relationships, DAP, partners (two batches), their contact
    // details (two), subscription ids ranked per customer, their rows, their counts, offers: none grows with N
    expect(ten).toBeLessThanOrEqual(14);
  });
});
