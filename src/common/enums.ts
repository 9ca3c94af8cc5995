import { registerEnumType } from 'type-graphql';

/** The sovereign cloud a partner or customer lives in. Transactions never cross clouds. */
export enum Cloud {
  PUBLIC = 'PUBLIC',
  US_GOVERNMENT = 'US_GOVERNMENT',
  GERMANY = 'GERMANY',
}
registerEnumType(Cloud, { name: 'Cloud' });

export enum PartnerType {
  DIRECT_RESELLER = 'DIRECT_RESELLER',
  INDIRECT_PROVIDER = 'INDIRECT_PROVIDER',
  INDIRECT_RESELLER = 'INDIRECT_RESELLER',
}
registerEnumType(PartnerType, { name: 'PartnerType' });

export enum RelationshipStatus {
  ACTIVE = 'ACTIVE',
  REMOVED = 'REMOVED',
}
registerEnumType(RelationshipStatus, { name: 'RelationshipStatus' });

export enum DelegatedAdminStatus {
  ACTIVE = 'ACTIVE',
  REVOKED = 'REVOKED',
}
registerEnumType(DelegatedAdminStatus, { name: 'DelegatedAdminStatus' });

export enum InvitationStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  DECLINED = 'DECLINED',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(InvitationStatus, { name: 'InvitationStatus' });

export enum PartnershipStatus {
  PENDING = 'PENDING',
  ACTIVE = 'ACTIVE',
  REMOVED = 'REMOVED',
}
registerEnumType(PartnershipStatus, {
  name: 'PartnershipStatus',
  description: 'PENDING: a request is out and not yet accepted; ACTIVE: accepted; REMOVED: ended by either side',
});

/** Sovereign clouds require delegated admin privileges on every customer invitation. */
export function cloudRequiresDelegatedAdmin(cloud: Cloud): boolean {
  return cloud === Cloud.US_GOVERNMENT || cloud === Cloud.GERMANY;
}
