import { Node } from '../../common/node';
import { Field, GraphQLISODateTime, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { enumColumn, idColumn, nullableRefColumn, nullableTimeColumn, timeColumn } from '../../common/columns';
import { Cloud } from '../../common/enums';
import { Partner } from '../partner/partner.entity';

@ObjectType({ description: 'The exact full address of the customer' })
export class Address {
  @Field()
  @Column({ type: 'varchar', length: 200 })
  addressLine1: string;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 200, nullable: true })
  addressLine2: string | null;

  @Field()
  @Column({ type: 'varchar', length: 100 })
  city: string;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 100, nullable: true })
  state: string | null;

  @Field()
  @Column({ type: 'varchar', length: 20 })
  postalCode: string;

  @Field({ description: 'ISO 3166-1 alpha-2 country code' })
  @Column({ type: 'varchar', length: 2 })
  country: string;
}

@ObjectType({ description: "The customer's primary contact" })
export class Contact {
  @Field()
  @Column({ type: 'varchar', length: 100 })
  firstName: string;

  @Field()
  @Column({ type: 'varchar', length: 100 })
  lastName: string;

  @Field()
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Field()
  @Column({ type: 'varchar', length: 32 })
  phoneNumber: string;
}

@ObjectType({ description: "The customer's acceptance of the customer agreement" })
export class AgreementAcceptance {
  @Field()
  @Column({ type: 'varchar', length: 200 })
  signatoryName: string;

  @Field()
  @Column({ type: 'varchar', length: 254 })
  signatoryEmail: string;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  acceptedAt: Date;
}

@ObjectType({ description: 'A customer tenant. Relation fields are seen from the viewer’s side.', implements: Node })
@Entity('customer')
export class Customer {
  @Field(() => ID)
  @PrimaryColumn(idColumn)
  id: string;

  @Field({ description: 'The exact legal company name' })
  @Column({ type: 'varchar', length: 200 })
  @Index()
  companyName: string;

  @Field({ description: 'The tenant domain, unique' })
  @Column({ type: 'varchar', length: 253, unique: true })
  domain: string;

  @Field(() => Cloud)
  @Column(enumColumn)
  cloud: Cloud;

  @Field(() => Address)
  @Column(() => Address, { prefix: 'address' })
  address: Address;

  @Field(() => Contact)
  @Column(() => Contact, { prefix: 'contact' })
  primaryContact: Contact;

  @Field(() => Contact, { nullable: true, description: 'Who receives the bills, when the customer named someone other than the primary contact' })
  @Column({ type: 'simple-json', nullable: true })
  billingContact: Contact | null;

  @Field(() => AgreementAcceptance)
  @Column(() => AgreementAcceptance, { prefix: 'agreement' })
  agreement: AgreementAcceptance;

  /** The indirect reseller this customer is associated with (set by an indirect provider). */
  @Column(nullableRefColumn)
  @Index()
  indirectResellerId: string | null;

  @ManyToOne(() => Partner, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'indirectResellerId' })
  indirectResellerRef?: Partner;

  @Field(() => GraphQLISODateTime)
  @Column(timeColumn)
  createdAt: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the account details last changed (updateCustomer); null: never' })
  @Column(nullableTimeColumn)
  updatedAt: Date | null;
}
