import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Can } from '../../common/auth/roles';
import { COST } from '../../common/cost';
import { ConnectionArgs } from '../../common/pagination';
import type { RequestContext } from '../../context';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { CreateWebhookEndpointInput, DeleteWebhookEndpointInput, RedeliverWebhookInput, UpdateWebhookEndpointInput } from './webhook.inputs';
import {
  CreateWebhookEndpointPayload,
  DeleteWebhookEndpointPayload,
  RedeliverWebhookPayload,
  UpdateWebhookEndpointPayload,
  WebhookDeliveryConnection,
  WebhookEndpointConnection,
} from './webhook.types';

@Resolver(() => WebhookEndpoint)
export class WebhookResolver {
  @Authorized(...Can.manageWebhooks)
  @Query(() => WebhookEndpointConnection, { description: "The viewer's partner's webhook endpoints, oldest first" })
  webhookEndpoints(@Ctx() ctx: RequestContext, @Args() args: ConnectionArgs) {
    return ctx.services.webhooks.list(ctx.scope, args);
  }

  @Authorized(...Can.manageWebhooks)
  @Mutation(() => CreateWebhookEndpointPayload, { description: 'Register a URL for signed event deliveries; the secret is shown once' })
  createWebhookEndpoint(@Ctx() ctx: RequestContext, @Arg('input', () => CreateWebhookEndpointInput) input: CreateWebhookEndpointInput) {
    return ctx.services.webhooks.create(ctx.scope, input);
  }

  @Authorized(...Can.manageWebhooks)
  @Mutation(() => UpdateWebhookEndpointPayload, { description: 'Change the URL, the types, or enable/disable an endpoint' })
  async updateWebhookEndpoint(@Ctx() ctx: RequestContext, @Arg('input', () => UpdateWebhookEndpointInput) input: UpdateWebhookEndpointInput) {
    return { endpoint: await ctx.services.webhooks.update(ctx.scope, input) };
  }

  @Authorized(...Can.manageWebhooks)
  @Mutation(() => DeleteWebhookEndpointPayload, { description: 'Delete an endpoint and its delivery history' })
  async deleteWebhookEndpoint(@Ctx() ctx: RequestContext, @Arg('input', () => DeleteWebhookEndpointInput) input: DeleteWebhookEndpointInput) {
    return { endpointId: await ctx.services.webhooks.delete(ctx.scope, input.endpointId) };
  }

  @Authorized(...Can.manageWebhooks)
  @Mutation(() => RedeliverWebhookPayload, { description: "Send a delivery's event again now, as a new attempt" })
  async redeliverWebhook(@Ctx() ctx: RequestContext, @Arg('input', () => RedeliverWebhookInput) input: RedeliverWebhookInput) {
    return ctx.services.webhooks.redeliver(ctx.scope, input.deliveryId);
  }

  @FieldResolver(() => WebhookDeliveryConnection, { complexity: COST.batched, description: 'Delivery attempts, newest first' })
  deliveries(@Root() endpoint: WebhookEndpoint, @Ctx() ctx: RequestContext, @Args() args: ConnectionArgs) {
    return ctx.services.webhooks.deliveries(ctx.scope, endpoint, args);
  }
}
