import { IsArray, IsDate, IsEnum, IsOptional, IsUUID } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../common/pagination';
import { EventType } from './catalog';
import { encodeEventCursor } from './cursor';
import type { StoredEvent } from './outbox';

export enum EventActorKind {
  OPERATOR = 'OPERATOR',
  PARTNER_USER = 'PARTNER_USER',
  CUSTOMER_USER = 'CUSTOMER_USER',
}
registerEnumType(EventActorKind, { name: 'EventActorKind' });

@ObjectType({ description: 'Who made the change (null on events the server itself emits, such as INVITATION_EXPIRED)' })
export class EventActor {
  @Field(() => EventActorKind)
  kind: EventActorKind;

  @Field({ description: 'The token subject' })
  userId: string;

  @Field(() => ID, { nullable: true })
  partnerId: string | null;

  @Field(() => ID, { nullable: true })
  customerId: string | null;
}

@ObjectType('Event', { description: 'A stored lifecycle event. Its cursor resumes the stream right after it.' })
export class EventNode {
  @Field(() => ID, { description: 'Unique; also the webhook-id of its webhook deliveries' })
  id: string;

  @Field({ description: 'Opaque; pass it as `after` to resume right after this event' })
  cursor: string;

  @Field(() => EventType)
  type: EventType;

  @Field(() => GraphQLISODateTime)
  occurredAt: Date;

  @Field(() => EventActor, { nullable: true })
  actor: EventActor | null;

  @Field(() => ID, { nullable: true })
  customerId: string | null;

  @Field(() => ID, { nullable: true })
  partnerId: string | null;

  @Field(() => ID, { nullable: true })
  invitationId: string | null;

  @Field(() => ID, { nullable: true })
  partnershipId: string | null;

  @Field(() => ID, { nullable: true })
  subscriptionId: string | null;

  @Field(() => ID, { nullable: true })
  adminRelationshipId: string | null;

  @Field(() => GraphQLJSONObject, { description: 'The details of this type (see the event catalog)' })
  data: Record<string, unknown>;

  @Field(() => String, {
    nullable: true,
    description:
      'The request id (`x-request-id`) of the API call that caused the event, as on its audit records; the sweep run for what the server does by itself',
  })
  correlationId: string | null;
}

export function toEventNode(e: StoredEvent): EventNode {
  return {
    id: e.id,
    cursor: encodeEventCursor(e.position),
    type: e.type,
    occurredAt: new Date(e.occurredAt),
    actor: e.actor ? { ...e.actor, kind: e.actor.kind as EventActorKind } : null,
    customerId: e.customerId,
    partnerId: e.partnerId,
    invitationId: e.invitationId,
    partnershipId: e.partnershipId,
    subscriptionId: e.subscriptionId,
    adminRelationshipId: e.adminRelationshipId,
    data: e.data,
    correlationId: e.correlationId ?? null,
  };
}

@ObjectType()
export class EventEdge {
  @Field()
  cursor: string;

  @Field(() => EventNode)
  node: EventNode;
}

@ObjectType()
export class EventConnection {
  @Field(() => [EventEdge])
  edges: EventEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  // not simple: a lazy getter's Promise (connectionOf), awaited by the field's resolver
  @Field(() => Int, { simple: false, description: 'All events matching the filter that the viewer receives' })
  totalCount: number;
}

@InputType()
export class EventFilter {
  @Field(() => [EventType], { nullable: true, description: 'Only these types' })
  @IsOptional()
  @IsArray()
  @IsEnum(EventType, { each: true })
  types?: EventType[];

  @Field(() => ID, { nullable: true, description: 'Only events about this customer' })
  @IsOptional()
  @IsUUID()
  customerId?: string;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Only events at or after this time' })
  @IsOptional()
  @IsDate()
  occurredFrom?: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Only events before this time' })
  @IsOptional()
  @IsDate()
  occurredBefore?: Date;
}
