import type { GqlResponse } from './client';
import type { TestServer } from './test-server';

/** A subscription as the lifecycle tests read it (the `SUB` selection). */
export interface Sub {
  id: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'CANCELLED' | 'EXPIRED';
  quantity: number;
  termDuration: string;
  billingFrequency: string;
  autoRenew: boolean;
  termStartsAt: string;
  termEndsAt: string;
  cancellableUntil: string;
  endedAt: string | null;
  updatedAt: string;
  offer: { id: string };
  reseller: { id: string } | null;
  supportContact: { id: string } | null;
  scheduledChange: { quantity: number; termDuration: string; billingFrequency: string; offer: { id: string } } | null;
  upgradedTo: { id: string } | null;
  upgradedFrom: { id: string } | null;
}

export interface Money {
  amount: string;
  currency: string;
}

/** Every field of `Sub`. */
export const SUB = `id status quantity termDuration billingFrequency autoRenew termStartsAt termEndsAt cancellableUntil endedAt updatedAt
  offer { id } reseller { id } supportContact { id }
  scheduledChange { quantity termDuration billingFrequency offer { id } }
  upgradedTo { id } upgradedFrom { id }`;

/** A scheduled change's fields (`removedScheduledChange`). */
export const SCHEDULED = `quantity termDuration billingFrequency offer { id }`;

/** Raw GraphQL calls on the server `current()` names by default (a test file's own, started in its beforeAll). */
export function gqlOn(current: () => TestServer) {
  const call = <T>(token: string | undefined, query: string, variables: Record<string, unknown> = {}, server = current()): Promise<GqlResponse<T>> =>
    server.client(token).raw<T>({ query, variables });
  /** The operation's data; fails with the server's errors if there are any. */
  const ok = async <T>(token: string, query: string, variables: Record<string, unknown> = {}, server = current()): Promise<T> => {
    const res = await call<T>(token, query, variables, server);
    if (res.errors?.length || !res.data) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors ?? res)}`);
    return res.data;
  };
  /** The operation's first error (code, message, named fields); fails if it succeeded or answered a 5xx. */
  const refused = async (token: string, query: string, variables: Record<string, unknown> = {}, server = current()): Promise<Refusal> => {
    const res = await call(token, query, variables, server);
    if (!res.errors?.length) throw new Error(`expected an error, got ${JSON.stringify(res.data)}`);
    if (res.status >= 500) throw new Error(`answered ${res.status}: ${JSON.stringify(res.errors)}`);
    const [first] = res.errors;
    return { code: first.extensions?.code, message: first.message, fields: first.extensions?.fields };
  };
  return { call, ok, refused };
}

/** What a refused operation answered (`gqlOn(...).refused`). */
export interface Refusal {
  code?: string;
  message: string;
  fields?: string[];
}
