import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestServer } from './test-server';

export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback: answers each POST with the next status of `statuses` (then the last one). */
export async function startReceiver(statuses: number[] = [200]): Promise<{ url: string; received: ReceivedHook[]; stop: () => Promise<void> }> {
  const received: ReceivedHook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)];
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

export async function createEndpoint(t: TestServer, token: string, url: string, eventTypes?: string[]) {
  const res = await t
    .client(token)
    .raw<{ createWebhookEndpoint: { endpoint: { id: string; url: string; eventTypes: string[]; enabled: boolean }; secret: string } }>({
      query: 'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id url eventTypes enabled } secret } }',
      variables: { input: { url, eventTypes } },
    });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.createWebhookEndpoint;
}

export interface DeliveryView {
  id: string;
  eventId: string;
  attempt: number;
  status: string;
  responseStatus: number | null;
  error: string | null;
  nextAttemptAt: string | null;
}

/** An endpoint's deliveries as its partner reads them, oldest first. */
export async function deliveries(t: TestServer, token: string, endpointId: string): Promise<{ enabled: boolean; deliveries: DeliveryView[] }> {
  const res = await t
    .client(token)
    .raw<{ webhookEndpoints: { edges: { node: { id: string; enabled: boolean; deliveries: { edges: { node: DeliveryView }[] } } }[] } }>({
      query:
        '{ webhookEndpoints(first: 5) { edges { node { id enabled deliveries(first: 20) { edges { node { id eventId attempt status responseStatus error nextAttemptAt } } } } } } }',
    });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  const node = res.data!.webhookEndpoints.edges.map((e) => e.node).find((n) => n.id === endpointId)!;
  return { enabled: node.enabled, deliveries: node.deliveries.edges.map((e) => e.node).reverse() };
}

export async function until<T>(what: string, probe: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
