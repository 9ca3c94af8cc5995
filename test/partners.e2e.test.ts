import { CreatePartnerDocument, PartnerDocument, PartnersDocument } from './generated/graphql';
import { createPartner, uniqueMpnId } from './support/factories';
import { startTestServer, type TestServer } from './support/test-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

const input = (overrides: Record<string, unknown> = {}) => ({
  name: 'Woodgrove Solutions Ltd',
  mpnId: uniqueMpnId(),
  type: 'INDIRECT_PROVIDER' as const,
  cloud: 'PUBLIC' as const,
  contactEmail: 'channel@woodgrove.example',
  ...overrides,
});

describe('createPartner', () => {
  it('onboards a partner', async () => {
    const operator = t.client(await t.tokens.operator());
    const i = input();
    const { createPartner: res } = await operator.data(CreatePartnerDocument, { input: i });
    expect(res.partner).toMatchObject({ name: i.name, mpnId: i.mpnId, type: 'INDIRECT_PROVIDER', cloud: 'PUBLIC' });
  });

  it('refuses a duplicate MPN ID with CONFLICT', async () => {
    const operator = t.client(await t.tokens.operator());
    const i = input();
    await operator.data(CreatePartnerDocument, { input: i });
    expect(await operator.errorCode(CreatePartnerDocument, { input: { ...i, name: 'Other' } })).toBe('CONFLICT');
  });

  it.each([
    ['empty name', { name: '' }, 'input.name'],
    ['5,000-character name', { name: 'x'.repeat(5000) }, 'input.name'],
    ['short MPN ID', { mpnId: '123' }, 'input.mpnId'],
    ['non-digit MPN ID', { mpnId: '12345a7' }, 'input.mpnId'],
    ['bad email', { contactEmail: 'nope' }, 'input.contactEmail'],
  ])('answers BAD_USER_INPUT for a %s and writes nothing', async (_l, overrides, field) => {
    const operator = t.client(await t.tokens.operator());
    const before = (await operator.data(PartnersDocument, {})).partners.totalCount;
    const res = await operator.request(CreatePartnerDocument, { input: input(overrides) });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].extensions?.fields).toEqual([field]);
    expect((await operator.data(PartnersDocument, {})).partners.totalCount).toBe(before);
  });
});

describe('partner visibility', () => {
  it('shows the operator every partner and a partner only itself', async () => {
    const a = await createPartner(t);
    const b = await createPartner(t);
    const operator = t.client(await t.tokens.operator());
    const all = await operator.data(PartnersDocument, { first: 100 });
    expect(all.partners.edges.map((e) => e.node.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    const own = await t.client(a.token).data(PartnersDocument, {});
    expect(own.partners.edges.map((e) => e.node.id)).toEqual([a.id]);
    expect(await t.client(a.token).errorCode(PartnerDocument, { id: b.id })).toBe('NOT_FOUND');
    expect((await t.client(a.token).data(PartnerDocument, { id: a.id })).partner?.id).toBe(a.id);
  });

  it('filters by type', async () => {
    const operator = t.client(await t.tokens.operator());
    const { partners } = await operator.data(PartnersDocument, { first: 100, filter: { type: 'INDIRECT_RESELLER' } });
    expect(partners.edges.every((e) => e.node.type === 'INDIRECT_RESELLER')).toBe(true);
  });
});
