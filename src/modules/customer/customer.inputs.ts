import { SubscriptionTermInput } from '../subscription/subscription.inputs';
import {
  ArrayMaxSize,
  IsDate,
  IsEmail,
  IsEnum,
  IsInt,
  IsISO31661Alpha2,
  IsNotEmpty,
  IsOptional,
  IsPhoneNumber,
  IsUUID,
  MaxDate,
  MinDate,
  Min,
  ValidateNested,
} from 'class-validator';
import { Field, GraphQLISODateTime, ID, InputType, Int } from 'type-graphql';
import { Cloud } from '../../common/enums';
import { IsLegalCompanyName, IsPostalCodeForCountry, IsTenantDomain, IsVisibleIdentifier, MaxCodePoints } from '../../common/validation';
import { MAX_EXTERNAL_ID_LENGTH } from './customer-external-id.entity';

@InputType({ description: 'The exact full address: street, city, state, postal code, country' })
export class AddressInput {
  @Field()
  @IsNotEmpty()
  @MaxCodePoints(200)
  addressLine1: string;

  @Field({ nullable: true })
  @IsOptional()
  @MaxCodePoints(200)
  addressLine2?: string;

  @Field()
  @IsNotEmpty()
  @MaxCodePoints(100)
  city: string;

  @Field({ nullable: true, description: 'State or province, where the country has them' })
  @IsOptional()
  @MaxCodePoints(100)
  state?: string;

  @Field()
  @IsNotEmpty()
  @MaxCodePoints(20)
  @IsPostalCodeForCountry('country')
  postalCode: string;

  @Field({ description: 'ISO 3166-1 alpha-2 code, e.g. US, DE' })
  @MaxCodePoints(2)
  @IsISO31661Alpha2({ message: 'country must be an ISO 3166-1 alpha-2 code' })
  country: string;
}

@InputType()
export class ContactInput {
  @Field()
  @IsNotEmpty()
  @MaxCodePoints(100)
  firstName: string;

  @Field()
  @IsNotEmpty()
  @MaxCodePoints(100)
  lastName: string;

  @Field()
  @IsEmail()
  @MaxCodePoints(254)
  email: string;

  @Field({ description: 'International format, e.g. +1 425 555 0100' })
  @MaxCodePoints(32)
  @IsPhoneNumber(undefined, { message: 'phoneNumber must be a valid phone number in international format (+…)' })
  phoneNumber: string;
}

@InputType({ description: 'Acceptance of the customer agreement' })
export class AgreementInput {
  @Field()
  @IsNotEmpty()
  @MaxCodePoints(200)
  signatoryName: string;

  @Field()
  @IsEmail()
  @MaxCodePoints(254)
  signatoryEmail: string;

  @Field(() => GraphQLISODateTime)
  @IsDate()
  @MinDate(new Date('2000-01-01T00:00:00Z'), { message: 'acceptedAt cannot be before 2000-01-01' })
  @MaxDate(() => new Date(Date.now() + 5 * 60_000), { message: 'acceptedAt cannot be in the future' })
  acceptedAt: Date;
}

@InputType({ description: 'One line of an order: an offer, its number of licenses and its term' })
export class OrderLineInput extends SubscriptionTermInput {
  @Field(() => ID)
  @IsNotEmpty()
  @MaxCodePoints(64)
  offerId: string;

  @Field(() => Int)
  @IsInt()
  @Min(1)
  quantity: number;
}

@InputType()
export class CreateCustomerInput {
  @Field({ description: 'The exact legal company name (no acronyms, no test names)' })
  @IsNotEmpty()
  @MaxCodePoints(200)
  @IsLegalCompanyName()
  companyName: string;

  @Field({ description: 'The tenant domain, unique, e.g. contoso.onmicrosoft.com' })
  @MaxCodePoints(253)
  @IsTenantDomain()
  domain: string;

  @Field(() => Cloud, { nullable: true, description: "Defaults to the creating partner's cloud (PUBLIC for the operator)" })
  @IsOptional()
  @IsEnum(Cloud)
  cloud?: Cloud;

  @Field(() => AddressInput)
  @ValidateNested()
  address: AddressInput;

  @Field(() => ContactInput)
  @ValidateNested()
  primaryContact: ContactInput;

  @Field(() => AgreementInput)
  @ValidateNested()
  agreement: AgreementInput;

  @Field(() => ID, { nullable: true, description: 'An indirect provider adds the customer on behalf of this reseller' })
  @IsOptional()
  @IsUUID()
  indirectResellerId?: string;

  @Field({
    nullable: true,
    description:
      'Your own id for the customer (your CRM’s): 1–100 characters, no control or invisible characters, unique among your customers (CONFLICT otherwise). Only a partner has one (BAD_USER_INPUT for the operator).',
  })
  @IsOptional()
  @MaxCodePoints(MAX_EXTERNAL_ID_LENGTH)
  @IsVisibleIdentifier()
  externalId?: string;

  @Field(() => [OrderLineInput], { nullable: true, description: 'The order placed with the new customer' })
  @IsOptional()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  subscriptions?: OrderLineInput[];
}

@InputType()
export class CustomerFilter {
  @Field(() => ID, { nullable: true, description: 'Only customers associated with this indirect reseller' })
  @IsOptional()
  @MaxCodePoints(64)
  indirectResellerId?: string;

  @Field({ nullable: true, description: 'Part of the company name or the domain' })
  @IsOptional()
  @MaxCodePoints(200)
  search?: string;

  @Field({
    nullable: true,
    description: 'Only the customer you gave this external id (exact match, your own ids only); for a partner’s users (BAD_USER_INPUT for anyone else)',
  })
  @IsOptional()
  @MaxCodePoints(MAX_EXTERNAL_ID_LENGTH)
  externalId?: string;
}

@InputType({ description: 'The account details to change (at least one); the tenant domain never changes' })
export class UpdateCustomerInput {
  @Field(() => ID)
  @IsUUID()
  customerId: string;

  @Field({ nullable: true, description: 'The exact legal company name (no acronyms, no test names)' })
  @IsOptional()
  @IsNotEmpty()
  @MaxCodePoints(200)
  @IsLegalCompanyName()
  companyName?: string;

  @Field(() => AddressInput, { nullable: true, description: 'The whole new address' })
  @IsOptional()
  @ValidateNested()
  address?: AddressInput;

  @Field(() => ContactInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  primaryContact?: ContactInput;

  @Field(() => ContactInput, { nullable: true, description: 'Who receives the bills' })
  @IsOptional()
  @ValidateNested()
  billingContact?: ContactInput;

  @Field(() => String, {
    nullable: true,
    description:
      'Your own id for the customer (1–100 characters, unique among your customers: CONFLICT otherwise). Absent: unchanged; null: cleared. Only a partner has one (BAD_USER_INPUT naming it for the customer’s admin or the operator).',
  })
  @IsOptional()
  @MaxCodePoints(MAX_EXTERNAL_ID_LENGTH)
  @IsVisibleIdentifier()
  externalId?: string | null;
}
