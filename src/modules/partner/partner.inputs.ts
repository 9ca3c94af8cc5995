import { IsEmail, IsEnum, IsNotEmpty, IsOptional, IsUUID, Matches } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
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

@InputType({ description: 'The fields to change (at least one). The MPN ID, type and cloud: only the operator.' })
export class UpdatePartnerInput {
  @Field(() => ID)
  @IsUUID()
  partnerId: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsNotEmpty()
  @MaxCodePoints(200)
  name?: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsEmail()
  @MaxCodePoints(254)
  contactEmail?: string;

  @Field({ nullable: true, description: 'The operator only; unique (CONFLICT on a duplicate)' })
  @IsOptional()
  @MaxCodePoints(10)
  @Matches(/^\d{6,10}$/, { message: 'mpnId must be 6 to 10 digits' })
  mpnId?: string;

  @Field(() => PartnerType, { nullable: true, description: 'The operator only; not while the partner has customers, partnerships or admin relationships' })
  @IsOptional()
  @IsEnum(PartnerType)
  type?: PartnerType;

  @Field(() => Cloud, { nullable: true, description: 'The operator only; not while the partner has customers, partnerships or admin relationships' })
  @IsOptional()
  @IsEnum(Cloud)
  cloud?: Cloud;
}
