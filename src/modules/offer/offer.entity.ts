import { Node } from '../../common/node';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@ObjectType({ description: 'An offer of the catalog, sold by the license', implements: Node })
@Entity('offer')
export class Offer {
  @Field(() => ID)
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Field()
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Field()
  @Column({ type: 'varchar', length: 500 })
  description: string;

  @Field(() => Int)
  @Column({ type: 'int' })
  minQuantity: number;

  @Field(() => Int)
  @Column({ type: 'int' })
  maxQuantity: number;
}
