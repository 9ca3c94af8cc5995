import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintColumn } from '../common/columns';

/**
 * One counter: how many rows a list has for one owner (a partner, an audience key, or `*` for
 * everyone), kept in the transaction of every change, so `totalCount` reads one row.
 * See src/counts/tallies.ts for the lists counted and how each is rebuilt.
 */
@Entity('tally')
export class Tally {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  name: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  owner: string;

  @Column(bigintColumn)
  total: number;
}
