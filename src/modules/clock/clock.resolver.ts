import { IsNotEmpty } from 'class-validator';
import { Arg, Authorized, Ctx, Field, GraphQLISODateTime, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { Role } from '../../common/auth/roles';
import { ForbiddenError } from '../../common/errors';
import { MaxCodePoints } from '../../common/validation';
import type { RequestContext } from '../../context';
import { TEST_CLOCK_ADVANCED } from './clock.changes';
import { durationFrom, TestClock } from './test-clock';

@InputType()
export class AdvanceTestClockInput {
  @Field({ description: 'An ISO 8601 duration forward, e.g. P8D, PT12H, P1M (at most 10 years)' })
  @IsNotEmpty()
  @MaxCodePoints(40)
  by: string;
}

@ObjectType()
export class AdvanceTestClockPayload {
  @Field(() => GraphQLISODateTime, { description: 'The time before the move' })
  previous: Date;

  @Field(() => GraphQLISODateTime, { description: "The server's time now (the sweep has run at it)" })
  now: Date;
}

@Resolver()
export class ClockResolver {
  @Authorized()
  @Query(() => GraphQLISODateTime, {
    description: "The server's time: what its rules read (renewals, refunds, expiry); the test clock's time when TEST_CLOCK=true",
  })
  serverTime(@Ctx() ctx: RequestContext): Date {
    return ctx.services.changes.now();
  }

  @Authorized(Role.PLATFORM_ADMIN)
  @Mutation(() => AdvanceTestClockPayload, {
    description:
      "Moves the test clock forward (every server on the database agrees) and runs the sweep (renewals, expiry, reminders) before answering. Only with TEST_CLOCK=true, which production refuses; the operator's.",
  })
  async advanceTestClock(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => AdvanceTestClockInput) input: AdvanceTestClockInput,
  ): Promise<AdvanceTestClockPayload> {
    const clock = ctx.deps.clock;
    if (!(clock instanceof TestClock)) throw new ForbiddenError('The test clock is off: start the server with TEST_CLOCK=true (never in production)');
    // a malformed duration is refused before anything moves; the move itself counts from the clock as locked
    durationFrom(clock.now(), input.by, 'input.by');
    const moved = await ctx.services.changes.run(ctx.scope, async (tx) => {
      const { previous, now } = await clock.advance(tx.em, (from) => durationFrom(from, input.by, 'input.by'));
      tx.record(TEST_CLOCK_ADVANCED, {
        subject: {},
        subjectId: null,
        details: { by: input.by },
        data: {},
        changes: [{ field: 'now', before: JSON.stringify(previous.toISOString()), after: JSON.stringify(now.toISOString()) }],
      });
      return { previous, now };
    });
    // the sweep reads the new offset (Sweeps.run refreshes the clock first)
    await ctx.services.sweeps.run();
    return moved;
  }
}
