import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { declareTransitions } from '../../changes/transitions';
import { enumColumn, idColumn, nullableTimeColumn, refColumn, timeColumn } from '../../common/columns';
import { Node } from '../../common/node';
import { AdminRole } from '../admin-relationship/admin-relationship.entity';
import { Customer } from '../customer/customer.entity';

export enum CustomerUserStatus {
  ACTIVE = 'ACTIVE',
  DELETED = 'DELETED',
}
registerEnumType(CustomerUserStatus, {
  name: 'CustomerUserStatus',
  description: 'ACTIVE; DELETED: restorable with restoreCustomerUser until `purgeAt` (30 days), then purged for good',
});

/**
 * A user of a customer tenant. The first one is the admin created with the customer (GLOBAL_ADMINISTRATOR);
 * the others are made by the customer's admin or by a partner the customer granted it (directory-access.ts).
 * The temporary password is shown once, in the creating payload; only its scrypt hash is stored.
 */
@ObjectType({ description: 'A user of a customer tenant', implements: Node })
@Entity('customer_user')
@Index('IDX_customer_user_customer_id', ['customerId', 'id'])
@Index('IDX_customer_user_status_deleted', ['status', 'deletedAt'])
export class CustomerUser {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Field(() => ID)
  @Column(refColumn)
  customerId: string;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customerId' })
  customer?: Customer;

  @Field({ description: "The sign-in name, `name@<the customer's domain>` (NFKC; unique whatever the letter case)" })
  @Column({ type: 'varchar', length: 320, unique: true })
  userName: string;

  /** The user name as its uniqueness is judged: NFKC, lower case (see userNameKey in customer-user.rules.ts). */
  @Column({ type: 'varchar', length: 320, unique: true })
  userNameKey: string;

  @Field()
  @Column({ type: 'varchar', length: 256 })
  displayName: string;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 64, nullable: true })
  firstName: string | null;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 64, nullable: true })
  lastName: string | null;

  @Field(() => [AdminRole], { description: 'Its administrator roles in the tenant: the catalog of admin relationships (empty: an ordinary user)' })
  @Column({ type: 'simple-json' })
  roles: AdminRole[];

  @Field(() => CustomerUserStatus)
  @Column(enumColumn)
  status: CustomerUserStatus;

  /** scrypt hash of the temporary password; the password itself is shown once and never stored. */
  @Column({ type: 'varchar', length: 200 })
  passwordHash: string;

  @Field({ description: 'The temporary password must be changed at the first sign-in' })
  @Column({ type: 'boolean', default: true })
  mustChangePassword: boolean;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  createdAt: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  @Column(nullableTimeColumn)
  updatedAt: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When it was deleted (null while ACTIVE)' })
  @Column(nullableTimeColumn)
  deletedAt: Date | null;
}

/** A deleted user is restored, or purged by the sweep after 30 days (the row goes: no state to move to). */
export const CUSTOMER_USER_TRANSITIONS = declareTransitions(CustomerUser, 'status', {
  [CustomerUserStatus.ACTIVE]: [CustomerUserStatus.DELETED],
  [CustomerUserStatus.DELETED]: [CustomerUserStatus.ACTIVE],
});
