import './partner.scope';
import { EVERYONE, registerTally, TallyName } from '../../counts/tallies';
import { defineModule } from '../module';
import * as partnerChanges from './partner.changes';
import { Partner } from './partner.entity';
import { PartnerResolver } from './partner.resolver';
import { PartnerService } from './partner.service';

declare module '../../context' {
  interface Services {
    partners: PartnerService;
  }
}

/** Partners: the operator onboards them; each is the tenant of its users. */
export const partnerModule = defineModule({
  name: 'partner',
  entities: [Partner],
  resolvers: [PartnerResolver],
  // every kind of change the feature declares (each export of its .changes.ts is one)
  changes: Object.values(partnerChanges),
  register: () => registerTally(TallyName.PARTNERS, [`SELECT '${EVERYONE}', COUNT(*) FROM partner`]),
  services: ({ deps, changes }) => ({ partners: new PartnerService(deps, changes) }),
});
