import { Field, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../common/pagination';
import { Customer } from '../customer/customer.entity';
import { CustomerSubscription } from './subscription.entity';

@ObjectType()
export class CustomerSubscriptionConnection extends ConnectionType('CustomerSubscription', CustomerSubscription) {}

@ObjectType()
export class CreateSubscriptionPayload {
  @Field(() => CustomerSubscription)
  subscription: CustomerSubscription;

  @Field(() => Customer, { description: 'The customer, whose `subscriptions` now hold the new one (select them to refresh a cached list)' })
  customer: Customer;
}

@ObjectType()
export class UpdateSubscriptionPayload {
  @Field(() => CustomerSubscription, { description: 'After the change (same id)' })
  subscription: CustomerSubscription;
}
