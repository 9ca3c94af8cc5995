import { Field, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../common/pagination';
import { CustomerSubscription } from '../subscription/subscription.entity';
import { CustomerUser } from './customer-user.entity';

@ObjectType()
export class CustomerUserConnection extends ConnectionType('CustomerUser', CustomerUser) {}

@ObjectType()
export class CreateCustomerUserPayload {
  @Field(() => CustomerUser)
  user: CustomerUser;

  @Field({ description: 'Shown once, here, and never again (only its hash is stored); the user changes it at the first sign-in' })
  temporaryPassword: string;
}

@ObjectType({ description: 'The user after the change, and the subscriptions whose assigned licences it changed (those the viewer may read)' })
export class CustomerUserPayload {
  @Field(() => CustomerUser)
  user: CustomerUser;

  @Field(() => [CustomerSubscription], { description: 'Each subscription whose licences the change assigned or took back' })
  subscriptions: CustomerSubscription[];
}
