import { defineChange, partnerOnly } from '../../changes/catalog';
import { ChangeKind, SubjectType } from '../../changes/kinds';
import { EVERYONE, TallyName } from '../../counts/tallies';
import type { PerPartner } from '../../events/event.types';
import type { ExternalIdSetData } from './external-id';

/**
 * The customer's external id in an event's data: null in `externalId` itself, each partner's own in
 * `perPartner` (src/events/event.types.ts viewedBy): a partner's users read theirs, no one else's.
 */
export interface CustomerExternalIdData {
  externalId: null;
  perPartner?: PerPartner<{ externalId: string }>;
}

export interface CustomerCreatedData extends CustomerExternalIdData {
  companyName: string;
  domain: string;
  cloud: string;
  indirectResellerId: string | null;
}

export const CUSTOMER_CREATED = defineChange<CustomerCreatedData>({
  kind: ChangeKind.CUSTOMER_CREATED,
  subjectType: SubjectType.CUSTOMER,
  description:
    'A customer was created. data: companyName, domain, cloud, indirectResellerId, externalId (the creating partner’s, for its users only; null for the others). To: the creating partner, the indirect reseller, the customer.',
  audience: (s, d) => ({ partnerIds: [s.partnerId, d.indirectResellerId], customerIds: [s.customerId] }),
  counters: () => [{ tally: TallyName.CUSTOMERS, owner: EVERYONE, delta: 1 }],
});

export interface CustomerUpdatedData extends CustomerExternalIdData {
  /** the account details that changed: companyName, address, primaryContact, billingContact */
  changed: string[];
  companyName: string;
}

export const CUSTOMER_UPDATED = defineChange<CustomerUpdatedData>({
  kind: ChangeKind.CUSTOMER_UPDATED,
  subjectType: SubjectType.CUSTOMER,
  description:
    'A customer’s account details changed (updateCustomer; the audit record has each field before and after). data: changed (the field names), companyName, externalId (each partner’s own, for its users; null for the customer). To: the customer, and the partners that serve it (an ACTIVE reseller relationship).',
  audience: (s) => ({ partnerIds: [s.partnerId], customerIds: [s.customerId] }),
});

export const CUSTOMER_EXTERNAL_ID_SET = defineChange<ExternalIdSetData>({
  kind: ChangeKind.CUSTOMER_EXTERNAL_ID_SET,
  subjectType: SubjectType.CUSTOMER,
  description:
    'A partner set, changed or cleared its own external id for a customer (createCustomer, updateCustomer). data: externalId (null: cleared), previousExternalId (for that partner’s users; null for the operator). To: that partner only (at creation no event: CUSTOMER_CREATED carries it). Its audit record is in that partner’s trail, not shown to the customer.',
  audience: partnerOnly,
});
