import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { Can } from '../../common/auth/roles';
import type { RequestContext } from '../../context';
import { ResellerRelationship } from './reseller-relationship.entity';
import { RemoveCustomerRelationshipInput, RevokeDelegatedAdminPrivilegesInput } from './relationship.inputs';
import { RemoveCustomerRelationshipPayload, RevokeDelegatedAdminPrivilegesPayload } from './relationship.types';

@Resolver(() => ResellerRelationship)
export class RelationshipResolver {
  @Authorized(...Can.removeCustomerRelationships)
  @Mutation(() => RemoveCustomerRelationshipPayload, {
    description: 'End the reseller relationship with a customer. Needs attestation; DAP stays; no notice is sent.',
  })
  async removeCustomerRelationship(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => RemoveCustomerRelationshipInput) input: RemoveCustomerRelationshipInput,
  ): Promise<RemoveCustomerRelationshipPayload> {
    const { relationship, customer } = await ctx.services.relationships.remove(ctx.scope, input.customerId, input.attestation);
    return { customerId: customer.id, customer, relationship };
  }

  @Authorized(...Can.revokeDelegatedAdmin)
  @Mutation(() => RevokeDelegatedAdminPrivilegesPayload, {
    description: "The customer removes a partner's delegated admin privileges; the relationship stays",
  })
  async revokeDelegatedAdminPrivileges(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => RevokeDelegatedAdminPrivilegesInput) input: RevokeDelegatedAdminPrivilegesInput,
  ): Promise<RevokeDelegatedAdminPrivilegesPayload> {
    const { delegatedAdminPrivileges, customer } = await ctx.services.relationships.revokeDelegatedAdmin(ctx.scope, input.partnerId);
    return { partner: await ctx.services.partners.get(ctx.scope, input.partnerId), delegatedAdminPrivileges, customer };
  }
}
