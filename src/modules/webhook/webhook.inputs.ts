import { ArrayMaxSize, IsArray, IsBoolean, IsEnum, IsOptional, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { EventType } from '../../events/catalog';
import { MaxCodePoints } from '../../common/validation';

@InputType()
export class CreateWebhookEndpointInput {
  @Field({ description: 'Where the events are POSTed (https; a private or loopback address is refused in production)' })
  @MaxCodePoints(2000)
  url: string;

  @Field(() => [EventType], { nullable: true, description: 'Only these types; empty or absent: every type the partner receives' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsEnum(EventType, { each: true })
  eventTypes?: EventType[];

  @Field({ nullable: true })
  @IsOptional()
  @MaxCodePoints(500)
  description?: string;
}

@InputType()
export class UpdateWebhookEndpointInput {
  @Field(() => ID)
  @IsUUID()
  endpointId: string;

  @Field({ nullable: true })
  @IsOptional()
  @MaxCodePoints(2000)
  url?: string;

  @Field(() => [EventType], { nullable: true, description: 'Replaces the list; empty: every type' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsEnum(EventType, { each: true })
  eventTypes?: EventType[];

  @Field({ nullable: true, description: 'true re-enables an endpoint the retries disabled' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxCodePoints(500)
  description?: string | null;
}

@InputType()
export class DeleteWebhookEndpointInput {
  @Field(() => ID)
  @IsUUID()
  endpointId: string;
}

@InputType()
export class RedeliverWebhookInput {
  @Field(() => ID)
  @IsUUID()
  deliveryId: string;
}
