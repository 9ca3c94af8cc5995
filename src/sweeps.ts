import type { AppDeps } from './common/context';
import { logger } from './common/logger';
import type { Services } from './context';
import { MODULES } from './modules';

declare module './context' {
  interface Services {
    sweeps: Sweeps;
  }
}

/**
 * What time does, module by module (each module's `sweep`: invitations and admin relationships that
 * expire, subscriptions that renew or expire, reminders, audit retention), then the core's (expired idempotency keys). The server runs it every
 * EXPIRY_SWEEP_INTERVAL; advanceTestClock runs it right after moving the test clock. Every change a
 * sweep makes is a conditional update, so servers sweeping at once make each change once.
 */
export class Sweeps {
  constructor(
    private readonly deps: AppDeps,
    private readonly services: Services,
  ) {}

  /** Runs every module's sweep at the clock's time, one after the other; a failing one is logged and the others still run. */
  async run(): Promise<Record<string, unknown>> {
    // the test clock as the servers sharing the database last moved it
    await this.deps.clock.refresh?.();
    const done: Record<string, unknown> = {};
    for (const module of MODULES) {
      if (!('sweep' in module) || !module.sweep) continue;
      try {
        done[module.name] = await (module.sweep as (services: Services) => Promise<unknown>)(this.services);
      } catch (err) {
        logger.warn({ err: (err as Error).message, module: module.name }, 'sweep failed');
        done[module.name] = { failed: (err as Error).message };
      }
    }
    // the core's: idempotency keys past IDEMPOTENCY_TTL (src/idempotency/)
    try {
      done.idempotencyKeys = await this.services.idempotency.sweep();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'idempotency key sweep failed');
      done.idempotencyKeys = { failed: (err as Error).message };
    }
    return done;
  }
}
