import type { DataSource } from 'typeorm';
import type { Clock, TokenClock } from './clock';
import type { AppConfig } from './config';
import type { AppPubSub } from './pubsub';

/** What lives for the whole process: config, database, pubsub and clock. Services are built from it. */
export interface AppDeps {
  config: AppConfig;
  ds: DataSource;
  pubSub: AppPubSub['pubSub'];
  /** the time time-bound rules read (src/common/clock.ts): the system's, or a test's */
  clock: Clock;
  /** the time tokens are read against, and the timer of a socket's token expiry (src/common/clock.ts) */
  tokenClock: TokenClock;
}
