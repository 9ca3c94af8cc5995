import { Field, ObjectType } from 'type-graphql';
import { DelegatedAdminStatus, RelationshipStatus } from '../../common/enums';
import { ConnectionType } from '../../common/pagination';
import { Partner } from '../partner/partner.entity';
import { Customer } from './customer.entity';

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

@ObjectType({ description: 'A partner of a customer, with the state of its relationship and privileges' })
export class CustomerPartner {
  @Field(() => Partner)
  partner: Partner;

  @Field(() => RelationshipStatus, { nullable: true })
  relationshipStatus: RelationshipStatus | null;

  @Field(() => DelegatedAdminStatus, { nullable: true })
  delegatedAdminStatus: DelegatedAdminStatus | null;
}
