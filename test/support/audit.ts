import type { GqlResponse } from './client';
import { EVENT_FIELDS, type EventView } from './events';
import type { TestServer } from './test-server';

/** One audit record with everything the trail says about a change. */
export interface AuditRecord {
  id: string;
  occurredAt: string;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  partnerId: string | null;
  customerId: string | null;
  correlationId: string | null;
  via: string;
  actor: { userId: string; roles: string[]; partnerId: string | null; customerId: string | null };
  changes: { field: string; before: string | null; after: string | null }[];
  details: string | null;
  attestation: boolean | null;
}

export const AUDIT_FIELDS =
  'id occurredAt action subjectType subjectId partnerId customerId correlationId via actor { userId roles partnerId customerId } changes { field before after } details attestation';

/** An event with its correlation id. */
/** An event as test/support/events.ts reads it, with the request id that caused it. */
export type CorrelatedEvent = EventView & { correlationId: string | null };

const CORRELATED_EVENT_FIELDS = `${EVENT_FIELDS} correlationId`;

/** Every audit record `token` reads with these arguments, newest first (walked 100 a page). */
export async function auditTrail(t: TestServer, token: string, filter?: Record<string, unknown>, partnerId?: string): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const res = await t.client(token).raw<{ activities: { edges: { node: AuditRecord }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>({
      query: `query ($after: String, $filter: ActivityFilter, $partnerId: ID) {
        activities(first: 100, after: $after, filter: $filter, partnerId: $partnerId) { edges { node { ${AUDIT_FIELDS} } } pageInfo { hasNextPage endCursor } }
      }`,
      variables: { after, filter, partnerId },
    });
    if (res.errors) throw new Error(`activities: ${JSON.stringify(res.errors)}`);
    out.push(...res.data!.activities.edges.map((e) => e.node));
    if (!res.data!.activities.pageInfo.hasNextPage) return out;
    after = res.data!.activities.pageInfo.endCursor!;
  }
}

/** Every event `token` reads after the cursor `after` (all of them without it), oldest first. */
export async function eventsAfter(t: TestServer, token: string, after?: string, filter?: Record<string, unknown>): Promise<CorrelatedEvent[]> {
  const out: CorrelatedEvent[] = [];
  let cursor = after;
  for (;;) {
    const res = await t.client(token).raw<{ events: { edges: { node: CorrelatedEvent }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>({
      query: `query ($after: String, $filter: EventFilter) { events(first: 100, after: $after, filter: $filter) { edges { node { ${CORRELATED_EVENT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      variables: { after: cursor, filter },
    });
    if (res.errors) throw new Error(`events: ${JSON.stringify(res.errors)}`);
    out.push(...res.data!.events.edges.map((e) => e.node));
    if (!res.data!.events.pageInfo.hasNextPage) return out;
    cursor = res.data!.events.pageInfo.endCursor!;
  }
}

/** The subject (`sub` claim) of a JWT, read without verifying it (the test signed it). */
export function subjectOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { sub: string }).sub;
}

/** A unique request id: `<prefix>.<random>` within the 64 characters of `[A-Za-z0-9._-]` the server keeps. */
export function requestId(prefix: string): string {
  return `${prefix.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40)}.${Math.random().toString(36).slice(2, 12)}`;
}

/** A GraphQL call with extra headers: the status, the `x-request-id` answered and the body. */
export async function postWith<T = Record<string, unknown>>(
  t: TestServer,
  token: string | undefined,
  body: { query: string; variables?: Record<string, unknown> },
  headers: Record<string, string> | [string, string][] = {},
): Promise<GqlResponse<T> & { requestId: string | null }> {
  const base: [string, string][] = [['content-type', 'application/json'], ...(token ? ([['authorization', `Bearer ${token}`]] as [string, string][]) : [])];
  const extra = Array.isArray(headers) ? headers : Object.entries(headers);
  const res = await fetch(t.url, { method: 'POST', headers: [...base, ...extra], body: JSON.stringify(body) });
  const json = (await res.json()) as { data?: T; errors?: GqlResponse<T>['errors'] };
  return { status: res.status, requestId: res.headers.get('x-request-id'), ...json };
}
