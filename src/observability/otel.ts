/**
 * OpenTelemetry's side of src/observability/tracing.ts: loaded only when traces are on, before http,
 * express, graphql and mysql2 are (src/observability/tracing-bootstrap.ts). It must not load any of
 * them itself at the top (they would escape their instrumentation): `graphql` is required inside
 * `traceResolvers`, which runs once the server is being built; the rest are types only.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  type Attributes,
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOnSampler, ParentBasedSampler, type Sampler, type SamplingResult, SamplingDecision, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { DocumentNode, ExecutionArgs, GraphQLError, GraphQLFieldResolver, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { Path } from 'graphql/jsutils/Path';
import type { DataSource, EntitySubscriberInterface } from 'typeorm';
import type { Principal } from '../common/auth/principal';
import type { TracedContext, Tracing } from './tracing-types';

export const SERVICE_NAME = 'partner-center-graphql';
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;
/** the longest attribute value kept (a statement's text), unless OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT says otherwise */
const ATTRIBUTE_VALUE_LENGTH_LIMIT = 8192;
/** requests that are not worth a trace: the probes and the scrape */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Attribute names (OpenTelemetry's semantic conventions where there is one). */
export const ATTR = {
  OPERATION_NAME: 'graphql.operation.name',
  OPERATION_TYPE: 'graphql.operation.type',
  /** the first error's `extensions.code` */
  ERROR_TYPE: 'error.type',
  REQUEST_ID: 'request.id',
  PARTNER_ID: 'partner.id',
  CUSTOMER_ID: 'customer.id',
  DB_SYSTEM: 'db.system.name',
  DB_QUERY: 'db.query.text',
} as const;

/**
 * Traces start at a request: a span without a parent is kept when it is one (an incoming HTTP request
 * or a WebSocket subscribe, SERVER) or a webhook delivery (PRODUCER); the rest (the outbox's and the
 * webhook worker's polling SQL, a subscription's execution for an event) is not recorded. Below a
 * kept span everything is (parent-based). Used unless OTEL_TRACES_SAMPLER names another sampler.
 */
class RequestRootedSampler implements Sampler {
  private readonly below = new ParentBasedSampler({ root: new AlwaysOnSampler() });

  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (!trace.getSpanContext(ctx) && kind !== SpanKind.SERVER && kind !== SpanKind.PRODUCER) return { decision: SamplingDecision.NOT_RECORD };
    return this.below.shouldSample(ctx, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return 'RequestRootedSampler{root: SERVER or PRODUCER, else ParentBased{AlwaysOn}}';
  }
}

/** One traced operation: its span's context, and those of its traced fields by path (the parents of the fields below). */
interface TracedOperation {
  context: Context;
  fields: Map<string, Context>;
}

function callerAttributes(principal: Principal | undefined, requestId: string | undefined): Attributes {
  const attributes: Attributes = {};
  if (requestId) attributes[ATTR.REQUEST_ID] = requestId;
  if (principal?.partnerId) attributes[ATTR.PARTNER_ID] = principal.partnerId;
  if (principal?.customerId) attributes[ATTR.CUSTOMER_ID] = principal.customerId;
  return attributes;
}

/** The span name of a GraphQL operation (semantic conventions): `query CustomersPage`, `mutation`, else `GraphQL Operation`. */
function operationSpanName(type: string | undefined, name: string | undefined): string {
  if (!type) return 'GraphQL Operation';
  return name ? `${type} ${name}` : type;
}

function describeOperation(span: Span, operation: OperationDefinitionNode | undefined): void {
  if (!operation) return;
  const name = operation.name?.value;
  span.updateName(operationSpanName(operation.operation, name));
  span.setAttribute(ATTR.OPERATION_TYPE, operation.operation);
  if (name) span.setAttribute(ATTR.OPERATION_NAME, name);
}

/** The operation a document runs (graphql's getOperationAST, without loading graphql here). */
function operationOf(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === ('OperationDefinition' as OperationDefinitionNode['kind']));
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

/** The errors of an answer on its span: the first one's code (`error.type`), and the status ERROR. */
function answerErrors(span: Span, errors: readonly { message: string; extensions?: Record<string, unknown> }[] | undefined): void {
  if (!errors?.length) return;
  const code = errors[0].extensions?.code;
  const type = typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
  span.setAttribute(ATTR.ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/** An error's code (`extensions.code`, a driver's `code` such as ER_DUP_ENTRY), or its class name: never its message, which may quote values. */
function errorCodeOf(err: unknown): string {
  const { extensions, code, name } = (err ?? {}) as { extensions?: { code?: unknown }; code?: unknown; name?: unknown };
  if (typeof extensions?.code === 'string') return extensions.code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code)) return code;
  return typeof name === 'string' && /^\w{1,64}$/.test(name) ? name : 'Error';
}

function failed(span: Span, err: unknown): void {
  const code = errorCodeOf(err);
  span.setAttribute(ATTR.ERROR_TYPE, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

/**
 * The status message of a span it did not make (the mysql2 instrumentation records the driver's
 * message, which quotes the values: "Duplicate entry 'jane@example.com' for key …") cut to its error
 * code, when the span ends and before it is exported.
 */
const STATUS_REDACTOR: SpanProcessor = {
  onStart() {},
  onEnding(span) {
    const { code, message } = span.status;
    if (code !== SpanStatusCode.ERROR || !message) return;
    const driverCode = /^(ER_[A-Z0-9_]+|[A-Z][A-Z0-9_]{2,63})\b/.exec(message)?.[1];
    span.setStatus({ code, message: driverCode ?? (/^([A-Z][A-Z0-9_]{0,63}|HTTP \d{3})$/.test(message) ? message : 'Error') });
  },
  onEnd() {},
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/** Adds STATUS_REDACTOR to the started SDK's span processors; false when this SDK version keeps them elsewhere. */
function redactStatuses(sdk: NodeSDK): boolean {
  const provider = (sdk as unknown as { _tracerProvider?: { _activeSpanProcessor?: { _spanProcessors?: SpanProcessor[] } } })._tracerProvider;
  const processors = provider?._activeSpanProcessor?._spanProcessors;
  if (!Array.isArray(processors)) return false;
  processors.unshift(STATUS_REDACTOR);
  return true;
}

/** Runs `run` with `span` active under `parent`, shows its result on the span (`onResult`) or marks it failed, and ends the span. */
async function runInSpan<T>(span: Span, parent: Context, run: () => Promise<T>, onResult: (result: T) => void): Promise<T> {
  try {
    const result = await context.with(trace.setSpan(parent, span), run);
    onResult(result);
    return result;
  } catch (err) {
    failed(span, err);
    throw err;
  } finally {
    span.end();
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** The fields in a path (list indices not counted), stopping once past `max`. */
function fieldDepth(path: Path, max: number): number {
  let depth = 0;
  for (let p: Path | undefined = path; p; p = p.prev) if (typeof p.key === 'string' && ++depth > max) break;
  return depth;
}

/** A SQL span's name: the statement's first word (SELECT, INSERT…), as the mysql2 instrumentation names its own. */
function statementVerb(sql: string): string {
  const verb = /^\s*(\w+)/.exec(sql)?.[1];
  return verb ? verb.toUpperCase() : 'SQL';
}

class OtelTracing implements Tracing {
  private readonly tracer: Tracer;
  private readonly w3c = new W3CTraceContextPropagator();
  /** the traced HTTP operations, by their context value */
  private readonly operations = new WeakMap<object, TracedOperation>();

  constructor(private readonly sdk: NodeSDK) {
    this.tracer = trace.getTracer(SERVICE_NAME);
  }

  apolloPlugin(): ApolloServerPlugin<TracedContext> {
    const { tracer, operations } = this;
    return {
      requestDidStart({ contextValue }) {
        const span = tracer.startSpan(operationSpanName(undefined, undefined), {
          attributes: callerAttributes(contextValue.scope.principal, contextValue.scope.requestId),
        });
        operations.set(contextValue, { context: trace.setSpan(context.active(), span), fields: new Map() });
        return Promise.resolve({
          didResolveOperation({ operation }) {
            describeOperation(span, operation);
            return Promise.resolve();
          },
          willSendResponse({ response }) {
            answerErrors(span, response.body.kind === 'single' ? response.body.singleResult.errors : undefined);
            span.end();
            operations.delete(contextValue);
            return Promise.resolve();
          },
        });
      },
    };
  }

  withinOperation<T>(contextValue: object, run: () => T): T {
    const operation = this.operations.get(contextValue);
    return operation ? context.with(operation.context, run) : run();
  }

  async traceSubscribe(
    operation: { operationName?: string | null; requestId: string; principal?: Principal },
    run: () => Promise<ExecutionArgs | readonly GraphQLError[]>,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> {
    const attributes = callerAttributes(operation.principal, operation.requestId);
    // the client's text until the document says: a GraphQL name only (its span is renamed from the document once it is parsed)
    if (operation.operationName && GRAPHQL_NAME.test(operation.operationName)) attributes[ATTR.OPERATION_NAME] = operation.operationName;
    const span = this.tracer.startSpan(operationSpanName(undefined, undefined), { kind: SpanKind.SERVER, attributes });
    return runInSpan(span, context.active(), run, (result) => {
      if ('schema' in result) describeOperation(span, operationOf(result.document, result.operationName));
      else answerErrors(span, result);
    });
  }

  traceResolvers(schema: GraphQLSchema, maxDepth: number): void {
    if (maxDepth <= 0) return;
    // loaded by now (the server is building its schema), and instrumented
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { getNamedType, isAbstractType, isObjectType } = require('graphql') as typeof import('graphql');
    // only the fields an operation can reach within `maxDepth` fields are wrapped: the others (a page's
    // rows and their fields, most of the resolvers run) keep their own resolver and cost nothing more.
    // A subscription's fields run per event, long after its subscribe: not part of an operation's span.
    let level = [schema.getQueryType(), schema.getMutationType()].filter((type) => !!type);
    const seen = new Set<unknown>();
    for (let depth = 1; depth <= maxDepth && level.length; depth++) {
      const next: typeof level = [];
      for (const type of level) {
        for (const field of Object.values(type.getFields())) {
          if (seen.has(field)) continue;
          seen.add(field);
          // a field without its own resolver reads a property: not worth a span
          if (field.resolve) field.resolve = this.tracedResolver(field.resolve, maxDepth);
          const named = getNamedType(field.type);
          if (isObjectType(named)) next.push(named);
          else if (isAbstractType(named)) next.push(...schema.getPossibleTypes(named));
        }
      }
      level = next;
    }
  }

  private tracedResolver(resolve: GraphQLFieldResolver<unknown, unknown>, maxDepth: number): GraphQLFieldResolver<unknown, unknown> {
    const { tracer, operations } = this;
    return (source, args, contextValue, info) => {
      // a field reached deeper than `maxDepth` (it is also reachable higher up), or outside a traced operation
      const depth = fieldDepth(info.path, maxDepth);
      if (depth > maxDepth) return resolve(source, args, contextValue, info);
      const operation = typeof contextValue === 'object' && contextValue !== null ? operations.get(contextValue) : undefined;
      if (!operation) return resolve(source, args, contextValue, info);
      const keys: (string | number)[] = [];
      for (let p: Path | undefined = info.path; p; p = p.prev) keys.unshift(p.key);
      // the nearest traced field above, else the operation
      let parent = operation.context;
      for (let i = keys.length - 1; i > 0; i--) {
        const above = operation.fields.get(keys.slice(0, i).join('.'));
        if (above) {
          parent = above;
          break;
        }
      }
      const path = keys.join('.');
      const span = tracer.startSpan(
        `graphql.resolve ${path}`,
        {
          attributes: {
            'graphql.field.name': info.fieldName,
            'graphql.field.path': path,
            'graphql.field.type': String(info.returnType),
            'graphql.parent.name': info.parentType.name,
          },
        },
        parent,
      );
      const within = trace.setSpan(parent, span);
      if (depth < maxDepth) operation.fields.set(path, within);
      let result: unknown;
      try {
        result = context.with(within, () => resolve(source, args, contextValue, info));
      } catch (err) {
        failed(span, err);
        span.end();
        throw err;
      }
      if (!isPromiseLike(result)) {
        span.end();
        return result;
      }
      return Promise.resolve(result).then(
        (value) => {
          span.end();
          return value;
        },
        (err: unknown) => {
          failed(span, err);
          span.end();
          throw err;
        },
      );
    };
  }

  traceSqlite(ds: DataSource): void {
    if (ds.options.type !== 'better-sqlite3') return;
    // TypeORM hands the same parameters array to a statement's beforeQuery and afterQuery: it pairs them
    const open = new WeakMap<object, Span>();
    const subscriber: EntitySubscriberInterface = {
      beforeQuery: (event) => {
        if (event.parameters && trace.getSpan(context.active())) open.set(event.parameters, this.sqliteSpan(event.query));
      },
      afterQuery: (event) => {
        const span = event.parameters && open.get(event.parameters);
        if (!span) return;
        open.delete(event.parameters!);
        if (!event.success) failed(span, event.error);
        span.end();
      },
    };
    ds.subscribers.push(subscriber);
  }

  sqliteStatement(sql: string): (error?: unknown) => void {
    if (!trace.getSpan(context.active())) return () => {};
    const span = this.sqliteSpan(sql);
    return (error) => {
      if (error) failed(span, error);
      span.end();
    };
  }

  /** The statement as sent, with its placeholders: parameter values never reach a span. */
  private sqliteSpan(sql: string): Span {
    return this.tracer.startSpan(statementVerb(sql), { kind: SpanKind.CLIENT, attributes: { [ATTR.DB_SYSTEM]: 'sqlite', [ATTR.DB_QUERY]: sql } });
  }

  traceparent(): string | null {
    const carrier: Record<string, string> = {};
    this.w3c.inject(context.active(), carrier, defaultTextMapSetter);
    return carrier.traceparent ?? null;
  }

  async webhookDelivery<T>(traceparent: string | null, attributes: Record<string, string | number>, run: () => Promise<T>): Promise<T> {
    const parent = traceparent ? this.w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter) : ROOT_CONTEXT;
    const span = this.tracer.startSpan('webhook delivery', { kind: SpanKind.PRODUCER, attributes }, parent);
    return runInSpan(span, parent, run, (result) => {
      const outcome = result as { ok?: unknown; status?: unknown; error?: unknown } | undefined;
      if (typeof outcome?.status === 'number') span.setAttribute('http.response.status_code', outcome.status);
      if (outcome?.ok === false)
        span.setStatus({ code: SpanStatusCode.ERROR, message: typeof outcome.error === 'string' ? outcome.error : `HTTP ${String(outcome.status)}` });
    });
  }

  outsideTrace<T>(fn: () => T): T {
    return context.with(ROOT_CONTEXT, fn);
  }

  shutdown(): Promise<void> {
    return this.sdk.shutdown();
  }
}

/** the personal links' pages (src/web/link-pages.ts): their last segment is a secret token */
const LINK_PAGE = /^(\/(?:invitations|partnership-requests|admin-relationships)\/)[^/?]+/;

/**
 * The HTTP spans' URLs without what is secret or personal. Incoming: a GET operation's query string
 * (the document and its variables: names, e-mail addresses) is `REDACTED`, and a personal link's token
 * becomes `{token}`. Outgoing (webhook POSTs): the URL is cut to its origin, as a webhook URL's path or
 * query often is its credential (the endpoint's id names it in the delivery's span).
 */
function redactUrl(span: Span, request: ClientRequest | IncomingMessage): void {
  if ('method' in request && 'path' in request && typeof request.path === 'string') {
    span.setAttribute('url.full', `${request.protocol}//${String(request.getHeader('host') ?? request.host)}`);
    return;
  }
  const url = (request as IncomingMessage).url ?? '';
  const query = url.indexOf('?');
  const path = query >= 0 ? url.slice(0, query) : url;
  if (LINK_PAGE.test(path)) span.setAttribute('url.path', path.replace(LINK_PAGE, '$1{token}'));
  if (query >= 0) span.setAttribute('url.query', 'REDACTED');
}

/** Whether the environment names the service itself (OTEL_SERVICE_NAME, or service.name in OTEL_RESOURCE_ATTRIBUTES). */
function serviceNamed(env: Record<string, string | undefined>): boolean {
  return !!env.OTEL_SERVICE_NAME?.trim() || (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',').some((pair) => pair.split('=')[0].trim() === 'service.name');
}

/**
 * Starts the SDK: the standard OTEL_* variables (endpoint, protocol, headers, sampler, batch delays,
 * resource) as the SDK reads them; the OTLP exporter it picks from them (http/protobuf by default,
 * http/json, grpc); W3C trace context (and baggage) propagation; traces only (metrics are prom-client's
 * /metrics, logs pino's).
 */
export function startOtel(env: Record<string, string | undefined> = process.env): Tracing {
  // the statement as sent, with its placeholders: never the parameters' values (the default inlines them)
  const mysql2 = new MySQL2Instrumentation({ maskStatement: true, maskStatementHook: (sql) => sql });
  const lengthSet = !!(env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT || env.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT);
  const sdk = new NodeSDK({
    spanLimits: lengthSet ? undefined : { attributeValueLengthLimit: ATTRIBUTE_VALUE_LENGTH_LIMIT },
    serviceName: serviceNamed(env) ? undefined : SERVICE_NAME,
    sampler: env.OTEL_TRACES_SAMPLER ? undefined : new RequestRootedSampler(),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0]),
        // what the spans must not carry: see `redactUrl`
        requestHook: redactUrl,
      }),
      // the route names the HTTP span; a span per middleware and router (a dozen per request, most of them passed by) would be noise
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
      // its resolver spans would double the ones made here (and see only operations graphql-js runs)
      new GraphQLInstrumentation({ ignoreResolveSpans: true, mergeItems: true }),
      mysql2,
    ],
  });
  sdk.start();
  if (!redactStatuses(sdk)) {
    // without the redactor a failed statement's span would carry the values its error quotes: no SQL spans rather than those
    mysql2.disable();
    process.emitWarning('traces: span statuses cannot be redacted with this OpenTelemetry SDK; MySQL statement spans are off');
  }
  return new OtelTracing(sdk);
}
