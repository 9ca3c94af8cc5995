import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintColumn, timeColumn } from '../../common/columns';

/**
 * The test clock's offset from the system's time (TEST_CLOCK=true), one row shared by every server on
 * the database, so that they agree on "now" (src/modules/clock/test-clock.ts).
 */
@Entity('server_clock')
export class ServerClock {
  @PrimaryColumn({ type: 'varchar', length: 16 })
  id: string;

  /** milliseconds added to the system's time */
  @Column(bigintColumn)
  offsetMs: number;

  @Column(timeColumn)
  updatedAt: Date;
}
