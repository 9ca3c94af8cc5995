import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { idColumn, refColumn, timeColumn } from '../../common/columns';
import { CustomerSubscription } from '../subscription/subscription.entity';
import { CustomerUser } from './customer-user.entity';

/**
 * One licence of a subscription assigned to one user of its customer. A subscription never has more
 * rows here than its quantity (licenses.ts checks it under the subscription's lock).
 */
@Entity('license_assignment')
@Unique('UQ_license_assignment_subscription_user', ['subscriptionId', 'userId'])
@Index('IDX_license_assignment_user', ['userId', 'subscriptionId'])
export class LicenseAssignment {
  @PrimaryColumn(idColumn)
  id: string;

  @Column(refColumn)
  customerId: string;

  @Column(refColumn)
  subscriptionId: string;

  @ManyToOne(() => CustomerSubscription, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subscriptionId' })
  subscription?: CustomerSubscription;

  @Column(refColumn)
  userId: string;

  @ManyToOne(() => CustomerUser, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'userId' })
  user?: CustomerUser;

  @Column(timeColumn)
  assignedAt: Date;
}
