import './admin-relationship.scope';
import { EVERYONE, registerTally, TallyName } from '../../counts/tallies';
import { defineModule } from '../module';
import {
  ADMIN_RELATIONSHIP_APPROVED,
  ADMIN_RELATIONSHIP_CREATED,
  ADMIN_RELATIONSHIP_EXPIRED,
  ADMIN_RELATIONSHIP_EXPIRING,
  ADMIN_RELATIONSHIP_EXTENDED,
  ADMIN_RELATIONSHIP_REJECTED,
  ADMIN_RELATIONSHIP_TERMINATED,
  ADMIN_RELATIONSHIP_UPDATED,
} from './admin-relationship.changes';
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
  changes: [
    ADMIN_RELATIONSHIP_CREATED,
    ADMIN_RELATIONSHIP_APPROVED,
    ADMIN_RELATIONSHIP_REJECTED,
    ADMIN_RELATIONSHIP_UPDATED,
    ADMIN_RELATIONSHIP_EXTENDED,
    ADMIN_RELATIONSHIP_EXPIRING,
    ADMIN_RELATIONSHIP_EXPIRED,
    ADMIN_RELATIONSHIP_TERMINATED,
  ],
  register: () =>
    registerTally(TallyName.ADMIN_RELATIONSHIPS, [
      'SELECT partnerId, COUNT(*) FROM admin_relationship GROUP BY partnerId',
      `SELECT '${EVERYONE}', COUNT(*) FROM admin_relationship`,
    ]),
  services: ({ deps, changes }) => ({ adminRelationships: new AdminRelationshipService(deps, changes) }),
});
