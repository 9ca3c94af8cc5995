import { Node } from '../../common/node';
import { declareTransitions } from '../../changes/transitions';
import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { enumColumn, idColumn, nullableRefColumn, nullableTimeColumn, refColumn, timeColumn } from '../../common/columns';
import { Cloud } from '../../common/enums';
import { Partner } from '../partner/partner.entity';

/** The administrator roles a partner may ask for in a customer's directory (granular delegated admin). */
export enum AdminRole {
  GLOBAL_READER = 'GLOBAL_READER',
  DIRECTORY_READER = 'DIRECTORY_READER',
  USER_ADMINISTRATOR = 'USER_ADMINISTRATOR',
  HELPDESK_ADMINISTRATOR = 'HELPDESK_ADMINISTRATOR',
  LICENSE_ADMINISTRATOR = 'LICENSE_ADMINISTRATOR',
  BILLING_ADMINISTRATOR = 'BILLING_ADMINISTRATOR',
  EXCHANGE_ADMINISTRATOR = 'EXCHANGE_ADMINISTRATOR',
  SHAREPOINT_ADMINISTRATOR = 'SHAREPOINT_ADMINISTRATOR',
  TEAMS_ADMINISTRATOR = 'TEAMS_ADMINISTRATOR',
  SECURITY_READER = 'SECURITY_READER',
  SECURITY_ADMINISTRATOR = 'SECURITY_ADMINISTRATOR',
  PRIVILEGED_ROLE_ADMINISTRATOR = 'PRIVILEGED_ROLE_ADMINISTRATOR',
  GLOBAL_ADMINISTRATOR = 'GLOBAL_ADMINISTRATOR',
}
registerEnumType(AdminRole, { name: 'AdminRole', description: 'An administrator role in the customer’s directory' });

export enum AdminRelationshipStatus {
  APPROVAL_PENDING = 'APPROVAL_PENDING',
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  TERMINATED = 'TERMINATED',
}
registerEnumType(AdminRelationshipStatus, {
  name: 'AdminRelationshipStatus',
  description:
    'APPROVAL_PENDING: waiting for the customer (at most 90 days); ACTIVE: approved, until endsAt; EXPIRED: not approved in time, or endsAt passed without auto-extension; TERMINATED: rejected or ended by either side',
});

export enum AdminRelationshipEndReason {
  REJECTED = 'REJECTED',
  TERMINATED = 'TERMINATED',
  NOT_APPROVED_IN_TIME = 'NOT_APPROVED_IN_TIME',
  END_DATE_REACHED = 'END_DATE_REACHED',
}
registerEnumType(AdminRelationshipEndReason, { name: 'AdminRelationshipEndReason', description: 'Why an admin relationship is no longer pending or active' });

/** The side of an admin relationship a user acted for. */
export enum AdminRelationshipSide {
  PARTNER = 'PARTNER',
  CUSTOMER = 'CUSTOMER',
}
registerEnumType(AdminRelationshipSide, { name: 'AdminRelationshipSide' });

/**
 * Granular, time-bound delegated admin (GDAP) beside DAP: a partner asks a customer for named roles
 * for a fixed duration; the customer's admin approves through a single-use link; the access ends at
 * `endsAt` unless auto-extended. The row belongs to its partner, and to its customer once one is
 * known (named at creation, or the one that approved or rejected).
 */
@ObjectType({ description: 'Granular, time-bound admin roles a partner holds (or asks for) in a customer’s directory', implements: Node })
@Entity('admin_relationship')
@Index('IDX_admin_relationship_partner_id', ['partnerId', 'id'])
@Index('IDX_admin_relationship_customer_id', ['customerId', 'id'])
@Index('IDX_admin_relationship_status_ends', ['status', 'endsAt'])
@Index('IDX_admin_relationship_status_request', ['status', 'requestExpiresAt'])
@Unique('UQ_admin_relationship_display_name', ['partnerId', 'displayNameKey'])
export class AdminRelationship {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Column(refColumn)
  partnerId: string;

  @ManyToOne(() => Partner, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'partnerId' })
  partner?: Partner;

  @Field({ description: 'Unique among the partner’s admin relationships (letter case, width and invisible characters ignored), at most 50 characters' })
  @Column({ type: 'varchar', length: 50 })
  displayName: string;

  /** The display name as compared for uniqueness (see displayNameKey in admin-relationship.rules.ts). */
  @Column({ type: 'varchar', length: 64 })
  displayNameKey: string;

  @Field(() => [AdminRole])
  @Column({ type: 'simple-array' })
  roles: AdminRole[];

  @Field({ description: 'ISO 8601, in days (P1D to P730D): how long the access lasts from approval' })
  @Column({ type: 'varchar', length: 8 })
  duration: string;

  @Field({ description: 'At endsAt, extend by 180 days instead of ending (never with GLOBAL_ADMINISTRATOR)' })
  @Column({ type: 'boolean' })
  autoExtend: boolean;

  @Field(() => AdminRelationshipStatus)
  @Column(enumColumn)
  status: AdminRelationshipStatus;

  @Field(() => Cloud)
  @Column(enumColumn)
  cloud: Cloud;

  @Field(() => ID, {
    nullable: true,
    description: 'The customer: the one the request is addressed to, or the one that approved or rejected it; null while anyone may approve',
  })
  @Column(nullableRefColumn)
  customerId: string | null;

  @Field(() => String, { nullable: true, description: 'The customer’s company name, as it was when the customer was named or answered' })
  @Column({ type: 'varchar', length: 200, nullable: true })
  customerName: string | null;

  /** SHA-256 of the link token. The token itself is returned once and never stored. */
  @Column({ type: 'varchar', length: 64, unique: true })
  tokenHash: string;

  @Column({ type: 'varchar', length: 200 })
  createdByUserId: string;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  createdAt: Date;

  @Field(() => GraphQLISODateTime, { description: 'Until when the request can be approved (90 days after it was made)' })
  @Column(timeColumn)
  requestExpiresAt: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the customer approved: the access starts here' })
  @Column(nullableTimeColumn)
  activatedAt: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the access ends (activatedAt + duration, plus any extension)' })
  @Column(nullableTimeColumn)
  endsAt: Date | null;

  @Field(() => String, { nullable: true, description: 'The customer’s user who approved' })
  @Column({ type: 'varchar', length: 200, nullable: true })
  approvedByUserId: string | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When it was rejected, terminated or expired' })
  @Column(nullableTimeColumn)
  endedAt: Date | null;

  @Field(() => AdminRelationshipEndReason, { nullable: true })
  @Column({ type: 'varchar', length: 32, nullable: true })
  endReason: AdminRelationshipEndReason | null;

  @Field(() => AdminRelationshipSide, { nullable: true, description: 'The side whose user rejected or terminated it (null when it expired)' })
  @Column({ type: 'varchar', length: 16, nullable: true })
  endedBySide: AdminRelationshipSide | null;

  @Field(() => String, { nullable: true, description: 'The user who rejected or terminated it' })
  @Column({ type: 'varchar', length: 200, nullable: true })
  endedByUserId: string | null;

  /**
   * The smallest reminder (days before endsAt: 30, 7, 1) already sent for the current endsAt, or one
   * already behind when the access started or was extended; null: none yet.
   */
  @Column({ type: 'int', nullable: true })
  remindedDays: number | null;

  @Field(() => Int, { description: 'How many times endsAt was pushed back (auto-extension or extendAdminRelationships)' })
  @Column({ type: 'int', default: 0 })
  extensions: number;
}

/**
 * A request is approved, rejected (TERMINATED), withdrawn (TERMINATED) or expires unanswered; an ACTIVE
 * relationship is terminated by either side or expires at its end date. EXPIRED and TERMINATED are final.
 */
export const ADMIN_RELATIONSHIP_TRANSITIONS = declareTransitions(AdminRelationship, 'status', {
  [AdminRelationshipStatus.APPROVAL_PENDING]: [AdminRelationshipStatus.ACTIVE, AdminRelationshipStatus.TERMINATED, AdminRelationshipStatus.EXPIRED],
  [AdminRelationshipStatus.ACTIVE]: [AdminRelationshipStatus.TERMINATED, AdminRelationshipStatus.EXPIRED],
});
