import type { GraphQLSchema } from 'graphql';
import { buildSchema, getMetadataStorage, type NonEmptyArray } from 'type-graphql';
import { authChecker } from './common/auth/auth-checker';
import { validateArgument } from './common/input-validation';
import type { AppPubSub } from './common/pubsub';
import { EventResolver } from './events/event.resolver';
import { WebhookResolver } from './modules/webhook/webhook.resolver';
import { ActivityResolver } from './modules/activity/activity.resolver';
import { CustomerResolver } from './modules/customer/customer.resolver';
import { InvitationResolver } from './modules/invitation/invitation.resolver';
import { OfferResolver } from './modules/offer/offer.resolver';
import { PartnerResolver } from './modules/partner/partner.resolver';
import { PartnershipResolver } from './modules/partnership/partnership.resolver';
import { RelationshipResolver } from './modules/relationship/relationship.resolver';
import { SubscriptionResolver } from './modules/subscription/subscription.resolver';
import { ViewerResolver } from './modules/viewer/viewer.resolver';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const RESOLVERS: NonEmptyArray<Function> = [
  ViewerResolver,
  PartnerResolver,
  CustomerResolver,
  OfferResolver,
  SubscriptionResolver,
  InvitationResolver,
  RelationshipResolver,
  ActivityResolver,
  PartnershipResolver,
  EventResolver,
  WebhookResolver,
];

/**
 * type-graphql gives every plain `@Field` property a resolver that runs the field's middleware chain
 * (empty here) and returns `root[name]` in a Promise: for a page of 50 customers, hundreds of promises
 * that only read a property. Plain fields are marked `simple` here, so graphql's default resolver (or
 * the compiled operation) reads the property directly: fields without `@Authorized` or
 * `@UseMiddleware`, without arguments, not methods, and named as their property. Those keep their
 * resolver, as does any field that says `simple: false`.
 */
export function readPlainFieldsAsProperties(): void {
  const storage = getMetadataStorage();
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  const sameOrSubclass = (target: Function, of: Function) => target === of || target.prototype instanceof of;
  for (const field of storage.fields) {
    if (field.simple !== undefined || field.params?.length || field.schemaName !== field.name) continue;
    const named = (m: { target: Function; fieldName: string }) => m.fieldName === field.name && sameOrSubclass(m.target, field.target); // eslint-disable-line @typescript-eslint/no-unsafe-function-type
    if (storage.authorizedFields.some(named) || storage.middlewares.some(named)) continue;
    if (storage.fieldResolvers.some((r) => r.kind === 'internal' && r.methodName === field.name && sameOrSubclass(r.target, field.target))) continue;
    field.simple = true;
  }
}

/** The executable schema. Also what `npm run schema:emit` prints into schema/schema.graphql. */
export function buildAppSchema(pubSub: AppPubSub['pubSub']): Promise<GraphQLSchema> {
  readPlainFieldsAsProperties();
  return buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    authMode: 'error',
    validate: true,
    validateFn: validateArgument,
    pubSub,
    emitSchemaFile: false,
  });
}
