import { Node } from '../../common/node';
import { Field, GraphQLISODateTime, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { enumColumn, idColumn, timeColumn } from '../../common/columns';
import { Cloud, PartnerType } from '../../common/enums';

@ObjectType({ description: 'A partner of the program: a direct reseller, an indirect provider or an indirect reseller', implements: Node })
@Entity('partner')
export class Partner {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Field()
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Field({ description: 'Microsoft Partner Network ID: 6 to 10 digits, unique' })
  @Column({ type: 'varchar', length: 10, unique: true })
  mpnId: string;

  @Field(() => PartnerType)
  @Column(enumColumn)
  type: PartnerType;

  @Field(() => Cloud)
  @Column(enumColumn)
  cloud: Cloud;

  /** GraphQL: PartnerResolver.contactEmail, which shows it only to those who may contact the partner. */
  @Column({ type: 'varchar', length: 254 })
  contactEmail: string;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  createdAt: Date;
}
