import type { AppDeps } from './common/context';
import { Changes } from './changes/change';
import { EventService } from './events/event.service';
import { ActivityService } from './modules/activity/activity.service';
import { AdminRelationshipService } from './modules/admin-relationship/admin-relationship.service';
import { CustomerService } from './modules/customer/customer.service';
import { InvitationService } from './modules/invitation/invitation.service';
import { OfferService } from './modules/offer/offer.service';
import { PartnershipService } from './modules/partnership/partnership.service';
import { PartnerService } from './modules/partner/partner.service';
import { RelationshipService } from './modules/relationship/relationship.service';
import { WebhookService } from './modules/webhook/webhook.service';
import { SubscriptionService } from './modules/subscription/subscription.service';

/** The services of one process, wired by hand in dependency order. Each method takes the caller's scope first. */
export function createServices(deps: AppDeps) {
  const events = new EventService(deps);
  const changes = new Changes(deps, events.outbox);
  const activity = new ActivityService(deps);
  const partners = new PartnerService(deps, changes);
  const relationships = new RelationshipService(changes);
  const offers = new OfferService(deps);
  const subscriptions = new SubscriptionService(changes, offers);
  const customers = new CustomerService(deps, changes, relationships, subscriptions);
  const invitations = new InvitationService(deps, changes, relationships);
  const partnerships = new PartnershipService(deps, changes);
  const webhooks = new WebhookService(deps, changes, events);
  const adminRelationships = new AdminRelationshipService(deps, changes);
  return { changes, events, webhooks, activity, partners, relationships, offers, subscriptions, customers, invitations, partnerships, adminRelationships };
}

export type Services = ReturnType<typeof createServices>;
