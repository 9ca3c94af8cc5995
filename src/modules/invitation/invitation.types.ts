import { Field, GraphQLISODateTime, ID, ObjectType } from 'type-graphql';
import { InvitationStatus } from '../../common/enums';
import { ConnectionType } from '../../common/pagination';
import { EmailDraft } from '../../common/email-draft';
import { Customer } from '../customer/customer.entity';
import { CustomerInvitation } from './customer-invitation.entity';

@ObjectType()
export class InvitationConnection extends ConnectionType('Invitation', CustomerInvitation) {}

@ObjectType({ description: 'The link, its email draft and its token exist only here: the invitation itself never shows them again' })
export class CreateCustomerInvitationPayload {
  @Field(() => CustomerInvitation)
  invitation: CustomerInvitation;

  @Field({ description: 'The single-use token inside the link. Shown only here; only its hash is stored.' })
  token: string;

  @Field({ description: 'The personalised link for the customer (it carries the token). Shown only here.' })
  url: string;

  @Field(() => EmailDraft, { description: 'An editable email with the link, to send to the customer. Shown only here.' })
  emailDraft: EmailDraft;
}

@ObjectType()
export class AcceptCustomerInvitationPayload {
  @Field(() => CustomerInvitation, { description: 'Now ACCEPTED' })
  invitation: CustomerInvitation;

  @Field(() => Customer, {
    description: 'The caller’s customer: its `partners` now hold the inviting partner’s ACTIVE relationship (and privileges, when asked)',
  })
  customer: Customer;
}

@ObjectType()
export class DeclineCustomerInvitationPayload {
  @Field(() => CustomerInvitation, { description: 'Now DECLINED' })
  invitation: CustomerInvitation;
}

@ObjectType()
export class RevokeCustomerInvitationPayload {
  @Field(() => CustomerInvitation, { description: 'Now REVOKED' })
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

@ObjectType({
  description:
    'The invitation as it was when the event happened: a value, not the invitation itself (its id is `invitationId`, so a client cache never mixes the two)',
})
export class InvitationSnapshot {
  @Field(() => ID, { description: 'The id of the invitation' })
  invitationId: string;

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

@ObjectType({
  description:
    'The customer as it was when the event happened: a value, not the customer itself (its id is `customerId`, so a client cache never mixes the two)',
})
export class CustomerSnapshot {
  @Field(() => ID, { description: 'The id of the customer' })
  customerId: string;

  @Field()
  companyName: string;

  @Field()
  domain: string;
}
