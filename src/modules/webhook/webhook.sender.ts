import * as http from 'node:http';
import * as https from 'node:https';
import { Webhook } from 'standardwebhooks';
import type { WebhookAddressPolicy } from './webhook.address';

export interface SendResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * One signed POST (Standard Webhooks): `webhook-id` is the event id, `webhook-timestamp` the send
 * time in seconds, `webhook-signature` `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, signed by the
 * `standardwebhooks` library with the endpoint's secret. A 2xx answer is success; anything else, a
 * refused address or no answer within `timeoutMs` is a failure.
 */
export function sendWebhook(
  policy: WebhookAddressPolicy,
  target: string,
  secret: string,
  eventId: string,
  body: string,
  timeoutMs: number,
): Promise<SendResult> {
  const url = new URL(target);
  // the wire timestamp of the signature, not business time: receivers check it against their own
  // clocks (Standard Webhooks' replay window), so it is always the system's
  const now = new Date();
  const signature = new Webhook(secret).sign(eventId, now, body);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent: policy.agentFor(url),
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'partner-center-webhooks/1',
        'webhook-id': eventId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
    });
    const deadline = setTimeout(() => {
      req.destroy();
      finish({ ok: false, status: null, error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('response', (res) => {
      res.resume(); // the answer's body is not read
      const status = res.statusCode ?? 0;
      finish({ ok: status >= 200 && status < 300, status, error: null });
    });
    req.on('error', (err) => finish({ ok: false, status: null, error: err.message.slice(0, 500) }));
    req.end(body);
  });
}
