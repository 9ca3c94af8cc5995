import { setMaxListeners } from 'node:events';
import { createPubSub, filter, pipe } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import Redis from 'ioredis';
import type { AppConfig } from './config';
import { logger } from './logger';

export const Topic = {
  INVITATION_ACCEPTED: 'INVITATION_ACCEPTED',
  PARTNERSHIP_CHANGED: 'PARTNERSHIP_CHANGED',
} as const;

/**
 * Event payloads are plain JSON (ISO date strings), because with REDIS_URL they cross servers.
 * `audiencePartnerIds` is who may receive the event; the subscription filter checks it against
 * the socket's authenticated identity.
 */
export interface InvitationAcceptedPayload {
  audiencePartnerIds: string[];
  invitation: {
    id: string;
    status: string;
    partnerId: string;
    indirectProviderId: string | null;
    includeDelegatedAdminPrivileges: boolean;
    acceptedAt: string;
  };
  customer: { id: string; companyName: string; domain: string };
  occurredAt: string;
}

export interface PartnershipChangedPayload {
  audiencePartnerIds: string[];
  partnership: { id: string; status: string; providerId: string; resellerId: string };
  change: 'ACCEPTED' | 'REMOVED';
  occurredAt: string;
}

export type Events = {
  [Topic.INVITATION_ACCEPTED]: [InvitationAcceptedPayload];
  [Topic.PARTNERSHIP_CHANGED]: [PartnershipChangedPayload];
};

export interface AppPubSub {
  pubSub: ReturnType<typeof createPubSub<Events>>;
  close(): Promise<void>;
}

/** In-process by default; across server instances through Redis when REDIS_URL is set. */
export function createAppPubSub(config: AppConfig): AppPubSub {
  if (!config.redisUrl) {
    // one listener per live subscription: thousands of dashboards are normal, not a leak
    const eventTarget = new EventTarget();
    setMaxListeners(0, eventTarget);
    return { pubSub: createPubSub<Events>({ eventTarget }), close: async () => {} };
  }
  const publishClient = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
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

/**
 * The live feed of one topic for one socket, filtered on the server by the socket's own
 * authenticated partner (the caller's scope gives it, never a client argument): only events whose
 * audience names it pass.
 */
export function partnerFeed<K extends keyof Events>(
  pubSub: AppPubSub['pubSub'],
  partnerId: string,
  topic: K,
): AsyncIterable<Events[K][0]> {
  return pipe(
    pubSub.subscribe(topic as typeof Topic.INVITATION_ACCEPTED) as AsyncIterable<Events[K][0]>,
    filter((payload: Events[K][0]) => payload.audiencePartnerIds.includes(partnerId)),
  );
}
