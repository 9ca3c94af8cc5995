import type { AppConfig } from './common/config';
import { createDataSource } from './common/database';
import { Tally } from './counts/tally.entity';
import { EventAudience, EventRecord, EventSequence } from './events/event.entity';
import { WebhookDelivery } from './modules/webhook/webhook-delivery.entity';
import { WebhookEndpoint } from './modules/webhook/webhook-endpoint.entity';
import { Activity } from './changes/activity.entity';
import { AdminRelationship } from './modules/admin-relationship/admin-relationship.entity';
import { CustomerUser } from './modules/customer/customer-user.entity';
import { Customer } from './modules/customer/customer.entity';
import { CustomerInvitation } from './modules/invitation/customer-invitation.entity';
import { Offer } from './modules/offer/offer.entity';
import { Partner } from './modules/partner/partner.entity';
import { PartnershipRequest } from './modules/partnership/partnership-request.entity';
import { Partnership } from './modules/partnership/partnership.entity';
import { DelegatedAdminPrivilege } from './modules/relationship/delegated-admin-privilege.entity';
import { ResellerRelationship } from './modules/relationship/reseller-relationship.entity';
import { CustomerSubscription } from './modules/subscription/subscription.entity';

/** Every entity of the app: the tables of SQLite's schema and of the MySQL migrations. */
export const ENTITIES = [
  Partner,
  Customer,
  CustomerUser,
  ResellerRelationship,
  DelegatedAdminPrivilege,
  CustomerInvitation,
  Partnership,
  PartnershipRequest,
  Offer,
  CustomerSubscription,
  Activity,
  EventRecord,
  EventAudience,
  EventSequence,
  WebhookEndpoint,
  WebhookDelivery,
  Tally,
  AdminRelationship,
];

/** The app's DataSource, used by the server, the tests and the TypeORM CLI (ormconfig.ts). */
export function appDataSource(config: AppConfig) {
  return createDataSource(config, ENTITIES);
}
