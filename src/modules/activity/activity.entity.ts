import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, nullableRefColumn, timeColumn } from '../../common/columns';

export enum ActivityAction {
  PARTNER_CREATED = 'PARTNER_CREATED',
  CUSTOMER_CREATED = 'CUSTOMER_CREATED',
  INVITATION_CREATED = 'INVITATION_CREATED',
  INVITATION_ACCEPTED = 'INVITATION_ACCEPTED',
  INVITATION_DECLINED = 'INVITATION_DECLINED',
  INVITATION_REVOKED = 'INVITATION_REVOKED',
  RELATIONSHIP_ESTABLISHED = 'RELATIONSHIP_ESTABLISHED',
  RELATIONSHIP_REMOVED = 'RELATIONSHIP_REMOVED',
  DELEGATED_ADMIN_GRANTED = 'DELEGATED_ADMIN_GRANTED',
  DELEGATED_ADMIN_REVOKED = 'DELEGATED_ADMIN_REVOKED',
  PARTNERSHIP_REQUESTED = 'PARTNERSHIP_REQUESTED',
  PARTNERSHIP_REQUEST_REVOKED = 'PARTNERSHIP_REQUEST_REVOKED',
  PARTNERSHIP_ACCEPTED = 'PARTNERSHIP_ACCEPTED',
  PARTNERSHIP_REMOVED = 'PARTNERSHIP_REMOVED',
  SUBSCRIPTION_CREATED = 'SUBSCRIPTION_CREATED',
  SUBSCRIPTION_UPDATED = 'SUBSCRIPTION_UPDATED',
  ADMIN_RELATIONSHIP_CREATED = 'ADMIN_RELATIONSHIP_CREATED',
  ADMIN_RELATIONSHIP_APPROVED = 'ADMIN_RELATIONSHIP_APPROVED',
  ADMIN_RELATIONSHIP_REJECTED = 'ADMIN_RELATIONSHIP_REJECTED',
  ADMIN_RELATIONSHIP_UPDATED = 'ADMIN_RELATIONSHIP_UPDATED',
  ADMIN_RELATIONSHIP_EXTENDED = 'ADMIN_RELATIONSHIP_EXTENDED',
  ADMIN_RELATIONSHIP_EXPIRED = 'ADMIN_RELATIONSHIP_EXPIRED',
  ADMIN_RELATIONSHIP_TERMINATED = 'ADMIN_RELATIONSHIP_TERMINATED',
}
registerEnumType(ActivityAction, { name: 'ActivityAction' });

/** The audit trail: one row per state change, written in the transaction that made the change. */
@ObjectType({ description: 'An entry of the audit trail' })
@Entity('activity')
@Index('IDX_activity_partner_id', ['partnerId', 'id'])
@Index('IDX_activity_customer_id', ['customerId', 'id'])
export class Activity {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  occurredAt: Date;

  @Field(() => ActivityAction)
  @Column({ type: 'varchar', length: 64 })
  action: ActivityAction;

  @Field({ description: 'The user (token subject) who made the change; `system` for what the server does by itself (expiry, auto-extension)' })
  @Column({ type: 'varchar', length: 200 })
  actorUserId: string;

  @Field(() => [String], { description: "The actor's roles when acting" })
  @Column({ type: 'simple-array' })
  actorRoles: string[];

  @Field(() => ID, { nullable: true, description: "The actor's partner, for a partner's user" })
  @Column(nullableRefColumn)
  actorPartnerId: string | null;

  @Field(() => ID, { nullable: true, description: "The actor's customer, for a customer's user" })
  @Column(nullableRefColumn)
  actorCustomerId: string | null;

  @Field(() => ID, { nullable: true, description: 'The partner whose trail this row belongs to' })
  @Column(nullableRefColumn)
  partnerId: string | null;

  @Field(() => ID, { nullable: true, description: 'The customer concerned' })
  @Column(nullableRefColumn)
  customerId: string | null;

  @Field(() => ID, { nullable: true, description: 'The invitation, partnership, request, subscription or admin relationship concerned' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  subjectId: string | null;

  @Field(() => Boolean, { nullable: true, description: 'The attestation given, where the action needs one' })
  @Column({ type: 'boolean', nullable: true })
  attestation: boolean | null;

  @Field(() => String, { nullable: true, description: 'Details as a JSON string' })
  @Column({ type: 'text', nullable: true })
  details: string | null;
}
