import { Node } from '../../common/node';
import { declareTransitions } from '../../changes/transitions';
import { Field, GraphQLISODateTime, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { enumColumn, idColumn, nullableTimeColumn, refColumn, timeColumn } from '../../common/columns';
import { DelegatedAdminStatus } from '../../common/enums';
import { Customer } from '../customer/customer.entity';
import { Partner } from '../partner/partner.entity';

/** Delegated admin privileges a customer granted a partner. Separate from the relationship: each changes alone. */
@ObjectType('DelegatedAdminPrivileges', { description: "A partner's delegated admin privileges over a customer", implements: Node })
@Entity('delegated_admin_privilege')
@Unique('UQ_dap_partner_customer', ['partnerId', 'customerId'])
export class DelegatedAdminPrivilege {
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

  @Field(() => DelegatedAdminStatus)
  @Column(enumColumn)
  status: DelegatedAdminStatus;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  grantedAt: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  @Column(nullableTimeColumn)
  revokedAt: Date | null;
}

/** The customer revokes delegated admin privileges; an accepted invitation with DAP restores them. */
export const DELEGATED_ADMIN_TRANSITIONS = declareTransitions(DelegatedAdminPrivilege, 'status', {
  [DelegatedAdminStatus.ACTIVE]: [DelegatedAdminStatus.REVOKED],
  [DelegatedAdminStatus.REVOKED]: [DelegatedAdminStatus.ACTIVE],
});
