import { Field, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../common/pagination';
import { CustomerSubscription } from './subscription.entity';

@ObjectType()
export class SubscriptionConnection extends ConnectionType('Subscription', CustomerSubscription) {}

@ObjectType()
export class CreateSubscriptionPayload {
  @Field(() => CustomerSubscription)
  subscription: CustomerSubscription;
}

@ObjectType()
export class UpdateSubscriptionPayload {
  @Field(() => CustomerSubscription)
  subscription: CustomerSubscription;
}
