import * as http from 'node:http';
import * as https from 'node:https';
import ipaddr from 'ipaddr.js';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import type { AppConfig } from '../../common/config';

/**
 * Where webhooks may go (SSRF): in production never to a private, loopback, link-local or other
 * non-public address, unless the host is listed in WEBHOOK_ALLOWED_HOSTS; outside production loopback
 * is allowed too (a receiver on this machine). Checked on the URL when an endpoint is saved, and on
 * the resolved address of every connection (request-filtering-agent), so a DNS name that points
 * inward is refused as well. Redirects are never followed.
 */
export class WebhookAddressPolicy {
  private readonly production: boolean;
  private readonly allowed: Set<string>;
  private readonly agents: { http: http.Agent; https: https.Agent };
  private readonly plain = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };

  constructor(config: AppConfig) {
    this.production = config.nodeEnv === 'production';
    this.allowed = new Set(config.webhookAllowedHosts);
    const filter = {
      allowPrivateIPAddress: false,
      allowMetaIPAddress: false,
      allowIPAddressList: this.production ? [] : ['127.0.0.1', '::1', '::ffff:127.0.0.1'],
    };
    this.agents = { http: new RequestFilteringHttpAgent(filter), https: new RequestFilteringHttpsAgent(filter) };
  }

  /** Why a URL may not be an endpoint, or null when it may. */
  refuse(raw: string): string | null {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'must be an absolute http or https URL';
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https or http';
    if (url.username || url.password) return 'must not carry a user name or password';
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (this.allowed.has(host) || !this.production) return null;
    if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) {
      return 'must be a public address (this host is local; list it in WEBHOOK_ALLOWED_HOSTS to allow it)';
    }
    if (ipaddr.isValid(host)) {
      const addr = ipaddr.process(host);
      if (addr.range() !== 'unicast') return `must be a public address (${host} is ${addr.range()}; list it in WEBHOOK_ALLOWED_HOSTS to allow it)`;
    }
    return null;
  }

  /** The agent for a delivery: filtering unless the host is allowed. */
  agentFor(url: URL): http.Agent {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const kind = url.protocol === 'https:' ? 'https' : 'http';
    return this.allowed.has(host) ? this.plain[kind] : this.agents[kind];
  }
}
