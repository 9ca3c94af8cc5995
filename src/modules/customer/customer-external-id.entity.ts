import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { idColumn, refColumn, timeColumn } from '../../common/columns';
import { Partner } from '../partner/partner.entity';
import { Customer } from './customer.entity';

/** The longest external id (a customer's or a subscription's), in characters (Unicode code points). */
export const MAX_EXTERNAL_ID_LENGTH = 100;

/**
 * A partner's own id for one of its customers (its CRM's, its billing system's): `Customer.externalId`
 * as that partner reads it. A customer has no owning partner (several serve it), so each partner has
 * its own, unique within the partner, at most one per customer. Compared exactly (binary collation on
 * MySQL/MariaDB: `ABC` and `abc` are two ids). Not a GraphQL type: read through `Customer.externalId`.
 */
@Entity('customer_external_id')
@Index('UQ_customer_external_id_partner_external_id', ['partnerId', 'externalId'], { unique: true })
@Index('UQ_customer_external_id_partner_customer', ['partnerId', 'customerId'], { unique: true })
@Index('IDX_customer_external_id_customer', ['customerId'])
export class CustomerExternalId {
  @PrimaryColumn(idColumn)
  id: string;

  @Column(refColumn)
  partnerId: string;

  @ManyToOne(() => Partner, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'partnerId' })
  partnerRef?: Partner;

  @Column(refColumn)
  customerId: string;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customerId' })
  customerRef?: Customer;

  @Column({ type: 'varchar', length: MAX_EXTERNAL_ID_LENGTH })
  externalId: string;

  @Column(timeColumn)
  createdAt: Date;

  @Column(timeColumn)
  updatedAt: Date;
}
