import { IsBoolean, IsEmail, IsEnum, IsNotEmpty, IsOptional, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { InvitationStatus } from '../../common/enums';
import { MaxCodePoints } from '../../common/validation';

@InputType()
export class CreateCustomerInvitationInput {
  @Field({ description: 'Ask for delegated admin privileges. Required (true) in the US_GOVERNMENT and GERMANY clouds.' })
  @IsBoolean()
  includeDelegatedAdminPrivileges: boolean;

  @Field(() => ID, {
    nullable: true,
    description: 'Three-party invitation: an indirect provider you are in an ACTIVE partnership with becomes a reseller of record too',
  })
  @IsOptional()
  @IsUUID()
  indirectProviderId?: string;

  @Field({ nullable: true, description: 'The customer address the draft is meant for' })
  @IsOptional()
  @IsEmail()
  @MaxCodePoints(254)
  customerEmail?: string;
}

@InputType()
export class InvitationTokenInput {
  @Field({ description: 'The token from the invitation link' })
  @IsNotEmpty()
  @MaxCodePoints(100)
  token: string;
}

@InputType()
export class AcceptCustomerInvitationInput extends InvitationTokenInput {}

@InputType()
export class DeclineCustomerInvitationInput extends InvitationTokenInput {}

@InputType()
export class RevokeCustomerInvitationInput {
  @Field(() => ID)
  @IsUUID()
  invitationId: string;
}

@InputType()
export class InvitationFilter {
  @Field(() => InvitationStatus, { nullable: true })
  @IsOptional()
  @IsEnum(InvitationStatus)
  status?: InvitationStatus;
}
