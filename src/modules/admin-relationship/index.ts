import './admin-relationship.scope';
import { EVERYONE, registerTally, TallyName } from '../../counts/tallies';
import { defineModule } from '../module';
import * as adminRelationshipChanges from './admin-relationship.changes';
import { AdminRelationship } from './admin-relationship.entity';
import { AdminRelationshipResolver } from './admin-relationship.resolver';
import { AdminRelationshipService } from './admin-relationship.service';

declare module '../../context' {
  interface Services {
    adminRelationships: AdminRelationshipService;
  }
}

/** Granular, time-bound admin relationships (GDAP). */
export const adminRelationshipModule = defineModule({
  name: 'admin-relationship',
  entities: [AdminRelationship],
  resolvers: [AdminRelationshipResolver],
  // every kind of change the feature declares (each export of its .changes.ts is one)
  changes: Object.values(adminRelationshipChanges),
  register: () =>
    registerTally(TallyName.ADMIN_RELATIONSHIPS, [
      'SELECT partnerId, COUNT(*) FROM admin_relationship GROUP BY partnerId',
      `SELECT '${EVERYONE}', COUNT(*) FROM admin_relationship`,
    ]),
  services: ({ deps, changes }) => ({ adminRelationships: new AdminRelationshipService(deps, changes) }),
  sweep: ({ adminRelationships }) => adminRelationships.sweep(),
});
