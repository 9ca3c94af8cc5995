import { Webhook } from 'standardwebhooks';
import { pause, readAll, stream } from './support/events';
import { createPartner } from './support/factories';
import { invite } from './support/invitations';
import { startTestServer, type TestServer } from './support/test-server';
import { createEndpoint, deliveries, startReceiver, until } from './support/webhooks';

let t: TestServer;
beforeAll(async () => {
  // a short retry schedule and a fast worker, so that retries happen within the test
  t = await startTestServer({ WEBHOOK_RETRY_SCHEDULE: '150ms,150ms', WEBHOOK_POLL_INTERVAL: '50ms', WEBHOOK_TIMEOUT: '2s' });
});
afterAll(() => t.stop());

it('POSTs each event signed per Standard Webhooks: the standardwebhooks package verifies it', async () => {
  const receiver = await startReceiver([200]);
  try {
    const p = await createPartner(t);
    const { endpoint, secret } = await createEndpoint(t, p.token, receiver.url);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(endpoint).toMatchObject({ url: receiver.url, enabled: true, eventTypes: [] });
    const { invitation } = await invite(t, p.token);
    await until(
      'a delivery',
      () => receiver.received.length,
      (n) => n >= 1,
    );
    const [hook] = receiver.received;
    const verified = new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>) as { id: string; type: string; invitationId: string };
    const [event] = await readAll(t, p.token);
    expect(verified).toMatchObject({ id: event.id, type: 'INVITATION_CREATED', invitationId: invitation.id, cursor: event.cursor });
    expect(hook.headers['webhook-id']).toBe(event.id);
    expect(hook.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    // a wrong secret, or a changed body, does not verify
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(hook.body, hook.headers as Record<string, string>)).toThrow();
    expect(() => new Webhook(secret).verify(hook.body.replace('INVITATION', 'INVITATIOM'), hook.headers as Record<string, string>)).toThrow();
    const { deliveries: rows } = await until(
      'SUCCEEDED',
      () => deliveries(t, p.token, endpoint.id),
      (d) => d.deliveries[0]?.status === 'SUCCEEDED',
    );
    expect(rows).toEqual([expect.objectContaining({ eventId: event.id, attempt: 1, status: 'SUCCEEDED', responseStatus: 200, nextAttemptAt: null })]);
  } finally {
    await receiver.stop();
  }
});

it('retries a receiver that answers 500 twice then 200: three attempts, visible in deliveries; only the chosen types', async () => {
  const receiver = await startReceiver([500, 500, 200]);
  try {
    const p = await createPartner(t);
    const { endpoint } = await createEndpoint(t, p.token, receiver.url, ['INVITATION_REVOKED']);
    const { invitation } = await invite(t, p.token); // INVITATION_CREATED: not a chosen type
    await t.client(p.token).raw({
      query: 'mutation ($input: RevokeCustomerInvitationInput!) { revokeCustomerInvitation(input: $input) { invitation { id } } }',
      variables: { input: { invitationId: invitation.id } },
    });
    const { deliveries: rows } = await until(
      'three attempts',
      () => deliveries(t, p.token, endpoint.id),
      (d) => d.deliveries.some((x) => x.status === 'SUCCEEDED'),
    );
    expect(rows.map((d) => [d.attempt, d.status, d.responseStatus])).toEqual([
      [1, 'FAILED', 500],
      [2, 'FAILED', 500],
      [3, 'SUCCEEDED', 200],
    ]);
    expect(rows[0].nextAttemptAt).not.toBeNull();
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([rows[0].eventId]));
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual([
      'INVITATION_REVOKED',
      'INVITATION_REVOKED',
      'INVITATION_REVOKED',
    ]);

    // a manual redelivery is a fourth attempt, sent at once
    const res = await t.client(p.token).raw<{ redeliverWebhook: { delivery: { attempt: number; status: string } } }>({
      query: 'mutation ($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { delivery { attempt status } } }',
      variables: { input: { deliveryId: rows[0].id } },
    });
    expect(res.data?.redeliverWebhook.delivery).toEqual({ attempt: 4, status: 'PENDING' });
    await until(
      'the fourth POST',
      () => receiver.received.length,
      (n) => n === 4,
    );
  } finally {
    await receiver.stop();
  }
});

it('disables the endpoint after the last retry fails, and emits WEBHOOK_ENDPOINT_DISABLED once', async () => {
  const receiver = await startReceiver([503]);
  try {
    const p = await createPartner(t);
    const socket = t.ws(p.token);
    await socket.ready();
    const live = stream(socket, undefined, ['WEBHOOK_ENDPOINT_DISABLED']);
    const { endpoint } = await createEndpoint(t, p.token, receiver.url);
    await invite(t, p.token);
    const [disabled] = await live.waitFor(1, 8000);
    expect(disabled.events).toMatchObject({ type: 'WEBHOOK_ENDPOINT_DISABLED', partnerId: p.id, actor: null, endpointId: endpoint.id, attempts: 3 });
    const state = await deliveries(t, p.token, endpoint.id);
    expect(state.enabled).toBe(false);
    expect(state.deliveries.map((d) => [d.attempt, d.status])).toEqual([
      [1, 'FAILED'],
      [2, 'FAILED'],
      [3, 'FAILED'],
    ]);
    await pause(300);
    expect(live.events).toHaveLength(1);
    expect(receiver.received).toHaveLength(3);
    // a disabled endpoint gets nothing new until it is enabled again
    await invite(t, p.token);
    await pause(400);
    expect(receiver.received).toHaveLength(3);
    const redeliver = await t.client(p.token).raw({
      query: 'mutation ($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { delivery { id } } }',
      variables: { input: { deliveryId: state.deliveries[0].id } },
    });
    expect(redeliver.errors?.[0].extensions?.code).toBe('CONFLICT');
    await socket.close();
  } finally {
    await receiver.stop();
  }
});

it('keeps endpoints and deliveries to their partner: another partner gets NOT_FOUND and sees none', async () => {
  const owner = await createPartner(t);
  const other = await createPartner(t);
  const { endpoint } = await createEndpoint(t, owner.token, 'https://hooks.example.test/owner');
  for (const [query, input] of [
    ['updateWebhookEndpoint(input: $input) { endpoint { id } }', { endpointId: endpoint.id, enabled: false }],
    ['deleteWebhookEndpoint(input: $input) { endpointId }', { endpointId: endpoint.id }],
  ] as const) {
    const name = query.split('(')[0];
    const type = `${name[0].toUpperCase()}${name.slice(1)}Input`;
    const res = await t.client(other.token).raw({ query: `mutation ($input: ${type}!) { ${query} }`, variables: { input } });
    expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  }
  const listed = await t.client(other.token).raw<{ webhookEndpoints: { totalCount: number } }>({ query: '{ webhookEndpoints { totalCount } }' });
  expect(listed.data?.webhookEndpoints.totalCount).toBe(0);
  const sales = await t.tokens.partner(owner.id, 'SALES_AGENT' as never);
  const refused = await t.client(sales).raw({ query: '{ webhookEndpoints { totalCount } }' });
  expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
});

describe('in production', () => {
  let prod: TestServer;
  beforeAll(async () => {
    prod = await startTestServer({
      NODE_ENV: 'production',
      CORS_ORIGINS: 'https://portal.example.test',
      WEBHOOK_SECRET_KEY: 'prod-like-webhook-key-for-the-test-only-0123456789',
      WEBHOOK_ALLOWED_HOSTS: 'hooks.internal.example',
    });
  });
  afterAll(() => prod.stop());

  it('refuses loopback, private and link-local webhook URLs with BAD_USER_INPUT naming input.url', async () => {
    const p = await createPartner(prod);
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://[::1]/hook',
      'http://10.0.0.5/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://0.0.0.0/',
    ]) {
      const res = await prod.client(p.token).raw({
        query: 'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }',
        variables: { input: { url } },
      });
      expect({ url, error: res.errors?.[0].extensions }).toEqual({ url, error: expect.objectContaining({ code: 'BAD_USER_INPUT', fields: ['input.url'] }) });
    }
    // a listed host is allowed; a public one too
    await createEndpoint(prod, p.token, 'https://hooks.internal.example/partner');
    await createEndpoint(prod, p.token, 'https://hooks.example.com/partner');
  });

  it('refuses development-only settings: the development webhook key', async () => {
    await expect(startTestServer({ NODE_ENV: 'production', CORS_ORIGINS: 'https://portal.example.test', WEBHOOK_SECRET_KEY: '' })).rejects.toThrow(
      /WEBHOOK_SECRET_KEY/,
    );
  });
});
