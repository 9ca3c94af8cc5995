import { Node } from '../common/node';
import { Field, GraphQLISODateTime, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, nullableRefColumn, timeColumn } from '../common/columns';
import { ActivityActionEnum, ChangeKind, ChangeOrigin, SubjectType } from './kinds';

/** One field a change set: its value before and after, each JSON-encoded (null: the field had no value, or the row did not exist). */
@ObjectType({ description: 'One field of a change: its value before and after, each as JSON text (null when there was none)' })
export class FieldChange {
  @Field()
  field: string;

  @Field(() => String, { nullable: true, description: 'JSON text of the value before the change; null for a new record' })
  before: string | null;

  @Field(() => String, { nullable: true, description: 'JSON text of the value after the change; null for a removed value' })
  after: string | null;
}

/** Who made a change, as recorded at the time. */
@ObjectType('ActivityActor', { description: 'Who made a change, with the roles held when acting' })
export class ActivityActor {
  @Field({ description: 'The token subject; `system` for the server itself' })
  userId: string;

  @Field(() => [String])
  roles: string[];

  @Field(() => ID, { nullable: true })
  partnerId: string | null;

  @Field(() => ID, { nullable: true })
  customerId: string | null;
}

/**
 * The audit trail: one row per change (and per partner whose trail it belongs to), written by the change
 * primitive (src/changes/change.ts) in the transaction that made the change.
 */
@ObjectType({ description: 'An entry of the audit trail', implements: Node })
@Entity('activity')
@Index('IDX_activity_partner_id', ['partnerId', 'id'])
@Index('IDX_activity_customer_id', ['customerId', 'id'])
// the trail's filters (src/modules/activity/activity.trail.ts): each page walks one of these newest first,
// the tenant column leading (a partner's trail, a customer admin's records), then the filter's column, then id
@Index('IDX_activity_partner_customer', ['partnerId', 'customerId', 'id'])
@Index('IDX_activity_partner_subject_type', ['partnerId', 'subjectType', 'id'])
@Index('IDX_activity_partner_subject', ['partnerId', 'subjectId', 'id'])
@Index('IDX_activity_partner_action', ['partnerId', 'action', 'id'])
@Index('IDX_activity_partner_actor', ['partnerId', 'actorUserId', 'id'])
@Index('IDX_activity_partner_correlation', ['partnerId', 'correlationId', 'id'])
@Index('IDX_activity_customer_partner', ['customerId', 'partnerId', 'id'])
@Index('IDX_activity_customer_subject_type', ['customerId', 'subjectType', 'id'])
@Index('IDX_activity_customer_subject', ['customerId', 'subjectId', 'id'])
@Index('IDX_activity_customer_action', ['customerId', 'action', 'id'])
@Index('IDX_activity_customer_actor', ['customerId', 'actorUserId', 'id'])
@Index('IDX_activity_customer_correlation', ['customerId', 'correlationId', 'id'])
// the retention sweep (oldest first)
@Index('IDX_activity_occurred_at', ['occurredAt'])
export class Activity {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  occurredAt: Date;

  @Field(() => ActivityActionEnum)
  @Column({ type: 'varchar', length: 64 })
  action: ChangeKind;

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

  @Field(() => SubjectType, { nullable: true, description: 'What kind of record `subjectId` names (null on records older than this field)' })
  @Column({ type: 'varchar', length: 32, nullable: true })
  subjectType: SubjectType | null;

  @Field(() => Boolean, { nullable: true, description: 'The attestation given, where the action needs one' })
  @Column({ type: 'boolean', nullable: true })
  attestation: boolean | null;

  @Field(() => String, { nullable: true, description: 'Details as a JSON string' })
  @Column({ type: 'text', nullable: true })
  details: string | null;

  /** JSON: FieldChange[] (secrets and tokens never included) */
  @Column({ type: 'text', nullable: true })
  changeSet: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The request id (`x-request-id`) of the API call that made the change; the sweep run for SYSTEM changes',
  })
  @Column({ type: 'varchar', length: 64, nullable: true })
  correlationId: string | null;

  @Field(() => ChangeOrigin)
  @Column({ type: 'varchar', length: 8, default: ChangeOrigin.API })
  via: ChangeOrigin;

  /**
   * JSON: what let a partner act in a customer's tenant (its delegated admin privileges, an admin
   * relationship's role), when the change was made under such a grant (ChangeTx.actingUnder); GraphQL:
   * `Activity.grantedBy` (src/modules/customer-user/).
   */
  @Column({ type: 'text', nullable: true })
  grantedBy: string | null;

  @Field(() => [FieldChange], { description: 'What the change set: each field with its value before and after' })
  get changes(): FieldChange[] {
    return this.changeSet ? (JSON.parse(this.changeSet) as FieldChange[]) : [];
  }

  @Field(() => ActivityActor, { description: 'Who made the change' })
  get actor(): ActivityActor {
    return { userId: this.actorUserId, roles: this.actorRoles, partnerId: this.actorPartnerId, customerId: this.actorCustomerId };
  }
}
