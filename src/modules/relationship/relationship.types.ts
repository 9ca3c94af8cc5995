import { Field, ID, ObjectType } from 'type-graphql';
import { Customer } from '../customer/customer.entity';
import { Partner } from '../partner/partner.entity';
import { DelegatedAdminPrivilege } from './delegated-admin-privilege.entity';
import { ResellerRelationship } from './reseller-relationship.entity';

@ObjectType({ description: 'The customer leaves the caller’s `customers`: evict it from cached lists by `customerId`' })
export class RemoveCustomerRelationshipPayload {
  @Field(() => ID, { description: 'The customer that left the caller’s `customers` (no later read returns it)' })
  customerId: string;

  @Field(() => Customer, {
    description:
      'The customer as the caller could read it just before, now with its `relationship` REMOVED (the last answer about it the caller gets: it is out of its scope from now on)',
  })
  customer: Customer;

  @Field(() => ResellerRelationship, { description: 'Now REMOVED (same id as before). Delegated admin privileges are unchanged.' })
  relationship: ResellerRelationship;
}

@ObjectType()
export class RevokeDelegatedAdminPrivilegesPayload {
  @Field(() => Partner)
  partner: Partner;

  @Field(() => DelegatedAdminPrivilege, { description: 'Now REVOKED (same id as before). The reseller relationship is unchanged.' })
  delegatedAdminPrivileges: DelegatedAdminPrivilege;

  @Field(() => Customer, { description: 'The caller’s customer: the partner’s entry of its `partners` shows the privileges REVOKED' })
  customer: Customer;
}
