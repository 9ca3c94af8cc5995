import { Field, GraphQLISODateTime, ID, Int, ObjectType } from 'type-graphql';
import { EmailDraft } from '../../common/email-draft';
import { ConnectionType } from '../../common/pagination';
import { AdminRelationship, AdminRelationshipStatus, AdminRole } from './admin-relationship.entity';

@ObjectType()
export class AdminRelationshipConnection extends ConnectionType('AdminRelationship', AdminRelationship) {}

@ObjectType({ description: 'The link, its email draft and its token exist only here: the admin relationship itself never shows them again' })
export class CreateAdminRelationshipPayload {
  @Field(() => AdminRelationship)
  adminRelationship: AdminRelationship;

  @Field({ description: 'The single-use token inside the link. Shown only here; only its hash is stored.' })
  token: string;

  @Field({ description: 'The personalised approval link for the customer (it carries the token). Shown only here.' })
  url: string;

  @Field(() => EmailDraft, { description: 'An editable email with the link and the roles asked for. Shown only here.' })
  emailDraft: EmailDraft;
}

@ObjectType()
export class AdminRelationshipPayload {
  @Field(() => AdminRelationship)
  adminRelationship: AdminRelationship;
}

@ObjectType('ApproveAdminRelationshipPayload')
export class ApproveAdminRelationshipPayload extends AdminRelationshipPayload {}

@ObjectType('RejectAdminRelationshipPayload')
export class RejectAdminRelationshipPayload extends AdminRelationshipPayload {}

@ObjectType('TerminateAdminRelationshipPayload')
export class TerminateAdminRelationshipPayload extends AdminRelationshipPayload {}

@ObjectType('UpdateAdminRelationshipPayload')
export class UpdateAdminRelationshipPayload extends AdminRelationshipPayload {}

@ObjectType({ description: 'Why one item of a bulk operation was not done' })
export class BulkItemError {
  @Field({ description: 'NOT_FOUND, CONFLICT, FORBIDDEN… as for the single operation' })
  code: string;

  @Field()
  message: string;
}

@ObjectType({ description: 'The outcome for one admin relationship of a bulk operation' })
export class AdminRelationshipResult {
  @Field(() => ID)
  adminRelationshipId: string;

  @Field(() => AdminRelationship, { nullable: true, description: 'The admin relationship after the change; null when it failed' })
  adminRelationship: AdminRelationship | null;

  @Field(() => BulkItemError, { nullable: true, description: 'Null when it succeeded' })
  error: BulkItemError | null;
}

@ObjectType({ description: 'Each item done in its own transaction: one failing does not undo the others' })
export class AdminRelationshipsBulkPayload {
  @Field(() => [AdminRelationshipResult], { description: 'In the order of the ids sent' })
  results: AdminRelationshipResult[];

  @Field(() => Int)
  succeeded: number;

  @Field(() => Int)
  failed: number;
}

@ObjectType('TerminateAdminRelationshipsPayload')
export class TerminateAdminRelationshipsPayload extends AdminRelationshipsBulkPayload {}

@ObjectType('ExtendAdminRelationshipsPayload')
export class ExtendAdminRelationshipsPayload extends AdminRelationshipsBulkPayload {}

@ObjectType({ description: 'What a customer is asked to approve, readable without signing in' })
export class AdminRelationshipPreview {
  @Field()
  partnerName: string;

  @Field()
  displayName: string;

  @Field(() => [AdminRole])
  roles: AdminRole[];

  @Field({ description: 'ISO 8601, in days' })
  duration: string;

  @Field()
  autoExtend: boolean;

  @Field(() => AdminRelationshipStatus)
  status: AdminRelationshipStatus;

  @Field(() => GraphQLISODateTime, { description: 'Until when the request can be approved' })
  requestExpiresAt: Date;
}
