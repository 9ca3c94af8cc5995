import { Arg, Args, Authorized, Ctx, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
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
      "The viewer's events, live. With `after` (an event's cursor) it first replays every stored event after it, then continues live: no gap, no repeat.",
    subscribe: ({ args, context }: SubscribeResolverData<unknown, StreamArgs, RequestContext>) =>
      context.services.events.stream(context.scope, args.after, args.types, { onBehind: context.fallingBehind }),
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
