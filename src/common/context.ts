import type { DataSource } from 'typeorm';
import type { AppConfig } from './config';
import type { AppPubSub } from './pubsub';

/** What lives for the whole process: config, database and pubsub. Services are built from it. */
export interface AppDeps {
  config: AppConfig;
  ds: DataSource;
  pubSub: AppPubSub['pubSub'];
}
