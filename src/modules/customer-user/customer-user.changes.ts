import { defineChange, partnerAndCustomer } from '../../changes/catalog';
import { ChangeKind, SubjectType } from '../../changes/kinds';

/** A user as it was right after the change (never its password or its hash). */
export interface CustomerUserSnapshotData {
  id: string;
  userName: string;
  displayName: string;
  roles: string[];
  status: string;
}

/** Why licences were assigned or unassigned: a request, or a change of the user or the subscription that ended them. */
export type LicenseChangeCauseName =
  'REQUEST' | 'USER_DELETED' | 'SUBSCRIPTION_CANCELLED' | 'SUBSCRIPTION_EXPIRED' | 'SUBSCRIPTION_UPGRADED' | 'RENEWAL_QUANTITY';

// every event goes to the customer, the partner that acted (or sold the subscription), and the partners
// that may read the customer's directory at that moment (the service names them: directoryReaders)
const base = { subjectType: SubjectType.CUSTOMER_USER, audience: partnerAndCustomer };
const to = 'To: the customer, the partner that acted, the partners that may read its directory.';

export const CUSTOMER_USER_CREATED = defineChange<{ user: CustomerUserSnapshotData }>({
  ...base,
  kind: ChangeKind.CUSTOMER_USER_CREATED,
  description: `A user was added to a customer's directory. data: user (id, userName, displayName, roles, status). ${to}`,
});

export const CUSTOMER_USER_UPDATED = defineChange<{ user: CustomerUserSnapshotData; changed: string[] }>({
  ...base,
  kind: ChangeKind.CUSTOMER_USER_UPDATED,
  description: `A user's names or roles changed. data: user, changed (the field names). ${to}`,
});

export const CUSTOMER_USER_DELETED = defineChange<{ user: CustomerUserSnapshotData; purgeAt: string }>({
  ...base,
  kind: ChangeKind.CUSTOMER_USER_DELETED,
  description: `A user was deleted: restorable until purgeAt (30 days), its licences freed. data: user, purgeAt. ${to}`,
});

export const CUSTOMER_USER_RESTORED = defineChange<{ user: CustomerUserSnapshotData }>({
  ...base,
  kind: ChangeKind.CUSTOMER_USER_RESTORED,
  description: `A deleted user was restored (without licences). data: user. ${to}`,
});

export const CUSTOMER_USER_PURGED = defineChange<{ user: CustomerUserSnapshotData }>({
  ...base,
  kind: ChangeKind.CUSTOMER_USER_PURGED,
  description: `A user deleted 30 days ago is gone for good (from the server's sweep). data: user, as it was. To: the customer, the partners that may read its directory.`,
});

export const LICENSES_ASSIGNED = defineChange<{ user: CustomerUserSnapshotData; subscriptionIds: string[]; cause: LicenseChangeCauseName }>({
  ...base,
  kind: ChangeKind.LICENSES_ASSIGNED,
  description: `A user got a licence of each subscription named. data: user, subscriptionIds, cause (REQUEST, or SUBSCRIPTION_UPGRADED: moved to the upgrade). ${to}`,
});

export const LICENSES_UNASSIGNED = defineChange<{ user: CustomerUserSnapshotData; subscriptionIds: string[]; cause: LicenseChangeCauseName }>({
  ...base,
  kind: ChangeKind.LICENSES_UNASSIGNED,
  description:
    `A user's licences of the subscriptions named were taken back. data: user, subscriptionIds, cause (REQUEST, USER_DELETED, SUBSCRIPTION_CANCELLED, ` +
    `SUBSCRIPTION_EXPIRED, SUBSCRIPTION_UPGRADED: moved to the upgrade, RENEWAL_QUANTITY: the renewal's quantity is below what was assigned, the newest go). ${to}`,
});
