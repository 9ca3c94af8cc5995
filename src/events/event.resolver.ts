import { Arg, Args, Authorized, Ctx, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { COST } from '../common/cost';
import { ConnectionArgs } from '../common/pagination';
import type { RequestContext } from '../context';
import { EventType } from './catalog';
import { Event, EventConnection, EventFilter, type EventValue, toEventNode } from './event.types';
import './typed-events';
import './event.scope';
import type { StoredEvent } from './outbox';

interface StreamArgs {
  after?: string | null;
  types?: EventType[] | null;
}

/**
 * What one event read back from the database costs the subscriber: a row read (COST.batched) and its
 * selection (the subscribe's cost less its root field) twice, once read and once pushed: more than an
 * edge of the same selection in the `events` query, which reads a page in one statement.
 */
export function replayedEventCost(subscribeCost: number): number {
  return COST.batched + 2 * Math.max(1, subscribeCost - COST.root);
}

@Resolver(() => Event)
export class EventResolver {
  @Authorized()
  @Query(() => EventConnection, {
    name: 'events',
    description: "The viewer's events, oldest first: a partner's user its partner's, a customer's user its customer's, the operator all",
  })
  eventPage(@Ctx() ctx: RequestContext, @Args() args: ConnectionArgs, @Arg('filter', () => EventFilter, { nullable: true }) filter?: EventFilter) {
    return ctx.services.events.list(ctx.scope, args, filter);
  }

  @Authorized()
  @Subscription(() => Event, {
    name: 'events',
    description:
      "The viewer's events, live. With `after` (an event's cursor) it first replays every stored event after it, then continues live: no gap, no repeat. Events read from the database (the replay) are charged to the caller's budgets as read (replayedEventCost); a budget that runs out ends the stream with RATE_LIMITED (resume with `after`).",
    subscribe: ({ args, context }: SubscribeResolverData<unknown, StreamArgs, RequestContext>) =>
      context.services.events.stream(context.scope, args.after, args.types, {
        onBehind: context.fallingBehind,
        onRead: context.chargeMore && ((events) => context.chargeMore!(events * replayedEventCost(context.budget?.requested ?? 0))),
      }),
  })
  eventStream(
    @Root() event: StoredEvent,
    @Ctx() ctx: RequestContext,
    @Arg('after', () => String, { nullable: true, description: 'Resume after this event (its cursor)' }) _after?: string,
    @Arg('types', () => [EventType], { nullable: true, description: 'Only these types' }) _types?: EventType[],
  ): EventValue {
    return toEventNode(event, ctx.scope.partnerId ?? null);
  }
}
