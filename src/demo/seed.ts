import { BillingFrequency, TermDuration } from '../modules/offer/offer.terms';
import { CustomerSubscription } from '../modules/subscription/subscription.entity';
import ms from 'ms';
import { In } from 'typeorm';
import { signDevToken } from '../common/auth/jwt';
import type { Principal } from '../common/auth/principal';
import { Role } from '../common/auth/roles';
import type { AppDeps } from '../common/context';
import { Scope } from '../scope/scope';
import { Cloud, PartnerType } from '../common/enums';
import { logger } from '../common/logger';
import type { CreateCustomerInput } from '../modules/customer/customer.inputs';
import { Customer } from '../modules/customer/customer.entity';
import { AdminRole } from '../modules/admin-relationship/admin-relationship.entity';
import { Partner } from '../modules/partner/partner.entity';
import type { Services } from '../services';

/** Fixed MPN IDs mark the demo partners, so tokens can be printed on every start. */
export const DEMO_PARTNERS = {
  contoso: {
    name: 'Contoso Cloud Services Ltd',
    mpnId: '4100001',
    type: PartnerType.DIRECT_RESELLER,
    cloud: Cloud.PUBLIC,
    contactEmail: 'partners@contoso-cloud.example',
  },
  fabrikam: {
    name: 'Fabrikam Distribution Inc.',
    mpnId: '4100002',
    type: PartnerType.INDIRECT_PROVIDER,
    cloud: Cloud.PUBLIC,
    contactEmail: 'channel@fabrikam-dist.example',
  },
  northwind: {
    name: 'Northwind IT Solutions LLC',
    mpnId: '4100003',
    type: PartnerType.INDIRECT_RESELLER,
    cloud: Cloud.PUBLIC,
    contactEmail: 'hello@northwind-it.example',
  },
  tailspin: {
    name: 'Tailspin Federal Systems Inc.',
    mpnId: '4100004',
    type: PartnerType.DIRECT_RESELLER,
    cloud: Cloud.US_GOVERNMENT,
    contactEmail: 'gov@tailspin-federal.example',
  },
} as const;

const OPERATOR: Principal = { kind: 'operator', userId: 'demo-operator', roles: [Role.PLATFORM_ADMIN] };

function customerInput(
  companyName: string,
  domain: string,
  city: string,
  state: string | undefined,
  postalCode: string,
  country: string,
  contact: [string, string, string],
): CreateCustomerInput {
  const [firstName, lastName, phoneNumber] = contact;
  const email = `${firstName.toLowerCase()}.${lastName.toLowerCase()}@${domain}`;
  return {
    companyName,
    domain,
    address: { addressLine1: '1 Main Street', city, state, postalCode, country },
    primaryContact: { firstName, lastName, email, phoneNumber },
    agreement: { signatoryName: `${firstName} ${lastName}`, signatoryEmail: email, acceptedAt: new Date() },
  };
}

async function subscriptionOf(deps: AppDeps, customerId: string, offerId: string): Promise<string> {
  return (await deps.ds.getRepository(CustomerSubscription).findOneByOrFail({ customerId, offerId })).id;
}

/** On an empty database: the demo partners and a few customers, created through the services' own rules. */
export async function seedDemo(deps: AppDeps, services: Services): Promise<void> {
  if ((await deps.ds.getRepository(Partner).count()) > 0) return;
  logger.info('empty database: seeding demo data');
  const operator = new Scope(deps.ds, OPERATOR);
  const ids: Record<string, string> = {};
  for (const [key, input] of Object.entries(DEMO_PARTNERS)) {
    ids[key] = (await services.partners.create(operator, { ...input })).id;
  }
  const asPartner = (key: string) => new Scope(deps.ds, { kind: 'partner', userId: `demo-${key}-admin`, roles: [Role.GLOBAL_ADMIN], partnerId: ids[key] });

  const contoso = asPartner('contoso');
  const { customer: adatum } = await services.customers.create(contoso, {
    ...customerInput('Adatum Corporation', 'adatum.onmicrosoft.com', 'Seattle', 'WA', '98101', 'US', ['Ava', 'Jensen', '+1 206 555 0142']),
    subscriptions: [
      { offerId: 'm365-business-premium', quantity: 25, termDuration: TermDuration.P1Y, billingFrequency: BillingFrequency.MONTHLY },
      { offerId: 'm365-business-basic', quantity: 10 },
    ],
  });
  // the lifecycle to try at once: Basic (monthly) moves to Standard at its next renewal
  const basic = await subscriptionOf(deps, adatum.id, 'm365-business-basic');
  await services.subscriptions.scheduleChange(contoso, { subscriptionId: basic, offerId: 'm365-business-standard', quantity: 12 });
  const { customer: litware } = await services.customers.create(
    contoso,
    customerInput('Litware, Inc.', 'litware.onmicrosoft.com', 'Austin', 'TX', '73301', 'US', ['Liam', 'Ortiz', '+1 512 555 0199']),
  );
  // Fabrikam (indirect provider) partners with Northwind (indirect reseller), then adds a customer on its behalf.
  const { token } = await services.partnerships.request(asPartner('fabrikam'), DEMO_PARTNERS.northwind.contactEmail);
  await services.partnerships.accept(asPartner('northwind'), token);
  await services.customers.create(asPartner('fabrikam'), {
    ...customerInput('Wide World Importers Ltd', 'wideworldimporters.onmicrosoft.com', 'London', undefined, 'SW1A 1AA', 'GB', [
      'Olivia',
      'Hughes',
      '+44 20 7946 0958',
    ]),
    indirectResellerId: ids.northwind,
    subscriptions: [{ offerId: 'm365-e3', quantity: 120, termDuration: TermDuration.P3Y, billingFrequency: BillingFrequency.ANNUAL, autoRenew: false }],
  });
  // A pending invitation, so the preview and acceptance can be tried at once.
  await services.invitations.create(contoso, { includeDelegatedAdminPrivileges: true });
  // Admin relationships (granular delegated admin): one active for a year, one ending in 5 days, one waiting for Litware.
  const adatumAdmin = new Scope(deps.ds, { kind: 'customer', userId: 'demo-adatum-admin', roles: [Role.CUSTOMER_ADMIN], customerId: adatum.id });
  const approved = [
    {
      displayName: 'Contoso helpdesk for Adatum',
      roles: [AdminRole.GLOBAL_READER, AdminRole.HELPDESK_ADMINISTRATOR, AdminRole.LICENSE_ADMINISTRATOR],
      duration: 'P365D',
      autoExtend: true,
    },
    { displayName: 'Contoso security review for Adatum', roles: [AdminRole.SECURITY_READER], duration: 'P5D', autoExtend: false },
  ];
  for (const request of approved) {
    const { token: link } = await services.adminRelationships.create(contoso, { customerId: adatum.id, ...request });
    await services.adminRelationships.approve(adatumAdmin, link);
  }
  // Adatum's directory: two users holding licences of its Premium subscription, one added by Contoso through its DAP
  const premium = await subscriptionOf(deps, adatum.id, 'm365-business-premium');
  const directory: [Scope, string, string][] = [
    [adatumAdmin, 'ava.jensen', 'Ava Jensen'],
    [contoso, 'ben.miller', 'Ben Miller'],
  ];
  for (const [by, name, displayName] of directory) {
    const { user } = await services.customerUsers.create(by, { customerId: adatum.id, userName: `${name}@adatum.onmicrosoft.com`, displayName });
    await services.customerUsers.assign(by, { userId: user.id, subscriptionIds: [premium] });
  }
  await services.adminRelationships.create(contoso, {
    customerId: litware.id,
    displayName: 'Contoso Exchange migration for Litware',
    roles: [AdminRole.EXCHANGE_ADMINISTRATOR, AdminRole.USER_ADMINISTRATOR],
    duration: 'P90D',
  });
  await services.customers.create(
    asPartner('tailspin'),
    customerInput('Relecloud Federal Services Corporation', 'relecloud-fed.onmicrosoft.us', 'Arlington', 'VA', '22202', 'US', [
      'Noah',
      'Price',
      '+1 703 555 0123',
    ]),
  );
}

/** Prints a ready-to-paste development token for each demo role. */
export async function printDemoTokens(deps: AppDeps): Promise<void> {
  const partners = await deps.ds.getRepository(Partner).findBy({ mpnId: In(Object.values(DEMO_PARTNERS).map((p) => p.mpnId)) });
  const byMpn = new Map(partners.map((p) => [p.mpnId, p]));
  const adatum = await deps.ds.getRepository(Customer).findOneBy({ domain: 'adatum.onmicrosoft.com' });
  const secret = deps.config.jwtSecret;
  // as long as the server accepts (JWT_MAX_AGE, 24 h by default)
  const life = `${Math.floor(deps.config.jwtMaxAgeMs / 1000)}s`;
  const lines: [string, Promise<string>][] = [
    ['PLATFORM_ADMIN (operator)', signDevToken(secret, { sub: 'demo-operator', roles: [Role.PLATFORM_ADMIN] }, life)],
  ];
  for (const [key, def] of Object.entries(DEMO_PARTNERS)) {
    const partner = byMpn.get(def.mpnId);
    if (!partner) continue;
    const roles = key === 'contoso' ? [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT, Role.USER_ADMIN, Role.BILLING_ADMIN] : [Role.GLOBAL_ADMIN];
    for (const role of roles) {
      lines.push([
        `${role} of ${partner.name} (${partner.type}, ${partner.cloud})`,
        signDevToken(secret, { sub: `demo-${key}-${role.toLowerCase()}`, roles: [role], partnerId: partner.id }, life),
      ]);
    }
  }
  if (adatum) {
    lines.push([
      `CUSTOMER_ADMIN of ${adatum.companyName}`,
      signDevToken(secret, { sub: 'demo-adatum-admin', roles: [Role.CUSTOMER_ADMIN], customerId: adatum.id }, life),
    ]);
  }
  console.log(
    `  Development tokens (valid ${ms(deps.config.jwtMaxAgeMs, { long: true })}, JWT_MAX_AGE; npm run token makes more). In the explorer or the dashboard, use the header  Authorization: Bearer <token>\n`,
  );
  for (const [label, token] of lines) console.log(`  ${label}\n    ${await token}\n`);
}
