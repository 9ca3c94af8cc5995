import { randomInt } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { getMetadataStorage as validationMetadata } from 'class-validator';
import mysql from 'mysql2/promise';
import { getMetadataStorage as graphqlMetadata, ID } from 'type-graphql';
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import { parseMysqlUrl } from '../src/common/database';
import { ID_MAX_LENGTH } from '../src/common/ids';
import { Activity } from '../src/changes/activity.entity';
import { AdminRelationship } from '../src/modules/admin-relationship/admin-relationship.entity';
import { Customer } from '../src/modules/customer/customer.entity';
import { CustomerExternalId } from '../src/modules/customer/customer-external-id.entity';
import { CustomerUser } from '../src/modules/customer-user/customer-user.entity';
import { CustomerInvitation } from '../src/modules/invitation/customer-invitation.entity';
import { Partner } from '../src/modules/partner/partner.entity';
import { PartnershipRequest } from '../src/modules/partnership/partnership-request.entity';
import { CustomerSubscription } from '../src/modules/subscription/subscription.entity';
import { WebhookEndpoint } from '../src/modules/webhook/webhook-endpoint.entity';
import type { GqlResponse } from './support/client';
import { createPartner, customerInput, type TestPartner } from './support/factories';
import { startTestServer, type TestServer } from './support/test-server';

/**
 * The text rules against what the database stores: lengths are counted as the column counts them
 * (Unicode code points in a utf8mb4 varchar), single-line fields hold no line separators, tenant
 * domains are ASCII (punycode for internationalised names, one script per label), and MariaDB
 * refuses to serve a schema that cannot store every code point.
 */
const isMysql = process.env.DB_TYPE === 'mysql';

let t: TestServer;
let partner: TestPartner;

beforeAll(async () => {
  t = await startTestServer();
  partner = await createPartner(t);
});
afterAll(async () => {
  await t?.stop();
});

type Created = GqlResponse<{ createCustomer: { customer: { id: string; companyName: string; domain: string } } }>;

function createCustomer(token: string, overrides: Record<string, unknown>): Promise<Created> {
  return t.client(token).raw({
    query: 'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id companyName domain } } }',
    variables: { input: customerInput(overrides) },
  });
}

function expectRefused(res: GqlResponse<unknown>, field: string) {
  expect(res.status).toBeLessThan(500);
  expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(res.errors?.[0]?.extensions?.fields).toContain(field);
}

const suffix = () => String(randomInt(100_000, 999_999));

describe('lengths count what the column stores (Unicode code points)', () => {
  it('refuses 150 × "a" + VS16 (300 code points) in a 200-character companyName, naming the field, and writes nothing', async () => {
    const domain = `variation-${suffix()}.onmicrosoft.com`;
    const res = await createCustomer(partner.token, { companyName: 'a\uFE0F'.repeat(150), domain });
    expectRefused(res, 'input.companyName');
    expect(await t.server.ds.getRepository(Customer).countBy({ domain })).toBe(0);
  });

  it('accepts an emoji name of exactly 200 code points and reads it back identical; 201 is refused', async () => {
    const name = `Rocket Works ${'\u{1F680}'.repeat(187)}`;
    expect([...name]).toHaveLength(200);
    const created = await createCustomer(partner.token, { companyName: name });
    expect(created.errors).toBeUndefined();
    const id = created.data!.createCustomer.customer.id;
    const read = await t.client(partner.token).raw<{ customer: { companyName: string } }>({
      query: 'query ($id: ID!) { customer(id: $id) { companyName } }',
      variables: { id },
    });
    expect(read.data!.customer.companyName).toBe(name);

    expectRefused(await createCustomer(partner.token, { companyName: `${name}\u{1F680}` }), 'input.companyName');
  });

  it('counts a nested field the same way (address.city, 100 code points)', async () => {
    const res = await createCustomer(partner.token, {
      address: { addressLine1: '1 Main Street', city: 'e\u0301'.repeat(60), postalCode: '98101', country: 'US', state: 'WA' },
    });
    // NFC composes é: 60 code points, accepted
    expect(res.errors).toBeUndefined();
    const over = await createCustomer(partner.token, {
      address: { addressLine1: '1 Main Street', city: 'a\uFE0F'.repeat(51), postalCode: '98101', country: 'US', state: 'WA' },
    });
    expectRefused(over, 'input.address.city');
  });

  it('counts an email as it is stored: lower-cased, where "İ" becomes two code points', async () => {
    const provider = await createPartner(t, 'INDIRECT_PROVIDER');
    const domain = `${['a', 'b', 'c'].map((c) => c.repeat(60)).join('.')}.${'d'.repeat(15)}.com`;
    // 235 code points as sent, 267 once lower-cased, in a 254-character column
    const email = `${'\u0130'.repeat(32)}@${domain}`;
    const res = await t.client(provider.token).raw({
      query: 'mutation ($input: RequestPartnershipInput!) { requestPartnership(input: $input) { request { id } } }',
      variables: { input: { resellerEmail: email } },
    });
    expectRefused(res, 'input.resellerEmail');
  });

  /** Where each text input field is stored as given (after NFC and trimming), so its limit must fit the column. */
  const STORED: Record<string, [EntityTarget<ObjectLiteral>, string]> = {
    'CreatePartnerInput.name': [Partner, 'name'],
    'CreatePartnerInput.mpnId': [Partner, 'mpnId'],
    'CreatePartnerInput.contactEmail': [Partner, 'contactEmail'],
    'CreateCustomerInput.companyName': [Customer, 'companyName'],
    'CreateCustomerInput.domain': [Customer, 'domain'],
    'AddressInput.addressLine1': [Customer, 'address.addressLine1'],
    'AddressInput.addressLine2': [Customer, 'address.addressLine2'],
    'AddressInput.city': [Customer, 'address.city'],
    'AddressInput.state': [Customer, 'address.state'],
    'AddressInput.postalCode': [Customer, 'address.postalCode'],
    'AddressInput.country': [Customer, 'address.country'],
    'ContactInput.firstName': [Customer, 'primaryContact.firstName'],
    'ContactInput.lastName': [Customer, 'primaryContact.lastName'],
    'ContactInput.email': [Customer, 'primaryContact.email'],
    'ContactInput.phoneNumber': [Customer, 'primaryContact.phoneNumber'],
    'AgreementInput.signatoryName': [Customer, 'agreement.signatoryName'],
    'AgreementInput.signatoryEmail': [Customer, 'agreement.signatoryEmail'],
    'OrderLineInput.offerId': [CustomerSubscription, 'offerId'],
    'CreateSubscriptionInput.offerId': [CustomerSubscription, 'offerId'],
    'CreateCustomerInvitationInput.customerEmail': [CustomerInvitation, 'customerEmail'],
    'RequestPartnershipInput.resellerEmail': [PartnershipRequest, 'resellerEmail'],
    'CreateAdminRelationshipInput.displayName': [AdminRelationship, 'displayName'],
    'CreateAdminRelationshipInput.duration': [AdminRelationship, 'duration'],
    'CreateWebhookEndpointInput.url': [WebhookEndpoint, 'url'],
    'CreateWebhookEndpointInput.description': [WebhookEndpoint, 'description'],
    'UpdateWebhookEndpointInput.url': [WebhookEndpoint, 'url'],
    'UpdateWebhookEndpointInput.description': [WebhookEndpoint, 'description'],
    // the offer of the next term (kept in the scheduled change) and of an upgrade's new subscription
    'ScheduleSubscriptionChangeInput.offerId': [CustomerSubscription, 'offerId'],
    'UpgradeSubscriptionInput.targetOfferId': [CustomerSubscription, 'offerId'],
    // account details and the partner's profile, changed after creation (the same columns)
    'UpdateCustomerInput.companyName': [Customer, 'companyName'],
    'UpdatePartnerInput.name': [Partner, 'name'],
    'UpdatePartnerInput.contactEmail': [Partner, 'contactEmail'],
    'UpdatePartnerInput.mpnId': [Partner, 'mpnId'],
    // a customer's users (the user name in NFKC, which the name rules keep within 64 + 1 + 253 code points)
    'CreateCustomerUserInput.userName': [CustomerUser, 'userName'],
    'CreateCustomerUserInput.displayName': [CustomerUser, 'displayName'],
    'UpdateCustomerUserInput.displayName': [CustomerUser, 'displayName'],
    // the names creating and updating a user share (declared once, on their common parent)
    'CustomerUserFieldsInput.firstName': [CustomerUser, 'firstName'],
    'CustomerUserFieldsInput.lastName': [CustomerUser, 'lastName'],
    // external ids: a partner's own for a customer (its own table), a seller's for a subscription
    'CreateCustomerInput.externalId': [CustomerExternalId, 'externalId'],
    'UpdateCustomerInput.externalId': [CustomerExternalId, 'externalId'],
    'CreateSubscriptionInput.externalId': [CustomerSubscription, 'externalId'],
    'SetSubscriptionExternalIdInput.externalId': [CustomerSubscription, 'externalId'],
  };
  /** Text input fields stored in a second column as well (its limit must fit that one too). */
  const STORED_AGAIN: Record<string, [EntityTarget<ObjectLiteral>, string]> = {
    // the user name as its uniqueness is judged: NFKC, lower case (ASCII once the name rules passed: no longer)
    'CreateCustomerUserInput.userName': [CustomerUser, 'userNameKey'],
  };
  /** Text input fields stored inside a JSON text column (an audit record's details): no column length, their own limit bounds them. */
  const IN_TEXT: Record<string, [EntityTarget<ObjectLiteral>, string]> = {
    // why a subscription was cancelled or suspended: in the details of its audit record (the subscription's history)
    'SubscriptionReasonInput.reason': [Activity, 'details'],
    // a contact is also a customer's billing contact (updateCustomer): kept as JSON in its own text column
    'ContactInput.firstName': [Customer, 'billingContact'],
    'ContactInput.lastName': [Customer, 'billingContact'],
    'ContactInput.email': [Customer, 'billingContact'],
    'ContactInput.phoneNumber': [Customer, 'billingContact'],
  };
  /** Text input fields that are looked up or hashed, never stored as given (a limit still bounds them). */
  const LOOKED_UP = new Set([
    'AdminRelationshipTokenInput.token',
    'InvitationTokenInput.token',
    'AcceptPartnershipRequestInput.token',
    'CustomerFilter.search',
    'CustomerFilter.indirectResellerId',
    'CustomerFilter.externalId',
    'PartnerFilter.search',
    'CustomerUserFilter.search',
    'ConnectionArgs.after',
    'ConnectionArgs.before',
    // the audit trail's filters: compared with stored values, never stored
    'ActivityFilter.actorUserId',
    'ActivityFilter.correlationId',
    // a duration the test clock moves by: parsed, never stored
    'AdvanceTestClockInput.by',
  ]);

  it('gives every text field of every input a code-point limit (MaxCodePoints), no larger than its column', () => {
    const types = graphqlMetadata();
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const cls of [...types.inputTypes, ...types.argumentTypes]) {
      const target = cls.target as { prototype: object; name: string };
      const fields = types.fields.filter((f) => f.target === cls.target || target.prototype instanceof f.target);
      const rules = validationMetadata().getTargetValidationMetadatas(cls.target, '', true, false);
      for (const f of fields) {
        const type = f.getType();
        // an ID field's type is GraphQL's ID scalar, from whichever copy of graphql the module that declared it loaded: told by its name
        const isId = type === ID || (typeof type === 'object' && type !== null && (type as { name?: unknown }).name === 'ID');
        if (type !== String && !isId) continue;
        const name = `${target.name}.${f.name}`;
        // a field declared on a parent input is checked once, under the parent's name
        const owner = (f.target as { name: string }).name;
        const key = `${owner}.${f.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const own = rules.filter((r) => r.propertyName === f.name);
        const declared = own.find((r) => r.name === 'maxCodePoints')?.constraints[0] as number | undefined;
        // the schema's ID scalar takes at most ID_MAX_LENGTH ASCII characters (src/common/ids.ts), whatever the field declares
        const limit = isId ? Math.min(declared ?? ID_MAX_LENGTH, ID_MAX_LENGTH) : declared;
        const utf16 = own.filter((r) => r.name === 'maxLength' || r.name === 'isLength').map((r) => r.name);
        if (utf16.length) problems.push(`${name}: ${utf16.join(', ')} counts UTF-16 units, not code points`);
        if (limit === undefined) problems.push(`${name}: no MaxCodePoints`);
        const stored = STORED[key];
        for (const [entity, property] of [stored, STORED_AGAIN[key]].filter((c) => c !== undefined)) {
          const column = t.server.ds.getMetadata(entity).findColumnWithPropertyPath(property);
          const length = Number(column?.length);
          if (!column || !(length > 0)) problems.push(`${name}: column ${property} has no length`);
          else if (limit === undefined || limit > length) problems.push(`${name}: limit ${limit} > column ${property} varchar(${length})`);
        }
        if (IN_TEXT[key]) {
          // kept inside a JSON text column: its limit bounds it, and the column must hold any length
          const [entity, property] = IN_TEXT[key];
          const column = t.server.ds.getMetadata(entity).findColumnWithPropertyPath(property);
          if (!column || !['text', 'simple-json'].includes(String(column.type))) problems.push(`${name}: column ${property} is not a text column`);
        }
        if (!stored && !IN_TEXT[key] && !LOOKED_UP.has(key) && !isId) {
          // an id not in STORED is compared with the ids stored, never stored as given
          problems.push(`${name}: neither in STORED (with its column) nor in LOOKED_UP`);
        }
      }
    }
    expect(seen.size).toBeGreaterThan(30);
    expect(problems).toEqual([]);
  });
});

describe('reasons (kept in the audit record’s details, read in the subscription’s history)', () => {
  it('keeps a reason as the text rules leave it (NFC, trimmed; 501 code points sent, 500 kept), emoji and all, and refuses 501 emoji', async () => {
    const customer = (await createCustomer(partner.token, {})).data!.createCustomer.customer;
    const sold = await t.client(partner.token).raw<{ createSubscription: { subscription: { id: string } } }>({
      query: 'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }',
      variables: { input: { customerId: customer.id, offerId: 'm365-business-basic', quantity: 2 } },
    });
    const subscriptionId = sold.data!.createSubscription.subscription.id;
    const suspend = (reason: string) =>
      t.client(partner.token).raw<{ suspendSubscription: { subscription: { history: { edges: { node: { action: string; details: string } }[] } } } }>({
        query: `mutation ($input: SuspendSubscriptionInput!) { suspendSubscription(input: $input) {
          subscription { history(last: 1) { edges { node { action details } } } } } }`,
        variables: { input: { subscriptionId, reason } },
      });
    expectRefused(await suspend('\u{1F4B3}'.repeat(501)), 'input.reason');
    const reason = `  Cafe\u0301 closed for the winter \u{1F3D6}${'\u{1F4B3}'.repeat(472)}  `;
    const res = await suspend(reason);
    expect(res.errors).toBeUndefined();
    const [last] = res.data!.suspendSubscription.subscription.history.edges;
    expect(last.node.action).toBe('SUBSCRIPTION_SUSPENDED');
    const stored = (JSON.parse(last.node.details) as { reason: string }).reason;
    expect(stored).toBe(reason.trim().normalize('NFC'));
    expect([...stored]).toHaveLength(500);
  });
});

describe('single-line fields', () => {
  it.each([
    ['U+2028 LINE SEPARATOR', '\u2028'],
    ['U+2029 PARAGRAPH SEPARATOR', '\u2029'],
  ])('refuse %s inside a company name and a partner name', async (_what, separator) => {
    expectRefused(await createCustomer(partner.token, { companyName: `Contoso${separator}Holdings Ltd` }), 'input.companyName');
    const operator = t.client(await t.tokens.operator());
    const res = await operator.raw({
      query: 'mutation ($input: CreatePartnerInput!) { createPartner(input: $input) { partner { id } } }',
      variables: {
        input: {
          name: `Fabrikam${separator}Partners`,
          mpnId: String(randomInt(1_000_000, 9_999_999)),
          type: 'DIRECT_RESELLER',
          cloud: 'PUBLIC',
          contactEmail: 'a@fabrikam.example',
        },
      },
    });
    expectRefused(res, 'input.name');
  });
});

describe('tenant domains', () => {
  it('lets only one of five visually identical domains be registered, by five different partners', async () => {
    const base = `fabrikam-${suffix()}`;
    const original = await createPartner(t);
    const first = await createCustomer(original.token, { domain: `${base}.onmicrosoft.com` });
    expect(first.errors).toBeUndefined();

    const lookAlikes: [string, string, string][] = [
      ['a zero-width space', `fabri\u200Bkam-${base.slice(9)}.onmicrosoft.com`, 'BAD_USER_INPUT'],
      ['a Cyrillic а for the Latin a', `f\u0430brikam-${base.slice(9)}.onmicrosoft.com`, 'BAD_USER_INPUT'],
      ['a combining dot above on the i', `fabri\u0307kam-${base.slice(9)}.onmicrosoft.com`, 'BAD_USER_INPUT'],
      ['full-width letters', `\uFF46\uFF41\uFF42rikam-${base.slice(9)}.onmicrosoft.com`, 'BAD_USER_INPUT'],
      ['upper case', `${base.toUpperCase()}.onmicrosoft.com`, 'CONFLICT'],
    ];
    const outcomes: string[] = [];
    for (const [what, domain, expected] of lookAlikes) {
      const other = await createPartner(t);
      const res = await createCustomer(other.token, { domain });
      outcomes.push(`${what}: ${res.errors?.[0]?.extensions?.code ?? 'registered'}`);
      if (expected === 'BAD_USER_INPUT') expectRefused(res, 'input.domain');
    }
    expect(outcomes).toEqual(lookAlikes.map(([what, , expected]) => `${what}: ${expected}`));

    // whatever the database's collation: one row that folds to the name
    const rows: { domain: string }[] = await t.server.ds.getRepository(Customer).find({ select: { domain: true } });
    const fold = (d: string) =>
      d
        .normalize('NFKC')
        .replace(/[\p{Default_Ignorable_Code_Point}\p{M}]/gu, '')
        .replace(/\u0430/g, 'a')
        .toLowerCase();
    expect(rows.filter((r) => fold(r.domain) === `${base}.onmicrosoft.com`)).toHaveLength(1);
  });

  it('stores a domain lower-cased: Contoso… and contoso… are the same domain', async () => {
    const name = `Contoso-${suffix()}.OnMicrosoft.com`;
    const created = await createCustomer(partner.token, { domain: name });
    expect(created.data?.createCustomer.customer.domain).toBe(name.toLowerCase());
    const again = await createCustomer((await createPartner(t)).token, { domain: name.toLowerCase() });
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('accepts an internationalised name as punycode labels of one script (Latin, Cyrillic, Han + Hiragana + Katakana)', async () => {
    for (const unicode of [`bücher-${suffix()}.example`, `пример-${suffix()}.example`, `東京タワーさくら${suffix()}.example`]) {
      const domain = domainToASCII(unicode);
      expect(domain).toMatch(/^xn--/);
      const res = await createCustomer(partner.token, { domain });
      expect({ unicode, errors: res.errors }).toEqual({ unicode, errors: undefined });
      expect(res.data!.createCustomer.customer.domain).toBe(domain);
    }
  });

  it.each([
    ['a mixed Latin + Cyrillic label', () => domainToASCII(`cont\u043Eso-${suffix()}.example`)],
    ['a mixed Latin + Greek label', () => domainToASCII(`micr\u03BFsoft-${suffix()}.example`)],
    ['punycode that does not decode', () => 'xn--zz.example'],
    ['punycode of a symbol (a snowman)', () => 'xn--n3h.example'],
    ['punycode of an ASCII name', () => `xn--contoso-${suffix()}-.example`],
    ['a Unicode name not in punycode', () => `bücher-${suffix()}.example`],
    ['an underscore', () => `my_tenant-${suffix()}.example`],
    ['a label starting with a hyphen', () => `-tenant${suffix()}.example`],
    ['a single label', () => `tenant${suffix()}`],
  ])('refuses %s as BAD_USER_INPUT naming input.domain', async (_what, domain) => {
    expectRefused(await createCustomer(partner.token, { domain: domain() }), 'input.domain');
  });
});

describe('account details, partner profiles and customer users (updateCustomer, updatePartner, createCustomerUser, updateCustomerUser)', () => {
  let customer: { id: string; domain: string };
  let userId: string;

  type UserRead = { id: string; userName: string; displayName: string; firstName: string | null; lastName: string | null };
  const USER = 'id userName displayName firstName lastName';

  const createUser = (input: Record<string, unknown>) =>
    t.client(partner.token).raw<{ createCustomerUser: { user: UserRead } }>({
      query: `mutation ($input: CreateCustomerUserInput!) { createCustomerUser(input: $input) { user { ${USER} } } }`,
      variables: { input: { customerId: customer.id, ...input } },
    });
  const updateUser = (input: Record<string, unknown>) =>
    t.client(partner.token).raw<{ updateCustomerUser: { user: UserRead } }>({
      query: `mutation ($input: UpdateCustomerUserInput!) { updateCustomerUser(input: $input) { user { ${USER} } } }`,
      variables: { input: { userId, ...input } },
    });
  const updateCustomer = (input: Record<string, unknown>) =>
    t.client(partner.token).raw<{ updateCustomer: { customer: { companyName: string } } }>({
      query: 'mutation ($input: UpdateCustomerInput!) { updateCustomer(input: $input) { customer { companyName } } }',
      variables: { input: { customerId: customer.id, ...input } },
    });
  const updatePartner = (input: Record<string, unknown>) =>
    t.client(partner.token).raw<{ updatePartner: { partner: { name: string } } }>({
      query: 'mutation ($input: UpdatePartnerInput!) { updatePartner(input: $input) { partner { name } } }',
      variables: { input: { partnerId: partner.id, ...input } },
    });
  /** The customer's users, its account details and the partner's profile, as stored. */
  const stored = async () =>
    JSON.stringify([
      await t.server.ds.getRepository(CustomerUser).find({ where: { customerId: customer.id }, order: { id: 'ASC' } }),
      await t.server.ds.getRepository(Customer).findOneBy({ id: customer.id }),
      await t.server.ds.getRepository(Partner).findOneBy({ id: partner.id }),
    ]);

  beforeAll(async () => {
    // the partner created the customer: it holds delegated admin privileges over its directory
    customer = (await createCustomer(partner.token, {})).data!.createCustomer.customer;
    const created = await createUser({ userName: `lengths@${customer.domain}`, displayName: 'Lengths' });
    expect(created.errors).toBeUndefined();
    userId = created.data!.createCustomerUser.user.id;
  });

  it('counts a user’s names in code points as their columns do: 256 / 64 emoji kept and read back identical, one more refused naming the field', async () => {
    const displayName = `Rocket ${'\u{1F680}'.repeat(249)}`;
    const firstName = `R${'\u{1F680}'.repeat(63)}`;
    expect([[...displayName].length, [...firstName].length]).toEqual([256, 64]);
    const created = await createUser({ userName: `rocket@${customer.domain}`, displayName, firstName, lastName: firstName });
    expect(created.errors).toBeUndefined();
    expect(created.data!.createCustomerUser.user).toMatchObject({ displayName, firstName, lastName: firstName });
    const read = await t.client(partner.token).raw<{ node: UserRead }>({
      query: `query ($id: ID!) { node(id: $id) { ... on CustomerUser { ${USER} } } }`,
      variables: { id: created.data!.createCustomerUser.user.id },
    });
    expect(read.data!.node).toMatchObject({ displayName, firstName, lastName: firstName });

    const before = await stored();
    const over: [string, Record<string, unknown>][] = [
      ['input.displayName', { displayName: `${displayName}\u{1F680}` }],
      ['input.displayName', { displayName: 'a\uFE0F'.repeat(129) }],
      ['input.firstName', { firstName: `${firstName}\u{1F680}` }],
      ['input.firstName', { firstName: 'a\uFE0F'.repeat(33) }],
      ['input.lastName', { lastName: 'a\uFE0F'.repeat(33) }],
    ];
    for (const [field, names] of over) {
      expectRefused(await createUser({ userName: `over-${suffix()}@${customer.domain}`, displayName: 'Over', ...names }), field);
      expectRefused(await updateUser(names), field);
    }
    expect(await stored()).toBe(before);
    // the limits themselves are taken by an update too
    const updated = await updateUser({ displayName, firstName, lastName: firstName });
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateCustomerUser.user).toMatchObject({ displayName, firstName, lastName: firstName });
  });

  it('counts account details and a partner name the same way on an update (companyName 200, a contact’s name 100, a partner’s name 200)', async () => {
    const before = await stored();
    expectRefused(await updateCustomer({ companyName: 'a\uFE0F'.repeat(150) }), 'input.companyName');
    const contact = { firstName: 'Jane', lastName: 'Doe', email: 'jane.doe@proseware.example', phoneNumber: '+1 206 555 0100' };
    expectRefused(await updateCustomer({ billingContact: { ...contact, firstName: 'a\uFE0F'.repeat(51) } }), 'input.billingContact.firstName');
    expectRefused(await updateCustomer({ primaryContact: { ...contact, lastName: 'a\uFE0F'.repeat(51) } }), 'input.primaryContact.lastName');
    expectRefused(await updatePartner({ name: 'a\uFE0F'.repeat(101) }), 'input.name');
    expect(await stored()).toBe(before);
    const name = `Rocket Works ${'\u{1F680}'.repeat(187)}`;
    const res = await updateCustomer({ companyName: name });
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateCustomer.customer.companyName).toBe(name);
  });

  it('stores a user name in NFKC with its domain in lower case, and takes the same name in another width or letter case as a duplicate', async () => {
    const local = `wide${suffix()}`;
    const wide = [...local].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
    const created = await createUser({ userName: `${wide}@${customer.domain.toUpperCase()}`, displayName: 'Wide' });
    expect(created.errors).toBeUndefined();
    expect(created.data!.createCustomerUser.user.userName).toBe(`${local}@${customer.domain}`);
    const before = await stored();
    for (const again of [`${local.toUpperCase()}@${customer.domain}`, `${wide.toUpperCase()}@${customer.domain}`]) {
      expectRefused(await createUser({ userName: again, displayName: 'Again' }), 'input.userName');
    }
    expect(await stored()).toBe(before);
  });

  it.each([
    ['U+2028 LINE SEPARATOR', '\u2028'],
    ['U+2029 PARAGRAPH SEPARATOR', '\u2029'],
  ])('refuse %s inside the updated company name, contact, partner name and a user’s names, writing nothing', async (_what, separator) => {
    const before = await stored();
    const contact = { firstName: 'Jane', lastName: 'Doe', email: 'jane.doe@proseware.example', phoneNumber: '+1 206 555 0100' };
    expectRefused(await updateCustomer({ companyName: `Contoso${separator}Holdings Ltd` }), 'input.companyName');
    expectRefused(await updateCustomer({ billingContact: { ...contact, firstName: `Ja${separator}ne` } }), 'input.billingContact.firstName');
    expectRefused(await updatePartner({ name: `Fabrikam${separator}Partners` }), 'input.name');
    for (const field of ['displayName', 'firstName', 'lastName']) {
      expectRefused(
        await createUser({ userName: `line-${suffix()}@${customer.domain}`, displayName: 'Line', [field]: `First${separator}Second` }),
        `input.${field}`,
      );
      expectRefused(await updateUser({ [field]: `First${separator}Second` }), `input.${field}`);
    }
    expect(await stored()).toBe(before);
  });
});

describe('the character set of the schema', () => {
  it('refuses to start on a MariaDB database, table or column not in utf8mb4, naming it (SQLite stores UTF-8)', async () => {
    if (!isMysql) {
      // SQLite keeps every text in the file's encoding, which holds any code point
      expect((await t.server.ds.query<{ encoding: string }[]>('PRAGMA encoding'))[0].encoding).toMatch(/^UTF-(8|16)/);
      return;
    }
    const { host, port, username, password, database } = parseMysqlUrl(t.server.config.mysqlUrl);
    const conn = await mysql.createConnection({ host, port, user: username, password, database });
    const restart = () => startTestServer({}, { sameDatabaseAs: t });
    try {
      // a table's default (the columns a later migration adds would be latin1)
      await conn.query('ALTER TABLE `activity` DEFAULT CHARACTER SET latin1');
      await expect(restart()).rejects.toThrow(/table `activity` is latin1/);
      await conn.query('ALTER TABLE `activity` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');

      // one column in MySQL's 3-byte "utf8"
      await conn.query('ALTER TABLE `offer` MODIFY `description` varchar(500) CHARACTER SET utf8mb3 NOT NULL');
      await expect(restart()).rejects.toThrow(/column `offer`\.`description` is utf8mb3/);
      await conn.query('ALTER TABLE `offer` MODIFY `description` varchar(500) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL');

      await conn.query(`ALTER DATABASE \`${database}\` CHARACTER SET latin1`);
      await expect(restart()).rejects.toThrow(new RegExp(`database \`${database}\` is latin1`));
      await conn.query(`ALTER DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);

      // put back, it starts again
      const again = await restart();
      await again.stop();
    } finally {
      await conn.end();
    }
  });
});
