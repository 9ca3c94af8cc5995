import { IsArray, IsDate, IsEnum, IsOptional, IsUUID } from 'class-validator';
import { Field, GraphQLISODateTime, ID, InputType, Int, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../common/node';
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

/** The GraphQL object type of each event type: `INVITATION_ACCEPTED` is `InvitationAcceptedEvent` (built in ./typed-events.ts). */
export function eventTypeName(type: EventType | string): string {
  return `${type
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}Event`;
}

/**
 * A stored event, as GraphQL reads it: an instance of its type's class (./typed-events.ts), with the
 * fields of the interface and its type's typed fields (read from the stored data). The interfaces
 * (Event, PartnershipChangedEvent, Node) resolve it by its class, synchronously, as graphql-jit requires
 * (type-graphql wraps a `resolveType` option in an async function, which graphql-jit cannot await).
 */
export interface EventValue {
  id: string;
  cursor: string;
  type: EventType;
  occurredAt: Date;
  actor: EventActor | null;
  customerId: string | null;
  partnerId: string | null;
  invitationId: string | null;
  partnershipId: string | null;
  subscriptionId: string | null;
  adminRelationshipId: string | null;
  correlationId: string | null;
  [typed: string]: unknown;
}

@InterfaceType('Event', {
  implements: Node,
  description:
    'A stored lifecycle event: one object type per EventType (`INVITATION_ACCEPTED` is `InvitationAcceptedEvent`) carries its typed fields, the same as the `data` of its webhook deliveries (the event catalog in the README). Its cursor resumes the stream right after it.',
})
export abstract class Event {
  @Field(() => ID, { description: 'Unique across all types; also the webhook-id of its webhook deliveries' })
  id: string;

  @Field({ description: 'Opaque; pass it as `after` to resume right after this event' })
  cursor: string;

  @Field(() => EventType)
  type: EventType;

  @Field(() => GraphQLISODateTime)
  occurredAt: Date;

  @Field(() => EventActor, { nullable: true })
  actor: EventActor | null;

  @Field(() => ID, { nullable: true, description: 'The customer the event is about, if any' })
  customerId: string | null;

  @Field(() => ID, { nullable: true, description: 'The partner the event is about, if any' })
  partnerId: string | null;

  @Field(() => ID, { nullable: true })
  invitationId: string | null;

  @Field(() => ID, { nullable: true })
  partnershipId: string | null;

  @Field(() => ID, { nullable: true })
  subscriptionId: string | null;

  @Field(() => ID, { nullable: true })
  adminRelationshipId: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The request id (`x-request-id`) of the API call that caused the event, as on its audit records; the sweep run for what the server does by itself',
  })
  correlationId: string | null;
}

/** The key of an event's data holding what only some partners read (`viewedBy`). */
export const PER_PARTNER = 'perPartner';

/** What only some partners read of an event's data: per partner id, values merged over the data for that partner's users. */
export type PerPartner<T extends object> = Record<string, T>;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * An event as one reader of its audience reads it. Beside the data every reader gets, a change may
 * store values that only some partners read: `data.perPartner[partnerId]` (a partner's own external
 * id of the customer or subscription the event is about), merged over the data for that partner's
 * users, one level deep (`{ subscription: { externalId } }` replaces that one field of the snapshot).
 * Everyone else (other partners, the customer's users, the operator: `partnerId` null) reads the
 * data's own values (null). `perPartner` itself is never shown. The stored event is not changed
 * (the hub hands the same object to every listener).
 */
export function viewedBy(e: StoredEvent, partnerId: string | null): StoredEvent {
  const perPartner = e.data[PER_PARTNER];
  if (perPartner === undefined) return e;
  const { [PER_PARTNER]: _hidden, ...data } = e.data;
  const own = partnerId && isObject(perPartner) ? perPartner[partnerId] : undefined;
  if (isObject(own)) {
    for (const [key, value] of Object.entries(own)) data[key] = isObject(value) && isObject(data[key]) ? { ...data[key], ...value } : value;
  }
  return { ...e, data };
}

/** The fields every event has, as GraphQL reads them (./typed-events.ts adds its type's own). */
export function eventBase(e: StoredEvent): EventValue {
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
    correlationId: e.correlationId ?? null,
  };
}

/** Each event type's class and typed fields, read from a stored event (registered by ./typed-events.ts, once per type). */
const TYPED = new Map<string, { prototype: object; read: (e: StoredEvent) => Record<string, unknown> }>();

export function registerTypedEvent(type: EventType, prototype: object, read: (e: StoredEvent) => Record<string, unknown>): void {
  TYPED.set(type, { prototype, read });
}

/**
 * An event as GraphQL reads it (the `events` query and subscription, and their views): an instance of
 * its type's class, with the interface's fields and its type's, as `viewer` (the reader's partner id,
 * null for any other caller) reads them (`viewedBy`).
 */
export function toEventNode(stored: StoredEvent, viewer: string | null): EventValue {
  const e = viewedBy(stored, viewer);
  const typed = TYPED.get(e.type);
  if (!typed) throw new Error(`event type ${e.type} has no GraphQL type (is src/events/typed-events.ts loaded?)`);
  return Object.assign(Object.create(typed.prototype) as EventValue, eventBase(e), typed.read(e));
}

/**
 * The JSON body of an event's webhook deliveries (src/modules/webhook/): its ids and its `data` as
 * stored, unchanged by the GraphQL types (the README's event catalog documents `data`), as the
 * endpoint's partner reads it (`viewedBy`).
 */
export function eventPayload(stored: StoredEvent, partnerId: string) {
  const e = viewedBy(stored, partnerId);
  const { correlationId, ...common } = eventBase(e);
  return { ...common, data: e.data, correlationId };
}

@ObjectType()
export class EventEdge {
  @Field()
  cursor: string;

  @Field(() => Event)
  node: EventValue;
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
