import { setMaxListeners } from 'node:events';
import { createPubSub } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import Redis from 'ioredis';
import type { AppConfig } from './config';
import { logger } from './logger';

/**
 * One topic: committed events from the outbox's dispatcher (src/events/). Payloads are plain JSON,
 * because with REDIS_URL they cross servers; each process's event hub subscribes once and fans out.
 */
export const EVENTS_TOPIC = 'EVENTS';

/** A stored event as published (its full shape is `StoredEvent` in src/events/outbox.ts). */
export interface PublishedEvent {
  position: number;
  audience: string[];
  [field: string]: unknown;
}

export type Events = {
  [EVENTS_TOPIC]: [PublishedEvent];
};

export interface AppPubSub {
  pubSub: ReturnType<typeof createPubSub<Events>>;
  close(): Promise<void>;
}

/** In-process by default; across server instances through Redis when REDIS_URL is set. */
export function createAppPubSub(config: AppConfig): AppPubSub {
  if (!config.redisUrl) {
    const eventTarget = new EventTarget();
    setMaxListeners(0, eventTarget);
    return { pubSub: createPubSub<Events>({ eventTarget }), close: async () => {} };
  }
  const publishClient = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  // the event hub subscribes at start, possibly before the connection is ready: ioredis's ready
  // check (INFO) would then fail on a connection already in subscriber mode
  const subscribeClient = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3, enableReadyCheck: false });
  for (const client of [publishClient, subscribeClient]) {
    client.on('error', (err) => logger.error({ err }, 'redis error'));
  }
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  return {
    pubSub: createPubSub<Events>({ eventTarget }),
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
