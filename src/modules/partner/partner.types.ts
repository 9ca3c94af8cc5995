import { Field, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../common/pagination';
import { Partner } from './partner.entity';

@ObjectType()
export class PartnerConnection extends ConnectionType('Partner', Partner) {}

@ObjectType()
export class CreatePartnerPayload {
  @Field(() => Partner)
  partner: Partner;
}

@ObjectType()
export class UpdatePartnerPayload {
  @Field(() => Partner)
  partner: Partner;
}
