import './relationship.scope';
import { registerTally, TallyName } from '../../counts/tallies';
import { RelationshipStatus } from '../../common/enums';
import { defineModule } from '../module';
import { DelegatedAdminPrivilege } from './delegated-admin-privilege.entity';
import { DELEGATED_ADMIN_GRANTED, DELEGATED_ADMIN_REVOKED, RELATIONSHIP_ESTABLISHED, RELATIONSHIP_REMOVED } from './relationship.changes';
import { RelationshipResolver } from './relationship.resolver';
import { RelationshipService } from './relationship.service';
import { ResellerRelationship } from './reseller-relationship.entity';

declare module '../../context' {
  interface Services {
    relationships: RelationshipService;
  }
}

/** Reseller relationships and delegated admin privileges between partners and customers. */
export const relationshipModule = defineModule({
  name: 'relationship',
  entities: [ResellerRelationship, DelegatedAdminPrivilege],
  resolvers: [RelationshipResolver],
  changes: [RELATIONSHIP_ESTABLISHED, RELATIONSHIP_REMOVED, DELEGATED_ADMIN_GRANTED, DELEGATED_ADMIN_REVOKED],
  // a partner's customers: its ACTIVE relationships
  register: () =>
    registerTally(TallyName.CUSTOMERS, [
      `SELECT partnerId, COUNT(*) FROM reseller_relationship WHERE status = '${RelationshipStatus.ACTIVE}' GROUP BY partnerId`,
    ]),
  services: ({ changes }) => ({ relationships: new RelationshipService(changes) }),
});
