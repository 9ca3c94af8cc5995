import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { Can, PARTNER_ROLES } from '../../common/auth/roles';
import type { RequestContext } from '../../context';
import { ConnectionArgs } from '../../common/pagination';
import { EventType } from '../../events/catalog';
import type { StoredEvent } from '../../events/outbox';
import { type EventValue, toEventNode } from '../../events/event.types';
import '../../events/typed-events';
import { Partner } from '../partner/partner.entity';
import { Partnership } from './partnership.entity';
import { AcceptPartnershipRequestInput, RemovePartnershipInput, RequestPartnershipInput, RevokePartnershipRequestInput } from './partnership.inputs';
import {
  AcceptPartnershipRequestPayload,
  PartnershipChangedEvent,
  PartnershipConnection,
  PartnershipRequestConnection,
  RemovePartnershipPayload,
  RequestPartnershipPayload,
  RevokePartnershipRequestPayload,
} from './partnership.types';
import { COST } from '../../common/cost';

@Resolver(() => Partnership)
export class PartnershipResolver {
  @Authorized(...PARTNER_ROLES)
  @Query(() => PartnershipConnection, { description: "An indirect provider's ACTIVE partnerships with its resellers" })
  indirectResellers(@Ctx() ctx: RequestContext, @Args() args: ConnectionArgs) {
    return ctx.services.partnerships.listActive(ctx.scope, args, 'provider');
  }

  @Authorized(...PARTNER_ROLES)
  @Query(() => PartnershipConnection, { description: "An indirect reseller's ACTIVE partnerships with its providers" })
  indirectProviders(@Ctx() ctx: RequestContext, @Args() args: ConnectionArgs) {
    return ctx.services.partnerships.listActive(ctx.scope, args, 'reseller');
  }

  @Authorized(...PARTNER_ROLES)
  @Query(() => PartnershipRequestConnection, { description: "The viewer's partner's own partnership requests, newest first" })
  partnershipRequests(@Ctx() ctx: RequestContext, @Args() args: ConnectionArgs) {
    return ctx.services.partnerships.listRequests(ctx.scope, args);
  }

  @Authorized(...Can.requestPartnerships)
  @Mutation(() => RequestPartnershipPayload, {
    description: 'An indirect provider emails a partnership request: returns the link, an editable draft, and the token (once)',
  })
  requestPartnership(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => RequestPartnershipInput) input: RequestPartnershipInput,
  ): Promise<RequestPartnershipPayload> {
    return ctx.services.partnerships.request(ctx.scope, input.resellerEmail);
  }

  @Authorized(...Can.acceptOrRemovePartnerships)
  @Mutation(() => AcceptPartnershipRequestPayload, { description: "An indirect reseller's admin accepts a partnership request" })
  async acceptPartnershipRequest(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => AcceptPartnershipRequestInput) input: AcceptPartnershipRequestInput,
  ): Promise<AcceptPartnershipRequestPayload> {
    return ctx.services.partnerships.accept(ctx.scope, input.token);
  }

  @Authorized(...Can.requestPartnerships)
  @Mutation(() => RevokePartnershipRequestPayload, { description: 'The provider withdraws a pending partnership request' })
  async revokePartnershipRequest(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => RevokePartnershipRequestInput) input: RevokePartnershipRequestInput,
  ): Promise<RevokePartnershipRequestPayload> {
    return { request: await ctx.services.partnerships.revokeRequest(ctx.scope, input.requestId) };
  }

  @Authorized(...Can.acceptOrRemovePartnerships)
  @Mutation(() => RemovePartnershipPayload, {
    description: 'Either side ends the partnership (confirm and attestation). Customers stay associated; DAP is unchanged.',
  })
  async removePartnership(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => RemovePartnershipInput) input: RemovePartnershipInput,
  ): Promise<RemovePartnershipPayload> {
    return { partnership: await ctx.services.partnerships.remove(ctx.scope, input.partnershipId, input.confirm, input.attestation) };
  }

  @Subscription(() => PartnershipChangedEvent, {
    description:
      "Pushed to both sides when one of the viewer's partner's partnerships is accepted or removed (a view of the `events` stream: PARTNERSHIP_ACCEPTED, PARTNERSHIP_REMOVED)",
    subscribe: ({ context }: SubscribeResolverData<unknown, unknown, RequestContext>) =>
      context.services.events.stream(context.scope, undefined, [EventType.PARTNERSHIP_ACCEPTED, EventType.PARTNERSHIP_REMOVED], {
        onlyPartner: true,
        onBehind: context.fallingBehind,
      }),
  })
  partnershipChanged(@Root() event: StoredEvent, @Ctx() ctx: RequestContext): EventValue {
    // a PartnershipAcceptedEvent or a PartnershipRemovedEvent (src/events/typed-events.ts)
    return toEventNode(event, ctx.scope.partnerId ?? null);
  }

  @FieldResolver(() => Partner, { complexity: COST.batched, description: 'The indirect provider' })
  provider(@Root() p: Partnership, @Ctx() ctx: RequestContext) {
    return ctx.scope.loaders.partner.load(p.providerId);
  }

  @FieldResolver(() => Partner, { complexity: COST.batched, description: 'The indirect reseller' })
  reseller(@Root() p: Partnership, @Ctx() ctx: RequestContext) {
    return ctx.scope.loaders.partner.load(p.resellerId);
  }
}
