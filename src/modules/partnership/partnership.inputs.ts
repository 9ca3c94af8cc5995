import { IsBoolean, IsEmail, IsNotEmpty, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { MaxCodePoints } from '../../common/validation';

@InputType()
export class RequestPartnershipInput {
  @Field({ description: "The indirect reseller's email address" })
  @IsEmail()
  // stored lower-cased (partnership.service.ts), which can lengthen it ("İ" is two code points then)
  @MaxCodePoints(254, { stored: (email) => email.toLowerCase() })
  resellerEmail: string;
}

@InputType()
export class AcceptPartnershipRequestInput {
  @Field({ description: 'The token from the partnership request link' })
  @IsNotEmpty()
  @MaxCodePoints(100)
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
