import type { ServerResponse } from 'node:http';
import type { Principal } from './common/auth/principal';
import type { BudgetCharge } from './common/budget';
import type { AppDeps } from './common/context';
import { Scope } from './scope/scope';
import type { Changes } from './changes/change';
import type { EventService } from './events/event.service';

/**
 * The services of one process (built by src/services.ts): the core's here; each feature module adds
 * its own to this interface (module augmentation in its `index.ts`), next to where it builds them.
 */
export interface Services {
  events: EventService;
  changes: Changes;
}

/**
 * Built fresh for every HTTP request and every WebSocket operation. `scope` is the caller's tenant
 * boundary (with its loaders); services take it as their first argument.
 */
export interface RequestContext {
  scope: Scope;
  services: Services;
  deps: AppDeps;
  /** the client's address (express's req.ip, or the socket's remote address) */
  ip: string;
  /**
   * What this operation was charged (src/pipeline/budgets.ts), once priced: the caller's cost budgets,
   * or the per-address count without a token. Undefined for the operator.
   */
  budget?: BudgetCharge;
  /** set when the budgets refused this operation (429): nothing more is charged for its answer */
  refused?: boolean;
  /** Over HTTP: the response, whose end also ends the operation's turn (`leave`) however it ends */
  httpResponse?: ServerResponse;
  /** Over HTTP: ends the operation's turn among its tenant's (src/pipeline/budgets.ts TenantInFlight) */
  leave?: () => void;
  /** On the WebSocket: charges more of the operation's work as it happens (a replay's events); RATE_LIMITED beyond the budgets */
  chargeMore?: (cost: number) => Promise<void>;
  /**
   * On the WebSocket: called when a live stream of this operation falls too far behind (its socket
   * takes no more pushes: the reader stopped reading); closes the socket as a slow consumer (1013).
   */
  fallingBehind?: () => void;
}

/** `principal` must come from a verified token that `confirmCaller` accepted. */
export function buildContext(deps: AppDeps, services: Services, principal?: Principal, ip = '', requestId?: string): RequestContext {
  return { scope: new Scope(deps.ds, principal, requestId, deps.clock), services, deps, ip };
}
