import { Node } from '../../common/node';
import { declareTransitions } from '../../changes/transitions';
import { Field, GraphQLISODateTime, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { enumColumn, idColumn, nullableRefColumn, nullableTimeColumn, refColumn, timeColumn } from '../../common/columns';
import { Cloud, InvitationStatus } from '../../common/enums';
import { effectiveStatus } from '../../common/single-use';
import { Partner } from '../partner/partner.entity';

/** An indirect provider's emailed request to an indirect reseller. Single use, expires like an invitation. */
@ObjectType({ description: 'A partnership request emailed by an indirect provider to a reseller', implements: Node })
@Entity('partnership_request')
@Index('IDX_partnership_request_provider_id', ['providerId', 'id'])
export class PartnershipRequest {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Column(refColumn)
  providerId: string;

  @ManyToOne(() => Partner, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'providerId' })
  providerRef?: Partner;

  @Field()
  @Column({ type: 'varchar', length: 254 })
  resellerEmail: string;

  @Field(() => Cloud)
  @Column(enumColumn)
  cloud: Cloud;

  @Column({ type: 'varchar', length: 64, unique: true })
  tokenHash: string;

  @Column(enumColumn)
  status: InvitationStatus;

  @Column({ type: 'varchar', length: 200 })
  createdByUserId: string;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  createdAt: Date;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  expiresAt: Date;

  @Column(nullableRefColumn)
  resellerId: string | null;

  @Column(nullableRefColumn)
  partnershipId: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  acceptedByUserId: string | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  @Column(nullableTimeColumn)
  acceptedAt: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  @Column(nullableTimeColumn)
  revokedAt: Date | null;

  @Field(() => InvitationStatus, { name: 'status' })
  get effectiveStatus(): InvitationStatus {
    return effectiveStatus(this.status, this.expiresAt);
  }
}

/** A request is accepted, withdrawn or expires once: only a PENDING one moves. */
export const PARTNERSHIP_REQUEST_TRANSITIONS = declareTransitions(PartnershipRequest, 'status', {
  [InvitationStatus.PENDING]: [InvitationStatus.ACCEPTED, InvitationStatus.REVOKED, InvitationStatus.EXPIRED],
});
