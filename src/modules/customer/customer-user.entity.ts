import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { enumColumn, idColumn, refColumn, timeColumn } from '../../common/columns';
import { Role } from '../../common/auth/roles';
import { Customer } from './customer.entity';

/** A user of a customer tenant. The first one is the admin created with the customer. No GraphQL type: it holds a hash. */
@Entity('customer_user')
export class CustomerUser {
  @PrimaryColumn(idColumn)
  id: string;

  @Column(refColumn)
  @Index()
  customerId: string;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customerId' })
  customer?: Customer;

  @Column({ type: 'varchar', length: 320, unique: true })
  userName: string;

  /** scrypt hash of the temporary password; the password itself is shown once and never stored. */
  @Column({ type: 'varchar', length: 200 })
  passwordHash: string;

  @Column(enumColumn)
  role: Role;

  @Column({ type: 'boolean', default: true })
  mustChangePassword: boolean;

  @Column(timeColumn)
  createdAt: Date;
}
