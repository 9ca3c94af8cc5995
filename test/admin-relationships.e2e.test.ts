import { Webhook } from 'standardwebhooks';
import { DAY_MS, ManualClock } from '../src/common/clock';
import {
  AdminRelationshipPreviewDocument,
  AdminRelationshipsDocument,
  ApproveAdminRelationshipDocument,
  CreateAdminRelationshipDocument,
  CustomerAdminRelationshipsDocument,
  ExtendAdminRelationshipsDocument,
  RejectAdminRelationshipDocument,
  TerminateAdminRelationshipDocument,
  TerminateAdminRelationshipsDocument,
  UpdateAdminRelationshipDocument,
} from './generated/graphql';
import { adminName, approveAdmin, requestAdmin } from './support/admin-relationships';
import { pause, readAll, stream } from './support/events';
import { createCustomer, createPartner, type TestPartner } from './support/factories';
import { standaloneCustomer } from './support/invitations';
import { startTestServer, type TestServer } from './support/test-server';
import { createEndpoint, startReceiver, until } from './support/webhooks';

/**
 * Granular, time-bound admin relationships (GDAP) end to end over HTTP, on the server's own database,
 * with a clock the tests move through days (the sweep reads it) instead of waiting.
 */
let t: TestServer;
const clock = new ManualClock(new Date('2026-11-22T09:00:00.000Z'));
let partner: TestPartner;
let other: TestPartner;
let customer: { id: string; companyName: string; token: string };

beforeAll(async () => {
  t = await startTestServer({}, { clock });
  partner = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Contoso Admin Services Ltd');
  other = await createPartner(t, 'DIRECT_RESELLER', 'PUBLIC', 'Rival Admin Services Ltd');
  const served = await createCustomer(t, partner.token, { companyName: 'Adatum Admin Corporation' });
  customer = { ...served, token: await t.tokens.customer(served.id) };
});
afterAll(() => t.stop());

const sweep = () => t.server.services.adminRelationships.sweep();
const admin = (token: string) => t.client(token);

async function rowCounts(): Promise<string> {
  const rows = await Promise.all(
    ['admin_relationship', 'event', 'activity'].map(
      async (table) => (await t.server.ds.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n,
    ),
  );
  return rows.join(',');
}

/** The partner's activity trail about one admin relationship, newest first. */
async function trailOf(token: string, subjectId: string) {
  const res = await t.client(token).raw<{ activities: { edges: { node: { action: string; subjectId: string; actorUserId: string } }[] } }>({
    query: '{ activities(first: 100) { edges { node { action subjectId actorUserId } } } }',
  });
  return res.data!.activities.edges.map((e) => e.node).filter((n) => n.subjectId === subjectId);
}

async function eventsOf(token: string, adminRelationshipId: string) {
  return (await readAll(t, token)).filter((e) => e.adminRelationshipId === adminRelationshipId);
}

describe('asking for admin roles', () => {
  it('creates a pending request with a single-use link, a draft, an anonymous preview, an event and an audit row', async () => {
    const created = await requestAdmin(t, partner.token, {
      displayName: 'Contoso helpdesk for Adatum',
      roles: ['LICENSE_ADMINISTRATOR', 'GLOBAL_READER', 'HELPDESK_ADMINISTRATOR'],
      duration: 'P180D',
      autoExtend: true,
    });
    const rel = created.adminRelationship;
    expect(rel).toMatchObject({
      status: 'APPROVAL_PENDING',
      displayName: 'Contoso helpdesk for Adatum',
      roles: ['GLOBAL_READER', 'HELPDESK_ADMINISTRATOR', 'LICENSE_ADMINISTRATOR'],
      duration: 'P180D',
      autoExtend: true,
      cloud: 'PUBLIC',
      customerId: null,
      activatedAt: null,
      endsAt: null,
      partner: { id: partner.id, name: 'Contoso Admin Services Ltd' },
    });
    expect(created.url).toBe(`https://partner.example.test/admin-relationships/${created.token}`);
    expect(created.emailDraft.body).toContain(created.url);
    expect(created.emailDraft.body).toContain('License Administrator');
    expect(created.emailDraft.subject).toContain('Contoso Admin Services Ltd');
    expect(new Date(rel.requestExpiresAt).getTime() - clock.now().getTime()).toBe(90 * DAY_MS);

    // only the hash is stored
    const [stored] = await t.server.ds.query<{ tokenHash: string }[]>('SELECT tokenHash FROM admin_relationship WHERE id = ?', [rel.id]);
    expect(stored.tokenHash).not.toContain(created.token);

    const { adminRelationshipPreview } = await t.client().data(AdminRelationshipPreviewDocument, { token: created.token });
    expect(adminRelationshipPreview).toEqual({
      partnerName: 'Contoso Admin Services Ltd',
      displayName: 'Contoso helpdesk for Adatum',
      roles: ['GLOBAL_READER', 'HELPDESK_ADMINISTRATOR', 'LICENSE_ADMINISTRATOR'],
      duration: 'P180D',
      autoExtend: true,
      status: 'APPROVAL_PENDING',
      requestExpiresAt: rel.requestExpiresAt,
    });
    expect((await t.client().data(AdminRelationshipPreviewDocument, { token: 'no-such-token' })).adminRelationshipPreview).toBeNull();

    const events = await eventsOf(partner.token, rel.id);
    expect(events.map((e) => e.type)).toEqual(['ADMIN_RELATIONSHIP_CREATED']);
    expect(events[0]).toMatchObject({ adminRelationship: { displayName: 'Contoso helpdesk for Adatum', status: 'APPROVAL_PENDING' } });
    expect(await trailOf(partner.token, rel.id)).toEqual([
      { action: 'ADMIN_RELATIONSHIP_CREATED', subjectId: rel.id, actorUserId: expect.stringMatching(/^user-global_admin-/) },
    ]);
  });

  it('refuses bad input with BAD_USER_INPUT naming the field, and writes nothing', async () => {
    const taken = adminName('Taken');
    await requestAdmin(t, partner.token, { displayName: taken });
    const valid = { displayName: adminName(), roles: ['USER_ADMINISTRATOR'], duration: 'P30D' };
    const cases: [string, Record<string, unknown>][] = [
      ['input.duration', { duration: 'P0D' }],
      ['input.duration', { duration: 'P731D' }],
      ['input.duration', { duration: 'P1Y' }],
      ['input.duration', { duration: '30' }],
      ['input.duration', { duration: 'PT24H' }],
      ['input.roles', { roles: [] }],
      ['input.roles', { roles: ['USER_ADMINISTRATOR', 'USER_ADMINISTRATOR'] }],
      ['input.displayName', { displayName: 'x'.repeat(51) }],
      ['input.displayName', { displayName: '   ' }],
      ['input.displayName', { displayName: taken }],
      ['input.displayName', { displayName: taken.toUpperCase() }],
      // names that look the same: invisible characters, full-width letters, doubled spaces
      ['input.displayName', { displayName: taken.replace(' ', ' \u200B') }],
      ['input.displayName', { displayName: taken.replace('Taken', '\uFF34\uFF41\uFF4B\uFF45\uFF4E') }],
      ['input.displayName', { displayName: taken.replace(' ', '   ') }],
      ['input.autoExtend', { roles: ['GLOBAL_ADMINISTRATOR'], autoExtend: true }],
      ['input.autoExtend', { roles: ['USER_ADMINISTRATOR', 'GLOBAL_ADMINISTRATOR'], autoExtend: true }],
    ];
    const before = await rowCounts();
    for (const [field, change] of cases) {
      const res = await admin(partner.token).request(CreateAdminRelationshipDocument, { input: { ...valid, ...change } as never });
      expect({ change, code: res.errors?.[0]?.extensions?.code, fields: res.errors?.[0]?.extensions?.fields }).toEqual({
        change,
        code: 'BAD_USER_INPUT',
        fields: [field],
      });
    }
    expect(await rowCounts()).toBe(before);
    // the bounds themselves are valid, and GLOBAL_ADMINISTRATOR is fine without auto-extension
    for (const duration of ['P1D', 'P730D']) await requestAdmin(t, partner.token, { duration });
    await requestAdmin(t, partner.token, { displayName: `${'y'.repeat(40)} 50 chars`.slice(0, 50), roles: ['GLOBAL_ADMINISTRATOR'], autoExtend: false });
  });

  it('lets a partner name only a customer it serves, and refuses partner roles that may not ask', async () => {
    const stranger = await standaloneCustomer(t);
    const res = await admin(partner.token).request(CreateAdminRelationshipDocument, {
      input: { customerId: stranger.id, displayName: adminName(), roles: ['GLOBAL_READER'], duration: 'P30D' },
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    for (const role of ['SALES_AGENT', 'USER_ADMIN', 'BILLING_ADMIN'] as const) {
      const token = await t.tokens.partner(partner.id, role as never);
      expect(
        await admin(token).errorCode(CreateAdminRelationshipDocument, { input: { displayName: adminName(), roles: ['GLOBAL_READER'], duration: 'P30D' } }),
      ).toBe('FORBIDDEN');
    }
    const agent = await t.tokens.partner(partner.id, 'ADMIN_AGENT' as never);
    expect((await requestAdmin(t, agent)).adminRelationship.status).toBe('APPROVAL_PENDING');
  });
});

describe('approval', () => {
  it('lets only the named customer answer an addressed request; approval starts the clock', async () => {
    const created = await requestAdmin(t, partner.token, { customerId: customer.id, duration: 'P45D' });
    expect(created.adminRelationship).toMatchObject({ customerId: customer.id, customerName: 'Adatum Admin Corporation' });
    const intruder = await standaloneCustomer(t);
    const before = await rowCounts();
    expect(await admin(intruder.token).errorCode(ApproveAdminRelationshipDocument, { input: { token: created.token } })).toBe('FORBIDDEN');
    expect(await admin(intruder.token).errorCode(RejectAdminRelationshipDocument, { input: { token: created.token } })).toBe('FORBIDDEN');
    // a partner's user cannot answer at all
    expect(await admin(partner.token).errorCode(ApproveAdminRelationshipDocument, { input: { token: created.token } })).toBe('FORBIDDEN');
    expect(await rowCounts()).toBe(before);

    const approved = await approveAdmin(t, customer.token, created.token);
    expect(approved).toMatchObject({ status: 'ACTIVE', activatedAt: clock.now().toISOString(), customerId: customer.id });
    expect(new Date(approved.endsAt!).getTime() - new Date(approved.activatedAt!).getTime()).toBe(45 * DAY_MS);
    expect(approved.approvedByUserId).toMatch(/^customer-admin-/);
    // single use: the link is spent
    expect(await admin(customer.token).errorCode(ApproveAdminRelationshipDocument, { input: { token: created.token } })).toBe('CONFLICT');
    // both sides are told
    for (const token of [partner.token, customer.token]) {
      expect((await eventsOf(token, approved.id)).map((e) => e.type)).toContain('ADMIN_RELATIONSHIP_APPROVED');
    }
  });

  it('lets any customer admin of the same cloud answer an open request, and no one of another cloud', async () => {
    const created = await requestAdmin(t, partner.token);
    const german = await standaloneCustomer(t, 'GERMANY');
    expect(await admin(german.token).errorCode(ApproveAdminRelationshipDocument, { input: { token: created.token } })).toBe('FORBIDDEN');
    const newcomer = await standaloneCustomer(t);
    const approved = await approveAdmin(t, newcomer.token, created.token);
    expect(approved).toMatchObject({ status: 'ACTIVE', customerId: newcomer.id, customerName: newcomer.companyName });

    // the customer sees it (and the partner behind it); the partner sees who approved
    const mine = await admin(newcomer.token).data(AdminRelationshipsDocument, { first: 10 });
    expect(mine.adminRelationships.edges.map((e) => e.node.id)).toEqual([approved.id]);
    expect(mine.adminRelationships.edges[0].node.partner).toEqual({ id: partner.id, name: 'Contoso Admin Services Ltd' });
    const onCustomer = await admin(newcomer.token).data(CustomerAdminRelationshipsDocument, { id: newcomer.id });
    expect(onCustomer.customer!.adminRelationships.edges.map((e) => e.node.id)).toEqual([approved.id]);
    const theirs = await admin(partner.token).data(AdminRelationshipsDocument, { first: 5, filter: { customerId: newcomer.id } });
    expect(theirs.adminRelationships.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({ id: approved.id, customerName: newcomer.companyName, customer: null }), // no reseller relationship: not in its customer list
    ]);
  });

  it('answers 20 concurrent approvals of one link with exactly one success', async () => {
    const created = await requestAdmin(t, partner.token);
    const customers = await Promise.all(Array.from({ length: 20 }, () => standaloneCustomer(t)));
    const answers = await Promise.all(customers.map((c) => admin(c.token).request(ApproveAdminRelationshipDocument, { input: { token: created.token } })));
    const won = answers.filter((a) => a.data?.approveAdminRelationship);
    expect(won).toHaveLength(1);
    expect(answers.filter((a) => a.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(19);
    const events = await eventsOf(partner.token, created.adminRelationship.id);
    expect(events.filter((e) => e.type === 'ADMIN_RELATIONSHIP_APPROVED')).toHaveLength(1);
  });

  it('records a rejection as TERMINATED by the customer, and the link is spent', async () => {
    const created = await requestAdmin(t, partner.token, { customerId: customer.id });
    const { rejectAdminRelationship } = await admin(customer.token).data(RejectAdminRelationshipDocument, { input: { token: created.token } });
    expect(rejectAdminRelationship.adminRelationship).toMatchObject({ status: 'TERMINATED', endReason: 'REJECTED', endedBySide: 'CUSTOMER' });
    expect(await admin(customer.token).errorCode(ApproveAdminRelationshipDocument, { input: { token: created.token } })).toBe('CONFLICT');
    expect((await eventsOf(partner.token, created.adminRelationship.id)).map((e) => e.type)).toEqual([
      'ADMIN_RELATIONSHIP_CREATED',
      'ADMIN_RELATIONSHIP_REJECTED',
    ]);
  });
});

describe('the expiry sweep (a controlled clock)', () => {
  it('sends the 30, 7 and 1 day reminders once each, then expires at endsAt without auto-extension', async () => {
    const created = await requestAdmin(t, partner.token, { customerId: customer.id, duration: 'P60D' });
    const start = clock.now();
    const rel = await approveAdmin(t, customer.token, created.token);
    const endsAt = new Date(rel.endsAt!);
    const reminders = async () => (await eventsOf(partner.token, rel.id)).filter((e) => e.type === 'ADMIN_RELATIONSHIP_EXPIRING').map((e) => e.daysBefore);
    try {
      await sweep();
      expect(await reminders()).toEqual([]);
      for (const [daysLeft, expected] of [
        [29.9, [30]],
        [29, [30]],
        [6.5, [30, 7]],
        [6, [30, 7]],
        [0.5, [30, 7, 1]],
        [0.1, [30, 7, 1]],
      ] as const) {
        clock.set(new Date(endsAt.getTime() - daysLeft * DAY_MS));
        await sweep();
        await sweep(); // a second sweep (or a second server) sends nothing more
        expect({ daysLeft, reminders: await reminders() }).toEqual({ daysLeft, reminders: expected });
      }
      // the customer got each reminder too
      expect((await eventsOf(customer.token, rel.id)).filter((e) => e.type === 'ADMIN_RELATIONSHIP_EXPIRING')).toHaveLength(3);

      clock.set(new Date(endsAt.getTime() + 60_000));
      // past its end before the sweep comes by: neither extended nor switched to auto-extension
      const late = await admin(partner.token).data(ExtendAdminRelationshipsDocument, { input: { adminRelationshipIds: [rel.id] } });
      expect(late.extendAdminRelationships.results[0].error?.code).toBe('CONFLICT');
      expect(await admin(partner.token).errorCode(UpdateAdminRelationshipDocument, { input: { adminRelationshipId: rel.id, autoExtend: true } })).toBe(
        'CONFLICT',
      );
      await sweep();
      await sweep();
      const { adminRelationships } = await admin(partner.token).data(AdminRelationshipsDocument, { first: 50, filter: { status: 'EXPIRED' } });
      expect(adminRelationships.edges.map((e) => e.node).find((n) => n.id === rel.id)).toMatchObject({ status: 'EXPIRED', endReason: 'END_DATE_REACHED' });
      const expired = (await eventsOf(customer.token, rel.id)).filter((e) => e.type === 'ADMIN_RELATIONSHIP_EXPIRED');
      expect(expired).toHaveLength(1);
      expect(expired[0]).toMatchObject({ actor: null, reason: 'END_DATE_REACHED' });
      // terminating or extending what expired is a conflict
      expect(await admin(partner.token).errorCode(TerminateAdminRelationshipDocument, { input: { adminRelationshipId: rel.id } })).toBe('CONFLICT');
    } finally {
      clock.set(start);
    }
  });

  it('extends by 180 days at endsAt when autoExtend, and reminds again before the new end', async () => {
    const created = await requestAdmin(t, partner.token, { customerId: customer.id, duration: 'P10D', autoExtend: true });
    const start = clock.now();
    const rel = await approveAdmin(t, customer.token, created.token);
    const endsAt = new Date(rel.endsAt!);
    try {
      // a 10-day access starts with the 30-day reminder already behind it: the first one is the 7-day one
      await sweep();
      clock.set(new Date(endsAt.getTime() - 8 * DAY_MS));
      await sweep();
      clock.set(new Date(endsAt.getTime() - 6 * DAY_MS));
      await sweep();
      clock.set(new Date(endsAt.getTime() + 1000));
      await sweep();
      await sweep();
      const view = (await admin(customer.token).data(AdminRelationshipsDocument, { first: 50 })).adminRelationships.edges
        .map((e) => e.node)
        .find((n) => n.id === rel.id)!;
      expect(view).toMatchObject({ status: 'ACTIVE', extensions: 1, endsAt: new Date(endsAt.getTime() + 180 * DAY_MS).toISOString() });
      clock.set(new Date(endsAt.getTime() + 151 * DAY_MS));
      await sweep();
      const events = await eventsOf(partner.token, rel.id);
      expect(events.map((e) => [e.type, e.daysBefore ?? e.extendedBy ?? null])).toEqual([
        ['ADMIN_RELATIONSHIP_CREATED', null],
        ['ADMIN_RELATIONSHIP_APPROVED', null],
        ['ADMIN_RELATIONSHIP_EXPIRING', 7],
        ['ADMIN_RELATIONSHIP_EXTENDED', 'AUTO_EXTEND'],
        ['ADMIN_RELATIONSHIP_EXPIRING', 30],
      ]);
      const extended = events.find((e) => e.type === 'ADMIN_RELATIONSHIP_EXTENDED')!;
      expect(extended.previousEndsAt).toBe(endsAt.toISOString());
      // the audit trail records what the server did by itself
      expect(await trailOf(partner.token, rel.id)).toEqual([
        { action: 'ADMIN_RELATIONSHIP_EXTENDED', subjectId: rel.id, actorUserId: 'system' },
        { action: 'ADMIN_RELATIONSHIP_APPROVED', subjectId: rel.id, actorUserId: expect.stringMatching(/^customer-admin-/) },
        { action: 'ADMIN_RELATIONSHIP_CREATED', subjectId: rel.id, actorUserId: expect.stringMatching(/^user-global_admin-/) },
      ]);
    } finally {
      clock.set(start);
    }
  });

  it('works through everything due in one sweep, a batch at a time', async () => {
    const p = await createPartner(t);
    const c = await createCustomer(t, p.token);
    const cToken = await t.tokens.customer(c.id);
    const start = clock.now();
    try {
      const ids: string[] = [];
      for (const duration of ['P8D', 'P8D', 'P8D', 'P31D']) {
        ids.push((await approveAdmin(t, cToken, (await requestAdmin(t, p.token, { customerId: c.id, duration })).token)).id);
      }
      clock.set(new Date(start.getTime() + 1.5 * DAY_MS));
      const reminded = async () => {
        const reminders = (await readAll(t, p.token)).filter((e) => e.type === 'ADMIN_RELATIONSHIP_EXPIRING');
        return ids.map((id) => reminders.filter((e) => e.adminRelationshipId === id).map((e) => e.daysBefore));
      };
      // one sweep with batches of 2 reaches all four; a second one finds nothing more
      await t.server.services.adminRelationships.sweep(clock.now(), 2);
      expect(await reminded()).toEqual([[7], [7], [7], [30]]);
      await t.server.services.adminRelationships.sweep(clock.now(), 2);
      expect(await reminded()).toEqual([[7], [7], [7], [30]]);
    } finally {
      clock.set(start);
    }
  });

  it('expires requests not approved within 90 days', async () => {
    const created = await requestAdmin(t, partner.token, { customerId: customer.id });
    const start = clock.now();
    try {
      clock.set(new Date(start.getTime() + 90 * DAY_MS - 60_000));
      await sweep();
      expect((await t.client().data(AdminRelationshipPreviewDocument, { token: created.token })).adminRelationshipPreview!.status).toBe('APPROVAL_PENDING');
      clock.set(new Date(start.getTime() + 90 * DAY_MS + 60_000));
      // before the sweep comes by, the link already refuses
      expect(await admin(customer.token).errorCode(ApproveAdminRelationshipDocument, { input: { token: created.token } })).toBe('CONFLICT');
      await sweep();
      await sweep();
      const events = await eventsOf(customer.token, created.adminRelationship.id);
      expect(events.filter((e) => e.type === 'ADMIN_RELATIONSHIP_EXPIRED').map((e) => e.reason)).toEqual(['NOT_APPROVED_IN_TIME']);
      expect((await t.client().data(AdminRelationshipPreviewDocument, { token: created.token })).adminRelationshipPreview!.status).toBe('EXPIRED');
    } finally {
      clock.set(start);
    }
  });

  it('runs by itself every EXPIRY_SWEEP_INTERVAL', async () => {
    const own = new ManualClock(new Date('2026-11-22T09:00:00.000Z'));
    const server = await startTestServer({ EXPIRY_SWEEP_INTERVAL: '100ms' }, { clock: own });
    try {
      const p = await createPartner(server);
      const c = await createCustomer(server, p.token);
      const cToken = await server.tokens.customer(c.id);
      const created = await requestAdmin(server, p.token, { customerId: c.id, duration: 'P2D' });
      await approveAdmin(server, cToken, created.token);
      own.advance(3 * DAY_MS);
      const found = await until(
        'the sweep to expire it',
        () => server.client(p.token).data(AdminRelationshipsDocument, { first: 1 }),
        (r) => r.adminRelationships.edges[0].node.status === 'EXPIRED',
      );
      expect(found.adminRelationships.edges[0].node.endReason).toBe('END_DATE_REACHED');
    } finally {
      await server.stop();
    }
  });
});

describe('termination, changes and bulk', () => {
  it('lets either side terminate, and tells both', async () => {
    const a = await approveAdmin(t, customer.token, (await requestAdmin(t, partner.token, { customerId: customer.id })).token);
    const b = await approveAdmin(t, customer.token, (await requestAdmin(t, partner.token, { customerId: customer.id })).token);
    const agent = await t.tokens.partner(partner.id, 'ADMIN_AGENT' as never);
    const byPartner = await admin(agent).data(TerminateAdminRelationshipDocument, { input: { adminRelationshipId: a.id } });
    expect(byPartner.terminateAdminRelationship.adminRelationship).toMatchObject({ status: 'TERMINATED', endReason: 'TERMINATED', endedBySide: 'PARTNER' });
    const byCustomer = await admin(customer.token).data(TerminateAdminRelationshipDocument, { input: { adminRelationshipId: b.id } });
    expect(byCustomer.terminateAdminRelationship.adminRelationship).toMatchObject({
      status: 'TERMINATED',
      endedBySide: 'CUSTOMER',
      endedByUserId: expect.stringMatching(/^customer-admin-/),
    });
    for (const token of [partner.token, customer.token]) {
      for (const id of [a.id, b.id]) expect((await eventsOf(token, id)).map((e) => e.type)).toContain('ADMIN_RELATIONSHIP_TERMINATED');
    }
    expect(await admin(customer.token).errorCode(TerminateAdminRelationshipDocument, { input: { adminRelationshipId: a.id } })).toBe('CONFLICT');
    // a partner's SALES_AGENT may not
    const c = await requestAdmin(t, partner.token);
    const sales = await t.tokens.partner(partner.id, 'SALES_AGENT' as never);
    expect(await admin(sales).errorCode(TerminateAdminRelationshipDocument, { input: { adminRelationshipId: c.adminRelationship.id } })).toBe('FORBIDDEN');
  });

  it('turns auto-extension on and off while pending or active, never with GLOBAL_ADMINISTRATOR', async () => {
    const rel = (await requestAdmin(t, partner.token, { customerId: customer.id })).adminRelationship;
    const on = await admin(partner.token).data(UpdateAdminRelationshipDocument, { input: { adminRelationshipId: rel.id, autoExtend: true } });
    expect(on.updateAdminRelationship.adminRelationship.autoExtend).toBe(true);
    expect((await eventsOf(customer.token, rel.id)).map((e) => e.type)).toEqual(['ADMIN_RELATIONSHIP_CREATED', 'ADMIN_RELATIONSHIP_UPDATED']);
    const ga = (await requestAdmin(t, partner.token, { roles: ['GLOBAL_ADMINISTRATOR'] })).adminRelationship;
    const refused = await admin(partner.token).request(UpdateAdminRelationshipDocument, { input: { adminRelationshipId: ga.id, autoExtend: true } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['input.autoExtend'] });
    await admin(partner.token).data(TerminateAdminRelationshipDocument, { input: { adminRelationshipId: rel.id } });
    expect(await admin(partner.token).errorCode(UpdateAdminRelationshipDocument, { input: { adminRelationshipId: rel.id, autoExtend: false } })).toBe(
      'CONFLICT',
    );
  });

  it('terminates in bulk, reporting each item on its own', async () => {
    const active = await approveAdmin(t, customer.token, (await requestAdmin(t, partner.token, { customerId: customer.id })).token);
    const pending = (await requestAdmin(t, partner.token)).adminRelationship;
    const ended = (await requestAdmin(t, partner.token)).adminRelationship;
    await admin(partner.token).data(TerminateAdminRelationshipDocument, { input: { adminRelationshipId: ended.id } });
    const foreign = (await requestAdmin(t, other.token)).adminRelationship;
    const unknown = '01900000-0000-7000-8000-000000000000';
    const ids = [active.id, foreign.id, pending.id, ended.id, unknown];
    const { terminateAdminRelationships: out } = await admin(partner.token).data(TerminateAdminRelationshipsDocument, { input: { adminRelationshipIds: ids } });
    expect(out).toMatchObject({ succeeded: 2, failed: 3 });
    expect(out.results.map((r) => [r.adminRelationshipId, r.adminRelationship?.status ?? null, r.error?.code ?? null])).toEqual([
      [active.id, 'TERMINATED', null],
      [foreign.id, null, 'NOT_FOUND'],
      [pending.id, 'TERMINATED', null],
      [ended.id, null, 'CONFLICT'],
      [unknown, null, 'NOT_FOUND'],
    ]);
    // the other partner's stays as it was, and the failures undid nothing
    const theirs = await admin(other.token).data(AdminRelationshipsDocument, { first: 10 });
    expect(theirs.adminRelationships.edges.map((e) => [e.node.id, e.node.status])).toEqual([[foreign.id, 'APPROVAL_PENDING']]);
    const mine = (await admin(partner.token).data(AdminRelationshipsDocument, { first: 50 })).adminRelationships.edges.map((e) => e.node);
    expect(mine.filter((n) => [active.id, pending.id].includes(n.id)).map((n) => n.status)).toEqual(['TERMINATED', 'TERMINATED']);

    // at most 100 ids, each once
    const tooMany = Array.from({ length: 101 }, (_, i) => `01900000-0000-7000-8000-${String(i).padStart(12, '0')}`);
    for (const list of [tooMany, [active.id, active.id], []]) {
      const res = await admin(partner.token).request(TerminateAdminRelationshipsDocument, { input: { adminRelationshipIds: list } });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['input.adminRelationshipIds'] });
    }
  });

  it('extends in bulk by 180 days, refusing pending ones, GLOBAL_ADMINISTRATOR and more than 730 days ahead', async () => {
    const short = await approveAdmin(t, customer.token, (await requestAdmin(t, partner.token, { customerId: customer.id, duration: 'P30D' })).token);
    const long = await approveAdmin(t, customer.token, (await requestAdmin(t, partner.token, { customerId: customer.id, duration: 'P700D' })).token);
    const ga = await approveAdmin(
      t,
      customer.token,
      (await requestAdmin(t, partner.token, { customerId: customer.id, roles: ['GLOBAL_ADMINISTRATOR'] })).token,
    );
    const pending = (await requestAdmin(t, partner.token)).adminRelationship;
    const { extendAdminRelationships: out } = await admin(partner.token).data(ExtendAdminRelationshipsDocument, {
      input: { adminRelationshipIds: [short.id, long.id, ga.id, pending.id] },
    });
    expect(out.results.map((r) => r.error?.code ?? r.adminRelationship!.extensions)).toEqual([1, 'CONFLICT', 'CONFLICT', 'CONFLICT']);
    expect(out.results[0].adminRelationship!.endsAt).toBe(new Date(new Date(short.endsAt!).getTime() + 180 * DAY_MS).toISOString());
    expect((await eventsOf(customer.token, short.id)).at(-1)).toMatchObject({ type: 'ADMIN_RELATIONSHIP_EXTENDED', extendedBy: 'PARTNER' });
    // only the partner extends
    expect(await admin(customer.token).errorCode(ExtendAdminRelationshipsDocument, { input: { adminRelationshipIds: [short.id] } })).toBe('FORBIDDEN');
  });
});

describe('lists and tenancy', () => {
  it('filters by status, customer and expiry, with a totalCount that matches', async () => {
    const p = await createPartner(t);
    const c = await createCustomer(t, p.token);
    const cToken = await t.tokens.customer(c.id);
    const soon = await approveAdmin(t, cToken, (await requestAdmin(t, p.token, { customerId: c.id, duration: 'P5D' })).token);
    await approveAdmin(t, cToken, (await requestAdmin(t, p.token, { customerId: c.id, duration: 'P100D' })).token);
    await requestAdmin(t, p.token);
    const list = (filter?: Record<string, unknown>) => admin(p.token).data(AdminRelationshipsDocument, { first: 10, filter });
    expect((await list()).adminRelationships.totalCount).toBe(3);
    expect((await list({ status: 'ACTIVE' })).adminRelationships.totalCount).toBe(2);
    expect((await list({ customerId: c.id })).adminRelationships.totalCount).toBe(2);
    const expiring = await list({ expiringWithinDays: 7 });
    expect(expiring.adminRelationships.edges.map((e) => e.node.id)).toEqual([soon.id]);
    expect(expiring.adminRelationships.totalCount).toBe(1);
    const bad = await admin(p.token).request(AdminRelationshipsDocument, { first: 10, filter: { expiringWithinDays: 0 } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['filter.expiringWithinDays'] });
    // paging
    const first = await admin(p.token).data(AdminRelationshipsDocument, { first: 2 });
    const second = await admin(p.token).data(AdminRelationshipsDocument, { first: 2, after: first.adminRelationships.pageInfo.endCursor });
    expect(first.adminRelationships.pageInfo.hasNextPage).toBe(true);
    expect([...first.adminRelationships.edges, ...second.adminRelationships.edges].map((e) => e.node.id)).toHaveLength(3);
  });

  it('shows each partner only its own on a shared customer, and another partner or customer sees and changes nothing', async () => {
    const shared = await createCustomer(t, partner.token, { companyName: 'Shared Admin Corporation' });
    const sharedToken = await t.tokens.customer(shared.id);
    // the other partner serves it too
    const { createCustomerInvitation } = await admin(other.token)
      .raw<{ createCustomerInvitation: { token: string } }>({
        query: 'mutation { createCustomerInvitation(input: { includeDelegatedAdminPrivileges: false }) { token } }',
      })
      .then((r) => r.data!);
    await admin(sharedToken).raw({
      query: 'mutation ($t: String!) { acceptCustomerInvitation(input: { token: $t }) { customer { id } } }',
      variables: { t: createCustomerInvitation.token },
    });
    const ours = await approveAdmin(t, sharedToken, (await requestAdmin(t, partner.token, { customerId: shared.id })).token);
    const theirs = await approveAdmin(t, sharedToken, (await requestAdmin(t, other.token, { customerId: shared.id })).token);

    const seen = async (token: string) =>
      (await admin(token).data(CustomerAdminRelationshipsDocument, { id: shared.id })).customer!.adminRelationships.edges.map((e) => e.node.id);
    expect(await seen(partner.token)).toEqual([ours.id]);
    expect(await seen(other.token)).toEqual([theirs.id]);
    expect((await seen(sharedToken)).sort()).toEqual([ours.id, theirs.id].sort());

    const outsider = await standaloneCustomer(t);
    expect((await admin(outsider.token).data(AdminRelationshipsDocument, { first: 50 })).adminRelationships.totalCount).toBe(0);
    const before = await rowCounts();
    for (const token of [other.token, outsider.token]) {
      expect(await admin(token).errorCode(TerminateAdminRelationshipDocument, { input: { adminRelationshipId: ours.id } })).toBe('NOT_FOUND');
    }
    expect(await admin(other.token).errorCode(UpdateAdminRelationshipDocument, { input: { adminRelationshipId: ours.id, autoExtend: true } })).toBe(
      'NOT_FOUND',
    );
    const bulk = await admin(other.token).data(ExtendAdminRelationshipsDocument, { input: { adminRelationshipIds: [ours.id] } });
    expect(bulk.extendAdminRelationships.results[0].error?.code).toBe('NOT_FOUND');
    expect(await rowCounts()).toBe(before);
    expect((await admin(other.token).data(AdminRelationshipsDocument, { first: 50 })).adminRelationships.edges.map((e) => e.node.id)).not.toContain(ours.id);
    // the operator sees both
    const operator = await t.tokens.operator();
    expect((await admin(operator).data(AdminRelationshipsDocument, { first: 50, filter: { customerId: shared.id } })).adminRelationships.totalCount).toBe(2);
  });

  it('pushes admin relationship events live to both sides over WebSocket, and to no one else', async () => {
    const p = await createPartner(t);
    const c = await createCustomer(t, p.token);
    const cToken = await t.tokens.customer(c.id);
    const stranger = await standaloneCustomer(t);
    const types = ['ADMIN_RELATIONSHIP_APPROVED', 'ADMIN_RELATIONSHIP_EXPIRING', 'ADMIN_RELATIONSHIP_TERMINATED'];
    const sockets = [p.token, cToken, other.token, stranger.token].map((token) => t.ws(token));
    await Promise.all(sockets.map((ws) => ws.ready()));
    const [ours, theirs, rival, outsider] = sockets.map((ws) => stream(ws, undefined, types));
    await pause(100);
    const start = clock.now();
    try {
      const rel = await approveAdmin(t, cToken, (await requestAdmin(t, p.token, { customerId: c.id, duration: 'P3D' })).token);
      clock.set(new Date(new Date(rel.endsAt!).getTime() - DAY_MS / 2));
      await sweep();
      await admin(cToken).data(TerminateAdminRelationshipDocument, { input: { adminRelationshipId: rel.id } });
      for (const live of [ours, theirs]) {
        const got = await live.waitFor(3);
        expect(got.map((e) => [e.events.type, e.events.adminRelationshipId, e.events.daysBefore ?? null])).toEqual([
          ['ADMIN_RELATIONSHIP_APPROVED', rel.id, null],
          ['ADMIN_RELATIONSHIP_EXPIRING', rel.id, 1],
          ['ADMIN_RELATIONSHIP_TERMINATED', rel.id, null],
        ]);
      }
      await pause(300);
      expect(rival.events.filter((e) => e.events.adminRelationshipId === rel.id)).toEqual([]);
      expect(outsider.events).toEqual([]);
    } finally {
      clock.set(start);
      [ours, theirs, rival, outsider].forEach((live) => live.dispose());
      await Promise.all(sockets.map((ws) => ws.close()));
    }
  });

  it('delivers admin relationship events to webhooks, signed', async () => {
    const receiver = await startReceiver([200]);
    try {
      const p = await createPartner(t);
      const c = await createCustomer(t, p.token);
      const { secret } = await createEndpoint(t, p.token, receiver.url, ['ADMIN_RELATIONSHIP_APPROVED']);
      const rel = await approveAdmin(t, await t.tokens.customer(c.id), (await requestAdmin(t, p.token, { customerId: c.id })).token);
      await until(
        'the delivery',
        () => receiver.received.length,
        (n) => n > 0,
      );
      const hook = receiver.received[0];
      const body = new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>) as { type: string; adminRelationshipId: string };
      expect(body).toMatchObject({ type: 'ADMIN_RELATIONSHIP_APPROVED', adminRelationshipId: rel.id });
    } finally {
      await receiver.stop();
    }
  });
});
