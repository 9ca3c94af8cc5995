import { Authorized, Ctx, Field, GraphQLISODateTime, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { BudgetCharge } from '../../common/budget';
import type { RequestContext } from '../../context';

/** Its fields come with the object (`rateLimit` itself costs 1 point, as GitHub's). */
const FREE = { complexity: 0 };

@ObjectType({
  description:
    "The caller's cost budget after this operation (as GitHub's rateLimit): the budget that refuses first of the caller's partner's (or customer's) and the user's own. Every operation's cost is charged to both; they refill continuously over a minute.",
})
export class RateLimit {
  @Field({ ...FREE, description: 'Which budget this is: partner, customer (all the tenant’s users together) or user (this caller)' })
  policy: string;

  @Field(() => Int, { ...FREE, description: 'Cost points per minute (PARTNER_RATE_LIMIT or USER_RATE_LIMIT)' })
  limit: number;

  @Field(() => Int, { ...FREE, description: 'What this operation cost (points)' })
  cost: number;

  @Field(() => Int, { ...FREE, description: 'Points left after this operation' })
  remaining: number;

  @Field(() => Int, { ...FREE, description: 'Points used: limit − remaining' })
  used: number;

  @Field(() => GraphQLISODateTime, { ...FREE, description: 'When the budget is full again if nothing more is spent' })
  resetAt: Date;
}

export function rateLimitOf(charge: BudgetCharge | undefined): RateLimit | null {
  if (!charge || charge.binding.policy === 'address') return null;
  const { binding } = charge;
  return {
    policy: binding.policy,
    limit: binding.limit,
    cost: charge.requested,
    remaining: binding.remaining,
    used: binding.limit - binding.remaining,
    resetAt: new Date(charge.at + binding.msToFull),
  };
}

@Resolver()
export class RateLimitResolver {
  @Authorized()
  @Query(() => RateLimit, {
    nullable: true,
    complexity: 1,
    description:
      "The caller's cost budget (the answer's extensions.cost and RateLimit headers say the same on every answer). Null for the operator, who has no budget, and when PARTNER_RATE_LIMIT and USER_RATE_LIMIT are both 0. Costs 1 point.",
  })
  rateLimit(@Ctx() ctx: RequestContext): RateLimit | null {
    return rateLimitOf(ctx.budget);
  }
}
