import './partnership.scope';
import { EVERYONE, registerTally, TallyName } from '../../counts/tallies';
import { PartnershipStatus } from '../../common/enums';
import { defineModule } from '../module';
import * as partnershipChanges from './partnership.changes';
import { PartnershipRequest } from './partnership-request.entity';
import { Partnership } from './partnership.entity';
import { PartnershipResolver } from './partnership.resolver';
import { PartnershipService } from './partnership.service';

declare module '../../context' {
  interface Services {
    partnerships: PartnershipService;
  }
}

/** Indirect provider ↔ indirect reseller partnerships and their requests. */
export const partnershipModule = defineModule({
  name: 'partnership',
  entities: [Partnership, PartnershipRequest],
  resolvers: [PartnershipResolver],
  // every kind of change the feature declares (each export of its .changes.ts is one)
  changes: Object.values(partnershipChanges),
  register: () => {
    const active = `status = '${PartnershipStatus.ACTIVE}'`;
    registerTally(TallyName.PARTNERSHIP_REQUESTS, ['SELECT providerId, COUNT(*) FROM partnership_request GROUP BY providerId']);
    registerTally(TallyName.PARTNERSHIPS_AS_PROVIDER, [
      `SELECT providerId, COUNT(*) FROM partnership WHERE ${active} GROUP BY providerId`,
      `SELECT '${EVERYONE}', COUNT(*) FROM partnership WHERE ${active}`,
    ]);
    registerTally(TallyName.PARTNERSHIPS_AS_RESELLER, [
      `SELECT resellerId, COUNT(*) FROM partnership WHERE ${active} GROUP BY resellerId`,
      `SELECT '${EVERYONE}', COUNT(*) FROM partnership WHERE ${active}`,
    ]);
  },
  services: ({ deps, changes }) => ({ partnerships: new PartnershipService(deps, changes) }),
});
