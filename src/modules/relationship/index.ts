import './relationship.scope';
import { registerTally, TallyName } from '../../counts/tallies';
import { RelationshipStatus } from '../../common/enums';
import { defineModule } from '../module';
import { DelegatedAdminPrivilege } from './delegated-admin-privilege.entity';
import * as relationshipChanges from './relationship.changes';
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
  // every kind of change the feature declares (each export of its .changes.ts is one)
  changes: Object.values(relationshipChanges),
  // a partner's customers: its ACTIVE relationships
  register: () =>
    registerTally(TallyName.CUSTOMERS, [
      `SELECT partnerId, COUNT(*) FROM reseller_relationship WHERE status = '${RelationshipStatus.ACTIVE}' GROUP BY partnerId`,
    ]),
  services: ({ changes }) => ({ relationships: new RelationshipService(changes) }),
});
