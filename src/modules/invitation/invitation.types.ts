import { Field, GraphQLISODateTime, ID, ObjectType } from 'type-graphql';
import { InvitationStatus } from '../../common/enums';
import { ConnectionType } from '../../common/pagination';
import { Customer } from '../customer/customer.entity';
import { CustomerInvitation } from './customer-invitation.entity';

@ObjectType()
export class InvitationConnection extends ConnectionType('Invitation', CustomerInvitation) {}

@ObjectType()
export class CreateCustomerInvitationPayload {
  @Field(() => CustomerInvitation)
  invitation: CustomerInvitation;

  @Field({ description: 'The single-use token inside the link. Shown only here; only its hash is stored.' })
  token: string;
}

@ObjectType()
export class AcceptCustomerInvitationPayload {
  @Field(() => CustomerInvitation)
  invitation: CustomerInvitation;

  @Field(() => Customer)
  customer: Customer;
}

@ObjectType()
export class DeclineCustomerInvitationPayload {
  @Field(() => CustomerInvitation)
  invitation: CustomerInvitation;
}

@ObjectType()
export class RevokeCustomerInvitationPayload {
  @Field(() => CustomerInvitation)
  invitation: CustomerInvitation;
}

@ObjectType({ description: 'What a customer is agreeing to, readable without signing in' })
export class InvitationPreview {
  @Field()
  partnerName: string;

  @Field(() => String, { nullable: true })
  indirectProviderName: string | null;

  @Field()
  includeDelegatedAdminPrivileges: boolean;

  @Field(() => InvitationStatus)
  status: InvitationStatus;

  @Field(() => GraphQLISODateTime)
  expiresAt: Date;
}

@ObjectType({ description: 'The invitation as it was when the event happened' })
export class InvitationSnapshot {
  @Field(() => ID)
  id: string;

  @Field(() => InvitationStatus)
  status: InvitationStatus;

  @Field(() => ID)
  partnerId: string;

  @Field(() => ID, { nullable: true })
  indirectProviderId: string | null;

  @Field()
  includeDelegatedAdminPrivileges: boolean;

  @Field(() => GraphQLISODateTime)
  acceptedAt: Date;
}

@ObjectType({ description: 'The customer as it was when the event happened' })
export class CustomerSnapshot {
  @Field(() => ID)
  id: string;

  @Field()
  companyName: string;

  @Field()
  domain: string;
}

@ObjectType()
export class InvitationAcceptedEvent {
  @Field(() => InvitationSnapshot)
  invitation: InvitationSnapshot;

  @Field(() => CustomerSnapshot)
  customer: CustomerSnapshot;

  @Field(() => GraphQLISODateTime)
  occurredAt: Date;
}
