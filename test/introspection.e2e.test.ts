import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { FULL_INTROSPECTION, introspectionStats } from '../src/pipeline/introspection';
import { firstAnswerOverSocket } from './support/client';
import { startTestServer, type TestServer } from './support/test-server';

/**
 * Introspection is priced like any other field (by what its lists will return, with the schema's
 * real counts), allowed by INTROSPECTION (on, authenticated, off), and answered from a small cache
 * when the same document comes again.
 */
let t: TestServer;
let operator: string;

beforeAll(async () => {
  // INTROSPECTION=on (the development default): anyone may introspect, within their budget
  t = await startTestServer({ ANONYMOUS_RATE_LIMIT: '1000' });
  operator = await t.tokens.operator();
});
afterAll(async () => {
  await t?.stop();
});

/** A wide introspection: every type with its fields, their arguments and types, input fields and enum values. */
const WIDE =
  '__schema { types { name kind description fields { name description args { name description type { name kind } } type { name kind ofType { name kind } } } inputFields { name description type { name kind } } enumValues { name description } } }';
const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `s${i}: ${WIDE}`).join(' ')} }`;

/** What graphql-codegen's and GraphiQL's introspection ask for (all options on), and graphql's default query. */
const STANDARD: [string, string][] = [
  ['graphql getIntrospectionQuery()', getIntrospectionQuery()],
  ['GraphiQL / graphql-codegen (all options)', getIntrospectionQuery(FULL_INTROSPECTION)],
];

/** Sends one operation over a fresh socket and returns its first answer (or nothing while a subscription waits). */
function overSocket(server: TestServer, token: string | undefined, query: string) {
  return firstAnswerOverSocket(server.ws(token), query, undefined, 1000);
}

describe('the price of introspection', () => {
  it('refuses 30 aliases of a wide introspection, far over budget, with a token and without', async () => {
    // a document that only introspects may cost what the schema's full introspection costs, when that is over
    // MAX_QUERY_COMPLEXITY (3,000): the limit is the larger of the two, and 30 aliases are far over it
    const signedIn = await t.client(operator).raw({ query: aliased(30) });
    expect(signedIn.status).toBe(400);
    expect(signedIn.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const limit = signedIn.errors?.[0].extensions?.limit as number;
    expect(limit).toBeGreaterThanOrEqual(3000);
    expect(signedIn.errors?.[0].extensions?.cost as number).toBeGreaterThan(7 * limit);
    // without a token (INTROSPECTION=on: a document that only introspects has the full budget, see below)
    const anonymous = await t.client().raw({ query: aliased(30) });
    expect(anonymous.status).toBe(400);
    expect(anonymous.errors?.[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit });
    expect(anonymous.errors?.[0].extensions?.cost as number).toBeGreaterThan(7 * limit);
  });

  it('prices introspection by the size of the schema: lists by what they return, a named type by its own size, aliased leaves too', async () => {
    expect((await t.client(operator).raw({ query: `{ ${WIDE} }` })).errors).toBeUndefined();
    // a server whose budget refuses everything, to read each price from the refusal (with one data field,
    // `viewer { id }`, the same in every document: a document that only introspects gets at least the full
    // introspection's budget, see below)
    const low = await startTestServer({ MAX_QUERY_COMPLEXITY: '10' }, { sameDatabaseAs: t });
    try {
      const lowToken = await low.tokens.operator();
      // the full introspection still passes there: its budget is what it costs, whatever MAX_QUERY_COMPLEXITY says
      const full = await low.client(lowToken).raw({ query: getIntrospectionQuery(FULL_INTROSPECTION) });
      expect(full.errors).toBeUndefined();
      const price = async (introspection: string) => {
        const query = introspection.replace(/}\s*$/, ' viewer { id } }');
        const res = await low.client(lowToken).raw({ query });
        expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        return res.errors![0].extensions!.cost as number;
      };
      const wide = await price(`{ ${WIDE} }`);
      // one wide introspection costs hundreds (one object per type, field, argument…), 30 of them 30 times that
      expect(wide).toBeGreaterThan(500);
      expect(await price(aliased(30))).toBeGreaterThan(29 * wide);
      // a big type by name is priced by the biggest type's size, a small selection of it less
      const mutationFields = await price('{ __type(name: "Mutation") { fields { name args { name } } } }');
      expect(mutationFields).toBeGreaterThan(await price('{ __type(name: "Mutation") { fields { name } } }'));
      // aliased leaves add to the answer, so they count; a plain leaf is part of its object
      const names = (n: number) => Array.from({ length: n }, (_, i) => `n${i}: name`).join(' ');
      expect(await price(`{ __schema { types { ${names(20)} } } }`)).toBeGreaterThan(await price('{ __schema { types { name kind description } } }'));
    } finally {
      await low.stop();
    }
    // 30 aliases of a big type by name are refused with the default budget, one is fine
    const bigType = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `t${i}: __type(name: "Mutation") { fields { name args { name type { name kind ofType { name kind ofType { name } } } } } }`).join(' ')} }`;
    expect((await t.client(operator).raw({ query: bigType(1) })).errors).toBeUndefined();
    expect((await t.client(operator).raw({ query: bigType(30) })).errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it.each(STANDARD)('accepts the standard introspection of %s with a token, and the answer builds the schema', async (_name, query) => {
    const res = await t.client(operator).raw<IntrospectionQuery>({ query, operationName: 'IntrospectionQuery' });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    const schema = buildClientSchema(res.data!);
    expect(schema.getQueryType()?.getFields().customers).toBeDefined();
  });

  it('keeps __typename free and always allowed', async () => {
    const res = await t.client().raw({ query: '{ __typename }' });
    expect(res).toMatchObject({ status: 200, data: { __typename: 'Query' } });
  });
});

describe('INTROSPECTION', () => {
  const SMALL = '{ __schema { queryType { name } } }';
  const BY_NAME = '{ __type(name: "Customer") { name } }';

  it('on (the development default): anyone may introspect, a document that only introspects within the full budget', async () => {
    expect(await t.client().raw({ query: SMALL })).toMatchObject({ status: 200, data: { __schema: { queryType: { name: 'Query' } } } });
    expect(await t.client().raw({ query: BY_NAME })).toMatchObject({ status: 200, data: { __type: { name: 'Customer' } } });
    // GraphiQL and Sandbox introspect before a token is pasted: the full introspection costs more than
    // the anonymous budget (50), and is accepted
    const full = await t.client().raw<IntrospectionQuery>({ query: getIntrospectionQuery({ inputValueDeprecation: true }) });
    expect(full.errors).toBeUndefined();
    expect(buildClientSchema(full.data!).getType('Customer')).toBeDefined();
    // an operation that also reads data keeps the anonymous budget, introspection included in its price
    const mixed = await t.client().raw({ query: '{ __schema { types { name fields { name } } } invitationPreview(token: "x") { status } }' });
    expect(mixed.errors?.[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 50 });
  });

  it('authenticated: refuses __schema and __type without a token, with a clear code, on HTTP and WebSocket', async () => {
    const server = await startTestServer({ INTROSPECTION: 'authenticated' }, { sameDatabaseAs: t });
    try {
      for (const query of [SMALL, BY_NAME, `query Q { __typename ...F } fragment F on Query { __type(name: "Query") { name } }`]) {
        const res = await server.client().raw({ query });
        expect(res.status).toBe(400);
        expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect(res.errors?.[0].message).toMatch(/introspection needs a token/i);
        expect(res.data).toBeUndefined();
      }
      const token = await server.tokens.operator();
      expect(await server.client(token).raw({ query: SMALL })).toMatchObject({ status: 200, data: { __schema: { queryType: { name: 'Query' } } } });
      expect(await server.client().raw({ query: '{ __typename }' })).toMatchObject({ status: 200, data: { __typename: 'Query' } });
      // the names in a string or a comment are no introspection
      const mentions = await server.client().raw({ query: '# no __schema here\n{ invitationPreview(token: "__type __schema") { status } }' });
      expect(mentions).toMatchObject({ status: 200, data: { invitationPreview: null } });
      // the socket runs no introspection without a token either (it refuses the socket itself, 4401); a subscription with __typename is fine
      expect((await server.ws().closed).code).toBe(4401);
      expect(await overSocket(server, token, 'subscription { events { __typename type } }')).toEqual({});
    } finally {
      await server.stop();
    }
  });

  it('off: refuses __schema and __type to everyone, __typename stays', async () => {
    const server = await startTestServer({ INTROSPECTION: 'off' }, { sameDatabaseAs: t });
    try {
      const token = await server.tokens.operator();
      for (const client of [server.client(), server.client(token)]) {
        for (const query of [SMALL, BY_NAME, getIntrospectionQuery()]) {
          const res = await client.raw({ query });
          expect(res.status).toBe(400);
          expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
          expect(res.errors?.[0].message).toMatch(/introspection/i);
        }
      }
      expect(await server.client(token).raw({ query: '{ __typename viewer { __typename } }' })).toMatchObject({ status: 200 });
      const overWs = await overSocket(server, token, SMALL);
      expect(overWs.errors?.[0].extensions?.code).toEqual(expect.any(String));
      expect(await overSocket(server, token, 'subscription { events { __typename type } }')).toEqual({});
    } finally {
      await server.stop();
    }
  });

  it('authenticated and off: no "Did you mean" in errors, which would spell the schema out a guess at a time; on keeps them', async () => {
    const guesses: [string, Record<string, unknown>][] = [
      ['{ custome { id } }', {}],
      ['{ invitationPreview(token: "x") { partnerNam } }', {}],
      ['{ invitationPreview(tokn: "x") { status } }', {}],
      ['{ partners(filter: { cloud: PUBLI }) { totalCount } }', {}],
      ['query ($c: Cloud) { partners(filter: { cloud: $c }) { totalCount } }', { c: 'PUBLI' }],
      ['query ($f: PartnerFilter) { partners(filter: $f) { totalCount } }', { f: { clou: 'PUBLIC' } }],
    ];
    const messages = (res: { errors?: { message: string; extensions?: { fields?: unknown } }[] }) => JSON.stringify(res.errors ?? []);
    for (const mode of ['authenticated', 'off']) {
      const server = await startTestServer({ INTROSPECTION: mode }, { sameDatabaseAs: t });
      try {
        for (const client of [server.client(), server.client(await server.tokens.operator())]) {
          for (const [query, variables] of guesses) {
            const res = await client.raw({ query, variables });
            expect(res.errors?.length).toBeGreaterThan(0);
            expect({ mode, query, errors: messages(res) }).toEqual({ mode, query, errors: expect.not.stringMatching(/did you mean/i) });
          }
        }
        const overWs = await overSocket(server, await server.tokens.operator(), 'subscription { event { id } }');
        expect(overWs.errors?.length).toBeGreaterThan(0);
        expect(messages(overWs)).not.toMatch(/did you mean/i);
      } finally {
        await server.stop();
      }
    }
    // with INTROSPECTION=on the schema is public: the suggestions help
    expect(messages(await t.client().raw({ query: '{ custome { id } }' }))).toMatch(/did you mean \\"customer\\"/i);
  });

  it('is authenticated by default in production', async () => {
    const production = await startTestServer({ APP_ENV: 'production', CORS_ORIGINS: 'https://portal.example.com' }, { sameDatabaseAs: t });
    try {
      expect(production.server.config.introspection).toBe('authenticated');
      const res = await production.client().raw({ query: getIntrospectionQuery() });
      expect(res.status).toBe(400);
      expect(res.errors?.[0].message).toMatch(/introspection needs a token/i);
      const signedIn = await production.client(await production.tokens.operator()).raw({ query: getIntrospectionQuery() });
      expect(signedIn.errors).toBeUndefined();
    } finally {
      await production.stop();
    }
  });
});

describe('the introspection cache', () => {
  it('runs the same introspection document once, for every caller, and again only for another document or variables', async () => {
    const query = getIntrospectionQuery({ descriptions: false });
    const before = introspectionStats.executed;
    const first = await t.client(operator).raw({ query, operationName: 'IntrospectionQuery' });
    expect(introspectionStats.executed).toBe(before + 1);
    // again, by another caller, and five at once: no execution
    const again = await t.client(await t.tokens.operator()).raw({ query, operationName: 'IntrospectionQuery' });
    await Promise.all(Array.from({ length: 5 }, () => t.client(operator).raw({ query, operationName: 'IntrospectionQuery' })));
    expect(introspectionStats.executed).toBe(before + 1);
    expect(again.data).toEqual(first.data);
    // the same text with other comments and blanks is the same document: no execution (a comment cannot
    // make the server introspect again); another document or other variables run once more
    await t.client(operator).raw({ query: `# ${Math.random()}\n${query}\n\n`, operationName: 'IntrospectionQuery' });
    expect(introspectionStats.executed).toBe(before + 1);
    await t.client(operator).raw({ query: query.replace('queryType { name kind }', 'queryType { name }'), operationName: 'IntrospectionQuery' });
    expect(introspectionStats.executed).toBe(before + 2);
    const byName = 'query T($n: String!) { __type(name: $n) { name } }';
    const a = await t.client(operator).raw({ query: byName, variables: { n: 'Customer' } });
    const b = await t.client(operator).raw({ query: byName, variables: { n: 'Partner' } });
    expect([a.data, b.data]).toEqual([{ __type: { name: 'Customer' } }, { __type: { name: 'Partner' } }]);
    expect(introspectionStats.executed).toBe(before + 4);
    // a document that also reads data is never cached
    await t.client(operator).raw({ query: '{ __schema { queryType { name } } viewer { id } }' });
    await t.client(operator).raw({ query: '{ __schema { queryType { name } } viewer { id } }' });
    expect(introspectionStats.executed).toBe(before + 4);
  });
});
