import { Field, ObjectType } from 'type-graphql';
import { DelegatedAdminStatus, RelationshipStatus } from '../../common/enums';
import { ConnectionType } from '../../common/pagination';
import { Partner } from '../partner/partner.entity';
import { DelegatedAdminPrivilege } from '../relationship/delegated-admin-privilege.entity';
import { ResellerRelationship } from '../relationship/reseller-relationship.entity';
import { Customer } from './customer.entity';

/**
 * A customer as a partner's user reads it (Scope.customers): with that partner's own relationship and
 * admin privileges (null: none) mapped onto the row by the same statement, which `Customer.relationship`
 * and `Customer.delegatedAdminPrivileges` answer from. A mutation that takes the customer out of the
 * caller's scope (removeCustomerRelationship) sets them to the rows it changed: its payload's customer
 * still answers for that viewer, with what it could read just before.
 */
export type ViewedCustomer = Customer & { viewerRelationship?: ResellerRelationship; viewerPrivileges?: DelegatedAdminPrivilege | null };

@ObjectType()
export class CustomerConnection extends ConnectionType('Customer', Customer) {}

@ObjectType({ description: 'Shown once, in the result of createCustomer, and never again' })
export class AdminCredentials {
  @Field()
  userName: string;

  @Field()
  temporaryPassword: string;
}

@ObjectType()
export class CreateCustomerPayload {
  @Field(() => Customer)
  customer: Customer;

  @Field(() => AdminCredentials)
  adminCredentials: AdminCredentials;
}

@ObjectType()
export class UpdateCustomerPayload {
  @Field(() => Customer)
  customer: Customer;
}

@ObjectType({ description: 'A partner of a customer, with its relationship and privileges' })
export class CustomerPartner {
  @Field(() => Partner)
  partner: Partner;

  @Field(() => ResellerRelationship, { nullable: true, description: 'The partner’s reseller relationship with the customer (any status); null: none' })
  relationship: ResellerRelationship | null;

  @Field(() => DelegatedAdminPrivilege, { nullable: true, description: 'The partner’s delegated admin privileges over the customer (any status); null: none' })
  delegatedAdminPrivileges: DelegatedAdminPrivilege | null;

  @Field(() => RelationshipStatus, { nullable: true, description: 'The status of `relationship`' })
  relationshipStatus: RelationshipStatus | null;

  @Field(() => DelegatedAdminStatus, { nullable: true, description: 'The status of `delegatedAdminPrivileges`' })
  delegatedAdminStatus: DelegatedAdminStatus | null;
}
