import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import type { LiveSubscription, WsClient } from './client';
import type { TestServer } from './test-server';

export interface EventView {
  id: string;
  cursor: string;
  type: string;
  occurredAt: string;
  actor: { kind: string; userId: string; partnerId: string | null; customerId: string | null } | null;
  partnerId: string | null;
  customerId: string | null;
  invitationId: string | null;
  partnershipId: string | null;
  subscriptionId: string | null;
  adminRelationshipId: string | null;
  data: Record<string, unknown>;
}

export const EVENT_FIELDS =
  'id cursor type occurredAt actor { kind userId partnerId customerId } partnerId customerId invitationId partnershipId subscriptionId adminRelationshipId data';

const STREAM = parse(
  `subscription Stream($after: String, $types: [EventType!]) { events(after: $after, types: $types) { ${EVENT_FIELDS} } }`,
) as TypedDocumentNode<{ events: EventView }, { after?: string; types?: string[] }>;

/** Subscription.events on a socket: replay after `after`, then live. */
export function stream(ws: WsClient, after?: string, types?: string[]): LiveSubscription<{ events: EventView }> {
  return ws.subscribe(STREAM, { after, types });
}

/** Every event the caller may read after `after` (Query.events, paged), oldest first. */
export async function readAll(t: TestServer, token: string, after?: string, filter?: Record<string, unknown>): Promise<EventView[]> {
  const out: EventView[] = [];
  let cursor = after;
  for (;;) {
    const res = await t.client(token).raw<{ events: { edges: { node: EventView }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>({
      query: `query ($after: String, $filter: EventFilter) { events(first: 100, after: $after, filter: $filter) { edges { node { ${EVENT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      variables: { after: cursor, filter },
    });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    out.push(...res.data!.events.edges.map((e) => e.node));
    if (!res.data!.events.pageInfo.hasNextPage) return out;
    cursor = res.data!.events.pageInfo.endCursor!;
  }
}

/** The position inside an event cursor (tests only: clients treat cursors as opaque). */
export function positionOf(cursor: string): number {
  return Number(Buffer.from(cursor, 'base64url').toString('utf8').replace(/^ev1:/, ''));
}

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
