import { Authorized, Ctx, Field, FieldResolver, ID, ObjectType, Query, Resolver } from 'type-graphql';
import { Role } from '../../common/auth/roles';
import type { RequestContext } from '../../context';
import { Customer } from '../customer/customer.entity';
import { Partner } from '../partner/partner.entity';
import { COST } from '../../common/cost';

@ObjectType({ description: 'The signed-in user' })
export class Viewer {
  @Field(() => ID)
  id: string;

  @Field(() => [Role])
  roles: Role[];
}

@Resolver(() => Viewer)
export class ViewerResolver {
  @Authorized()
  @Query(() => Viewer)
  viewer(@Ctx() ctx: RequestContext): Viewer {
    const { userId, roles } = ctx.scope.caller;
    return { id: userId, roles };
  }

  @FieldResolver(() => Partner, { complexity: COST.batched, nullable: true, description: "The viewer's partner, for a partner's user" })
  partner(@Ctx() ctx: RequestContext) {
    const { partnerId, loaders } = ctx.scope;
    return partnerId ? loaders.partner.load(partnerId) : null;
  }

  @FieldResolver(() => Customer, { complexity: COST.batched, nullable: true, description: "The viewer's customer, for a customer's user" })
  customer(@Ctx() ctx: RequestContext) {
    const { customerId, loaders } = ctx.scope;
    return customerId ? loaders.customer.load(customerId) : null;
  }
}
