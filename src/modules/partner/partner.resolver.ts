import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Can } from '../../common/auth/roles';
import type { RequestContext } from '../../common/context';
import { ConnectionArgs } from '../../common/pagination';
import { Partner } from './partner.entity';
import { CreatePartnerInput, PartnerFilter } from './partner.inputs';
import { CreatePartnerPayload, PartnerConnection } from './partner.types';

@Resolver(() => Partner)
export class PartnerResolver {
  @Authorized()
  @Query(() => Partner, { nullable: true, description: 'A partner the viewer may see; NOT_FOUND otherwise' })
  partner(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.partners.get(ctx, id);
  }

  @Authorized()
  @Query(() => PartnerConnection, { description: 'Partners the viewer may see (the operator: all)' })
  partners(
    @Ctx() ctx: RequestContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => PartnerFilter, { nullable: true }) filter?: PartnerFilter,
  ) {
    return ctx.services.partners.list(ctx, args, filter);
  }

  @Authorized(...Can.onboardPartners)
  @Mutation(() => CreatePartnerPayload, { description: 'Onboard a partner (operator only)' })
  async createPartner(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => CreatePartnerInput) input: CreatePartnerInput,
  ): Promise<CreatePartnerPayload> {
    return { partner: await ctx.services.partners.create(ctx, input) };
  }
}
