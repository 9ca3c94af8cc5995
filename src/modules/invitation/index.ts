import './invitation.scope';
import { EVERYONE, registerTally, TallyName } from '../../counts/tallies';
import { defineModule } from '../module';
import type { RelationshipService } from '../relationship/relationship.service';
import { CustomerInvitation } from './customer-invitation.entity';
import { INVITATION_ACCEPTED, INVITATION_CREATED, INVITATION_DECLINED, INVITATION_EXPIRED, INVITATION_REVOKED } from './invitation.changes';
import { InvitationResolver } from './invitation.resolver';
import { InvitationService } from './invitation.service';

declare module '../../context' {
  interface Services {
    invitations: InvitationService;
  }
}

/** Invitations: a partner's link that makes a customer its reseller relationship. */
export const invitationModule = defineModule({
  name: 'invitation',
  entities: [CustomerInvitation],
  resolvers: [InvitationResolver],
  changes: [INVITATION_CREATED, INVITATION_ACCEPTED, INVITATION_DECLINED, INVITATION_REVOKED, INVITATION_EXPIRED],
  register: () =>
    registerTally(TallyName.INVITATIONS, [
      'SELECT partnerId, COUNT(*) FROM customer_invitation GROUP BY partnerId',
      `SELECT '${EVERYONE}', COUNT(*) FROM customer_invitation`,
    ]),
  services: ({ deps, changes }, { relationships }: { relationships: RelationshipService }) => ({
    invitations: new InvitationService(deps, changes, relationships),
  }),
});
