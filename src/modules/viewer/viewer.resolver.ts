import { Authorized, Ctx, Field, FieldResolver, ID, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../../common/auth/roles';
import { principalOf, type RequestContext } from '../../common/context';
import { Customer } from '../customer/customer.entity';
import { Partner } from '../partner/partner.entity';

@ObjectType({ description: 'The signed-in user' })
export class Viewer {
  @Field(() => ID)
  id: string;

  @Field(() => [Role])
  roles: Role[];

  partnerId?: string;
  customerId?: string;
}

@Resolver(() => Viewer)
export class ViewerResolver {
  @Authorized()
  @Query(() => Viewer)
  viewer(@Ctx() ctx: RequestContext): Viewer {
    const p = principalOf(ctx);
    return { id: p.userId, roles: p.roles, partnerId: p.partnerId, customerId: p.customerId };
  }

  @FieldResolver(() => Partner, { nullable: true, description: "The viewer's partner, for a partner's user" })
  partner(@Root() viewer: Viewer, @Ctx() ctx: RequestContext) {
    return viewer.partnerId ? ctx.loaders.partner.load(viewer.partnerId) : null;
  }

  @FieldResolver(() => Customer, { nullable: true, description: "The viewer's customer, for a customer's user" })
  customer(@Root() viewer: Viewer, @Ctx() ctx: RequestContext) {
    return viewer.customerId ? ctx.loaders.customer.load(viewer.customerId) : null;
  }
}
