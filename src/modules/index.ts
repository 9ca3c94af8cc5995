import { changeDefinitions } from '../changes/catalog';
import { ChangeKind } from '../changes/kinds';
import { activityModule } from './activity';
import { adminRelationshipModule } from './admin-relationship';
import { clockModule } from './clock';
import { customerModule } from './customer';
import { customerUserModule } from './customer-user';
import { invitationModule } from './invitation';
import { nodeModule } from './node';
import { offerModule } from './offer';
import { partnerModule } from './partner';
import { partnershipModule } from './partnership';
import { rateLimitModule } from './rate-limit';
import { relationshipModule } from './relationship';
import { subscriptionModule } from './subscription';
import { viewerModule } from './viewer';
import { webhookModule } from './webhook';

/**
 * The server's features, in the order their services are built (a module's services may use those of
 * the modules before it). Adding a feature: its folder under src/modules/ with an `index.ts` that
 * exports its module (src/modules/module.ts), and one line here.
 */
export const MODULES = [
  viewerModule,
  nodeModule,
  partnerModule,
  relationshipModule,
  offerModule,
  subscriptionModule,
  customerModule,
  invitationModule,
  activityModule,
  partnershipModule,
  webhookModule,
  adminRelationshipModule,
  clockModule,
  customerUserModule,
  rateLimitModule,
] as const;

for (const module of MODULES) if ('register' in module && module.register) module.register();

// every kind of change is declared by some module: a missing one would fail only when first made
const declared = new Set(changeDefinitions().map((d) => d.kind));
const undeclared = Object.values(ChangeKind).filter((kind) => !declared.has(kind));
if (undeclared.length) throw new Error(`kinds of change without a definition (src/modules/<feature>/<feature>.changes.ts): ${undeclared.join(', ')}`);
