import type { EntityManager } from 'typeorm';
import { readMany } from '../common/entity-reader';
import { registerNodeType } from '../scope/nodes';
import { type Builder, Scope } from '../scope/scope';
import { customerKey, partnerKey } from './catalog';
import { EventAudience, EventRecord } from './event.entity';
import { toEventNode } from './event.types';
import { toStoredEvent } from './outbox';

declare module '../scope/scope' {
  interface Scope {
    /** Events: the operator's all, a partner's user its partner's audience, a customer's user its customer's (as the `events` query). */
    events(em?: EntityManager): Builder<EventRecord>;
  }
}

Scope.prototype.events = function (this: Scope, em?: EntityManager) {
  const qb = this.from(EventRecord, 'event', em);
  const audience = (key: string) =>
    qb.innerJoin(EventAudience, 'scopeAudience', 'scopeAudience.position = event.position AND scopeAudience.audience = :scopeKey', { scopeKey: key });
  return this.byKind(qb, {
    operator: () => qb,
    partner: (partnerId) => audience(partnerKey(partnerId)),
    customer: (customerId) => audience(customerKey(customerId)),
  });
};

/**
 * `node(id:)` answers an event to whoever its `events` query lists it for, as its typed object type
 * (src/events/typed-events.ts), and null to anyone else.
 */
registerNodeType('Event', {
  load: async (scope: Scope, ids) => {
    const rows = await readMany(scope.events().andWhere('event.id IN (:...nodeIds)', { nodeIds: [...ids] }));
    const found = new Map(rows.map((row) => [row.id, toEventNode(toStoredEvent(row), scope.partnerId ?? null)]));
    return ids.map((id) => found.get(id) ?? null);
  },
});
