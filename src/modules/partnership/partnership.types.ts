import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from 'type-graphql';
import { PartnershipStatus } from '../../common/enums';
import { ConnectionType } from '../../common/pagination';
import { PartnershipRequest } from './partnership-request.entity';
import { Partnership } from './partnership.entity';

@ObjectType()
export class PartnershipConnection extends ConnectionType('Partnership', Partnership) {}

@ObjectType()
export class PartnershipRequestConnection extends ConnectionType('PartnershipRequest', PartnershipRequest) {}

@ObjectType()
export class RequestPartnershipPayload {
  @Field(() => PartnershipRequest)
  request: PartnershipRequest;

  @Field({ description: 'The single-use token inside the link. Shown only here; only its hash is stored.' })
  token: string;
}

@ObjectType()
export class AcceptPartnershipRequestPayload {
  @Field(() => Partnership)
  partnership: Partnership;
}

@ObjectType()
export class RevokePartnershipRequestPayload {
  @Field(() => PartnershipRequest)
  request: PartnershipRequest;
}

@ObjectType()
export class RemovePartnershipPayload {
  @Field(() => Partnership, { description: 'Now REMOVED. Associated customers and DAP are unchanged.' })
  partnership: Partnership;
}

export enum PartnershipChange {
  ACCEPTED = 'ACCEPTED',
  REMOVED = 'REMOVED',
}
registerEnumType(PartnershipChange, { name: 'PartnershipChange' });

@ObjectType({ description: 'The partnership as it was when the event happened' })
export class PartnershipSnapshot {
  @Field(() => ID)
  id: string;

  @Field(() => PartnershipStatus)
  status: PartnershipStatus;

  @Field(() => ID)
  providerId: string;

  @Field(() => ID)
  resellerId: string;
}

@ObjectType()
export class PartnershipChangedEvent {
  @Field(() => PartnershipChange)
  change: PartnershipChange;

  @Field(() => PartnershipSnapshot)
  partnership: PartnershipSnapshot;

  @Field(() => GraphQLISODateTime)
  occurredAt: Date;
}
