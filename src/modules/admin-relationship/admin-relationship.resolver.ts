import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Can } from '../../common/auth/roles';
import { COST } from '../../common/cost';
import { CONNECTION_NODES, ConnectionArgs } from '../../common/pagination';
import { Reads, selectedProperties } from '../../common/selection';
import type { RequestContext } from '../../context';
import { Customer } from '../customer/customer.entity';
import { Partner } from '../partner/partner.entity';
import { AdminRelationship } from './admin-relationship.entity';
import {
  AdminRelationshipFilter,
  ApproveAdminRelationshipInput,
  CreateAdminRelationshipInput,
  ExtendAdminRelationshipsInput,
  RejectAdminRelationshipInput,
  TerminateAdminRelationshipInput,
  TerminateAdminRelationshipsInput,
  UpdateAdminRelationshipInput,
} from './admin-relationship.inputs';
import {
  AdminRelationshipConnection,
  AdminRelationshipPreview,
  ApproveAdminRelationshipPayload,
  CreateAdminRelationshipPayload,
  ExtendAdminRelationshipsPayload,
  RejectAdminRelationshipPayload,
  TerminateAdminRelationshipPayload,
  TerminateAdminRelationshipsPayload,
  UpdateAdminRelationshipPayload,
} from './admin-relationship.types';

/** A bulk operation runs up to 100 single changes, each its own transaction. */
const BULK_COST = COST.heavyWrite * 10;

@Resolver(() => AdminRelationship)
export class AdminRelationshipResolver {
  @Authorized()
  @Query(() => AdminRelationshipConnection, {
    description: "The viewer's admin relationships, newest first: a partner's own, a customer's with it (the operator: all)",
  })
  adminRelationships(
    @Ctx() ctx: RequestContext,
    @Args() args: ConnectionArgs,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => AdminRelationshipFilter, { nullable: true }) filter?: AdminRelationshipFilter,
  ) {
    return ctx.services.adminRelationships.list(ctx.scope, args, filter, selectedProperties(info, CONNECTION_NODES));
  }

  @Query(() => AdminRelationshipPreview, {
    nullable: true,
    description: 'No sign-in needed: what the admin relationship request behind a link asks for. Null for an unknown token.',
  })
  adminRelationshipPreview(@Ctx() ctx: RequestContext, @Arg('token') token: string) {
    if (token.length > 100) return null;
    return ctx.services.adminRelationships.preview(token);
  }

  @Authorized(...Can.requestAdminRelationships)
  @Mutation(() => CreateAdminRelationshipPayload, {
    description: 'Ask a customer for admin roles for a fixed time: returns the personalised link, an editable email draft, and the token (once)',
  })
  createAdminRelationship(@Ctx() ctx: RequestContext, @Arg('input', () => CreateAdminRelationshipInput) input: CreateAdminRelationshipInput) {
    return ctx.services.adminRelationships.create(ctx.scope, input);
  }

  @Authorized(...Can.answerAdminRelationships)
  @Mutation(() => ApproveAdminRelationshipPayload, { description: "The customer's admin approves: the access starts now and ends after its duration" })
  async approveAdminRelationship(@Ctx() ctx: RequestContext, @Arg('input', () => ApproveAdminRelationshipInput) input: ApproveAdminRelationshipInput) {
    return { adminRelationship: await ctx.services.adminRelationships.approve(ctx.scope, input.token) };
  }

  @Authorized(...Can.answerAdminRelationships)
  @Mutation(() => RejectAdminRelationshipPayload, { description: "The customer's admin rejects the request" })
  async rejectAdminRelationship(@Ctx() ctx: RequestContext, @Arg('input', () => RejectAdminRelationshipInput) input: RejectAdminRelationshipInput) {
    return { adminRelationship: await ctx.services.adminRelationships.reject(ctx.scope, input.token) };
  }

  @Authorized(...Can.terminateAdminRelationships)
  @Mutation(() => TerminateAdminRelationshipPayload, {
    description: "Either side ends a pending or active admin relationship: the partner's GLOBAL_ADMIN or ADMIN_AGENT, or the customer's admin",
  })
  async terminateAdminRelationship(@Ctx() ctx: RequestContext, @Arg('input', () => TerminateAdminRelationshipInput) input: TerminateAdminRelationshipInput) {
    return { adminRelationship: await ctx.services.adminRelationships.terminate(ctx.scope, input.adminRelationshipId) };
  }

  @Authorized(...Can.requestAdminRelationships)
  @Mutation(() => UpdateAdminRelationshipPayload, { description: 'The partner turns auto-extension on or off, while pending or active' })
  async updateAdminRelationship(@Ctx() ctx: RequestContext, @Arg('input', () => UpdateAdminRelationshipInput) input: UpdateAdminRelationshipInput) {
    return { adminRelationship: await ctx.services.adminRelationships.update(ctx.scope, input.adminRelationshipId, input.autoExtend) };
  }

  @Authorized(...Can.terminateAdminRelationships)
  @Mutation(() => TerminateAdminRelationshipsPayload, {
    complexity: BULK_COST,
    description: 'Ends up to 100 admin relationships, each on its own: every item reports its result, one failing does not undo the others',
  })
  terminateAdminRelationships(@Ctx() ctx: RequestContext, @Arg('input', () => TerminateAdminRelationshipsInput) input: TerminateAdminRelationshipsInput) {
    const service = ctx.services.adminRelationships;
    return service.bulk(input.adminRelationshipIds, (id) => service.terminate(ctx.scope, id));
  }

  @Authorized(...Can.requestAdminRelationships)
  @Mutation(() => ExtendAdminRelationshipsPayload, {
    complexity: BULK_COST,
    description:
      'Pushes the end date of up to 100 ACTIVE admin relationships back by 180 days (not with GLOBAL_ADMINISTRATOR, never past 730 days from now), each on its own',
  })
  extendAdminRelationships(@Ctx() ctx: RequestContext, @Arg('input', () => ExtendAdminRelationshipsInput) input: ExtendAdminRelationshipsInput) {
    const service = ctx.services.adminRelationships;
    return service.bulk(input.adminRelationshipIds, (id) => service.extend(ctx.scope, id));
  }

  @FieldResolver(() => Partner, { complexity: COST.batched, nullable: true, description: 'The partner holding (or asking for) the roles' })
  @Reads('partnerId')
  partner(@Root() rel: AdminRelationship, @Ctx() ctx: RequestContext) {
    return ctx.scope.loaders.partner.load(rel.partnerId);
  }

  @FieldResolver(() => Customer, {
    complexity: COST.batched,
    nullable: true,
    description: 'The customer, when the viewer may read it (a partner: a customer it has an ACTIVE reseller relationship with)',
  })
  @Reads('customerId')
  customer(@Root() rel: AdminRelationship, @Ctx() ctx: RequestContext) {
    return rel.customerId ? ctx.scope.loaders.customer.load(rel.customerId) : null;
  }
}
