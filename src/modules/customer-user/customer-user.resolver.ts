import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Can } from '../../common/auth/roles';
import { COST } from '../../common/cost';
import { ConnectionArgs, listConnection } from '../../common/pagination';
import { CustomerSubscriptionConnection } from '../subscription/subscription.types';
import { Reads } from '../../common/selection';
import type { RequestContext } from '../../context';
import { Activity } from '../../changes/activity.entity';
import { Customer } from '../customer/customer.entity';
import { CustomerSubscription } from '../subscription/subscription.entity';
import { CustomerUser, CustomerUserStatus } from './customer-user.entity';
import {
  AssignLicensesInput,
  CreateCustomerUserInput,
  CustomerUserFilter,
  DeleteCustomerUserInput,
  RestoreCustomerUserInput,
  UnassignLicensesInput,
  UpdateCustomerUserInput,
} from './customer-user.inputs';
import { purgeAt } from './customer-user.rules';
import { CreateCustomerUserPayload, CustomerUserConnection, CustomerUserPayload } from './customer-user.types';
import { AccessGrant } from './directory-access';
import { GraphQLISODateTime } from 'type-graphql';

const ACCESS = " The customer's own admin, or a partner's GLOBAL_ADMIN/ADMIN_AGENT through delegated admin privileges or an ACTIVE admin relationship holding";

@Resolver(() => CustomerUser)
export class CustomerUserResolver {
  @Authorized(...Can.readCustomerUsers)
  @Query(() => CustomerUserConnection, {
    description: `A customer's users, oldest first.${ACCESS} DIRECTORY_READER, GLOBAL_READER, USER_ADMINISTRATOR, LICENSE_ADMINISTRATOR or GLOBAL_ADMINISTRATOR (FORBIDDEN naming the role otherwise); the operator.`,
  })
  customerUsers(
    @Ctx() ctx: RequestContext,
    @Arg('customerId', () => ID) customerId: string,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => CustomerUserFilter, { nullable: true }) filter?: CustomerUserFilter,
  ) {
    return ctx.services.customerUsers.list(ctx.scope, customerId, args, filter);
  }

  @Authorized(...Can.manageCustomerUsers)
  @Mutation(() => CreateCustomerUserPayload, {
    complexity: COST.heavyWrite,
    description: `Add a user to a customer's directory; its temporary password is shown only here.${ACCESS} USER_ADMINISTRATOR (roles: also PRIVILEGED_ROLE_ADMINISTRATOR), or GLOBAL_ADMINISTRATOR.`,
  })
  createCustomerUser(@Ctx() ctx: RequestContext, @Arg('input', () => CreateCustomerUserInput) input: CreateCustomerUserInput) {
    return ctx.services.customerUsers.create(ctx.scope, input);
  }

  @Authorized(...Can.manageCustomerUsers)
  @Mutation(() => CustomerUserPayload, {
    description: `Change a user's names or roles.${ACCESS} USER_ADMINISTRATOR (a user with roles, or its roles: also PRIVILEGED_ROLE_ADMINISTRATOR), or GLOBAL_ADMINISTRATOR.`,
  })
  updateCustomerUser(@Ctx() ctx: RequestContext, @Arg('input', () => UpdateCustomerUserInput) input: UpdateCustomerUserInput) {
    return ctx.services.customerUsers.update(ctx.scope, input);
  }

  @Authorized(...Can.manageCustomerUsers)
  @Mutation(() => CustomerUserPayload, {
    description: `Delete a user: DELETED, restorable for 30 days, then purged; its licences are freed at once.${ACCESS} USER_ADMINISTRATOR, or GLOBAL_ADMINISTRATOR.`,
  })
  deleteCustomerUser(@Ctx() ctx: RequestContext, @Arg('input', () => DeleteCustomerUserInput) input: DeleteCustomerUserInput) {
    return ctx.services.customerUsers.delete(ctx.scope, input.userId);
  }

  @Authorized(...Can.manageCustomerUsers)
  @Mutation(() => CustomerUserPayload, {
    description: `Restore a user deleted less than 30 days ago (without licences).${ACCESS} USER_ADMINISTRATOR, or GLOBAL_ADMINISTRATOR.`,
  })
  restoreCustomerUser(@Ctx() ctx: RequestContext, @Arg('input', () => RestoreCustomerUserInput) input: RestoreCustomerUserInput) {
    return ctx.services.customerUsers.restore(ctx.scope, input.userId);
  }

  @Authorized(...Can.manageCustomerUsers)
  @Mutation(() => CustomerUserPayload, {
    description: `Give a user one licence of each subscription (never more than a subscription's quantity: CONFLICT naming it).${ACCESS} LICENSE_ADMINISTRATOR or GLOBAL_ADMINISTRATOR.`,
  })
  assignLicenses(@Ctx() ctx: RequestContext, @Arg('input', () => AssignLicensesInput) input: AssignLicensesInput) {
    return ctx.services.customerUsers.assign(ctx.scope, input);
  }

  @Authorized(...Can.manageCustomerUsers)
  @Mutation(() => CustomerUserPayload, {
    description: `Take back a user's licence of each subscription.${ACCESS} LICENSE_ADMINISTRATOR or GLOBAL_ADMINISTRATOR.`,
  })
  unassignLicenses(@Ctx() ctx: RequestContext, @Arg('input', () => UnassignLicensesInput) input: UnassignLicensesInput) {
    return ctx.services.customerUsers.unassign(ctx.scope, input);
  }

  @FieldResolver(() => GraphQLISODateTime, { nullable: true, description: 'Until when a DELETED user can be restored; then it is purged' })
  @Reads('status', 'deletedAt')
  purgeAt(@Root() user: CustomerUser): Date | null {
    return user.status === CustomerUserStatus.DELETED && user.deletedAt ? purgeAt(user.deletedAt) : null;
  }

  @FieldResolver(() => CustomerSubscriptionConnection, {
    complexity: COST.batched,
    description: 'The subscriptions whose licence the user holds (those the viewer may read), oldest first',
  })
  @Reads()
  async licenses(@Root() user: CustomerUser, @Ctx() ctx: RequestContext, @Args() args: ConnectionArgs) {
    return listConnection(await ctx.scope.loaders.licensesOfUser.load(user.id), args);
  }

  @FieldResolver(() => Customer, { complexity: COST.batched, nullable: true, description: 'Its customer, when the viewer may read it' })
  @Reads('customerId')
  customer(@Root() user: CustomerUser, @Ctx() ctx: RequestContext) {
    return ctx.scope.loaders.customer.load(user.customerId);
  }
}

@Resolver(() => CustomerSubscription)
export class SubscriptionLicensesResolver {
  @FieldResolver(() => Int, { complexity: COST.batched, description: 'How many of its licences are assigned to users (never more than `quantity`)' })
  @Reads()
  assignedLicenses(@Root() subscription: CustomerSubscription, @Ctx() ctx: RequestContext) {
    return ctx.scope.loaders.assignedLicenses.load(subscription.id);
  }
}

@Resolver(() => Activity)
export class ActivityGrantResolver {
  @FieldResolver(() => [AccessGrant], {
    description:
      "What let a partner act in a customer's directory (its users and licences): its delegated admin privileges, or the admin relationship and role; empty otherwise",
  })
  grantedBy(@Root() activity: Activity): AccessGrant[] {
    return activity.grantedBy ? (JSON.parse(activity.grantedBy) as AccessGrant[]) : [];
  }
}
