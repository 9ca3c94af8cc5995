import { Brackets, type EntityManager, In, LessThanOrEqual } from 'typeorm';
import type { Changes } from '../../changes/change';
import type { AppDeps } from '../../common/context';
import { afterCommit } from '../../common/database';
import { withinOwnerLimit } from '../../common/locks';
import { ConflictError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { logger } from '../../common/logger';
import { outsideRequest } from '../../common/request-id';
import { activeTracing } from '../../observability/tracing';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import type { Scope } from '../../scope/scope';
import { partnerKey } from '../../events/catalog';
import { EventRecord } from '../../events/event.entity';
import type { EventService } from '../../events/event.service';
import { eventPayload } from '../../events/event.types';
import { Partner } from '../partner/partner.entity';
import { type StoredEvent, toStoredEvent } from '../../events/outbox';
import { WebhookDelivery, WebhookDeliveryStatus } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookAddressPolicy } from './webhook.address';
import type { CreateWebhookEndpointInput, UpdateWebhookEndpointInput } from './webhook.inputs';
import { newWebhookSecret, SecretBox } from './webhook.secrets';
import { sendWebhook } from './webhook.sender';
import {
  WEBHOOK_ENDPOINT_CREATED,
  WEBHOOK_ENDPOINT_DELETED,
  WEBHOOK_ENDPOINT_DISABLED,
  WEBHOOK_ENDPOINT_UPDATED,
  WEBHOOK_REDELIVERY_REQUESTED,
} from './webhook.changes';

/** Endpoints one partner may have. */
export const MAX_ENDPOINTS_PER_PARTNER = 20;
/** Deliveries one worker sends at the same time. */
const CONCURRENCY = 10;

/**
 * Webhook endpoints (a partner's GLOBAL_ADMIN and ADMIN_AGENT manage them) and their deliveries.
 * The event dispatcher hands every committed event to `enqueue`, which writes one PENDING delivery
 * per matching enabled endpoint of the event's audience; the worker sends due deliveries, retries on
 * WEBHOOK_RETRY_SCHEDULE, and after the last failed try disables the endpoint (WEBHOOK_ENDPOINT_DISABLED).
 */
export class WebhookService {
  private readonly box: SecretBox;
  private readonly policy: WebhookAddressPolicy;
  private timer?: NodeJS.Timeout;
  private working: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** runs after each attempt with its outcome and, for a POST sent, its duration in seconds (the metrics) */
  onAttempt?: (outcome: 'succeeded' | 'failed' | 'cancelled', seconds?: number) => void;

  constructor(
    private readonly deps: AppDeps,
    private readonly changes: Changes,
    events: EventService,
  ) {
    this.box = new SecretBox(deps.config.webhookSecretKey);
    this.policy = new WebhookAddressPolicy(deps.config);
    events.dispatcher.addConsumer((em, batch) => this.enqueue(em, batch));
  }

  // ------------------------------------------------------------------ endpoints

  async create(scope: Scope, input: CreateWebhookEndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    this.checkUrl(input.url);
    const partnerId = scope.ownPartnerId();
    const secret = newWebhookSecret();
    const endpoint = await this.changes.run(scope, async (tx) => {
      const { em } = tx;
      // the partner row locked, then counted: concurrent creates of one partner take turns, so the limit holds
      await withinOwnerLimit(em, {
        owner: Partner,
        ownerId: partnerId,
        max: MAX_ENDPOINTS_PER_PARTNER,
        count: (tx) => tx.countBy(WebhookEndpoint, { partnerId }),
        refusal: () => new ConflictError(`A partner may have at most ${MAX_ENDPOINTS_PER_PARTNER} webhook endpoints; delete one first`),
      });
      const row = em.create(WebhookEndpoint, {
        id: newId(),
        partnerId,
        url: input.url,
        description: input.description ?? null,
        eventTypes: dedupe(input.eventTypes ?? []),
        enabled: true,
        secretCiphertext: this.box.seal(secret),
        createdAt: tx.at,
        disabledAt: null,
      });
      // the secret's ciphertext is never audited (src/changes/change.ts leaves out secret fields)
      return tx.insert(WebhookEndpoint, row, WEBHOOK_ENDPOINT_CREATED, { subject: { partnerId }, subjectId: row.id, data: {} });
    });
    return { endpoint, secret };
  }

  async update(scope: Scope, input: UpdateWebhookEndpointInput): Promise<WebhookEndpoint> {
    if (input.url !== undefined && input.url !== null) this.checkUrl(input.url);
    scope.ownPartnerId();
    return this.changes.run(scope, async (tx) => {
      const { em } = tx;
      const endpoint = await scope.lockForChange(em, WebhookEndpoint, input.endpointId);
      const changes: Partial<WebhookEndpoint> = {};
      if (input.url !== undefined && input.url !== null) changes.url = input.url;
      if (input.description !== undefined) changes.description = input.description ?? null;
      if (input.eventTypes !== undefined && input.eventTypes !== null) changes.eventTypes = dedupe(input.eventTypes);
      if (input.enabled !== undefined && input.enabled !== null && input.enabled !== endpoint.enabled) {
        changes.enabled = input.enabled;
        changes.disabledAt = input.enabled ? null : tx.at;
      }
      if (Object.keys(changes).length) {
        const done = await tx.update(WebhookEndpoint, endpoint, changes, WEBHOOK_ENDPOINT_UPDATED, () => ({
          subject: { partnerId: endpoint.partnerId },
          subjectId: endpoint.id,
          data: {},
        }));
        if (!done) throw new Error(`webhook endpoint ${endpoint.id} changed under its lock`);
      }
      return em.findOneByOrFail(WebhookEndpoint, { id: endpoint.id });
    });
  }

  /** Deletes the endpoint and its delivery history. */
  async delete(scope: Scope, endpointId: string): Promise<string> {
    scope.ownPartnerId();
    return this.changes.run(scope, async (tx) => {
      const endpoint = await scope.lockForChange(tx.em, WebhookEndpoint, endpointId);
      await tx.em.delete(WebhookDelivery, { endpointId: endpoint.id });
      await tx.remove(WebhookEndpoint, endpoint, WEBHOOK_ENDPOINT_DELETED, { subject: { partnerId: endpoint.partnerId }, subjectId: endpoint.id, data: {} });
      return endpoint.id;
    });
  }

  list(scope: Scope, args: ConnectionArgs) {
    scope.ownPartnerId();
    return paginate(scope.webhookEndpoints(), args);
  }

  /** An endpoint's deliveries, newest first (the endpoint was read through the caller's scope). */
  deliveries(scope: Scope, endpoint: WebhookEndpoint, args: ConnectionArgs) {
    return paginate(scope.webhookDeliveries().andWhere('delivery.endpointId = :endpointId', { endpointId: endpoint.id }), args, { order: 'DESC' });
  }

  /** A new, manual attempt of a delivery's event to its endpoint, sent at once (it schedules no retry). */
  async redeliver(scope: Scope, deliveryId: string): Promise<{ delivery: WebhookDelivery; endpoint: WebhookEndpoint }> {
    scope.ownPartnerId();
    return this.changes.run(scope, async (tx) => {
      const { em } = tx;
      const original = await scope.lockForChange(em, WebhookDelivery, deliveryId);
      const endpoint = await scope.lockForChange(em, WebhookEndpoint, original.endpointId);
      if (!endpoint.enabled) throw new ConflictError('This endpoint is disabled; enable it with updateWebhookEndpoint first');
      const last = await em
        .createQueryBuilder(WebhookDelivery, 'd')
        .select('MAX(d.attempt)', 'max')
        .where('d.endpointId = :endpointId AND d.eventId = :eventId', { endpointId: endpoint.id, eventId: original.eventId })
        .getRawOne<{ max: number | string }>();
      const row = em.create(WebhookDelivery, pendingAttempt(endpoint.id, original.eventId, Number(last?.max ?? original.attempt) + 1, tx.at, true));
      await tx.insert(WebhookDelivery, row, WEBHOOK_REDELIVERY_REQUESTED, {
        subject: { partnerId: endpoint.partnerId },
        subjectId: endpoint.id,
        details: { eventId: original.eventId, deliveryId: row.id },
        data: {},
      });
      afterCommit(em, () => this.wake());
      return { delivery: row, endpoint };
    });
  }

  private checkUrl(url: string): void {
    if (url.length > 2000) throw UserInputError.field('input.url', 'must be at most 2000 characters');
    const problem = this.policy.refuse(url);
    if (problem) throw UserInputError.field('input.url', problem);
  }

  // ------------------------------------------------------------------ deliveries

  /** Deliveries due, waiting for their retry, or being sent (the metrics' webhook_queue_depth). */
  queueDepth(): Promise<number> {
    return this.deps.ds.manager.countBy(WebhookDelivery, { status: In([WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.SENDING]) });
  }

  /** Endpoints turned off, by their partner or after their last retry failed (webhook_endpoints_disabled). */
  disabledEndpoints(): Promise<number> {
    return this.deps.ds.manager.countBy(WebhookEndpoint, { enabled: false });
  }

  /** The dispatcher's consumer: one PENDING first attempt per (event, matching enabled endpoint), idempotent. */
  async enqueue(em: EntityManager, batch: StoredEvent[]): Promise<void> {
    const partnerIds = new Set<string>();
    for (const e of batch) for (const key of e.audience) if (key.startsWith('p:')) partnerIds.add(key.slice(2));
    if (!partnerIds.size) return;
    const endpoints = await em.find(WebhookEndpoint, { where: { partnerId: In([...partnerIds]), enabled: true } });
    if (!endpoints.length) return;
    const now = this.deps.clock.now();
    const rows: Partial<WebhookDelivery>[] = [];
    for (const e of batch) {
      for (const endpoint of endpoints) {
        if (!e.audience.includes(partnerKey(endpoint.partnerId))) continue;
        if (endpoint.eventTypes.length && !endpoint.eventTypes.includes(e.type)) continue;
        rows.push(pendingAttempt(endpoint.id, e.id, 1, now));
      }
    }
    if (!rows.length) return;
    await em.createQueryBuilder().insert().into(WebhookDelivery).values(rows).orIgnore().execute();
    afterCommit(em, () => this.wake());
  }

  start(): void {
    this.timer = setInterval(() => this.wake(), this.deps.config.webhookPollMs);
    this.timer.unref();
    this.wake();
  }

  /** Started and not stopped (the readiness probe, src/observability/health.ts). */
  get running(): boolean {
    return this.timer !== undefined && !this.stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.working) await this.working;
  }

  /** Sends what is due now; a call while sending makes it look again when done. */
  wake(): void {
    if (this.stopped) return;
    if (this.working) {
      this.again = true;
      return;
    }
    // the worker outlives the request that woke it: its log lines are not that request's
    this.working = outsideRequest(() =>
      (async () => {
        do {
          this.again = false;
          try {
            while (!this.stopped && (await this.sendDue()) > 0);
          } catch (err) {
            logger.warn({ err: (err as Error).message }, 'webhook worker: will retry');
          }
        } while (this.again && !this.stopped);
      })(),
    ).finally(() => (this.working = null));
  }

  /** Claims and sends up to CONCURRENCY due deliveries; returns how many it sent. */
  private async sendDue(): Promise<number> {
    const now = this.deps.clock.now();
    const due = await this.deps.ds.manager.find(WebhookDelivery, {
      where: [
        { status: WebhookDeliveryStatus.PENDING, nextAttemptAt: LessThanOrEqual(now) },
        // a worker that died while sending: its hold ran out
        { status: WebhookDeliveryStatus.SENDING, nextAttemptAt: LessThanOrEqual(now) },
      ],
      order: { nextAttemptAt: 'ASC' },
      take: CONCURRENCY,
    });
    const claimed: WebhookDelivery[] = [];
    for (const d of due) {
      // the hold: past it, another worker may take the delivery over
      const holdUntil = new Date(now.getTime() + this.deps.config.webhookTimeoutMs + 30_000);
      const result = await this.deps.ds.manager
        .createQueryBuilder()
        .update(WebhookDelivery)
        .set({ status: WebhookDeliveryStatus.SENDING, nextAttemptAt: holdUntil })
        .where('id = :id', { id: d.id })
        .andWhere(
          new Brackets((w) =>
            w.where('status = :pending', { pending: WebhookDeliveryStatus.PENDING }).orWhere('status = :sending', { sending: WebhookDeliveryStatus.SENDING }),
          ),
        )
        .andWhere('nextAttemptAt <= :now', { now })
        .execute();
      if (result.affected) claimed.push(d);
    }
    await Promise.all(claimed.map((d) => this.attempt(d)));
    return claimed.length;
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const endpoint = await this.deps.ds.manager.findOneBy(WebhookEndpoint, { id: delivery.endpointId });
    const row = await this.deps.ds.manager.findOneBy(EventRecord, { id: delivery.eventId });
    if (!endpoint || !endpoint.enabled || !row) {
      await this.deps.ds.manager.update(
        WebhookDelivery,
        { id: delivery.id },
        { status: WebhookDeliveryStatus.CANCELLED, error: !row ? 'event not found' : 'endpoint disabled or deleted', nextAttemptAt: null },
      );
      this.onAttempt?.('cancelled');
      return;
    }
    const event = toStoredEvent(row);
    const body = JSON.stringify(eventPayload(event, endpoint.partnerId));
    const send = () => sendWebhook(this.policy, endpoint.url, this.box.open(endpoint.secretCiphertext), event.id, body, this.deps.config.webhookTimeoutMs);
    // traces on: sent in a span of the event's originating trace, so the POST carries its traceparent
    const tracing = activeTracing();
    const started = process.hrtime.bigint();
    const result = await (tracing
      ? tracing.webhookDelivery(
          row.traceparent,
          {
            'webhook.event.id': event.id,
            'webhook.event.type': event.type,
            'webhook.endpoint.id': endpoint.id,
            'webhook.attempt': delivery.attempt,
            'partner.id': endpoint.partnerId,
          },
          send,
        )
      : send());
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await this.record(delivery, endpoint, event, result);
    this.onAttempt?.(result.ok ? 'succeeded' : 'failed', seconds);
  }

  /** The outcome of one attempt; a failure with tries left schedules the next, the last one disables the endpoint. */
  private async record(
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    event: StoredEvent,
    result: { ok: boolean; status: number | null; error: string | null },
  ) {
    const schedule = this.deps.config.webhookRetrySchedule;
    await this.changes.run(null, async (tx) => {
      const { em } = tx;
      const now = tx.at;
      const outcome = { attemptedAt: now, responseStatus: result.status, error: result.error };
      if (result.ok) {
        await em.update(WebhookDelivery, { id: delivery.id }, { ...outcome, status: WebhookDeliveryStatus.SUCCEEDED, nextAttemptAt: null });
        return;
      }
      const retryIn = delivery.manual ? undefined : schedule[delivery.attempt - 1];
      if (retryIn !== undefined) {
        const at = new Date(now.getTime() + retryIn);
        await em.update(WebhookDelivery, { id: delivery.id }, { ...outcome, status: WebhookDeliveryStatus.FAILED, nextAttemptAt: at });
        await em
          .createQueryBuilder()
          .insert()
          .into(WebhookDelivery)
          .values({ ...pendingAttempt(endpoint.id, delivery.eventId, delivery.attempt + 1, now), nextAttemptAt: at })
          .orIgnore()
          .execute();
        return;
      }
      await em.update(WebhookDelivery, { id: delivery.id }, { ...outcome, status: WebhookDeliveryStatus.FAILED, nextAttemptAt: null });
      if (delivery.manual) return;
      // the last try failed: the endpoint is turned off (once, even if several deliveries fail together)
      const off = await tx.update(WebhookEndpoint, endpoint, { enabled: false, disabledAt: now }, WEBHOOK_ENDPOINT_DISABLED, () => ({
        subject: { partnerId: endpoint.partnerId },
        subjectId: endpoint.id,
        data: { endpointId: endpoint.id, url: endpoint.url, eventId: event.id, attempts: delivery.attempt, lastStatus: result.status, lastError: result.error },
      }));
      if (!off) return;
      await em.update(
        WebhookDelivery,
        { endpointId: endpoint.id, status: WebhookDeliveryStatus.PENDING },
        { status: WebhookDeliveryStatus.CANCELLED, error: 'endpoint disabled', nextAttemptAt: null },
      );
      logger.warn({ endpointId: endpoint.id, attempts: delivery.attempt }, 'webhook endpoint disabled after its last retry failed');
    });
  }
}

/** A delivery attempt waiting for its time (`at`, now by default). */
function pendingAttempt(endpointId: string, eventId: string, attempt: number, at: Date, manual = false): Partial<WebhookDelivery> {
  return {
    id: newId(),
    endpointId,
    eventId,
    attempt,
    status: WebhookDeliveryStatus.PENDING,
    manual,
    responseStatus: null,
    error: null,
    createdAt: at,
    attemptedAt: null,
    nextAttemptAt: at,
  };
}

function dedupe<T>(values: T[]): T[] {
  return [...new Set(values)];
}
