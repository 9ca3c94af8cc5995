import './webhook.scope';
import { defineModule } from '../module';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import {
  WEBHOOK_ENDPOINT_CREATED,
  WEBHOOK_ENDPOINT_DELETED,
  WEBHOOK_ENDPOINT_DISABLED,
  WEBHOOK_ENDPOINT_UPDATED,
  WEBHOOK_REDELIVERY_REQUESTED,
} from './webhook.changes';
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
  changes: [WEBHOOK_ENDPOINT_CREATED, WEBHOOK_ENDPOINT_UPDATED, WEBHOOK_ENDPOINT_DELETED, WEBHOOK_REDELIVERY_REQUESTED, WEBHOOK_ENDPOINT_DISABLED],
  services: ({ deps, changes, events }) => ({ webhooks: new WebhookService(deps, changes, events) }),
});
