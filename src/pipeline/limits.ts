import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { AppConfig } from '../common/config';

export const VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED';

export type OperationLimits = Pick<
  AppConfig,
  | 'maxQueryDepth'
  | 'maxQueryAliases'
  | 'maxQueryDirectives'
  | 'maxQueryTokens'
  | 'maxQueryComplexity'
  | 'anonymousMaxComplexity'
  | 'maxSubscriptionsPerSocket'
  | 'introspection'
>;

/** graphql-armor throws its refusal; report it as an ordinary validation error instead (both transports). */
const report = (ctx: ValidationContext | null, err: GraphQLError) =>
  ctx?.reportError(new GraphQLError(err.message.replace(/^Syntax Error: /, ''), { extensions: { code: VALIDATION_FAILED } }));
const asValidationError = { propagateOnRejection: false, onReject: [report] };

/** The document-shape limits, as validation rules: Apollo and graphql-ws run them with graphql's own rules. */
export function limitRules(limits: OperationLimits): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.maxQueryDepth, ignoreIntrospection: true, ...asValidationError }),
    maxAliasesRule({ n: limits.maxQueryAliases, ...asValidationError }),
    maxDirectivesRule({ n: limits.maxQueryDirectives, ...asValidationError }),
  ] as ValidationRule[];
}

/** The token limit is enforced by graphql-js's parser itself, before any document is built. */
export function parseOptions(limits: OperationLimits): ParseOptions {
  return { maxTokens: limits.maxQueryTokens };
}
