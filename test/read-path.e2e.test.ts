import { execute, parse } from 'graphql';
import type { SelectQueryBuilder, ObjectLiteral } from 'typeorm';
import type { Principal } from '../src/common/auth/principal';
import { Role } from '../src/common/auth/roles';
import { readMany } from '../src/common/entity-reader';
import { buildContext } from '../src/context';
import { OperationCompiler } from '../src/pipeline/execution';
import { buildAppSchema } from '../src/schema';
import { Scope } from '../src/scope/scope';
import { createCustomer, createPartner, type TestPartner } from './support/factories';
import { accept, invite, standaloneCustomer } from './support/invitations';
import { partner } from './support/partnerships';
import { approveAdmin, requestAdmin } from './support/admin-relationships';
import { startTestServer, type TestServer } from './support/test-server';

/**
 * The read path of src/common/entity-reader.ts and src/pipeline/execution.ts gives what the general
 * one gives: readMany what TypeORM's getMany reads, a compiled operation what graphql-js answers.
 */
let t: TestServer;
let provider: TestPartner;
let reseller: TestPartner;
let direct: TestPartner;
let customerId: string;

const DASHBOARD =
  '{ customers(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id companyName domain cloud address { city country } relationship { status establishedAt } delegatedAdminPrivileges { status } indirectReseller { id name mpnId } } } } }';

beforeAll(async () => {
  t = await startTestServer({ MAX_QUERY_COMPLEXITY: '100000' });
  provider = await createPartner(t, 'INDIRECT_PROVIDER');
  reseller = await createPartner(t, 'INDIRECT_RESELLER');
  direct = await createPartner(t, 'DIRECT_RESELLER');
  await partner(t, provider, reseller);
  for (let i = 0; i < 4; i++) await createCustomer(t, provider.token, i % 2 ? { indirectResellerId: reseller.id } : {});
  // a customer with two partners, one of them with admin privileges
  const customer = await standaloneCustomer(t);
  customerId = customer.id;
  await accept(t, customer.token, (await invite(t, direct.token, true)).token);
  await accept(t, customer.token, (await invite(t, provider.token, false)).token);
  // admin relationships (a list of roles, booleans, nullable dates): one active, one pending
  await approveAdmin(t, customer.token, (await requestAdmin(t, direct.token, { customerId, autoExtend: true })).token);
  await requestAdmin(t, provider.token, { customerId, roles: ['GLOBAL_ADMINISTRATOR'] });
});
afterAll(() => t?.stop());

function viewers(): Record<string, Principal> {
  return {
    operator: { kind: 'operator', userId: 'op', roles: [Role.PLATFORM_ADMIN] },
    provider: { kind: 'partner', userId: 'p', roles: [Role.GLOBAL_ADMIN], partnerId: provider.id },
    reseller: { kind: 'partner', userId: 'r', roles: [Role.GLOBAL_ADMIN], partnerId: reseller.id },
    direct: { kind: 'partner', userId: 'd', roles: [Role.GLOBAL_ADMIN], partnerId: direct.id },
    customer: { kind: 'customer', userId: 'c', roles: [Role.CUSTOMER_ADMIN], customerId },
  };
}

const LISTS: [string, (scope: Scope) => SelectQueryBuilder<ObjectLiteral>][] = [
  ['customers', (s) => s.customers()],
  ['partners', (s) => s.partners()],
  ['withContactDetails', (s) => s.withContactDetails()],
  ['relationships', (s) => s.relationships()],
  ['delegatedAdminPrivileges', (s) => s.delegatedAdminPrivileges()],
  ['invitations', (s) => s.invitations()],
  ['partnerships', (s) => s.partnerships()],
  ['subscriptions', (s) => s.subscriptions()],
  ['adminRelationships', (s) => s.adminRelationships()],
];

describe('readMany', () => {
  it('reads the same entities as getMany (class, values, joined rows) for every scoped list and kind of caller', async () => {
    let compared = 0;
    for (const [viewer, principal] of Object.entries(viewers())) {
      for (const [list, build] of LISTS) {
        const scope = new Scope(t.server.ds, principal);
        const ordered = () => {
          const qb = build(scope);
          return qb.orderBy(`${qb.alias}.id`);
        };
        // twice: the second read runs the cached plan
        for (let round = 0; round < 2; round++) {
          const expected = await ordered().getMany();
          const actual = await readMany(ordered());
          expect({ viewer, list, rows: actual }).toEqual({ viewer, list, rows: expected });
          actual.forEach((row, i) => expect(Object.getPrototypeOf(row)).toBe(Object.getPrototypeOf(expected[i])));
          compared += actual.length;
        }
      }
    }
    expect(compared).toBeGreaterThan(20);
  });

  it('with a selection, reads those properties (and the key) with the values getMany reads', async () => {
    const scope = new Scope(t.server.ds, viewers().provider);
    const full = await scope.customers().orderBy('customer.id').getMany();
    const narrow = await readMany(scope.customers().orderBy('customer.id'), ['companyName', 'address.city', '@viewerRelationship.status']);
    expect(narrow.length).toBe(full.length);
    narrow.forEach((row, i) => {
      const whole = full[i] as (typeof full)[number] & { viewerRelationship: { id: string; status: string } };
      expect(row).toEqual(
        expect.objectContaining({
          id: whole.id,
          companyName: whole.companyName,
          address: { city: whole.address.city },
          viewerRelationship: expect.objectContaining({ id: whole.viewerRelationship.id, status: whole.viewerRelationship.status }),
        }),
      );
      expect(row).not.toHaveProperty('domain');
    });
  });
});

describe('compiled operations', () => {
  it('answer what graphql-js answers over the same context', async () => {
    const schema = await buildAppSchema(t.server.deps.pubSub);
    const compiler = new OperationCompiler(schema);
    const queries = [
      DASHBOARD,
      '{ partners(first: 20) { totalCount edges { node { id name mpnId type cloud createdAt } } } }',
      '{ partnerships(first: 20) { totalCount edges { node { id status provider { id name } reseller { id name } } } } }',
      `{ customer(id: "${customerId}") { id companyName partners { partner { id name } relationshipStatus delegatedAdminStatus } } }`,
      '{ customers(first: 3) { edges { node { ...Fields } } } } fragment Fields on Customer { id companyName primaryContact { email } agreement { acceptedAt } }',
    ];
    let answered = 0;
    for (const [viewer, principal] of Object.entries(viewers())) {
      for (const query of queries) {
        const document = parse(query);
        const context = () => buildContext(t.server.deps, t.server.services, principal, '127.0.0.1');
        const compiled = await compiler.run({ document, contextValue: context() });
        const reference = await execute({ schema, document, contextValue: context() });
        expect({ viewer, query, result: JSON.parse(JSON.stringify(compiled)) }).toEqual({ viewer, query, result: JSON.parse(JSON.stringify(reference)) });
        if (compiled.data && !compiled.errors) answered++;
      }
    }
    // most combinations answer data (some are refused the same way by both, e.g. a customer's user listing partnerships)
    expect(answered).toBeGreaterThanOrEqual(18);
  });
});
