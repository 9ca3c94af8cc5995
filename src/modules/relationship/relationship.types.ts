import { Field, ID, ObjectType } from 'type-graphql';
import { Partner } from '../partner/partner.entity';
import { DelegatedAdminPrivilege } from './delegated-admin-privilege.entity';
import { ResellerRelationship } from './reseller-relationship.entity';

@ObjectType()
export class RemoveCustomerRelationshipPayload {
  @Field(() => ID)
  customerId: string;

  @Field(() => ResellerRelationship, { description: 'Now REMOVED. Delegated admin privileges are unchanged.' })
  relationship: ResellerRelationship;
}

@ObjectType()
export class RevokeDelegatedAdminPrivilegesPayload {
  @Field(() => Partner)
  partner: Partner;

  @Field(() => DelegatedAdminPrivilege, { description: 'Now REVOKED. The reseller relationship is unchanged.' })
  delegatedAdminPrivileges: DelegatedAdminPrivilege;
}
