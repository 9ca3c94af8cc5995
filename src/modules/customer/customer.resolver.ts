import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { isOperator } from '../../common/auth/principal';
import { Can } from '../../common/auth/roles';
import { principalOf, type RequestContext } from '../../common/context';
import { ConnectionArgs } from '../../common/pagination';
import { Partner } from '../partner/partner.entity';
import { DelegatedAdminPrivilege } from '../relationship/delegated-admin-privilege.entity';
import { ResellerRelationship } from '../relationship/reseller-relationship.entity';
import { SubscriptionConnection } from '../subscription/subscription.types';
import { Customer } from './customer.entity';
import { CreateCustomerInput, CustomerFilter } from './customer.inputs';
import { CreateCustomerPayload, CustomerConnection, CustomerPartner } from './customer.types';

@Resolver(() => Customer)
export class CustomerResolver {
  @Authorized()
  @Query(() => Customer, { nullable: true, description: 'A customer the viewer may see; NOT_FOUND otherwise' })
  customer(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.customers.get(ctx, id);
  }

  @Authorized()
  @Query(() => CustomerConnection, {
    description: "The viewer's customers: those its partner has an ACTIVE relationship with (the operator: all)",
  })
  customers(
    @Ctx() ctx: RequestContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => CustomerFilter, { nullable: true }) filter?: CustomerFilter,
  ) {
    return ctx.services.customers.list(ctx, args, filter);
  }

  @Authorized(...Can.createCustomers)
  @Mutation(() => CreateCustomerPayload, {
    description: 'Add a customer, its first admin user and optionally its first order. The credentials are shown only here.',
  })
  createCustomer(@Ctx() ctx: RequestContext, @Arg('input', () => CreateCustomerInput) input: CreateCustomerInput) {
    return ctx.services.customers.create(ctx, input);
  }

  @FieldResolver(() => ResellerRelationship, {
    nullable: true,
    description: "The viewer's partner's reseller relationship with this customer",
  })
  relationship(@Root() customer: Customer, @Ctx() ctx: RequestContext) {
    return ctx.loaders.viewerRelationship?.load(customer.id) ?? null;
  }

  @FieldResolver(() => DelegatedAdminPrivilege, {
    nullable: true,
    description: "The viewer's partner's delegated admin privileges over this customer",
  })
  delegatedAdminPrivileges(@Root() customer: Customer, @Ctx() ctx: RequestContext) {
    return ctx.loaders.viewerDelegatedAdmin?.load(customer.id) ?? null;
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'The indirect reseller the customer is associated with' })
  indirectReseller(@Root() customer: Customer, @Ctx() ctx: RequestContext) {
    return customer.indirectResellerId ? ctx.loaders.partner.load(customer.indirectResellerId) : null;
  }

  @FieldResolver(() => [CustomerPartner], {
    description: "Every partner of the customer, for the customer's own users and the operator; a partner sees its own entry",
  })
  async partners(@Root() customer: Customer, @Ctx() ctx: RequestContext): Promise<CustomerPartner[]> {
    const p = principalOf(ctx);
    const [relationships, privileges] = await Promise.all([
      ctx.loaders.relationshipsOfCustomer.load(customer.id),
      ctx.loaders.delegatedAdminOfCustomer.load(customer.id),
    ]);
    const mayRead = (partnerId: string) => isOperator(p) || p.customerId === customer.id || p.partnerId === partnerId;
    const partnerIds = [...new Set([...relationships, ...privileges].map((r) => r.partnerId))].filter(mayRead);
    const partners = await ctx.loaders.partner.loadMany(partnerIds);
    return partnerIds.flatMap((partnerId, i) => {
      const partner = partners[i];
      if (!partner || partner instanceof Error) return [];
      return [
        {
          partner,
          relationshipStatus: relationships.find((r) => r.partnerId === partnerId)?.status ?? null,
          delegatedAdminStatus: privileges.find((d) => d.partnerId === partnerId)?.status ?? null,
        },
      ];
    });
  }

  @FieldResolver(() => SubscriptionConnection)
  subscriptions(@Root() customer: Customer, @Ctx() ctx: RequestContext, @Args() args: ConnectionArgs) {
    return ctx.services.subscriptions.listForCustomer(customer.id, args);
  }
}
