import { Node } from '../../common/node';
import { declareTransitions } from '../../changes/transitions';
import { Field, GraphQLISODateTime, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { enumColumn, idColumn, nullableTimeColumn, refColumn, timeColumn } from '../../common/columns';
import { PartnershipStatus } from '../../common/enums';
import { Partner } from '../partner/partner.entity';

/** Indirect provider ↔ indirect reseller. One row per pair; removal and a later re-acceptance reuse it. */
@ObjectType({ description: 'A partnership between an indirect provider and an indirect reseller', implements: Node })
@Entity('partnership')
@Unique('UQ_partnership_pair', ['providerId', 'resellerId'])
@Index('IDX_partnership_provider_status', ['providerId', 'status', 'id'])
@Index('IDX_partnership_reseller_status', ['resellerId', 'status', 'id'])
export class Partnership {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Column(refColumn)
  providerId: string;

  @ManyToOne(() => Partner, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'providerId' })
  providerRef?: Partner;

  @Column(refColumn)
  resellerId: string;

  @ManyToOne(() => Partner, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'resellerId' })
  resellerRef?: Partner;

  @Field(() => PartnershipStatus)
  @Column(enumColumn)
  status: PartnershipStatus;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  establishedAt: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  @Column(nullableTimeColumn)
  removedAt: Date | null;
}

/** Either side removes a partnership; a new accepted request makes it ACTIVE again. */
export const PARTNERSHIP_TRANSITIONS = declareTransitions(Partnership, 'status', {
  [PartnershipStatus.ACTIVE]: [PartnershipStatus.REMOVED],
  [PartnershipStatus.REMOVED]: [PartnershipStatus.ACTIVE],
});
