import { Node } from '../../common/node';
import { Field, GraphQLISODateTime, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { idColumn, nullableRefColumn, refColumn, timeColumn } from '../../common/columns';
import { Customer } from '../customer/customer.entity';
import { Offer } from '../offer/offer.entity';
import { Partner } from '../partner/partner.entity';

/** A customer's subscription to an offer. GraphQL type `CustomerSubscription` (Subscription is the root type). */
@ObjectType('CustomerSubscription', { description: "A customer's subscription to an offer", implements: Node })
@Entity('subscription')
@Index('IDX_subscription_customer_id', ['customerId', 'id'])
// who may read a subscription (Scope.subscriptions) and which partners a seller knows through them
// (Scope.partners): each an index lookup, not a scan of every subscription
@Index('IDX_subscription_seller_reseller', ['soldByPartnerId', 'resellerId'])
@Index('IDX_subscription_seller_support', ['soldByPartnerId', 'supportContactId'])
@Index('IDX_subscription_reseller', ['resellerId'])
@Index('IDX_subscription_support', ['supportContactId'])
export class CustomerSubscription {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Column(refColumn)
  customerId: string;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customerId' })
  customerRef?: Customer;

  @Column({ type: 'varchar', length: 64 })
  offerId: string;

  @ManyToOne(() => Offer, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'offerId' })
  offerRef?: Offer;

  @Field(() => Int)
  @Column({ type: 'int' })
  quantity: number;

  /** The partner that placed the order. */
  @Column(refColumn)
  soldByPartnerId: string;

  @ManyToOne(() => Partner, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'soldByPartnerId' })
  soldByRef?: Partner;

  /** Reseller of record (MPN ID, for incentives): an indirect reseller partnered with the provider. */
  @Column(nullableRefColumn)
  resellerId: string | null;

  @ManyToOne(() => Partner, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'resellerId' })
  resellerRef?: Partner;

  /** Designated support contact: an indirect reseller partnered with the provider. */
  @Column(nullableRefColumn)
  supportContactId: string | null;

  @ManyToOne(() => Partner, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'supportContactId' })
  supportContactRef?: Partner;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  createdAt: Date;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  updatedAt: Date;
}
