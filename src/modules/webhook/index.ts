import './webhook.scope';
import { defineModule } from '../module';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import * as webhookChanges from './webhook.changes';
import { WebhookResolver } from './webhook.resolver';
import { WebhookService } from './webhook.service';

declare module '../../context' {
  interface Services {
    webhooks: WebhookService;
  }
}

/** Webhook endpoints and their signed, retried deliveries of the event stream. */
export const webhookModule = defineModule({
  name: 'webhook',
  entities: [WebhookEndpoint, WebhookDelivery],
  resolvers: [WebhookResolver],
  // every kind of change the feature declares (each export of its .changes.ts is one)
  changes: Object.values(webhookChanges),
  services: ({ deps, changes, events }) => ({ webhooks: new WebhookService(deps, changes, events) }),
});
