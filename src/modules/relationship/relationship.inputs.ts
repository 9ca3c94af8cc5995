import { IsBoolean, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class RemoveCustomerRelationshipInput {
  @Field(() => ID)
  @IsUUID()
  customerId: string;

  @Field({
    description:
      'You represent that the decision was made in good faith, for a legitimate business purpose, and in accordance with your agreement. Must be true.',
  })
  @IsBoolean()
  attestation: boolean;
}

@InputType()
export class RevokeDelegatedAdminPrivilegesInput {
  @Field(() => ID, { description: 'The partner whose privileges the customer removes' })
  @IsUUID()
  partnerId: string;
}
