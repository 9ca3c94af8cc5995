import { defineModule } from '../module';
import { RateLimitResolver } from './rate-limit.resolver';

/**
 * `Query.rateLimit`: where the caller's cost budgets stand. The budgets themselves are charged by the
 * operation pipeline for every operation (src/pipeline/budgets.ts).
 */
export const rateLimitModule = defineModule({ name: 'rate-limit', resolvers: [RateLimitResolver] });
