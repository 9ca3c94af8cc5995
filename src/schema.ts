import type { GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
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

/** The executable schema. Also what `npm run schema:emit` prints into schema/schema.graphql. */
export function buildAppSchema(pubSub: AppPubSub['pubSub']): Promise<GraphQLSchema> {
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
