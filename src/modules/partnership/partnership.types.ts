import { Field, ID, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../../common/node';
import { Event } from '../../events/event.types';
import { PartnershipStatus } from '../../common/enums';
import { EmailDraft } from '../../common/email-draft';
import { ConnectionType } from '../../common/pagination';
import { PartnershipRequest } from './partnership-request.entity';
import { Partnership } from './partnership.entity';

@ObjectType()
export class PartnershipConnection extends ConnectionType('Partnership', Partnership) {}

@ObjectType()
export class PartnershipRequestConnection extends ConnectionType('PartnershipRequest', PartnershipRequest) {}

@ObjectType({ description: 'The link, its email draft and its token exist only here: the request itself never shows them again' })
export class RequestPartnershipPayload {
  @Field(() => PartnershipRequest)
  request: PartnershipRequest;

  @Field({ description: 'The single-use token inside the link. Shown only here; only its hash is stored.' })
  token: string;

  @Field({ description: 'The personalised link for the reseller (it carries the token). Shown only here.' })
  url: string;

  @Field(() => EmailDraft, { description: 'An editable email with the link, to send to the reseller. Shown only here.' })
  emailDraft: EmailDraft;
}

@ObjectType()
export class AcceptPartnershipRequestPayload {
  @Field(() => Partnership, { description: 'Now ACTIVE' })
  partnership: Partnership;

  @Field(() => PartnershipRequest, { description: 'The request the link carried, now ACCEPTED' })
  request: PartnershipRequest;
}

@ObjectType()
export class RevokePartnershipRequestPayload {
  @Field(() => PartnershipRequest, { description: 'Now REVOKED' })
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

@ObjectType({
  description:
    'The partnership as it was when the event happened: a value, not the partnership itself (its id is `partnershipId`, so a client cache never mixes the two)',
})
export class PartnershipSnapshot {
  @Field(() => ID, { description: 'The id of the partnership' })
  partnershipId: string;

  @Field(() => PartnershipStatus)
  status: PartnershipStatus;

  @Field(() => ID)
  providerId: string;

  @Field(() => ID)
  resellerId: string;
}

/**
 * What `partnershipChanged` pushes: the typed events of PARTNERSHIP_ACCEPTED and PARTNERSHIP_REMOVED
 * (src/events/typed-events.ts), under one interface so that a client reads `partnership` without a
 * fragment per type.
 */
@InterfaceType('PartnershipChangedEvent', {
  implements: [Event, Node],
  description: 'A partnership was accepted (PartnershipAcceptedEvent) or removed (PartnershipRemovedEvent)',
})
export abstract class PartnershipChangedEvent extends Event {
  @Field(() => PartnershipChange, { description: 'ACCEPTED or REMOVED: the event type, for a client that reads no `type`' })
  change: PartnershipChange;

  @Field(() => PartnershipSnapshot)
  partnership: PartnershipSnapshot;
}
