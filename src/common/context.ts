import type { DataSource } from 'typeorm';
import type { Principal } from './auth/principal';
import type { AppConfig } from './config';
import { createLoaders, type Loaders } from './loaders';
import type { AppPubSub } from './pubsub';
import type { Services } from '../services';

/** What lives for the whole process: config, database, pubsub and the services. */
export interface AppDeps {
  config: AppConfig;
  ds: DataSource;
  pubSub: AppPubSub['pubSub'];
}

/** Built fresh for every HTTP request and every WebSocket operation. */
export interface RequestContext {
  principal?: Principal;
  loaders: Loaders;
  services: Services;
  deps: AppDeps;
}

export function buildContext(deps: AppDeps, services: Services, principal?: Principal): RequestContext {
  return { principal, loaders: createLoaders(deps.ds, principal), services, deps };
}

/** The principal of a context that passed @Authorized (the auth checker guarantees it). */
export function principalOf(ctx: RequestContext): Principal {
  if (!ctx.principal) throw new Error('principalOf called without an authenticated principal');
  return ctx.principal;
}
