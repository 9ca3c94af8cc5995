import { type DocumentNode, getIntrospectionQuery, GraphQLError, type GraphQLSchema, type OperationDefinitionNode, parse } from 'graphql';
import type { Principal } from '../common/auth/principal';
import type { BudgetCharge } from '../common/budget';
import { operationCost } from './cost';
import { type OperationLimits, VALIDATION_FAILED } from './limits';
import { FULL_INTROSPECTION, isIntrospectionOnly, mentionsIntrospection, selectsIntrospection } from './introspection';
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
 * 1. callers without a token: the per-IP rate limit (callers with one: their cost budgets, charged
 *    by the pipeline once the cost is known, src/pipeline/budgets.ts);
 * 2. introspection (`__schema`, `__type`) as INTROSPECTION allows: anyone (`on`), callers with a token
 *    (`authenticated`) or nobody (`off`); `__typename` is always allowed;
 * 3. variables: coerced against their declared types, BAD_USER_INPUT naming each failing path;
 * 4. cost: priced with those variables, against the caller's budget (a much smaller one without a token).
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

  /** `address`: where the per-IP count of a caller without a token stands after this operation. */
  async admit(req: OperationRequest): Promise<{ cost: number; address?: BudgetCharge }> {
    const address = req.principal ? undefined : await this.anonymous.consume(req.ip);
    this.checkIntrospection(req);
    try {
      checkVariables(this.schema, req.operation, req.variables, this.limits.introspection !== 'on');
    } catch (err) {
      if (err instanceof GraphQLError) err.extensions.http = { status: 400 };
      throw err;
    }
    const budget = this.budget(req);
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
        `The operation costs ${cost}; the limit is ${budget}${budget === this.limits.maxQueryComplexity ? '' : ' without a token'}. Ask for smaller pages (first) or fewer fields.`,
        { extensions: { code: VALIDATION_FAILED, cost, limit: budget, http: { status: 400 } } },
      );
    }
    return { cost, address };
  }

  /**
   * A caller's budget: MAX_QUERY_COMPLEXITY with a token, ANONYMOUS_MAX_COMPLEXITY without. An
   * operation that only reads the schema, from a caller INTROSPECTION lets read it, gets at least what
   * the schema's full introspection costs (`fullIntrospectionCost`): GraphiQL, Sandbox, codegen and
   * rover send that one document, and it grows with the schema, while 30 aliases of it stay 30 times
   * over. With INTROSPECTION=on that holds without a token too: `on` says anyone may read the schema,
   * and the full introspection could never fit the anonymous budget, which is sized for reading data
   * (GraphiQL and Sandbox introspect before a token is pasted). Each such request still counts
   * against the per-IP limit.
   */
  private budget(req: OperationRequest): number {
    const schemaReader = req.principal || this.limits.introspection === 'on';
    if (schemaReader && isIntrospectionOnly(req.document, req.operation)) return Math.max(this.limits.maxQueryComplexity, this.fullIntrospectionCost());
    return req.principal ? this.limits.maxQueryComplexity : this.limits.anonymousMaxComplexity;
  }

  private fullIntrospection?: number;

  /** The cost of graphql's `getIntrospectionQuery()` with every option on (its largest form), for this schema. */
  fullIntrospectionCost(): number {
    return (this.fullIntrospection ??= operationCost(this.schema, parse(getIntrospectionQuery(FULL_INTROSPECTION)), null, {}));
  }

  /** Refused before anything is priced or run, with the same code as Apollo's own switch (GRAPHQL_VALIDATION_FAILED). */
  private checkIntrospection(req: OperationRequest) {
    if (this.introspectionAllowed(req.principal) || !selectsIntrospection(req.document, req.operation)) return;
    throw this.introspectionRefused();
  }

  /**
   * The same refusal, earlier: from the text of an HTTP request, before Apollo parses and validates it,
   * so that a flood of large introspection documents without a token costs a lexer pass each. It
   * counts against the caller's per-IP limit like any operation without a token.
   */
  async refuseIntrospectionText(text: unknown, principal: Principal | undefined, ip: string): Promise<void> {
    if (this.introspectionAllowed(principal) || typeof text !== 'string' || !mentionsIntrospection(text, this.limits.maxQueryTokens)) return;
    if (!principal) await this.anonymous.consume(ip);
    throw this.introspectionRefused();
  }

  private introspectionAllowed(principal: Principal | undefined): boolean {
    const mode = this.limits.introspection;
    return mode === 'on' || (mode === 'authenticated' && principal !== undefined);
  }

  private introspectionRefused(): GraphQLError {
    const message =
      this.limits.introspection === 'off'
        ? 'Introspection (__schema, __type) is disabled on this server'
        : 'Introspection needs a token: send Authorization: Bearer <token> to read __schema or __type';
    return new GraphQLError(message, { extensions: { code: VALIDATION_FAILED, http: { status: 400 } } });
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
      if (!known) this.costs.set(req.document, (known = new Map<string, number>()));
      if (known.size >= COSTS_PER_DOCUMENT) known.clear();
      known.set(key, cost);
    }
    return cost;
  }
}

const MAX_CACHED_KEY = 2000;
const COSTS_PER_DOCUMENT = 100;
