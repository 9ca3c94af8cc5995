import './partnership.scope';
import { defineModule } from '../module';
import { PARTNERSHIP_ACCEPTED, PARTNERSHIP_REMOVED, PARTNERSHIP_REQUEST_REVOKED, PARTNERSHIP_REQUESTED } from './partnership.changes';
import { PartnershipRequest } from './partnership-request.entity';
import { Partnership } from './partnership.entity';
import { PartnershipResolver } from './partnership.resolver';
import { PartnershipService } from './partnership.service';

/** Indirect provider ↔ indirect reseller partnerships and their requests. */
export const partnershipModule = defineModule({
  name: 'partnership',
  entities: [Partnership, PartnershipRequest],
  resolvers: [PartnershipResolver],
  changes: [PARTNERSHIP_REQUESTED, PARTNERSHIP_REQUEST_REVOKED, PARTNERSHIP_ACCEPTED, PARTNERSHIP_REMOVED],
  services: ({ deps, changes }) => ({ partnerships: new PartnershipService(deps, changes) }),
});
