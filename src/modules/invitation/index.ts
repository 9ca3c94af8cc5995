import './invitation.scope';
import { defineModule } from '../module';
import type { RelationshipService } from '../relationship/relationship.service';
import { CustomerInvitation } from './customer-invitation.entity';
import { INVITATION_ACCEPTED, INVITATION_CREATED, INVITATION_DECLINED, INVITATION_EXPIRED, INVITATION_REVOKED } from './invitation.changes';
import { InvitationResolver } from './invitation.resolver';
import { InvitationService } from './invitation.service';

/** Invitations: a partner's link that makes a customer its reseller relationship. */
export const invitationModule = defineModule({
  name: 'invitation',
  entities: [CustomerInvitation],
  resolvers: [InvitationResolver],
  changes: [INVITATION_CREATED, INVITATION_ACCEPTED, INVITATION_DECLINED, INVITATION_REVOKED, INVITATION_EXPIRED],
  services: ({ deps, changes }, { relationships }: { relationships: RelationshipService }) => ({ invitations: new InvitationService(deps, changes, relationships) }),
});
