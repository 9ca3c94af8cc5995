import { type DocumentNode, GraphQLError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Principal } from '../common/auth/principal';
import { operationCost } from './cost';
import { type OperationLimits, VALIDATION_FAILED } from './limits';
import type { AnonymousLimiter } from './rate-limit';
import { checkVariables } from './variables';

export interface OperationRequest {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  principal?: Principal;
  ip: string;
}

/**
 * The checks that need the caller and the variables, after parsing and validation and before
 * anything runs; the same for an HTTP request and a WebSocket subscribe:
 * 1. callers without a token: the per-IP rate limit;
 * 2. variables: coerced against their declared types, BAD_USER_INPUT naming each failing path;
 * 3. cost: priced with those variables, against the caller's budget (a much smaller one without a token).
 */
export class OperationGate {
  /**
   * Costs already computed, by document (the parsed object Apollo and the socket cache hand back for
   * the same text) and operation name with variables: the price depends on nothing else. Only short
   * variable sets are kept, at most COSTS_PER_DOCUMENT per document.
   */
  private readonly costs = new WeakMap<DocumentNode, Map<string, number>>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: OperationLimits,
    private readonly anonymous: AnonymousLimiter,
  ) {}

  async admit(req: OperationRequest): Promise<{ cost: number }> {
    if (!req.principal) await this.anonymous.consume(req.ip);
    try {
      checkVariables(this.schema, req.operation, req.variables);
    } catch (err) {
      if (err instanceof GraphQLError) err.extensions.http = { status: 400 };
      throw err;
    }
    const budget = req.principal ? this.limits.maxQueryComplexity : this.limits.anonymousMaxComplexity;
    let cost: number;
    try {
      cost = this.price(req);
    } catch (err) {
      // e.g. more nodes than the estimator walks: far beyond any budget
      throw new GraphQLError(`The operation is too large to price: ${(err as Error).message}`, {
        extensions: { code: VALIDATION_FAILED, http: { status: 400 } },
      });
    }
    if (cost > budget) {
      throw new GraphQLError(
        `The operation costs ${cost}; the limit is ${budget}${req.principal ? '' : ' without a token'}. Ask for smaller pages (first) or fewer fields.`,
        { extensions: { code: VALIDATION_FAILED, cost, limit: budget, http: { status: 400 } } },
      );
    }
    return { cost };
  }

  private price(req: OperationRequest): number {
    const operationName = req.operationName ?? req.operation.name?.value;
    const variables = req.variables ?? {};
    const key = `${operationName ?? ''}\u0000${JSON.stringify(variables)}`;
    let known = this.costs.get(req.document);
    const cached = known?.get(key);
    if (cached !== undefined) return cached;
    const cost = operationCost(this.schema, req.document, operationName, variables);
    if (key.length <= MAX_CACHED_KEY) {
      if (!known) this.costs.set(req.document, (known = new Map()));
      if (known.size >= COSTS_PER_DOCUMENT) known.clear();
      known.set(key, cost);
    }
    return cost;
  }
}

const MAX_CACHED_KEY = 2000;
const COSTS_PER_DOCUMENT = 100;
