import { defineChange } from '../../changes/catalog';
import { ChangeKind, SubjectType } from '../../changes/kinds';
import { EVERYONE, TallyName } from '../../counts/tallies';

export interface CustomerCreatedData {
  companyName: string;
  domain: string;
  cloud: string;
  indirectResellerId: string | null;
}

export const CUSTOMER_CREATED = defineChange<CustomerCreatedData>({
  kind: ChangeKind.CUSTOMER_CREATED,
  subjectType: SubjectType.CUSTOMER,
  description: 'A customer was created. data: companyName, domain, cloud, indirectResellerId. To: the creating partner, the indirect reseller, the customer.',
  audience: (s, d) => ({ partnerIds: [s.partnerId, d.indirectResellerId], customerIds: [s.customerId] }),
  counters: () => [{ tally: TallyName.CUSTOMERS, owner: EVERYONE, delta: 1 }],
});

export interface CustomerUpdatedData {
  /** the account details that changed: companyName, address, primaryContact, billingContact */
  changed: string[];
  companyName: string;
}

export const CUSTOMER_UPDATED = defineChange<CustomerUpdatedData>({
  kind: ChangeKind.CUSTOMER_UPDATED,
  subjectType: SubjectType.CUSTOMER,
  description:
    'A customer’s account details changed (updateCustomer; the audit record has each field before and after). data: changed (the field names), companyName. To: the customer, and the partners that serve it (an ACTIVE reseller relationship).',
  audience: (s) => ({ partnerIds: [s.partnerId], customerIds: [s.customerId] }),
});
