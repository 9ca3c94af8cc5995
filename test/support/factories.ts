import { randomBytes, randomInt } from 'node:crypto';
import { CreateCustomerDocument, type CreateCustomerInput, CreatePartnerDocument, type Cloud, type PartnerType } from '../generated/graphql';
import type { TestServer } from './test-server';

let mpnSeq = randomInt(100000, 900000);

export function uniqueMpnId(): string {
  mpnSeq += 1;
  return `${mpnSeq}${randomInt(10, 99)}`;
}

export function uniqueDomain(prefix = 'customer'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}.onmicrosoft.com`;
}

export function customerInput(overrides: Partial<CreateCustomerInput> = {}): CreateCustomerInput {
  return {
    companyName: 'Proseware Incorporated',
    domain: uniqueDomain(),
    address: { addressLine1: '400 Pine Street', city: 'Seattle', state: 'WA', postalCode: '98101', country: 'US' },
    primaryContact: { firstName: 'Jane', lastName: 'Doe', email: 'jane.doe@proseware.example', phoneNumber: '+1 206 555 0100' },
    agreement: { signatoryName: 'Jane Doe', signatoryEmail: 'jane.doe@proseware.example', acceptedAt: '2026-01-15T10:00:00.000Z' },
    ...overrides,
  };
}

export interface TestPartner {
  id: string;
  name: string;
  token: string;
}

/** Onboards a partner through the operator's createPartner and returns its GLOBAL_ADMIN token. */
export async function createPartner(
  t: TestServer,
  type: PartnerType = 'DIRECT_RESELLER',
  cloud: Cloud = 'PUBLIC',
  name = `Partner ${randomBytes(3).toString('hex')} Ltd`,
): Promise<TestPartner> {
  const operator = t.client(await t.tokens.operator());
  const { createPartner: res } = await operator.data(CreatePartnerDocument, {
    input: { name, mpnId: uniqueMpnId(), type, cloud, contactEmail: 'contact@partner.example' },
  });
  return { id: res.partner.id, name, token: await t.tokens.partner(res.partner.id) };
}

/** Creates a customer as the given partner (its token) and returns the customer id. */
export async function createCustomer(
  t: TestServer,
  token: string,
  overrides: Partial<CreateCustomerInput> = {},
): Promise<{ id: string; companyName: string; domain: string }> {
  const { createCustomer: res } = await t.client(token).data(CreateCustomerDocument, { input: customerInput(overrides) });
  return res.customer;
}
