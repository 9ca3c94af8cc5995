import type { ChangeDefinition } from '../changes/catalog';
import type { Changes } from '../changes/change';
import type { AppDeps } from '../common/context';
import type { EventService } from '../events/event.service';

/** What every feature's services may use: the process's dependencies, the change primitive and the event stream. */
export interface CoreServices {
  deps: AppDeps;
  changes: Changes;
  events: EventService;
}

/**
 * A feature: one folder under src/modules/ that exports one of these from its `index.ts`. The server
 * is the list of modules (src/modules/index.ts): their tables, their GraphQL resolvers, their kinds of
 * change (the catalog), their services, and how the tenant scope reads their tables (the folder's
 * `<feature>.scope.ts`, imported by its `index.ts`: it adds the readers of the feature's tables to the
 * Scope and registers its by-id rules and loaders). Adding a feature is its folder and one line of that list.
 */
export interface FeatureModule<S extends object = object, N extends object = object> {
  name: string;
  /** TypeORM entities: the feature's tables */
  entities?: Function[]; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  /** type-graphql resolver classes */
  resolvers?: Function[]; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  /** the kinds of change the feature makes (src/changes/catalog.ts); listing them is what registers them */
  changes?: ChangeDefinition<never>[];
  /**
   * The feature's services, built once per process in the order of the modules list; `needs` holds the
   * services of the modules listed before it (what its parameter type names must be there).
   */
  services?: (core: CoreServices, needs: N) => S;
  /**
   * What time does to the feature's rows (expiry, renewal, reminders, retention): run by the server's
   * sweep every EXPIRY_SWEEP_INTERVAL and by advanceTestClock (src/sweeps.ts). Each change it makes must
   * be a conditional update, so that servers sweeping at once make it once. Answers what it did.
   */
  sweep?: (services: S & N) => Promise<object | number>;
  /** runs once per process, when the modules are listed: registers the feature's scope rules, tallies… */
  register?: () => void;
}

/** Declares a feature module (typed by its services and what they need). */
export function defineModule<S extends object = object, N extends object = object>(module: FeatureModule<S, N>): FeatureModule<S, N> {
  return module;
}
