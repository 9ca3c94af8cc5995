import { Node } from '../../common/node';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { offerTerm, OfferTerm, type OfferTermRow } from './offer.terms';

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

  /** The terms it is sold for, with their prices (JSON; the catalog's, refreshed at boot). */
  @Column({ type: 'simple-json' })
  termRows: OfferTermRow[];

  /** The offers a subscription to this one may be upgraded to (JSON; the catalog's). */
  @Column({ type: 'simple-json' })
  upgradeTargetIds: string[];

  @Field(() => [OfferTerm], { description: 'The terms it is sold for, each with its billing frequency and price per licence' })
  get terms(): OfferTerm[] {
    return (this.termRows ?? []).map(offerTerm);
  }
}
