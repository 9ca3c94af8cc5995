/**
 * Issue 24's acceptance, account details: updateCustomer (before and after in the audit, the domain
 * immutable, the text and address rules of creation, who may do it) and updatePartner (the partner's own
 * GLOBAL_ADMIN: name and contact email; the operator: also the MPN ID, type and cloud), with their
 * CUSTOMER_UPDATED and PARTNER_UPDATED events, driven only through GraphQL against the real server.
 * One server for the file, with the test clock (TEST_CLOCK) as in the lifecycle tests.
 */
import { randomBytes } from 'node:crypto';
import { Role } from '../src/common/auth/roles';
import { requestAdmin, approveAdmin } from './support/admin-relationships';
import { createCustomer, createPartner, customerInput, type TestPartner, uniqueMpnId } from './support/factories';
import { partner as partnerUp } from './support/partnerships';
import { gqlOn } from './support/subscriptions';
import { startTestServer, type TestServer } from './support/test-server';

// ---------------------------------------------------------------- GraphQL calls

let t: TestServer;
const { call, ok, refused } = gqlOn(() => t);
let seller: TestPartner;
let stranger: TestPartner;

const CUSTOMER = `id companyName domain updatedAt
  address { addressLine1 addressLine2 city state postalCode country }
  primaryContact { firstName lastName email phoneNumber }
  billingContact { firstName lastName email phoneNumber }`;
const PARTNER = 'id name contactEmail mpnId type cloud';

const Q = {
  updateCustomer: `mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) { customer { ${CUSTOMER} } } }`,
  customer: `query($id: ID!) { customer(id: $id) { ${CUSTOMER} } }`,
  updatePartner: `mutation($input: UpdatePartnerInput!) { updatePartner(input: $input) { partner { ${PARTNER} } } }`,
  partner: `query($id: ID!) { partner(id: $id) { ${PARTNER} } }`,
  activities: `query($filter: ActivityFilter, $partnerId: ID) { activities(first: 20, filter: $filter, partnerId: $partnerId) { edges { node {
    action subjectId customerId partnerId actor { userId partnerId customerId } changes { field before after } } } } }`,
  events: `query($filter: EventFilter) { events(first: 100, filter: $filter) { totalCount edges { node {
    type customerId partnerId actor { userId partnerId customerId }
    ... on CustomerUpdatedEvent { changed companyName }
    ... on PartnerUpdatedEvent { changed partner { name mpnId type cloud } } } } } }`,
  removeRelationship: `mutation($input: RemoveCustomerRelationshipInput!) { removeCustomerRelationship(input: $input) { customerId } }`,
};

interface Contact {
  firstName: string;
  lastName: string;
  email: string;
  phoneNumber: string;
}
interface Address {
  addressLine1: string;
  addressLine2: string | null;
  city: string;
  state: string | null;
  postalCode: string;
  country: string;
}
interface CustomerView {
  id: string;
  companyName: string;
  domain: string;
  updatedAt: string | null;
  address: Address;
  primaryContact: Contact;
  billingContact: Contact | null;
}
interface PartnerView {
  id: string;
  name: string;
  contactEmail: string | null;
  mpnId: string;
  type: string;
  cloud: string;
}
interface Activity {
  action: string;
  subjectId: string | null;
  customerId: string | null;
  partnerId: string | null;
  actor: { userId: string; partnerId: string | null; customerId: string | null };
  changes: { field: string; before: string | null; after: string | null }[];
}
interface Ev {
  type: string;
  customerId: string | null;
  partnerId: string | null;
  actor: { userId: string; partnerId: string | null; customerId: string | null } | null;
  changed?: string[];
  companyName?: string;
  partner?: { name: string; mpnId: string; type: string; cloud: string };
}

const updateCustomer = async (token: string, input: Record<string, unknown>) =>
  (await ok<{ updateCustomer: { customer: CustomerView } }>(token, Q.updateCustomer, { input })).updateCustomer.customer;
const readCustomer = async (token: string, id: string) => (await ok<{ customer: CustomerView }>(token, Q.customer, { id })).customer;
const updatePartner = async (token: string, input: Record<string, unknown>) =>
  (await ok<{ updatePartner: { partner: PartnerView } }>(token, Q.updatePartner, { input })).updatePartner.partner;
const readPartner = async (token: string, id: string) => (await ok<{ partner: PartnerView }>(token, Q.partner, { id })).partner;

/** The audit records `token` reads with this filter, newest first. */
async function activities(token: string, filter: Record<string, unknown>, partnerId?: string): Promise<Activity[]> {
  const { activities: page } = await ok<{ activities: { edges: { node: Activity }[] } }>(token, Q.activities, { filter, partnerId });
  return page.edges.map((e) => e.node);
}

/** The events `token` reads with this filter, oldest first. */
async function events(token: string, filter: Record<string, unknown>): Promise<Ev[]> {
  const { events: page } = await ok<{ events: { totalCount: number; edges: { node: Ev }[] } }>(token, Q.events, { filter });
  expect(page.totalCount).toBeLessThan(100);
  return page.edges.map((e) => e.node);
}

const change = (a: Activity, field: string) => a.changes.find((c) => c.field === field);
/** A value as the audit writes it (JSON: a string in quotes). */
const j = (value: unknown) => JSON.stringify(value);

const NEW_ADDRESS = { addressLine1: '1 Microsoft Way', addressLine2: 'Building 92', city: 'Redmond', state: 'WA', postalCode: '98052', country: 'us' };
const BILLING = { firstName: 'Ada', lastName: 'Byron', email: 'billing@proseware.example', phoneNumber: '+1 425 555 0199' };

// ---------------------------------------------------------------- the server

beforeAll(async () => {
  t = await startTestServer({ TEST_CLOCK: 'true' });
  seller = await createPartner(t, 'DIRECT_RESELLER');
  stranger = await createPartner(t, 'DIRECT_RESELLER');
});
afterAll(() => t.stop());

describe('updateCustomer', () => {
  it("the customer's admin changes its account: before and after in the audit, CUSTOMER_UPDATED to the customer and the partners that serve it", async () => {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    await partnerUp(t, provider, reseller);
    const created = await createCustomer(t, provider.token, { indirectResellerId: reseller.id });
    const customerToken = await t.tokens.customer(created.id);
    const before = await readCustomer(customerToken, created.id);
    expect(before.billingContact).toBeNull();
    expect(before.updatedAt).toBeNull();

    const after = await updateCustomer(customerToken, {
      customerId: created.id,
      companyName: '  Proseware Holdings Incorporated ',
      address: NEW_ADDRESS,
      billingContact: BILLING,
    });
    expect(after).toMatchObject({
      id: created.id,
      companyName: 'Proseware Holdings Incorporated',
      domain: created.domain,
      address: { ...NEW_ADDRESS, country: 'US' },
      primaryContact: before.primaryContact,
      billingContact: BILLING,
    });
    expect(after.updatedAt).not.toBeNull();
    // every reader sees the new details
    expect(await readCustomer(provider.token, created.id)).toEqual(after);
    expect(await readCustomer(reseller.token, created.id)).toEqual(after);

    // the audit, as the customer reads it: each changed field before and after, the primary contact untouched
    const [record, ...older] = await activities(customerToken, { customerId: created.id, actions: ['CUSTOMER_UPDATED'] });
    expect(older).toEqual([]);
    expect(record).toMatchObject({ action: 'CUSTOMER_UPDATED', subjectId: created.id, customerId: created.id, actor: { customerId: created.id } });
    expect(change(record, 'companyName')).toEqual({ field: 'companyName', before: j('Proseware Incorporated'), after: j('Proseware Holdings Incorporated') });
    const address = change(record, 'address')!;
    expect(JSON.parse(address.before!)).toMatchObject({ addressLine1: '400 Pine Street', city: 'Seattle', postalCode: '98101', country: 'US' });
    expect(JSON.parse(address.after!)).toMatchObject({ ...NEW_ADDRESS, country: 'US' });
    const billing = change(record, 'billingContact')!;
    expect(billing.before).toBeNull();
    expect(JSON.parse(billing.after!)).toEqual(BILLING);
    expect(change(record, 'primaryContact')).toBeUndefined();
    expect(change(record, 'domain')).toBeUndefined();

    // the event reaches the customer and both partners that serve it, and no one else
    const expected = {
      type: 'CUSTOMER_UPDATED',
      customerId: created.id,
      changed: ['companyName', 'address', 'billingContact'],
      companyName: after.companyName,
    };
    for (const token of [customerToken, provider.token, reseller.token]) {
      const received = await events(token, { customerId: created.id, types: ['CUSTOMER_UPDATED'] });
      expect(received).toHaveLength(1);
      expect({ ...received[0], changed: [...received[0].changed!].sort() }).toMatchObject({ ...expected, changed: [...expected.changed].sort() });
    }
    expect(await events(stranger.token, { customerId: created.id, types: ['CUSTOMER_UPDATED'] })).toEqual([]);
    expect(await events(await t.tokens.customer((await createCustomer(t, seller.token)).id), { types: ['CUSTOMER_UPDATED'] })).toEqual([]);

    // the same details again (the contacts' fields sent in another order): nothing changes, nothing is recorded
    const reversed = (contact: object) => Object.fromEntries(Object.entries(contact).reverse());
    await updateCustomer(customerToken, {
      customerId: created.id,
      companyName: 'Proseware Holdings Incorporated',
      billingContact: reversed(BILLING),
      primaryContact: reversed(before.primaryContact),
    });
    expect(await activities(customerToken, { customerId: created.id, actions: ['CUSTOMER_UPDATED'] })).toHaveLength(1);
  });

  it('a partner with an ACTIVE reseller relationship (GLOBAL_ADMIN, ADMIN_AGENT) changes it, recorded in its trail; a SALES_AGENT is FORBIDDEN', async () => {
    const { id: customerId } = await createCustomer(t, seller.token);
    const agent = await t.tokens.partner(seller.id, Role.ADMIN_AGENT);

    const byAdmin = await updateCustomer(seller.token, { customerId, primaryContact: { ...BILLING, email: 'new.primary@proseware.example' } });
    expect(byAdmin.primaryContact.email).toBe('new.primary@proseware.example');
    const byAgent = await updateCustomer(agent, { customerId, companyName: 'Proseware Retail Incorporated' });
    expect(byAgent).toMatchObject({ companyName: 'Proseware Retail Incorporated', primaryContact: { email: 'new.primary@proseware.example' } });

    const trail = await activities(seller.token, { customerId, actions: ['CUSTOMER_UPDATED'] });
    expect(trail.map((a) => [a.actor.userId, a.changes.map((c) => c.field)])).toEqual([
      [`user-admin_agent-${seller.id.slice(-6)}`, ['companyName']],
      [`user-global_admin-${seller.id.slice(-6)}`, ['primaryContact']],
    ]);
    expect(JSON.parse(change(trail[1], 'primaryContact')!.before!)).toMatchObject({ email: 'jane.doe@proseware.example' });
    expect(change(trail[0], 'companyName')).toEqual({ field: 'companyName', before: j('Proseware Incorporated'), after: j('Proseware Retail Incorporated') });
    // the customer reads both records too
    expect(await activities(await t.tokens.customer(customerId), { customerId, actions: ['CUSTOMER_UPDATED'] })).toHaveLength(2);

    for (const role of [Role.SALES_AGENT, Role.USER_ADMIN, Role.BILLING_ADMIN]) {
      const refusal = await refused(await t.tokens.partner(seller.id, role), Q.updateCustomer, { input: { customerId, companyName: 'Fabrikam Incorporated' } });
      expect([role, refusal.code]).toEqual([role, 'FORBIDDEN']);
    }
    expect((await readCustomer(seller.token, customerId)).companyName).toBe('Proseware Retail Incorporated');
  });

  it('a foreign partner, another customer, a partner with only an admin relationship and a partner whose relationship ended get NOT_FOUND', async () => {
    const { id: customerId } = await createCustomer(t, seller.token);
    const customerToken = await t.tokens.customer(customerId);
    const input = { customerId, companyName: 'Northwind Traders Incorporated' };

    expect((await refused(stranger.token, Q.updateCustomer, { input })).code).toBe('NOT_FOUND');
    const other = await t.tokens.customer((await createCustomer(t, stranger.token)).id);
    expect((await refused(other, Q.updateCustomer, { input })).code).toBe('NOT_FOUND');
    expect((await refused(seller.token, Q.updateCustomer, { input: { ...input, customerId: '00000000-0000-4000-8000-000000000000' } })).code).toBe('NOT_FOUND');

    // an approved admin relationship grants directory roles, not the account details
    const admin = await createPartner(t, 'DIRECT_RESELLER');
    const request = await requestAdmin(t, admin.token, { roles: ['USER_ADMINISTRATOR', 'GLOBAL_READER'] });
    await approveAdmin(t, customerToken, request.token);
    expect((await refused(admin.token, Q.updateCustomer, { input })).code).toBe('NOT_FOUND');

    // the seller ends its reseller relationship: no more changes
    await ok(seller.token, Q.removeRelationship, { input: { customerId, attestation: true } });
    expect((await refused(seller.token, Q.updateCustomer, { input })).code).toBe('NOT_FOUND');

    expect((await readCustomer(customerToken, customerId)).companyName).toBe('Proseware Incorporated');
    expect(await activities(customerToken, { customerId, actions: ['CUSTOMER_UPDATED'] })).toEqual([]);
  });

  it('the domain never changes: `domain` is not an input of updateCustomer, and an update keeps it', async () => {
    const created = await createCustomer(t, seller.token);
    const customerToken = await t.tokens.customer(created.id);
    for (const token of [customerToken, seller.token, await t.tokens.operator()]) {
      const res = await call(token, Q.updateCustomer, {
        input: { customerId: created.id, domain: `renamed-${randomBytes(3).toString('hex')}.onmicrosoft.com` },
      });
      expect(res.status).toBeLessThan(500);
      expect(res.errors?.[0]?.message).toContain('domain');
      expect(res.data ?? null).toBeNull();
      const inline = await call(
        token,
        `mutation { updateCustomer(input: { customerId: "${created.id}", companyName: "Contoso Incorporated", domain: "contoso-x.onmicrosoft.com" }) { customer { id } } }`,
      );
      expect(inline.errors?.[0]?.message).toContain('domain');
    }
    // nothing but the customer id: refused, the input named
    const empty = await refused(customerToken, Q.updateCustomer, { input: { customerId: created.id } });
    expect(empty.code).toBe('BAD_USER_INPUT');
    expect(empty.fields).toContain('input');

    const after = await updateCustomer(await t.tokens.operator(), { customerId: created.id, companyName: 'Contoso Incorporated' });
    expect(after).toMatchObject({ domain: created.domain, companyName: 'Contoso Incorporated' });
    expect((await readCustomer(customerToken, created.id)).domain).toBe(created.domain);
    const [record] = await activities(customerToken, { customerId: created.id, actions: ['CUSTOMER_UPDATED'] });
    expect(record.changes.map((c) => c.field)).toEqual(['companyName']);
  });

  it('the text and address rules of creation apply, naming the field; nothing is written', async () => {
    const created = await createCustomer(t, seller.token);
    const customerToken = await t.tokens.customer(created.id);
    const base = customerInput();
    const cases: [string, Record<string, unknown>, string][] = [
      ['a test name', { companyName: 'Test Company Incorporated' }, 'input.companyName'],
      ['a bare acronym', { companyName: 'IBM' }, 'input.companyName'],
      ['a bidirectional override', { companyName: 'Proseware \u202EIncorporated' }, 'input.companyName'],
      ['only invisible characters', { companyName: '\u200B\u200B ' }, 'input.companyName'],
      ['201 characters', { companyName: `Proseware ${'a'.repeat(191)}` }, 'input.companyName'],
      ['a NUL character', { companyName: 'Proseware\u0000Incorporated' }, 'input.companyName'],
      ['a line break in the city', { address: { ...base.address, city: 'Seattle\nTacoma' } }, 'input.address.city'],
      ['a line separator in the street', { address: { ...base.address, addressLine1: '400 Pine\u2028Street' } }, 'input.address.addressLine1'],
      ['a postal code not of the country', { address: { ...base.address, postalCode: 'SW1A 1AA' } }, 'input.address.postalCode'],
      ['an unknown country', { address: { ...base.address, country: 'ZZ' } }, 'input.address.country'],
      ['an empty street', { address: { ...base.address, addressLine1: '   ' } }, 'input.address.addressLine1'],
      ['a bad primary email', { primaryContact: { ...base.primaryContact, email: 'not-an-email' } }, 'input.primaryContact.email'],
      ['a bad billing phone number', { billingContact: { ...BILLING, phoneNumber: 'call me' } }, 'input.billingContact.phoneNumber'],
      ['an empty billing first name', { billingContact: { ...BILLING, firstName: '' } }, 'input.billingContact.firstName'],
    ];
    for (const [name, fields, field] of cases) {
      const refusal = await refused(customerToken, Q.updateCustomer, { input: { customerId: created.id, ...fields } });
      expect([name, refusal.code, refusal.fields]).toEqual([name, 'BAD_USER_INPUT', expect.arrayContaining([field])]);
    }
    const after = await readCustomer(customerToken, created.id);
    expect(after).toMatchObject({ companyName: 'Proseware Incorporated', updatedAt: null, billingContact: null, address: { city: 'Seattle', country: 'US' } });
    expect(await activities(customerToken, { customerId: created.id, actions: ['CUSTOMER_UPDATED'] })).toEqual([]);
  });
});

describe('updatePartner', () => {
  it("the partner's own GLOBAL_ADMIN changes its name and contact email (audited, PARTNER_UPDATED), never its MPN ID, type or cloud", async () => {
    const own = await createPartner(t, 'DIRECT_RESELLER');
    const before = await readPartner(own.token, own.id);
    const name = `Wide World Importers ${randomBytes(2).toString('hex')} Ltd`;

    const after = await updatePartner(own.token, { partnerId: own.id, name, contactEmail: 'partner.desk@wideworld.example' });
    expect(after).toEqual({ ...before, name, contactEmail: 'partner.desk@wideworld.example' });
    expect(await readPartner(await t.tokens.operator(), own.id)).toEqual(after);

    const [record] = await activities(own.token, { actions: ['PARTNER_UPDATED'] });
    expect(record).toMatchObject({ action: 'PARTNER_UPDATED', subjectId: own.id, partnerId: own.id, actor: { partnerId: own.id } });
    expect(change(record, 'name')).toEqual({ field: 'name', before: j(before.name), after: j(name) });
    expect(change(record, 'contactEmail')).toEqual({ field: 'contactEmail', before: j('contact@partner.example'), after: j('partner.desk@wideworld.example') });

    const [event] = await events(own.token, { types: ['PARTNER_UPDATED'] });
    expect(event).toMatchObject({
      type: 'PARTNER_UPDATED',
      partnerId: own.id,
      partner: { name, mpnId: before.mpnId, type: 'DIRECT_RESELLER', cloud: 'PUBLIC' },
    });
    expect([...event.changed!].sort()).toEqual(['contactEmail', 'name']);
    expect(await events(stranger.token, { types: ['PARTNER_UPDATED'] })).toEqual([]);

    // the operator's fields: FORBIDDEN to the partner, each one, and nothing changes
    for (const fields of [{ mpnId: uniqueMpnId() }, { type: 'INDIRECT_PROVIDER' }, { cloud: 'US_GOVERNMENT' }, { name: 'Renamed Ltd', mpnId: uniqueMpnId() }]) {
      const refusal = await refused(own.token, Q.updatePartner, { input: { partnerId: own.id, ...fields } });
      expect([fields, refusal.code]).toEqual([fields, 'FORBIDDEN']);
    }
    // other roles of the partner, another partner and a customer's admin
    for (const role of [Role.ADMIN_AGENT, Role.SALES_AGENT, Role.BILLING_ADMIN]) {
      const refusal = await refused(await t.tokens.partner(own.id, role), Q.updatePartner, { input: { partnerId: own.id, name: 'Renamed Ltd' } });
      expect([role, refusal.code]).toEqual([role, 'FORBIDDEN']);
    }
    expect((await refused(stranger.token, Q.updatePartner, { input: { partnerId: own.id, name: 'Renamed Ltd' } })).code).toBe('NOT_FOUND');
    const customerToken = await t.tokens.customer((await createCustomer(t, own.token)).id);
    expect((await refused(customerToken, Q.updatePartner, { input: { partnerId: own.id, name: 'Renamed Ltd' } })).code).toBe('FORBIDDEN');
    expect(await readPartner(own.token, own.id)).toEqual(after);
    expect(await activities(own.token, { actions: ['PARTNER_UPDATED'] })).toHaveLength(1);
  });

  it('bad input is refused with the field named', async () => {
    const own = await createPartner(t, 'DIRECT_RESELLER');
    const operator = await t.tokens.operator();
    const cases: [string, Record<string, unknown>, string][] = [
      ['letters in the MPN ID', { mpnId: '12ab56' }, 'input.mpnId'],
      ['a 5-digit MPN ID', { mpnId: '12345' }, 'input.mpnId'],
      ['a bad contact email', { contactEmail: 'nobody' }, 'input.contactEmail'],
      ['an empty name', { name: '   ' }, 'input.name'],
      ['a bidirectional override in the name', { name: 'Wide \u202EWorld' }, 'input.name'],
      ['a control character in the name', { name: 'Wide\u0007World' }, 'input.name'],
    ];
    for (const [name, fields, field] of cases) {
      const refusal = await refused(operator, Q.updatePartner, { input: { partnerId: own.id, ...fields } });
      expect([name, refusal.code, refusal.fields]).toEqual([name, 'BAD_USER_INPUT', expect.arrayContaining([field])]);
    }
    const empty = await refused(own.token, Q.updatePartner, { input: { partnerId: own.id } });
    expect([empty.code, empty.fields]).toEqual(['BAD_USER_INPUT', expect.arrayContaining(['input'])]);
  });

  it('the operator changes the MPN ID (CONFLICT on a duplicate), the type and the cloud (CONFLICT while the partner has customers)', async () => {
    const operator = await t.tokens.operator();
    const own = await createPartner(t, 'DIRECT_RESELLER');
    const other = await readPartner(operator, stranger.id);

    const mpnId = uniqueMpnId();
    expect(await updatePartner(operator, { partnerId: own.id, mpnId })).toMatchObject({ id: own.id, mpnId });
    const duplicate = await refused(operator, Q.updatePartner, { input: { partnerId: own.id, mpnId: other.mpnId } });
    expect(duplicate.code).toBe('CONFLICT');
    expect(duplicate.message).toContain(other.mpnId);
    // 4 concurrent changes to one free MPN ID: one partner gets it
    const racers = await Promise.all(Array.from({ length: 4 }, () => createPartner(t, 'DIRECT_RESELLER')));
    const contested = uniqueMpnId();
    const raced = await Promise.all(racers.map((p) => call(operator, Q.updatePartner, { input: { partnerId: p.id, mpnId: contested } })));
    expect(raced.filter((r) => !r.errors?.length)).toHaveLength(1);
    expect(raced.filter((r) => r.errors?.length).map((r) => r.errors![0].extensions?.code)).toEqual(Array(3).fill('CONFLICT'));

    // the type and the cloud, while the partner has no customer
    expect(await updatePartner(operator, { partnerId: own.id, type: 'INDIRECT_PROVIDER', cloud: 'US_GOVERNMENT' })).toMatchObject({
      type: 'INDIRECT_PROVIDER',
      cloud: 'US_GOVERNMENT',
    });
    const [record] = await activities(operator, { actions: ['PARTNER_UPDATED'], subjectId: own.id });
    expect(record.changes).toEqual(
      expect.arrayContaining([
        { field: 'type', before: j('DIRECT_RESELLER'), after: j('INDIRECT_PROVIDER') },
        { field: 'cloud', before: j('PUBLIC'), after: j('US_GOVERNMENT') },
      ]),
    );
    expect(await updatePartner(operator, { partnerId: own.id, type: 'DIRECT_RESELLER', cloud: 'PUBLIC' })).toMatchObject({
      type: 'DIRECT_RESELLER',
      cloud: 'PUBLIC',
    });

    // with a customer: the cloud stays
    const ownToken = await t.tokens.partner(own.id);
    await createCustomer(t, ownToken);
    const cloud = await refused(operator, Q.updatePartner, { input: { partnerId: own.id, cloud: 'GERMANY' } });
    expect(cloud.code).toBe('CONFLICT');
    expect(cloud.message).toContain('customers');
    expect((await readPartner(operator, own.id)).cloud).toBe('PUBLIC');

    // in an ACTIVE partnership: the type stays
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const reseller = await createPartner(t, 'INDIRECT_RESELLER');
    await partnerUp(t, provider, reseller);
    expect((await refused(operator, Q.updatePartner, { input: { partnerId: reseller.id, type: 'DIRECT_RESELLER' } })).code).toBe('CONFLICT');
    expect((await readPartner(operator, reseller.id)).type).toBe('INDIRECT_RESELLER');
    expect((await refused(operator, Q.updatePartner, { input: { partnerId: '00000000-0000-4000-8000-000000000000', name: 'Nobody Ltd' } })).code).toBe(
      'NOT_FOUND',
    );
  });
});
