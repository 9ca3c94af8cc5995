import { Node } from '../../common/node';
import { declareTransitions } from '../../changes/transitions';
import { Field, GraphQLISODateTime, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { enumColumn, idColumn, nullableTimeColumn, refColumn, timeColumn } from '../../common/columns';
import { RelationshipStatus } from '../../common/enums';
import { Customer } from '../customer/customer.entity';
import { Partner } from '../partner/partner.entity';

/** Partner ↔ customer reseller relationship. A partner transacts only with customers it has an ACTIVE one with. */
@ObjectType({ description: 'A reseller relationship between a partner and a customer', implements: Node })
@Entity('reseller_relationship')
@Unique('UQ_relationship_partner_customer', ['partnerId', 'customerId'])
@Index('IDX_relationship_partner_status_customer', ['partnerId', 'status', 'customerId'])
export class ResellerRelationship {
  @PrimaryColumn(idColumn)
  id: string;

  @Column(refColumn)
  partnerId: string;

  @ManyToOne(() => Partner, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'partnerId' })
  partner?: Partner;

  @Column(refColumn)
  @Index()
  customerId: string;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customerId' })
  customer?: Customer;

  @Field(() => RelationshipStatus)
  @Column(enumColumn)
  status: RelationshipStatus;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  establishedAt: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  @Column(nullableTimeColumn)
  removedAt: Date | null;
}

/** A relationship is removed by its partner and made ACTIVE again by a new invitation or customer. */
export const RESELLER_RELATIONSHIP_TRANSITIONS = declareTransitions(ResellerRelationship, 'status', {
  [RelationshipStatus.ACTIVE]: [RelationshipStatus.REMOVED],
  [RelationshipStatus.REMOVED]: [RelationshipStatus.ACTIVE],
});
