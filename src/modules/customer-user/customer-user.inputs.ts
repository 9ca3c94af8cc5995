import { ArrayMaxSize, ArrayNotEmpty, IsBoolean, IsEnum, IsNotEmpty, IsOptional, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { MaxCodePoints } from '../../common/validation';
import { AdminRole } from '../admin-relationship/admin-relationship.entity';

/** The optional fields of a user that creating and updating share (not in the schema itself). */
@InputType('CustomerUserFieldsInput')
export class CustomerUserFieldsInput {
  @Field({ nullable: true })
  @IsOptional()
  @IsNotEmpty()
  @MaxCodePoints(64)
  firstName?: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsNotEmpty()
  @MaxCodePoints(64)
  lastName?: string;

  @Field(() => [AdminRole], {
    nullable: true,
    description:
      'Administrator roles (creating: default none; updating: the whole new list, empty for none). A partner gives them only with PRIVILEGED_ROLE_ADMINISTRATOR or GLOBAL_ADMINISTRATOR.',
  })
  @IsOptional()
  @ArrayMaxSize(13)
  @IsEnum(AdminRole, { each: true })
  roles?: AdminRole[];
}

@InputType({ description: "A new user of a customer's directory" })
export class CreateCustomerUserInput extends CustomerUserFieldsInput {
  @Field(() => ID)
  @IsUUID()
  customerId: string;

  @Field({ description: "name@<the customer's domain>; unique whatever the letter case (NFKC)" })
  @IsNotEmpty()
  @MaxCodePoints(320)
  userName: string;

  @Field()
  @IsNotEmpty()
  @MaxCodePoints(256)
  displayName: string;
}

@InputType({ description: 'The fields of a user to change (at least one); the user name never changes' })
export class UpdateCustomerUserInput extends CustomerUserFieldsInput {
  @Field(() => ID)
  @IsUUID()
  userId: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsNotEmpty()
  @MaxCodePoints(256)
  displayName?: string;
}

/** A user, by id (the shape of deleteCustomerUser's and restoreCustomerUser's inputs; not in the schema itself). */
@InputType('CustomerUserRefInput')
export class CustomerUserRefInput {
  @Field(() => ID)
  @IsUUID()
  userId: string;
}

/** A user and subscriptions of its customer (the shape of assignLicenses' and unassignLicenses' inputs; not in the schema itself). */
@InputType('LicenseChangeInput')
export class LicenseChangeInput {
  @Field(() => ID)
  @IsUUID()
  userId: string;

  @Field(() => [ID])
  @ArrayNotEmpty()
  @ArrayMaxSize(50)
  @IsUUID(undefined, { each: true })
  subscriptionIds: string[];
}

@InputType({ description: 'The user to delete' })
export class DeleteCustomerUserInput extends CustomerUserRefInput {}

@InputType({ description: 'The deleted user to restore' })
export class RestoreCustomerUserInput extends CustomerUserRefInput {}

@InputType({ description: 'A user, and the subscriptions of its customer to give it one licence of each' })
export class AssignLicensesInput extends LicenseChangeInput {}

@InputType({ description: 'A user, and the subscriptions whose licence to take back from it' })
export class UnassignLicensesInput extends LicenseChangeInput {}

@InputType()
export class CustomerUserFilter {
  @Field({ nullable: true, description: 'Part of the user name or the display name' })
  @IsOptional()
  @MaxCodePoints(200)
  search?: string;

  @Field({ nullable: true, description: 'Also the deleted users that can still be restored (default false)' })
  @IsOptional()
  @IsBoolean()
  includeDeleted?: boolean;
}
