import { IsBoolean, IsEmail, IsNotEmpty, IsUUID, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class RequestPartnershipInput {
  @Field({ description: "The indirect reseller's email address" })
  @IsEmail()
  @MaxLength(254)
  resellerEmail: string;
}

@InputType()
export class AcceptPartnershipRequestInput {
  @Field({ description: 'The token from the partnership request link' })
  @IsNotEmpty()
  @MaxLength(100)
  token: string;
}

@InputType()
export class RevokePartnershipRequestInput {
  @Field(() => ID)
  @IsUUID()
  requestId: string;
}

@InputType()
export class RemovePartnershipInput {
  @Field(() => ID)
  @IsUUID()
  partnershipId: string;

  @Field({ description: 'Confirms the removal. Must be true.' })
  @IsBoolean()
  confirm: boolean;

  @Field({
    description:
      'You represent that the decision was made in good faith, for a legitimate business purpose, and in accordance with your agreement. Must be true.',
  })
  @IsBoolean()
  attestation: boolean;
}
