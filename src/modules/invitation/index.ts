import './invitation.scope';
import { EVERYONE, registerTally, TallyName } from '../../counts/tallies';
import { defineModule } from '../module';
import type { RelationshipService } from '../relationship/relationship.service';
import { CustomerInvitation } from './customer-invitation.entity';
import * as invitationChanges from './invitation.changes';
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
  // every kind of change the feature declares (each export of its .changes.ts is one)
  changes: Object.values(invitationChanges),
  register: () =>
    registerTally(TallyName.INVITATIONS, [
      'SELECT partnerId, COUNT(*) FROM customer_invitation GROUP BY partnerId',
      `SELECT '${EVERYONE}', COUNT(*) FROM customer_invitation`,
    ]),
  services: ({ deps, changes }, { relationships }: { relationships: RelationshipService }) => ({
    invitations: new InvitationService(deps, changes, relationships),
  }),
  sweep: ({ invitations }) => invitations.expireDue(),
});
