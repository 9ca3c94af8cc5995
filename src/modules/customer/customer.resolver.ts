import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Can } from '../../common/auth/roles';
import { CONNECTION_NODES, ConnectionArgs } from '../../common/pagination';
import { Reads, selectedProperties } from '../../common/selection';
import type { RequestContext } from '../../context';
import { Partner } from '../partner/partner.entity';
import { DelegatedAdminPrivilege } from '../relationship/delegated-admin-privilege.entity';
import { ResellerRelationship } from '../relationship/reseller-relationship.entity';
import { CustomerSubscriptionConnection } from '../subscription/subscription.types';
import { AdminRelationshipConnection } from '../admin-relationship/admin-relationship.types';
import { Customer } from './customer.entity';
import { CreateCustomerInput, CustomerFilter, UpdateCustomerInput } from './customer.inputs';
import { CreateCustomerPayload, CustomerConnection, CustomerPartner, UpdateCustomerPayload, type ViewedCustomer } from './customer.types';
import { COST } from '../../common/cost';

/** The viewer's partner's own row of a partner ↔ customer table (null for a caller that is no partner). */
async function viewersOwn<T extends { partnerId: string }>(
  ctx: RequestContext,
  rowsOfCustomer: { load(customerId: string): Promise<T[]> },
  customerId: string,
): Promise<T | null> {
  const { partnerId } = ctx.scope;
  if (!partnerId) return null;
  return (await rowsOfCustomer.load(customerId)).find((row) => row.partnerId === partnerId) ?? null;
}

@Resolver(() => Customer)
export class CustomerResolver {
  @Authorized()
  @Query(() => Customer, { nullable: true, description: 'A customer the viewer may see; NOT_FOUND otherwise' })
  customer(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.customers.get(ctx.scope, id);
  }

  @Authorized()
  @Query(() => CustomerConnection, {
    description: "The viewer's customers: those its partner has an ACTIVE relationship with (the operator: all)",
  })
  customers(
    @Ctx() ctx: RequestContext,
    @Args() args: ConnectionArgs,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => CustomerFilter, { nullable: true }) filter?: CustomerFilter,
  ) {
    return ctx.services.customers.list(ctx.scope, args, filter, selectedProperties(info, CONNECTION_NODES));
  }

  @Authorized(...Can.createCustomers)
  @Mutation(() => CreateCustomerPayload, {
    complexity: COST.heavyWrite,
    description: 'Add a customer, its first admin user and optionally its first order. The credentials are shown only here.',
  })
  createCustomer(@Ctx() ctx: RequestContext, @Arg('input', () => CreateCustomerInput) input: CreateCustomerInput) {
    return ctx.services.customers.create(ctx.scope, input);
  }

  @Authorized(...Can.updateCustomers)
  @Mutation(() => UpdateCustomerPayload, {
    description:
      "Change a customer's account details: its own admin, a partner with an ACTIVE reseller relationship (GLOBAL_ADMIN, ADMIN_AGENT), or the operator. The domain never changes.",
  })
  async updateCustomer(@Ctx() ctx: RequestContext, @Arg('input', () => UpdateCustomerInput) input: UpdateCustomerInput): Promise<UpdateCustomerPayload> {
    return { customer: await ctx.services.customers.update(ctx.scope, input) };
  }

  @FieldResolver(() => String, {
    complexity: COST.batched,
    nullable: true,
    description:
      "The viewer's partner's own id for this customer (its CRM's), set by createCustomer or updateCustomer: each partner of the customer has its own and reads only its own. Null: none, or the viewer is no partner (the customer's users, the operator).",
  })
  @Reads()
  externalId(@Root() customer: Customer, @Ctx() ctx: RequestContext) {
    return ctx.scope.partnerId ? ctx.scope.loaders.customerExternalId.load(customer.id) : null;
  }

  @FieldResolver(() => ResellerRelationship, {
    complexity: COST.batched,
    nullable: true,
    description: "The viewer's partner's reseller relationship with this customer",
  })
  @Reads({ returns: 'viewerRelationship' })
  relationship(@Root() customer: Customer, @Ctx() ctx: RequestContext) {
    const { viewerRelationship } = customer as ViewedCustomer;
    if (viewerRelationship) return viewerRelationship;
    return viewersOwn(ctx, ctx.scope.loaders.relationshipsOfCustomer, customer.id);
  }

  @FieldResolver(() => DelegatedAdminPrivilege, {
    complexity: COST.batched,
    nullable: true,
    description: "The viewer's partner's delegated admin privileges over this customer",
  })
  @Reads({ returns: 'viewerPrivileges' })
  delegatedAdminPrivileges(@Root() customer: Customer, @Ctx() ctx: RequestContext) {
    const viewed = customer as ViewedCustomer;
    if (viewed.viewerRelationship) return viewed.viewerPrivileges ?? null;
    return viewersOwn(ctx, ctx.scope.loaders.delegatedAdminOfCustomer, customer.id);
  }

  @FieldResolver(() => Partner, {
    complexity: COST.batched,
    nullable: true,
    description: 'The indirect reseller the customer is associated with, when the viewer may see that partner',
  })
  @Reads('indirectResellerId')
  indirectReseller(@Root() customer: Customer, @Ctx() ctx: RequestContext) {
    return customer.indirectResellerId ? ctx.scope.loaders.partner.load(customer.indirectResellerId) : null;
  }

  @FieldResolver(() => [CustomerPartner], {
    complexity: COST.batched,
    description: "Every partner of the customer, for the customer's own users and the operator; a partner sees its own entry",
  })
  @Reads()
  async partners(@Root() customer: Customer, @Ctx() ctx: RequestContext): Promise<CustomerPartner[]> {
    const { loaders } = ctx.scope;
    const [relationships, privileges] = await Promise.all([
      loaders.relationshipsOfCustomer.load(customer.id),
      loaders.delegatedAdminOfCustomer.load(customer.id),
    ]);
    const partnerIds = [...new Set([...relationships, ...privileges].map((r) => r.partnerId))];
    const partners = await loaders.partner.loadMany(partnerIds);
    return partnerIds.flatMap((partnerId, i) => {
      const partner = partners[i];
      if (!partner || partner instanceof Error) return [];
      const relationship = relationships.find((r) => r.partnerId === partnerId) ?? null;
      const delegatedAdminPrivileges = privileges.find((d) => d.partnerId === partnerId) ?? null;
      return [
        {
          partner,
          relationship,
          delegatedAdminPrivileges,
          relationshipStatus: relationship?.status ?? null,
          delegatedAdminStatus: delegatedAdminPrivileges?.status ?? null,
        },
      ];
    });
  }

  @FieldResolver(() => CustomerSubscriptionConnection, {
    complexity: COST.batched,
    description:
      'The subscriptions the viewer may read: those its partner sold or is reseller of record or support contact of (the customer and the operator: all)',
  })
  @Reads()
  subscriptions(@Root() customer: Customer, @Ctx() ctx: RequestContext, @Args() args: ConnectionArgs) {
    return ctx.scope.loaders.subscriptions(customer.id, args);
  }

  @FieldResolver(() => AdminRelationshipConnection, {
    complexity: COST.batched,
    description: "The admin relationships with this customer the viewer may read: its partner's own (the customer's users and the operator: all), oldest first",
  })
  @Reads()
  adminRelationships(@Root() customer: Customer, @Ctx() ctx: RequestContext, @Args() args: ConnectionArgs) {
    return ctx.scope.loaders.adminRelationships(customer.id, args);
  }
}
