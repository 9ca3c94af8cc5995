import { Can } from '../../common/auth/roles';
import { registerNodeType } from '../../scope/nodes';
import type { Scope } from '../../scope/scope';

/** The audit trail is read through `Scope.activities` (src/scope/scope.ts); `node(id:)` reads a record the same way. */
registerNodeType('Activity', { read: (scope: Scope) => scope.activities(), roles: Can.readAuditTrail });
