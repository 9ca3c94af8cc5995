import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../common/node';
import { Cloud, InvitationStatus, PartnershipStatus, PartnerType } from '../common/enums';
import { CustomerUserStatus } from '../modules/customer-user/customer-user.entity';
import { AdminRelationshipEndReason, AdminRelationshipSide, AdminRelationshipStatus, AdminRole } from '../modules/admin-relationship/admin-relationship.entity';
import { CustomerSnapshot, InvitationSnapshot } from '../modules/invitation/invitation.types';
import { PartnershipChange, PartnershipChangedEvent, PartnershipSnapshot } from '../modules/partnership/partnership.types';
import { Money } from '../common/money';
import { BillingFrequency, TermDuration } from '../modules/offer/offer.terms';
import { SubscriptionStatus } from '../modules/subscription/subscription.entity';
import { ScheduledChangeCancelledBy, ScheduledChangeSnapshot, SubscriptionSnapshot } from '../modules/subscription/subscription.types';
import { EventType } from './catalog';
import { Event, eventTypeName, registerTypedEvent } from './event.types';
import type { StoredEvent } from './outbox';

/**
 * One GraphQL object type per event type, implementing `Event` (and `Node`): `INVITATION_ACCEPTED` is
 * `InvitationAcceptedEvent`, and so on. Each carries, as typed fields, what the `data` of its events
 * holds (the JSON its webhook deliveries carry, declared by `defineChange<Data>` in
 * src/modules/<feature>/<feature>.changes.ts and documented in the README's event catalog): the same
 * names, an ISO time as a `DateTimeISO`, a status as its enum, a nested object as an object type.
 *
 * Declared below as one field list per type (TYPED_EVENTS), from which the classes are built. A field
 * name has one GraphQL type across all event types (checked when they are built): a client that reads
 * `resellerId` in fragments on two event types in one selection would otherwise fail validation
 * ("fields conflict"), which Relay's compiler and codegen report for a whole document.
 */

/** One typed field of an event type. */
interface TypedField {
  /** the GraphQL type (type-graphql's return type) */
  type: () => unknown;
  /** its SDL spelling, `!` when non-null: one per field name across event types */
  sdl: string;
  nullable: boolean;
  description?: string;
  /** the value from the stored event; default: `data[name]`, converted by `convert` */
  read?: (e: StoredEvent) => unknown;
  convert?: (value: unknown) => unknown;
  /** declared by an interface of the type (PartnershipChangedEvent): only its value is read here */
  inherited?: boolean;
}

const toDate = (v: unknown) => (typeof v === 'string' ? new Date(v) : null);

const f = {
  id: { type: () => ID, sdl: 'ID!', nullable: false },
  idOrNull: { type: () => ID, sdl: 'ID', nullable: true },
  string: { type: () => String, sdl: 'String!', nullable: false },
  stringOrNull: { type: () => String, sdl: 'String', nullable: true },
  int: { type: () => Int, sdl: 'Int!', nullable: false },
  intOrNull: { type: () => Int, sdl: 'Int', nullable: true },
  boolean: { type: () => Boolean, sdl: 'Boolean!', nullable: false },
  time: { type: () => GraphQLISODateTime, sdl: 'DateTimeISO!', nullable: false, convert: toDate },
  timeOrNull: { type: () => GraphQLISODateTime, sdl: 'DateTimeISO', nullable: true, convert: toDate },
  enumOf: (e: object, name: string): TypedField => ({ type: () => e, sdl: `${name}!`, nullable: false }),
  object: (type: () => unknown, name: string, read: (e: StoredEvent) => unknown): TypedField => ({ type, sdl: `${name}!`, nullable: false, read }),
} satisfies Record<string, TypedField | ((...args: never[]) => TypedField)>;

/** Who extended an admin relationship (ADMIN_RELATIONSHIP_EXTENDED). */
export enum AdminRelationshipExtendedBy {
  AUTO_EXTEND = 'AUTO_EXTEND',
  PARTNER = 'PARTNER',
}
registerEnumType(AdminRelationshipExtendedBy, {
  name: 'AdminRelationshipExtendedBy',
  description: 'AUTO_EXTEND: the server, at the end date; PARTNER: the partner',
});

@ObjectType({
  description: 'An admin relationship as it was right after the change (the `adminRelationship` of its events’ data): a value, not the relationship itself',
})
export class AdminRelationshipSnapshot {
  @Field()
  displayName: string;

  @Field(() => [AdminRole])
  roles: AdminRole[];

  @Field({ description: 'ISO 8601, e.g. P730D' })
  duration: string;

  @Field()
  autoExtend: boolean;

  @Field(() => AdminRelationshipStatus)
  status: AdminRelationshipStatus;

  @Field(() => GraphQLISODateTime, { nullable: true })
  activatedAt: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  endsAt: Date | null;
}

type Data = Record<string, unknown>;
const data = (e: StoredEvent) => e.data;

/** Why licences were assigned or unassigned (LICENSES_ASSIGNED, LICENSES_UNASSIGNED). */
export enum LicenseChangeCause {
  REQUEST = 'REQUEST',
  USER_DELETED = 'USER_DELETED',
  SUBSCRIPTION_CANCELLED = 'SUBSCRIPTION_CANCELLED',
  SUBSCRIPTION_EXPIRED = 'SUBSCRIPTION_EXPIRED',
  SUBSCRIPTION_UPGRADED = 'SUBSCRIPTION_UPGRADED',
  RENEWAL_QUANTITY = 'RENEWAL_QUANTITY',
}
registerEnumType(LicenseChangeCause, {
  name: 'LicenseChangeCause',
  description:
    'REQUEST: assignLicenses or unassignLicenses; USER_DELETED: the user was deleted; SUBSCRIPTION_CANCELLED, SUBSCRIPTION_EXPIRED: the subscription ended; ' +
    'SUBSCRIPTION_UPGRADED: moved to the upgrade; RENEWAL_QUANTITY: renewed with fewer licences than were assigned (the newest went)',
});

@ObjectType({ description: 'A customer user as it was right after the change (the `user` of its events’ data): a value, never its password' })
export class CustomerUserSnapshot {
  @Field(() => ID)
  id: string;

  @Field()
  userName: string;

  @Field()
  displayName: string;

  @Field(() => [AdminRole])
  roles: AdminRole[];

  @Field(() => CustomerUserStatus)
  status: CustomerUserStatus;
}

@ObjectType({ description: 'A partner’s profile right after PARTNER_UPDATED (the `partner` of its data)' })
export class PartnerProfileSnapshot {
  @Field()
  name: string;

  @Field()
  mpnId: string;

  @Field(() => PartnerType)
  type: PartnerType;

  @Field(() => Cloud)
  cloud: Cloud;
}

const changedFields = (description: string): TypedField => ({ type: () => [String], sdl: '[String!]!', nullable: false, description });
const user = f.object(
  () => CustomerUserSnapshot,
  'CustomerUserSnapshot',
  (e) => data(e).user,
);
const licenseFields = {
  user,
  subscriptionIds: { type: () => [ID], sdl: '[ID!]!', nullable: false },
  cause: f.enumOf(LicenseChangeCause, 'LicenseChangeCause'),
};

function adminRelationshipSnapshot(e: StoredEvent): AdminRelationshipSnapshot {
  const a = data(e).adminRelationship as Data;
  return {
    displayName: a.displayName as string,
    roles: a.roles as AdminRole[],
    duration: a.duration as string,
    autoExtend: a.autoExtend as boolean,
    status: a.status as AdminRelationshipStatus,
    activatedAt: toDate(a.activatedAt),
    endsAt: toDate(a.endsAt),
  };
}

function partnershipSnapshot(e: StoredEvent): PartnershipSnapshot {
  const d = data(e);
  return { partnershipId: e.partnershipId!, status: d.status as PartnershipStatus, providerId: d.providerId as string, resellerId: d.resellerId as string };
}

function subscriptionSnapshot(e: StoredEvent): SubscriptionSnapshot {
  const d = data(e).subscription as Data;
  return {
    offerId: d.offerId as string,
    quantity: d.quantity as number,
    status: d.status as SubscriptionStatus,
    termDuration: d.termDuration as TermDuration,
    billingFrequency: d.billingFrequency as BillingFrequency,
    autoRenew: d.autoRenew as boolean,
    termStartsAt: new Date(d.termStartsAt as string),
    termEndsAt: new Date(d.termEndsAt as string),
    resellerId: (d.resellerId as string | null) ?? null,
    supportContactId: (d.supportContactId as string | null) ?? null,
    externalId: (d.externalId as string | null) ?? null,
  };
}

const subscription = f.object(() => SubscriptionSnapshot, 'SubscriptionSnapshot', subscriptionSnapshot);
const scheduledChange = f.object(
  () => ScheduledChangeSnapshot,
  'ScheduledChangeSnapshot',
  (e) => data(e).scheduledChange,
);
/** fields of subscription events from before terms existed (0.2.0): null there */
const sinceTerms = 'Null on events from before subscriptions had terms (0.2.0)';

const adminRelationship = f.object(() => AdminRelationshipSnapshot, 'AdminRelationshipSnapshot', adminRelationshipSnapshot);
const partnershipFields = {
  change: {
    ...f.enumOf(PartnershipChange, 'PartnershipChange'),
    inherited: true,
    read: (e: StoredEvent) => (e.type === EventType.PARTNERSHIP_ACCEPTED ? PartnershipChange.ACCEPTED : PartnershipChange.REMOVED),
  },
  partnership: { ...f.object(() => PartnershipSnapshot, 'PartnershipSnapshot', partnershipSnapshot), inherited: true },
};

/** The typed fields of each event type: what its `data` holds (an empty list: its data is `{}`). */
/** A customer's or subscription's external id as the reader reads it (src/events/event.types.ts viewedBy): its partner's own */
const externalId = (description: string): TypedField => ({ ...f.stringOrNull, description });
const customersExternalId = externalId('The reader’s partner’s own id for the customer (null for everyone else, and on events from before external ids)');
const sellersExternalId = externalId(
  'The seller’s own id for the subscription, for the seller’s users only (null for everyone else, and on events from before external ids)',
);
const externalIdSet = {
  externalId: externalId('After the change; null: cleared'),
  previousExternalId: f.stringOrNull,
};

const TYPED_EVENTS: Record<EventType, { fields: Record<string, TypedField>; implements?: 'PartnershipChangedEvent' }> = {
  [EventType.PARTNER_CREATED]: { fields: {} },
  [EventType.CUSTOMER_CREATED]: {
    fields: { companyName: f.string, domain: f.string, cloud: f.enumOf(Cloud, 'Cloud'), indirectResellerId: f.idOrNull, externalId: customersExternalId },
  },
  [EventType.INVITATION_CREATED]: {
    fields: { includeDelegatedAdminPrivileges: f.boolean, indirectProviderId: f.idOrNull, expiresAt: f.time },
  },
  [EventType.INVITATION_ACCEPTED]: {
    fields: {
      invitation: f.object(
        () => InvitationSnapshot,
        'InvitationSnapshot',
        (e): InvitationSnapshot => {
          const i = data(e).invitation as Data;
          return {
            invitationId: e.invitationId!,
            partnerId: e.partnerId!,
            status: i.status as InvitationStatus,
            includeDelegatedAdminPrivileges: i.includeDelegatedAdminPrivileges as boolean,
            indirectProviderId: (i.indirectProviderId as string | null) ?? null,
            acceptedAt: new Date(i.acceptedAt as string),
          };
        },
      ),
      customer: f.object(
        () => CustomerSnapshot,
        'CustomerSnapshot',
        (e): CustomerSnapshot => {
          const c = data(e).customer as Data;
          return { customerId: e.customerId!, companyName: c.companyName as string, domain: c.domain as string };
        },
      ),
    },
  },
  [EventType.INVITATION_DECLINED]: { fields: {} },
  [EventType.INVITATION_REVOKED]: { fields: {} },
  [EventType.INVITATION_EXPIRED]: { fields: { expiresAt: f.time } },
  [EventType.RELATIONSHIP_ESTABLISHED]: { fields: {} },
  [EventType.RELATIONSHIP_REMOVED]: { fields: {} },
  [EventType.DELEGATED_ADMIN_GRANTED]: {
    fields: { restored: { ...f.boolean, description: 'Privileges revoked earlier were granted again', convert: (v) => v === true } },
  },
  [EventType.DELEGATED_ADMIN_REVOKED]: { fields: {} },
  [EventType.PARTNERSHIP_REQUESTED]: { fields: { requestId: f.id, resellerEmail: f.string, expiresAt: f.time } },
  [EventType.PARTNERSHIP_REQUEST_REVOKED]: { fields: {} },
  [EventType.PARTNERSHIP_ACCEPTED]: {
    implements: 'PartnershipChangedEvent',
    fields: {
      requestId: f.id,
      providerId: f.id,
      // nullable as on the subscription events (one type per field name); never null here
      resellerId: f.idOrNull,
      status: f.enumOf(PartnershipStatus, 'PartnershipStatus'),
      ...partnershipFields,
    },
  },
  [EventType.PARTNERSHIP_REMOVED]: {
    implements: 'PartnershipChangedEvent',
    fields: {
      providerId: f.id,
      resellerId: f.idOrNull,
      status: f.enumOf(PartnershipStatus, 'PartnershipStatus'),
      removedBy: { ...f.idOrNull, description: 'The partner that removed it (null: the operator)' },
      ...partnershipFields,
    },
  },
  [EventType.SUBSCRIPTION_CREATED]: {
    fields: {
      offerId: f.id,
      quantity: f.int,
      resellerId: f.idOrNull,
      supportContactId: f.idOrNull,
      termDuration: { type: () => TermDuration, sdl: 'TermDuration', nullable: true, description: sinceTerms },
      billingFrequency: { type: () => BillingFrequency, sdl: 'BillingFrequency', nullable: true, description: sinceTerms },
      autoRenew: { type: () => Boolean, sdl: 'Boolean', nullable: true, description: sinceTerms },
      termEndsAt: { ...f.timeOrNull, description: sinceTerms },
      upgradedFromId: { ...f.idOrNull, description: 'The subscription this one replaced by an upgrade' },
      externalId: sellersExternalId,
    },
  },
  [EventType.SUBSCRIPTION_UPDATED]: {
    fields: {
      changed: {
        type: () => [String],
        sdl: '[String!]!',
        nullable: false,
        description:
          'The fields the caller set (`quantity`, `resellerId`, `supportContactId`, `autoRenew`); their new values are this event’s. (The JSON `data.changed` holds the same names, each with its new value.)',
        read: (e) => Object.keys((data(e).changed as Data | undefined) ?? {}),
      },
      quantity: f.int,
      resellerId: f.idOrNull,
      supportContactId: f.idOrNull,
      previousResellerId: f.idOrNull,
      previousSupportContactId: f.idOrNull,
      autoRenew: { type: () => Boolean, sdl: 'Boolean', nullable: true, description: sinceTerms },
      externalId: sellersExternalId,
    },
  },
  [EventType.SUBSCRIPTION_CANCELLED]: {
    fields: {
      subscription,
      cancellationReason: f.stringOrNull,
      refund: f.object(
        () => Money,
        'Money',
        (e) => data(e).refund,
      ),
    },
  },
  [EventType.SUBSCRIPTION_SUSPENDED]: { fields: { subscription, suspensionReason: f.stringOrNull } },
  [EventType.SUBSCRIPTION_REACTIVATED]: { fields: { subscription } },
  [EventType.SUBSCRIPTION_RENEWED]: { fields: { subscription, previousTermEndsAt: f.time, scheduledChangeApplied: f.boolean } },
  [EventType.SUBSCRIPTION_EXPIRED]: { fields: { subscription } },
  [EventType.SUBSCRIPTION_UPGRADED]: { fields: { subscription, upgradedToId: f.id, targetOfferId: f.id } },
  [EventType.SUBSCRIPTION_EXPIRING]: { fields: { subscription, daysBefore: { ...f.int, description: '30, 7 or 1' } } },
  [EventType.SUBSCRIPTION_SCHEDULED_CHANGE_SET]: { fields: { subscription, scheduledChange } },
  [EventType.SUBSCRIPTION_SCHEDULED_CHANGE_CANCELLED]: {
    fields: { subscription, scheduledChange, cancelledBy: f.enumOf(ScheduledChangeCancelledBy, 'ScheduledChangeCancelledBy') },
  },
  [EventType.WEBHOOK_ENDPOINT_CREATED]: { fields: {} },
  [EventType.WEBHOOK_ENDPOINT_UPDATED]: { fields: {} },
  [EventType.WEBHOOK_ENDPOINT_DELETED]: { fields: {} },
  [EventType.WEBHOOK_ENDPOINT_DISABLED]: {
    fields: {
      endpointId: f.id,
      url: f.string,
      eventId: { ...f.id, description: 'The event whose last delivery failed' },
      attempts: f.int,
      lastStatus: { ...f.intOrNull, description: 'The HTTP status of the last attempt (null: no answer)' },
      lastError: f.stringOrNull,
    },
  },
  [EventType.WEBHOOK_REDELIVERY_REQUESTED]: { fields: {} },
  [EventType.ADMIN_RELATIONSHIP_CREATED]: { fields: { adminRelationship, requestExpiresAt: f.time } },
  [EventType.ADMIN_RELATIONSHIP_APPROVED]: { fields: { adminRelationship } },
  [EventType.ADMIN_RELATIONSHIP_REJECTED]: { fields: { adminRelationship } },
  [EventType.ADMIN_RELATIONSHIP_UPDATED]: {
    fields: { adminRelationship, changed: { type: () => [String], sdl: '[String!]!', nullable: false, description: 'The fields the partner changed' } },
  },
  [EventType.ADMIN_RELATIONSHIP_EXTENDED]: {
    fields: { adminRelationship, previousEndsAt: f.timeOrNull, extendedBy: f.enumOf(AdminRelationshipExtendedBy, 'AdminRelationshipExtendedBy') },
  },
  [EventType.ADMIN_RELATIONSHIP_EXPIRING]: { fields: { adminRelationship, daysBefore: { ...f.int, description: '30, 7 or 1' } } },
  [EventType.ADMIN_RELATIONSHIP_EXPIRED]: { fields: { adminRelationship, reason: f.enumOf(AdminRelationshipEndReason, 'AdminRelationshipEndReason') } },
  [EventType.TEST_CLOCK_ADVANCED]: { fields: {} },
  [EventType.ADMIN_RELATIONSHIP_TERMINATED]: { fields: { adminRelationship, terminatedBy: f.enumOf(AdminRelationshipSide, 'AdminRelationshipSide') } },
  [EventType.PARTNER_UPDATED]: {
    fields: {
      changed: changedFields('The fields that changed (name, contactEmail, mpnId, type, cloud)'),
      partner: f.object(
        () => PartnerProfileSnapshot,
        'PartnerProfileSnapshot',
        (e) => data(e).partner,
      ),
    },
  },
  [EventType.CUSTOMER_UPDATED]: {
    fields: {
      changed: changedFields('The account details that changed (companyName, address, primaryContact, billingContact)'),
      companyName: f.string,
      externalId: customersExternalId,
    },
  },
  [EventType.CUSTOMER_USER_CREATED]: { fields: { user } },
  [EventType.CUSTOMER_USER_UPDATED]: { fields: { user, changed: changedFields('The fields that changed (displayName, firstName, lastName, roles)') } },
  [EventType.CUSTOMER_USER_DELETED]: { fields: { user, purgeAt: { ...f.time, description: 'Restorable until then; purged after' } } },
  [EventType.CUSTOMER_USER_RESTORED]: { fields: { user } },
  [EventType.CUSTOMER_USER_PURGED]: { fields: { user } },
  [EventType.LICENSES_ASSIGNED]: { fields: licenseFields },
  [EventType.LICENSES_UNASSIGNED]: { fields: licenseFields },
  [EventType.CUSTOMER_EXTERNAL_ID_SET]: { fields: externalIdSet },
  [EventType.SUBSCRIPTION_EXTERNAL_ID_SET]: { fields: externalIdSet },
};

const INTERFACES = { PartnershipChangedEvent };

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
const CLASSES = new Map<EventType, Function>();

/** Builds the object type of each event type (once, at import) and registers how its typed fields are read. */
function buildTypedEvents(): void {
  const sdlOf = new Map<string, { sdl: string; type: EventType }>();
  for (const type of Object.values(EventType)) {
    const { fields, implements: extra } = TYPED_EVENTS[type];
    const name = eventTypeName(type);
    const base = extra ? INTERFACES[extra] : Event;
    // a named class (`class InvitationAcceptedEvent extends Event`), so stack traces and type-graphql's metadata read well
    const cls = { [name]: class extends (base as abstract new () => Event) {} }[name];
    for (const [field, spec] of Object.entries(fields)) {
      const seen = sdlOf.get(field);
      if (seen && seen.sdl !== spec.sdl) {
        throw new Error(`event field ${field} is ${spec.sdl} on ${name} but ${seen.sdl} on ${eventTypeName(seen.type)}: one type per field name`);
      }
      sdlOf.set(field, { sdl: spec.sdl, type });
      if (!spec.inherited) Field(spec.type as never, { nullable: spec.nullable, description: spec.description })(cls.prototype, field);
    }
    ObjectType(name, {
      implements: extra ? [INTERFACES[extra], Event, Node] : [Event, Node],
      description: `An event of type ${type}: its typed fields are the \`data\` of its webhook deliveries (the event catalog in the README)`,
    })(cls);
    CLASSES.set(type, cls);
    const readers = Object.entries(fields).map(([field, spec]) => {
      const read = spec.read ?? ((e: StoredEvent) => (spec.convert ? spec.convert(e.data[field]) : (e.data[field] ?? null)));
      return [field, read] as const;
    });
    registerTypedEvent(type, cls.prototype, (e) => {
      const out: Record<string, unknown> = {};
      for (const [field, read] of readers) out[field] = read(e);
      return out;
    });
  }
}

buildTypedEvents();

/** The object type of an event type (a view's return type: `invitationAccepted` returns InvitationAcceptedEvent). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function typedEventClass(type: EventType): Function {
  return CLASSES.get(type)!;
}
