import { Changes } from './changes/change';
import type { AppDeps } from './common/context';
import type { Services } from './context';
import { EventService } from './events/event.service';
import type { CoreServices } from './modules/module';
import { MODULES } from './modules';
import { Sweeps } from './sweeps';
import { IdempotencyStore } from './idempotency/idempotency.store';

export type { Services } from './context';

/** The services of one process, each module's built in the order of the modules list. Each method takes the caller's scope first. */
export function createServices(deps: AppDeps): Services {
  const events = new EventService(deps);
  const changes = new Changes(deps, events.outbox);
  const core: CoreServices = { deps, changes, events };
  const built: Record<string, unknown> = { events, changes };
  for (const module of MODULES) {
    if (!('services' in module) || !module.services) continue;
    Object.assign(built, (module.services as (core: CoreServices, needs: unknown) => object)(core, built));
  }
  const services = built as unknown as Services;
  services.idempotency = new IdempotencyStore(deps);
  services.sweeps = new Sweeps(deps, services);
  return services;
}
