import { request as httpRequest } from 'node:http';
import { Activity } from '../src/changes/activity.entity';
import { Role } from '../src/common/auth/roles';
import { requestAdmin } from './support/admin-relationships';
import { type AuditRecord, auditTrail, eventsAfter, postWith, requestId } from './support/audit';
import { createCustomer, createPartner, type TestPartner } from './support/factories';
import { invite, standaloneCustomer } from './support/invitations';
import { partner } from './support/partnerships';
import { startTestServer, type TestServer, UNBUDGETED } from './support/test-server';

/**
 * An attacker's pass over the change primitive and the audit surfaces: requests racing for the same
 * transition (exactly one wins, with exactly one audit record and one event), two concurrent writes
 * of the same field (no lost update: the trail's before/after values chain), another tenant's ids in
 * the trail's filters, stray `x-request-id` values, an export URL with a huge `actions` list, and
 * invisible or bidi text in the filters.
 */

let t: TestServer;
let operator: string;
let direct: TestPartner;
let rival: TestPartner;
let customerId: string;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  t = await startTestServer({ MAX_QUERY_COMPLEXITY: '1000000', ...UNBUDGETED, EXPIRY_SWEEP_INTERVAL: '1h' });
  operator = await t.tokens.operator();
  direct = await createPartner(t, 'DIRECT_RESELLER');
  rival = await createPartner(t, 'DIRECT_RESELLER');
  customerId = (await createCustomer(t, direct.token)).id;
  // the rival has records of its own
  await createCustomer(t, rival.token);
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

const auditCount = () => t.server.ds.manager.count(Activity);

type Answer = Awaited<ReturnType<typeof postWith>>;
const MUTATIONS = {
  revoke: 'mutation ($input: RevokeCustomerInvitationInput!) { revokeCustomerInvitation(input: $input) { invitation { id status } } }',
  accept: 'mutation ($input: AcceptCustomerInvitationInput!) { acceptCustomerInvitation(input: $input) { invitation { id status } } }',
  removePartnership: 'mutation ($input: RemovePartnershipInput!) { removePartnership(input: $input) { partnership { id status } } }',
  update: 'mutation ($input: UpdateSubscriptionInput!) { updateSubscription(input: $input) { subscription { id quantity } } }',
  create: 'mutation ($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id quantity } } }',
};

/** Sends the calls at once, each with its own request id; returns the answers with their ids. */
async function race(calls: { token: string; query: string; input: Record<string, unknown> }[]): Promise<{ id: string; res: Answer }[]> {
  const ids = calls.map((_, i) => requestId(`race-${i}`));
  const answers = await Promise.all(calls.map((c, i) => postWith(t, c.token, { query: c.query, variables: { input: c.input } }, { 'x-request-id': ids[i] })));
  return answers.map((res, i) => ({ id: ids[i], res }));
}

/** Exactly one answer succeeded, the others were refused with CONFLICT (or NOT_FOUND for a row gone): the winner. */
function oneWinner(answers: { id: string; res: Answer }[], allowed = ['CONFLICT']): { winner: string; losers: string[] } {
  const won = answers.filter((a) => !a.res.errors);
  const lost = answers.filter((a) => a.res.errors);
  expect({
    won: won.length,
    codes: lost.map((a) => ({ status: a.res.status < 500, code: allowed.includes(String(a.res.errors![0].extensions?.code)) })),
  }).toEqual({
    won: 1,
    codes: lost.map(() => ({ status: true, code: true })),
  });
  return { winner: won[0].id, losers: lost.map((a) => a.id) };
}

/** The losers' request ids left no record and no event anywhere. */
async function nothingUnder(ids: string[]) {
  for (const id of ids) {
    expect({ id, records: await auditTrail(t, operator, { correlationId: id }) }).toEqual({ id, records: [] });
  }
  const events = await eventsAfter(t, operator);
  expect(events.filter((e) => e.correlationId && ids.includes(e.correlationId))).toEqual([]);
}

describe('racing for the same transition: exactly one wins, one audit record, one event', () => {
  it('two revokeCustomerInvitation at once', async () => {
    for (let round = 0; round < 4; round++) {
      const { invitation } = await invite(t, direct.token, true);
      const answers = await race([0, 1].map(() => ({ token: direct.token, query: MUTATIONS.revoke, input: { invitationId: invitation.id } })));
      const { winner, losers } = oneWinner(answers);
      const records = await auditTrail(t, direct.token, { subjectId: invitation.id, actions: ['INVITATION_REVOKED'] });
      expect(records.map((r) => r.correlationId)).toEqual([winner]);
      const events = (await eventsAfter(t, operator, undefined, { types: ['INVITATION_REVOKED'] })).filter((e) => e.invitationId === invitation.id);
      expect(events.map((e) => e.correlationId)).toEqual([winner]);
      await nothingUnder(losers);
    }
  });

  it('two acceptCustomerInvitation at once: the same customer twice, and two customers with one link', async () => {
    for (let round = 0; round < 4; round++) {
      const { invitation, token } = await invite(t, direct.token, true);
      const first = await standaloneCustomer(t);
      const second = round % 2 ? await standaloneCustomer(t) : first;
      const answers = await race([first, second].map((c) => ({ token: c.token, query: MUTATIONS.accept, input: { token } })));
      const { winner, losers } = oneWinner(answers);
      const records = await auditTrail(t, direct.token, { subjectId: invitation.id, actions: ['INVITATION_ACCEPTED'] });
      expect(records.map((r) => r.correlationId)).toEqual([winner]);
      const events = (await eventsAfter(t, operator, undefined, { types: ['INVITATION_ACCEPTED'] })).filter((e) => e.invitationId === invitation.id);
      expect(events.map((e) => e.correlationId)).toEqual([winner]);
      // the relationship and DAP: once, under the winner's id
      const established = await auditTrail(t, operator, { correlationId: winner });
      expect(established.map((r) => r.action).sort()).toEqual(['DELEGATED_ADMIN_GRANTED', 'INVITATION_ACCEPTED', 'RELATIONSHIP_ESTABLISHED']);
      await nothingUnder(losers);
    }
  });

  it('two removePartnership at once: the same side twice, and both sides', async () => {
    for (let round = 0; round < 4; round++) {
      const provider = await createPartner(t, 'INDIRECT_PROVIDER');
      const reseller = await createPartner(t, 'INDIRECT_RESELLER');
      const partnershipId = await partner(t, provider, reseller);
      const sides = round % 2 ? [provider, reseller] : [provider, provider];
      const input = { partnershipId, confirm: true, attestation: true };
      const answers = await race(sides.map((p) => ({ token: p.token, query: MUTATIONS.removePartnership, input })));
      const { winner, losers } = oneWinner(answers);
      // one record in each side's trail, under the winner's id
      for (const side of [provider, reseller]) {
        const records = await auditTrail(t, side.token, { subjectId: partnershipId, actions: ['PARTNERSHIP_REMOVED'] });
        expect({ side: side.id, ids: records.map((r) => r.correlationId) }).toEqual({ side: side.id, ids: [winner] });
      }
      const events = (await eventsAfter(t, operator, undefined, { types: ['PARTNERSHIP_REMOVED'] })).filter((e) => e.partnershipId === partnershipId);
      expect(events.map((e) => e.correlationId)).toEqual([winner]);
      await nothingUnder(losers);
    }
  });

  it('two approveAdminRelationship / terminateAdminRelationship at once', async () => {
    for (let round = 0; round < 2; round++) {
      const request = await requestAdmin(t, direct.token);
      const c = await standaloneCustomer(t);
      const approve = 'mutation ($input: ApproveAdminRelationshipInput!) { approveAdminRelationship(input: $input) { adminRelationship { id status } } }';
      const approved = oneWinner(await race([0, 1].map(() => ({ token: c.token, query: approve, input: { token: request.token } }))));
      const terminate = 'mutation ($input: TerminateAdminRelationshipInput!) { terminateAdminRelationship(input: $input) { adminRelationship { id status } } }';
      const input = { adminRelationshipId: request.adminRelationship.id };
      const terminated = oneWinner(await race([direct.token, c.token].map((token) => ({ token, query: terminate, input }))));
      const records = await auditTrail(t, direct.token, { subjectId: request.adminRelationship.id });
      expect(records.map((r) => [r.action, r.correlationId]).reverse()).toEqual([
        ['ADMIN_RELATIONSHIP_CREATED', expect.any(String)],
        ['ADMIN_RELATIONSHIP_APPROVED', approved.winner],
        ['ADMIN_RELATIONSHIP_TERMINATED', terminated.winner],
      ]);
      await nothingUnder([...approved.losers, ...terminated.losers]);
    }
  });
});

describe('a lost update attempt: concurrent updateSubscription of the same quantity', () => {
  it('answers each without error (or CONFLICT), and the trail’s before/after values chain to the stored quantity', async () => {
    const created = await postWith<{ createSubscription: { subscription: { id: string } } }>(t, direct.token, {
      query: MUTATIONS.create,
      variables: { input: { customerId, offerId: 'm365-e3', quantity: 5 } },
    });
    expect(created.errors).toBeUndefined();
    const subscriptionId = created.data!.createSubscription.subscription.id;
    let quantity = 20;
    const applied: string[] = [];
    for (let round = 0; round < 5; round++) {
      // two users of the partner at once, each setting its own value
      const agent = await t.tokens.partner(direct.id, undefined, `agent-${round}`);
      const answers = await race([
        { token: direct.token, query: MUTATIONS.update, input: { subscriptionId, quantity: quantity++ } },
        { token: agent, query: MUTATIONS.update, input: { subscriptionId, quantity: quantity++ } },
      ]);
      for (const a of answers) {
        if (a.res.errors) expect({ status: a.res.status, code: a.res.errors[0].extensions?.code }).toEqual({ status: 200, code: 'CONFLICT' });
        else applied.push(a.id);
      }
    }
    const records = (await auditTrail(t, direct.token, { subjectId: subscriptionId, actions: ['SUBSCRIPTION_UPDATED'] })).reverse();
    // one record per applied call, none for a refused one
    expect(records.map((r) => r.correlationId).sort()).toEqual([...applied].sort());
    // the chain: each record's before is the previous one's after, from the created 5 to the stored value
    const quantityOf = (r: AuditRecord) => r.changes.find((c) => c.field === 'quantity')!;
    let current = '5';
    const left = [...records];
    const chain: string[] = [];
    while (left.length) {
      const next = left.findIndex((r) => quantityOf(r).before === current);
      expect({ chain, current, next: next >= 0, left: left.map((r) => quantityOf(r)) }).toEqual({
        chain,
        current,
        next: true,
        left: left.map((r) => quantityOf(r)),
      });
      const [r] = left.splice(next, 1);
      current = quantityOf(r).after!;
      chain.push(current);
    }
    const stored = await t.client(direct.token).raw<{ customer: { subscriptions: { edges: { node: { id: string; quantity: number } }[] } } }>({
      query: 'query ($id: ID!) { customer(id: $id) { subscriptions(first: 100) { edges { node { id quantity } } } } }',
      variables: { id: customerId },
    });
    expect(String(stored.data!.customer.subscriptions.edges.find((e) => e.node.id === subscriptionId)!.node.quantity)).toBe(current);
  });
});

describe('another tenant’s ids in the trail’s filters', () => {
  it('finds nothing through subjectId or customerId, alone or with other filters, and refuses partnerId', async () => {
    const sold = await postWith<{ createSubscription: { subscription: { id: string } } }>(t, direct.token, {
      query: MUTATIONS.create,
      variables: { input: { customerId, offerId: 'm365-e3', quantity: 2 } },
    });
    const subscriptionId = sold.data!.createSubscription.subscription.id;
    // the control: the owner finds them
    expect((await auditTrail(t, direct.token, { subjectId: subscriptionId })).length).toBe(1);
    expect((await auditTrail(t, direct.token, { customerId })).length).toBeGreaterThan(1);
    const otherCustomer = await standaloneCustomer(t);
    const rivalAgent = await t.tokens.partner(rival.id, Role.ADMIN_AGENT);
    const filters = [
      { subjectId: subscriptionId },
      { customerId },
      { customerId, subjectId: subscriptionId },
      { subjectId: customerId },
      { customerId, subjectType: 'SUBSCRIPTION', actions: ['SUBSCRIPTION_CREATED'] },
    ];
    for (const token of [rival.token, rivalAgent, otherCustomer.token]) {
      for (const filter of filters) {
        const res = await t.client(token).raw<{ activities: { totalCount: number; edges: unknown[] } }>({
          query: 'query ($filter: ActivityFilter) { activities(first: 100, filter: $filter) { totalCount edges { node { id } } } }',
          variables: { filter },
        });
        expect({ filter, errors: res.errors, data: res.data }).toEqual({ filter, errors: undefined, data: { activities: { totalCount: 0, edges: [] } } });
        // the export says the same: a header line, no row
        const params = new URLSearchParams({
          format: 'csv',
          ...Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v])),
        });
        const exported = await fetch(new URL(`/exports/activities?${params}`, t.url), { headers: { authorization: `Bearer ${token}` } });
        const body = await exported.text();
        expect({ filter, status: exported.status, lines: body.split('\r\n').filter(Boolean).length }).toEqual({ filter, status: 200, lines: 1 });
      }
      // naming the owner: another partner is refused; a customer admin may name a partner, and reads only its own customer's records
      const named = await t.client(token).raw<{ activities: { totalCount: number } }>({
        query: `{ activities(first: 5, partnerId: "${direct.id}", filter: { customerId: "${customerId}" }) { totalCount } }`,
      });
      if (token === otherCustomer.token) expect(named).toMatchObject({ data: { activities: { totalCount: 0 } } });
      else expect(named.errors?.[0].extensions?.code).toMatch(/^(NOT_FOUND|FORBIDDEN)$/);
    }
  });
});

describe('stray x-request-id values', () => {
  const create = (headers: Record<string, string> | [string, string][]) =>
    postWith(t, direct.token, { query: MUTATIONS.create, variables: { input: { customerId, offerId: 'm365-e3', quantity: 1 } } }, headers);

  /** A raw HTTP POST whose x-request-id goes on the wire as these bytes (fetch refuses non-Latin-1 values). */
  function rawPost(
    headerBytes: Buffer,
  ): Promise<{ status: number; requestId: string | undefined; body: { errors?: { extensions?: { code?: string; fields?: string[] } }[] } }> {
    const body = JSON.stringify({ query: MUTATIONS.create, variables: { input: { customerId, offerId: 'm365-e3', quantity: 1 } } });
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        t.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${direct.token}`, 'x-request-id': headerBytes.toString('latin1') },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, requestId: res.headers['x-request-id'] as string | undefined, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('keeps a 64-character id as the records’ correlation id, and refuses 65 characters writing nothing', async () => {
    const id64 = `a.${'b'.repeat(61)}-`;
    expect(id64).toHaveLength(64);
    const ok = await create({ 'x-request-id': id64 });
    expect(ok.errors).toBeUndefined();
    expect(ok.requestId).toBe(id64);
    expect((await auditTrail(t, operator, { correlationId: id64 })).map((r) => r.action)).toEqual(['SUBSCRIPTION_CREATED']);
    const before = await auditCount();
    const bad = await create({ 'x-request-id': `${id64}c` });
    expect({ status: bad.status, code: bad.errors?.[0].extensions?.code, fields: bad.errors?.[0].extensions?.fields }).toEqual({
      status: 400,
      code: 'BAD_USER_INPUT',
      fields: ['x-request-id'],
    });
    expect(bad.requestId).toMatch(UUID_V7);
    expect(await auditCount()).toBe(before);
    // the filter refuses it too, naming it
    const filtered = await t.client(direct.token).raw({ query: `{ activities(first: 1, filter: { correlationId: "${id64}c" }) { totalCount } }` });
    expect(filtered.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['filter.correlationId'] });
  });

  it.each([
    ['UTF-8 letters', Buffer.from('req-\u00E9t\u00E9', 'utf8')],
    ['a Latin-1 byte', Buffer.from('req-\u00E9', 'latin1')],
    ['an emoji', Buffer.from('req-\u{1F600}', 'utf8')],
    ['a zero-width space', Buffer.from('req\u200B1', 'utf8')],
    ['a bidi override', Buffer.from('req\u202E1', 'utf8')],
    ['full-width digits', Buffer.from('req-\uFF11\uFF12', 'utf8')],
  ])('refuses an id with %s: 400 naming x-request-id, never echoed, nothing written', async (_what, bytes) => {
    const before = await auditCount();
    const res = await rawPost(bytes);
    expect({ status: res.status, code: res.body.errors?.[0].extensions?.code, fields: res.body.errors?.[0].extensions?.fields }).toEqual({
      status: 400,
      code: 'BAD_USER_INPUT',
      fields: ['x-request-id'],
    });
    expect(res.requestId).toMatch(UUID_V7);
    expect(await auditCount()).toBe(before);
  });

  it('refuses the header given twice (the same value too), writing nothing', async () => {
    for (const pair of [
      ['dup-1', 'dup-2'],
      ['dup-same', 'dup-same'],
      ['dup-3', ''],
    ]) {
      const before = await auditCount();
      const res = await create(pair.map((v) => ['x-request-id', v] as [string, string]));
      // an empty second value leaves one id: either answer is fine, but never a record under a mixed id
      if (pair[1] === '') {
        expect([200, 400]).toContain(res.status);
        if (res.status === 200) expect(res.requestId).toBe('dup-3');
        continue;
      }
      expect({ pair, status: res.status, fields: res.errors?.[0].extensions?.fields }).toEqual({ pair, status: 400, fields: ['x-request-id'] });
      expect(await auditCount()).toBe(before);
      expect(await auditTrail(t, operator, { correlationId: pair[0] })).toEqual([]);
    }
  });
});

describe('the export URL', () => {
  const exportAt = (query: string, token = direct.token) =>
    fetch(new URL(`/exports/activities?${query}`, t.url), { headers: { authorization: `Bearer ${token}` } });

  it('refuses a huge actions list with 400 naming actions (or the server’s URL limit), never a 5xx, and stays healthy', async () => {
    const before = await auditCount();
    for (const n of [101, 400]) {
      const res = await exportAt(`format=csv&actions=${Array.from({ length: n }, () => 'CUSTOMER_CREATED').join(',')}`);
      const body = (await res.json()) as { errors: { extensions: { code: string; fields: string[] } }[] };
      expect({ n, status: res.status, code: body.errors[0].extensions.code, fields: body.errors[0].extensions.fields }).toEqual({
        n,
        status: 400,
        code: 'BAD_USER_INPUT',
        fields: ['actions'],
      });
    }
    // thousands of empty or unknown items, and the parameter repeated or nested
    for (const query of [
      `actions=${','.repeat(3000)}`,
      `actions=${Array.from({ length: 2000 }, (_, i) => `X${i}`).join(',')}`,
      'actions=CUSTOMER_CREATED&actions=SUBSCRIPTION_UPDATED',
      'actions[]=CUSTOMER_CREATED',
      'actions[0][1]=CUSTOMER_CREATED',
      `${Array.from({ length: 300 }, (_, i) => `actions[${i}]=CUSTOMER_CREATED`).join('&')}`,
    ]) {
      const res = await exportAt(query);
      expect({ query: query.slice(0, 60), status: res.status }).toEqual({ query: query.slice(0, 60), status: 400 });
      const body = (await res.json()) as { errors: { extensions: { fields: string[] } }[] };
      // named as sent (`actions[]` is not a parameter of the export) or as `actions`
      expect(body.errors[0].extensions.fields).toEqual([expect.stringMatching(/^actions/)]);
    }
    // a URL over a megabyte: refused by the HTTP layer (414/431) or as bad input, never a 5xx or a hang
    const huge = await new Promise<number>((resolve) => {
      const req = httpRequest(
        new URL(`/exports/activities?actions=${'CUSTOMER_CREATED,'.repeat(70_000)}`, t.url),
        { headers: { authorization: `Bearer ${direct.token}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', () => resolve(0));
      req.end();
    });
    expect([0, 400, 413, 414, 431]).toContain(huge);
    expect((await fetch(new URL('/healthz', t.url))).status).toBe(200);
    expect((await exportAt('format=ndjson')).status).toBe(200);
    expect(await auditCount()).toBe(before);
  });
});

describe('the export’s errors and the request id', () => {
  it('puts the request id in every error’s extensions.requestId, as the x-request-id header says (as GraphQL does)', async () => {
    const cases: [string, string | undefined][] = [
      ['format=xml', direct.token],
      ['actions=NOT_AN_ACTION', direct.token],
      ['from=yesterday', direct.token],
      ['format=csv', undefined],
    ];
    const wrong: unknown[] = [];
    for (const [query, token] of cases) {
      const res = await fetch(new URL(`/exports/activities?${query}`, t.url), {
        headers: { 'x-request-id': 'export-err.1', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      const body = (await res.json()) as { errors: { extensions: { code: string; requestId?: string } }[] };
      const got = { query, status: res.status, header: res.headers.get('x-request-id'), requestId: body.errors[0].extensions.requestId };
      if (got.header !== 'export-err.1' || got.requestId !== 'export-err.1') wrong.push(got);
    }
    expect(wrong).toEqual([]);
  });
});

describe('invisible and bidi text in filter values', () => {
  const TEXTS: [string, string][] = [
    ['a zero-width space', 'user\u200B-1'],
    ['a bidi override', 'user\u202E-1'],
    ['a right-to-left mark', '\u200Fuser-1'],
    // inside the value (a leading one is trimmed away with the whitespace, as every text input is)
    ['a BOM', 'user\uFEFF-1'],
    ['a NUL', 'user\u0000-1'],
    ['a line separator', 'user\u2028-1'],
  ];
  const FIELDS = ['actorUserId', 'correlationId', 'customerId', 'subjectId'];

  it.each(TEXTS)('refuses %s in every text and id filter with BAD_USER_INPUT naming it (GraphQL)', async (_what, text) => {
    const wrong: unknown[] = [];
    for (const field of FIELDS) {
      const res = await t.client(direct.token).raw({
        query: 'query ($filter: ActivityFilter) { activities(first: 5, filter: $filter) { totalCount } }',
        variables: { filter: { [field]: text } },
      });
      const got = { field, status: res.status < 500, code: res.errors?.[0].extensions?.code, fields: res.errors?.[0].extensions?.fields };
      if (got.code !== 'BAD_USER_INPUT' || !got.status || JSON.stringify(got.fields) !== JSON.stringify([`filter.${field}`]))
        wrong.push({ ...got, data: res.data });
    }
    expect(wrong).toEqual([]);
  });

  it.each(TEXTS)('refuses %s in every text and id parameter of the export with 400 naming it', async (_what, text) => {
    const wrong: unknown[] = [];
    for (const field of FIELDS) {
      const res = await fetch(new URL(`/exports/activities?${new URLSearchParams({ format: 'csv', [field]: text })}`, t.url), {
        headers: { authorization: `Bearer ${direct.token}` },
      });
      const raw = await res.text();
      const body = (res.status === 200 ? {} : JSON.parse(raw)) as { errors?: { extensions: { code: string; fields: string[] } }[] };
      const got = { field, status: res.status, code: body.errors?.[0].extensions.code, fields: body.errors?.[0].extensions.fields };
      if (got.status !== 400 || got.code !== 'BAD_USER_INPUT' || JSON.stringify(got.fields) !== JSON.stringify([field])) wrong.push(got);
    }
    expect(wrong).toEqual([]);
  });
});
