import { IsInt, IsNotEmpty, IsOptional, IsUUID, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { MaxCodePoints } from '../../common/validation';

@InputType()
export class CreateSubscriptionInput {
  @Field(() => ID)
  @IsUUID()
  customerId: string;

  @Field(() => ID)
  @IsNotEmpty()
  @MaxCodePoints(64)
  offerId: string;

  @Field(() => Int, { description: "Number of licenses, within the offer's bounds" })
  @IsInt()
  @Min(1)
  quantity: number;

  @Field(() => ID, { nullable: true, description: 'Reseller of record: an indirect reseller partnered with you' })
  @IsOptional()
  @IsUUID()
  resellerId?: string;

  @Field(() => ID, { nullable: true, description: 'Designated support contact: an indirect reseller partnered with you' })
  @IsOptional()
  @IsUUID()
  supportContactId?: string;
}

@InputType({ description: 'Only the fields given change; pass null to clear the reseller or support contact' })
export class UpdateSubscriptionInput {
  @Field(() => ID)
  @IsUUID()
  subscriptionId: string;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  quantity?: number;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  resellerId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  supportContactId?: string | null;
}
