import { Arg, Args, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Can } from '../../common/auth/roles';
import type { RequestContext } from '../../context';
import { ConnectionArgs } from '../../common/pagination';
import { Activity } from '../../changes/activity.entity';
import { ActivityConnection } from './activity.types';
import { ActivityFilter } from './activity.trail';

@Resolver(() => Activity)
export class ActivityResolver {
  @Authorized(...Can.readAuditTrail)
  @Query(() => ActivityConnection, {
    description:
      "The audit trail, newest first. A partner's user reads its own partner's trail. A customer's CUSTOMER_ADMIN reads every record about its own customer, " +
      'whichever partner made it (`partnerId`: only that partner’s). The operator names a partner with `partnerId`, or gives a `filter` (even `{}`) to read ' +
      'across every partner. `filter` narrows the trail (all its fields combined with AND); it never widens what the caller may read. ' +
      'The same rows export as CSV or NDJSON from `GET /exports/activities`.',
  })
  activities(
    @Ctx() ctx: RequestContext,
    @Args() args: ConnectionArgs,
    @Arg('partnerId', () => ID, { nullable: true }) partnerId?: string,
    @Arg('filter', () => ActivityFilter, { nullable: true }) filter?: ActivityFilter,
  ) {
    return ctx.services.activity.list(ctx.scope, args, { partnerId, filter, acrossPartners: filter != null });
  }
}
