import { Activity } from './changes/activity.entity';
import type { AppConfig } from './common/config';
import { createDataSource } from './common/database';
import { Tally } from './counts/tally.entity';
import { EventAudience, EventRecord, EventSequence } from './events/event.entity';
import { idempotencyEntity } from './idempotency/idempotency.entity';
import { MODULES } from './modules';

/** Every entity of the app: the core's tables (audit trail, events, counters) and each feature module's; with the idempotency keys' (appDataSource). */
export const ENTITIES = [...MODULES.flatMap((m) => ('entities' in m ? (m.entities ?? []) : [])), Activity, EventRecord, EventAudience, EventSequence, Tally];

/** The app's DataSource, used by the server, the tests and the TypeORM CLI (ormconfig.ts). */
export function appDataSource(config: AppConfig) {
  // the idempotency keys' table has a column whose type depends on the database
  return createDataSource(config, [...ENTITIES, idempotencyEntity(config.dbType)]);
}
