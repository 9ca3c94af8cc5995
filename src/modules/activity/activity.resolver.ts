import { Arg, Args, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Can } from '../../common/auth/roles';
import type { RequestContext } from '../../context';
import { ConnectionArgs } from '../../common/pagination';
import { Activity } from '../../changes/activity.entity';
import { ActivityConnection } from './activity.types';

@Resolver(() => Activity)
export class ActivityResolver {
  @Authorized(...Can.readPartnerData)
  @Query(() => ActivityConnection, {
    description: "The audit trail of the viewer's partner, newest first (the operator names a partner)",
  })
  activities(
    @Ctx() ctx: RequestContext,
    @Args() args: ConnectionArgs,
    @Arg('partnerId', () => ID, { nullable: true }) partnerId?: string,
  ) {
    return ctx.services.activity.listForPartner(ctx.scope, args, partnerId);
  }
}
