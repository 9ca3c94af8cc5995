import { IsEmail, IsEnum, IsNotEmpty, IsOptional, Matches } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { Cloud, PartnerType } from '../../common/enums';
import { MaxCodePoints } from '../../common/validation';

@InputType()
export class CreatePartnerInput {
  @Field()
  @IsNotEmpty()
  @MaxCodePoints(200)
  name: string;

  @Field({ description: 'Microsoft Partner Network ID: 6 to 10 digits' })
  @MaxCodePoints(10)
  @Matches(/^\d{6,10}$/, { message: 'mpnId must be 6 to 10 digits' })
  mpnId: string;

  @Field(() => PartnerType)
  @IsEnum(PartnerType)
  type: PartnerType;

  @Field(() => Cloud)
  @IsEnum(Cloud)
  cloud: Cloud;

  @Field()
  @IsEmail()
  @MaxCodePoints(254)
  contactEmail: string;
}

@InputType()
export class PartnerFilter {
  @Field(() => PartnerType, { nullable: true })
  @IsOptional()
  @IsEnum(PartnerType)
  type?: PartnerType;

  @Field(() => Cloud, { nullable: true })
  @IsOptional()
  @IsEnum(Cloud)
  cloud?: Cloud;

  @Field({ nullable: true, description: 'Part of the name or the MPN ID' })
  @IsOptional()
  @MaxCodePoints(200)
  search?: string;
}
