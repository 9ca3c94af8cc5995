import type { EntityManager } from 'typeorm';
import { type Builder, registerScopeRule, Scope } from '../../scope/scope';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { registerNodeType } from '../../scope/nodes';
import { Can } from '../../common/auth/roles';

declare module '../../scope/scope' {
  interface Scope {
    /** Webhook endpoints: a partner's own (secrets never leave the server), the operator all. */
    webhookEndpoints(em?: EntityManager): Builder<WebhookEndpoint>;
    /** Deliveries to the endpoints the caller may read. */
    webhookDeliveries(em?: EntityManager): Builder<WebhookDelivery>;
  }
}

Scope.prototype.webhookEndpoints = function (this: Scope, em?: EntityManager) {
  return this.partnerOwnedRows(WebhookEndpoint, 'endpoint', 'partnerId', em);
};

Scope.prototype.webhookDeliveries = function (this: Scope, em?: EntityManager) {
  const qb = this.from(WebhookDelivery, 'delivery', em);
  return this.byKind(qb, {
    operator: () => qb,
    partner: (partnerId) =>
      qb.andWhere('delivery.endpointId IN (SELECT se.id FROM webhook_endpoint se WHERE se.partnerId = :scopePartnerId)', { scopePartnerId: partnerId }),
  });
};

registerScopeRule(WebhookEndpoint, { label: 'Webhook endpoint', alias: 'endpoint', read: (scope, em) => scope.webhookEndpoints(em) });
registerScopeRule(WebhookDelivery, { label: 'Webhook delivery', alias: 'delivery', read: (scope, em) => scope.webhookDeliveries(em) });
registerNodeType('WebhookEndpoint', { read: (scope: Scope) => scope.webhookEndpoints(), roles: Can.manageWebhooks });
registerNodeType('WebhookDelivery', { read: (scope: Scope) => scope.webhookDeliveries(), roles: Can.manageWebhooks });
