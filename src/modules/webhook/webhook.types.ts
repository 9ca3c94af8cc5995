import { Field, ID, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../common/pagination';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';

@ObjectType()
export class WebhookEndpointConnection extends ConnectionType('WebhookEndpoint', WebhookEndpoint) {}

@ObjectType()
export class WebhookDeliveryConnection extends ConnectionType('WebhookDelivery', WebhookDelivery) {}

@ObjectType()
export class CreateWebhookEndpointPayload {
  @Field(() => WebhookEndpoint)
  endpoint: WebhookEndpoint;

  @Field({ description: 'The signing secret (whsec_…): shown this once; verify deliveries with it (e.g. the standardwebhooks package)' })
  secret: string;
}

@ObjectType()
export class UpdateWebhookEndpointPayload {
  @Field(() => WebhookEndpoint)
  endpoint: WebhookEndpoint;
}

@ObjectType({ description: 'The endpoint and its deliveries are gone: evict them from caches by `endpointId`' })
export class DeleteWebhookEndpointPayload {
  @Field(() => ID, { description: 'The id of the deleted endpoint (its deliveries were deleted with it)' })
  endpointId: string;
}

@ObjectType()
export class RedeliverWebhookPayload {
  @Field(() => WebhookDelivery, { description: 'The new attempt, sent at once' })
  delivery: WebhookDelivery;

  @Field(() => WebhookEndpoint, { description: 'The endpoint, whose `deliveries` now start with the new attempt' })
  endpoint: WebhookEndpoint;
}
