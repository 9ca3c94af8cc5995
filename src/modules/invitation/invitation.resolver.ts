import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { Can } from '../../common/auth/roles';
import type { RequestContext } from '../../context';
import { ConnectionArgs } from '../../common/pagination';
import { EventType } from '../../events/catalog';
import type { StoredEvent } from '../../events/outbox';
import { type EventValue, toEventNode } from '../../events/event.types';
import { typedEventClass } from '../../events/typed-events';
import { Partner } from '../partner/partner.entity';
import { CustomerInvitation } from './customer-invitation.entity';
import {
  AcceptCustomerInvitationInput,
  CreateCustomerInvitationInput,
  DeclineCustomerInvitationInput,
  InvitationFilter,
  RevokeCustomerInvitationInput,
} from './invitation.inputs';
import {
  AcceptCustomerInvitationPayload,
  CreateCustomerInvitationPayload,
  DeclineCustomerInvitationPayload,
  InvitationConnection,
  InvitationPreview,
  RevokeCustomerInvitationPayload,
} from './invitation.types';
import { COST } from '../../common/cost';

@Resolver(() => CustomerInvitation)
export class InvitationResolver {
  @Authorized(...Can.readPartnerData)
  @Query(() => InvitationConnection, { description: "The viewer's partner's own invitations, newest first" })
  invitations(@Ctx() ctx: RequestContext, @Args() args: ConnectionArgs, @Arg('filter', () => InvitationFilter, { nullable: true }) filter?: InvitationFilter) {
    return ctx.services.invitations.list(ctx.scope, args, filter);
  }

  @Query(() => InvitationPreview, {
    nullable: true,
    description: 'No sign-in needed: what the invitation behind a link asks for. Null for an unknown token.',
  })
  invitationPreview(@Ctx() ctx: RequestContext, @Arg('token') token: string) {
    if (token.length > 100) return null;
    return ctx.services.invitations.preview(token);
  }

  @Authorized(...Can.inviteCustomers)
  @Mutation(() => CreateCustomerInvitationPayload, {
    description: 'Request a reseller relationship: returns the personalised link, an editable email draft, and the token (once)',
  })
  createCustomerInvitation(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => CreateCustomerInvitationInput) input: CreateCustomerInvitationInput,
  ): Promise<CreateCustomerInvitationPayload> {
    return ctx.services.invitations.create(ctx.scope, input);
  }

  @Authorized(...Can.answerInvitations)
  @Mutation(() => AcceptCustomerInvitationPayload, { description: "The customer's admin accepts an invitation" })
  acceptCustomerInvitation(@Ctx() ctx: RequestContext, @Arg('input', () => AcceptCustomerInvitationInput) input: AcceptCustomerInvitationInput) {
    return ctx.services.invitations.accept(ctx.scope, input.token);
  }

  @Authorized(...Can.answerInvitations)
  @Mutation(() => DeclineCustomerInvitationPayload, { description: "The customer's admin declines an invitation" })
  async declineCustomerInvitation(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => DeclineCustomerInvitationInput) input: DeclineCustomerInvitationInput,
  ): Promise<DeclineCustomerInvitationPayload> {
    return { invitation: await ctx.services.invitations.decline(ctx.scope, input.token) };
  }

  @Authorized(...Can.inviteCustomers)
  @Mutation(() => RevokeCustomerInvitationPayload, { description: 'The inviting partner withdraws a pending invitation' })
  async revokeCustomerInvitation(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => RevokeCustomerInvitationInput) input: RevokeCustomerInvitationInput,
  ): Promise<RevokeCustomerInvitationPayload> {
    return { invitation: await ctx.services.invitations.revoke(ctx.scope, input.invitationId) };
  }

  @Subscription(() => typedEventClass(EventType.INVITATION_ACCEPTED), {
    description:
      "Pushed when a customer accepts one of the viewer's partner's invitations (or a three-party one naming it); a view of the `events` stream (INVITATION_ACCEPTED)",
    subscribe: ({ context }: SubscribeResolverData<unknown, unknown, RequestContext>) =>
      context.services.events.stream(context.scope, undefined, [EventType.INVITATION_ACCEPTED], { onlyPartner: true, onBehind: context.fallingBehind }),
  })
  invitationAccepted(@Root() event: StoredEvent, @Ctx() ctx: RequestContext): EventValue {
    return toEventNode(event, ctx.scope.partnerId ?? null);
  }

  @FieldResolver(() => Partner, { complexity: COST.batched, description: 'The inviting partner' })
  partner(@Root() inv: CustomerInvitation, @Ctx() ctx: RequestContext) {
    return ctx.scope.loaders.partner.load(inv.partnerId);
  }

  @FieldResolver(() => Partner, { complexity: COST.batched, nullable: true, description: 'The indirect provider of a three-party invitation' })
  indirectProvider(@Root() inv: CustomerInvitation, @Ctx() ctx: RequestContext) {
    return inv.indirectProviderId ? ctx.scope.loaders.partner.load(inv.indirectProviderId) : null;
  }
}
