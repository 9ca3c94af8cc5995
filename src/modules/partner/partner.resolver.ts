import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Can } from '../../common/auth/roles';
import { ConnectionArgs } from '../../common/pagination';
import type { RequestContext } from '../../context';
import { Partner } from './partner.entity';
import { CreatePartnerInput, PartnerFilter, UpdatePartnerInput } from './partner.inputs';
import { CreatePartnerPayload, PartnerConnection, UpdatePartnerPayload } from './partner.types';
import { COST } from '../../common/cost';

@Resolver(() => Partner)
export class PartnerResolver {
  @Authorized()
  @Query(() => Partner, { nullable: true, description: 'A partner the viewer may see; NOT_FOUND otherwise' })
  partner(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.partners.get(ctx.scope, id);
  }

  @Authorized()
  @Query(() => PartnerConnection, {
    description: 'Partners the viewer may see: its own partner, its partnership counterparts and the partners on its subscriptions (the operator: all)',
  })
  partners(@Ctx() ctx: RequestContext, @Args() args: ConnectionArgs, @Arg('filter', () => PartnerFilter, { nullable: true }) filter?: PartnerFilter) {
    return ctx.services.partners.list(ctx.scope, args, filter);
  }

  @Authorized(...Can.onboardPartners)
  @Mutation(() => CreatePartnerPayload, { description: 'Onboard a partner (operator only)' })
  async createPartner(@Ctx() ctx: RequestContext, @Arg('input', () => CreatePartnerInput) input: CreatePartnerInput): Promise<CreatePartnerPayload> {
    return { partner: await ctx.services.partners.create(ctx.scope, input) };
  }

  @Authorized(...Can.updatePartners)
  @Mutation(() => UpdatePartnerPayload, {
    description:
      "Change a partner's profile: the operator, or the partner's own GLOBAL_ADMIN (name, contact email). MPN ID, type and cloud: the operator only.",
  })
  async updatePartner(@Ctx() ctx: RequestContext, @Arg('input', () => UpdatePartnerInput) input: UpdatePartnerInput): Promise<UpdatePartnerPayload> {
    return { partner: await ctx.services.partners.update(ctx.scope, input) };
  }

  @FieldResolver(() => String, {
    complexity: COST.batched,
    nullable: true,
    description: "Null unless the viewer may contact this partner: its own partner, an ACTIVE partnership counterpart, a customer's own partner, the operator",
  })
  async contactEmail(@Root() partner: Partner, @Ctx() ctx: RequestContext): Promise<string | null> {
    return (await ctx.scope.loaders.partnerContactDetails.load(partner.id)) ? partner.contactEmail : null;
  }
}
