import { defineChange, partnerOnly } from '../../changes/catalog';
import { ChangeKind, SubjectType } from '../../changes/kinds';

export interface WebhookEndpointDisabledData {
  endpointId: string;
  url: string;
  eventId: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}

export const WEBHOOK_ENDPOINT_CREATED = defineChange<Record<string, never>>({
  kind: ChangeKind.WEBHOOK_ENDPOINT_CREATED,
  subjectType: SubjectType.WEBHOOK_ENDPOINT,
  description: 'A partner added a webhook endpoint (its secret is never audited). Audited only (no event).',
});

export const WEBHOOK_ENDPOINT_UPDATED = defineChange<Record<string, never>>({
  kind: ChangeKind.WEBHOOK_ENDPOINT_UPDATED,
  subjectType: SubjectType.WEBHOOK_ENDPOINT,
  description: 'A partner changed a webhook endpoint (url, event types, enabled). Audited only (no event).',
});

export const WEBHOOK_ENDPOINT_DELETED = defineChange<Record<string, never>>({
  kind: ChangeKind.WEBHOOK_ENDPOINT_DELETED,
  subjectType: SubjectType.WEBHOOK_ENDPOINT,
  description: 'A partner deleted a webhook endpoint. Audited only (no event).',
});

export const WEBHOOK_REDELIVERY_REQUESTED = defineChange<Record<string, never>>({
  kind: ChangeKind.WEBHOOK_REDELIVERY_REQUESTED,
  subjectType: SubjectType.WEBHOOK_ENDPOINT,
  description: 'A partner asked for an event to be delivered again to one of its endpoints. Audited only (no event).',
});

export const WEBHOOK_ENDPOINT_DISABLED = defineChange<WebhookEndpointDisabledData>({
  kind: ChangeKind.WEBHOOK_ENDPOINT_DISABLED,
  subjectType: SubjectType.WEBHOOK_ENDPOINT,
  description:
    'A webhook endpoint was disabled after its last retry failed. data: endpointId, url, eventId, attempts, lastStatus, lastError. To: the endpoint’s partner.',
  audience: partnerOnly,
});
