import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEnum,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  Min,
  registerDecorator,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { AdminRelationshipStatus, AdminRole } from './admin-relationship.entity';
import { DURATION_RULE, durationDays, extendable, MAX_DURATION_DAYS } from './admin-relationship.rules';
import { MaxCodePoints } from '../../common/validation';

/** The most admin relationships one bulk operation takes. */
export const MAX_BULK = 100;

function IsAdminDuration(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isAdminDuration',
      target: object.constructor,
      propertyName,
      options: { message: `must be ${DURATION_RULE}`, ...options },
      validator: { validate: (value: unknown) => durationDays(value) !== undefined },
    });
}

/** `autoExtend: true` only when the roles (another property) do not include GLOBAL_ADMINISTRATOR. */
function AutoExtendAllowedWith(rolesProperty: string, options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'autoExtendAllowed',
      target: object.constructor,
      propertyName,
      constraints: [rolesProperty],
      options: { message: 'must be false when the roles include GLOBAL_ADMINISTRATOR (it cannot be auto-extended)', ...options },
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const roles = (args.object as Record<string, unknown>)[args.constraints[0] as string];
          return value !== true || !Array.isArray(roles) || extendable(roles);
        },
      },
    });
}

@InputType()
export class CreateAdminRelationshipInput {
  @Field(() => ID, {
    nullable: true,
    description: 'Address the request to this customer (one you serve): only its admins may approve. Without it, any customer admin in your cloud may.',
  })
  @IsOptional()
  @IsUUID()
  customerId?: string;

  @Field({ description: 'Unique among your admin relationships (letter case, width and invisible characters ignored), at most 50 characters' })
  @IsString()
  @IsNotEmpty()
  @MaxCodePoints(50)
  displayName: string;

  @Field(() => [AdminRole], { description: 'The roles asked for: at least one, each once' })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(Object.keys(AdminRole).length)
  @ArrayUnique()
  @IsEnum(AdminRole, { each: true })
  roles: AdminRole[];

  @Field({ description: `How long the access lasts from approval: ${DURATION_RULE}` })
  @IsString()
  @MaxCodePoints(8)
  @IsAdminDuration()
  duration: string;

  @Field({ nullable: true, description: 'Extend by 180 days at the end date (default false; not allowed with GLOBAL_ADMINISTRATOR)' })
  @IsOptional()
  @IsBoolean()
  @AutoExtendAllowedWith('roles')
  autoExtend?: boolean;
}

@InputType()
export class AdminRelationshipTokenInput {
  @Field({ description: 'The token from the approval link' })
  @IsString()
  @IsNotEmpty()
  @MaxCodePoints(100)
  token: string;
}

@InputType()
export class ApproveAdminRelationshipInput extends AdminRelationshipTokenInput {}

@InputType()
export class RejectAdminRelationshipInput extends AdminRelationshipTokenInput {}

@InputType()
export class TerminateAdminRelationshipInput {
  @Field(() => ID)
  @IsUUID()
  adminRelationshipId: string;
}

@InputType()
export class UpdateAdminRelationshipInput {
  @Field(() => ID)
  @IsUUID()
  adminRelationshipId: string;

  @Field({ description: 'Extend by 180 days at the end date (not allowed with GLOBAL_ADMINISTRATOR)' })
  @IsBoolean()
  autoExtend: boolean;
}

/** Up to 100 ids, each once. */
@InputType()
export class AdminRelationshipIdsInput {
  @Field(() => [ID], { description: `1 to ${MAX_BULK} admin relationships, each once` })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_BULK)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  adminRelationshipIds: string[];
}

@InputType()
export class TerminateAdminRelationshipsInput extends AdminRelationshipIdsInput {}

@InputType()
export class ExtendAdminRelationshipsInput extends AdminRelationshipIdsInput {}

@InputType()
export class AdminRelationshipFilter {
  @Field(() => AdminRelationshipStatus, { nullable: true })
  @IsOptional()
  @IsEnum(AdminRelationshipStatus)
  status?: AdminRelationshipStatus;

  @Field(() => ID, { nullable: true, description: 'Only those with this customer' })
  @IsOptional()
  @IsUUID()
  customerId?: string;

  @Field(() => Int, { nullable: true, description: `Only ACTIVE ones whose endsAt is within this many days (1 to ${MAX_DURATION_DAYS})` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_DURATION_DAYS)
  expiringWithinDays?: number;
}
