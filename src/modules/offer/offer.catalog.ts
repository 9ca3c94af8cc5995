import type { Offer } from './offer.entity';
import { BillingFrequency, TermDuration, type OfferTermRow } from './offer.terms';

const { P1M, P1Y, P3Y } = TermDuration;
const { MONTHLY, ANNUAL, TRIENNIAL } = BillingFrequency;
const USD = 'USD';

/**
 * The terms most offers are sold for: a monthly term (priced higher, as new commerce prices month to
 * month), a year billed monthly or annually, three years billed monthly, annually or once.
 * Prices are per licence for the whole term.
 */
function monthlyAndCommitted(monthly: string, yearly: string, threeYears: string): OfferTermRow[] {
  return [
    { termDuration: P1M, billingFrequency: MONTHLY, unitPrice: monthly, currency: USD },
    { termDuration: P1Y, billingFrequency: MONTHLY, unitPrice: yearly, currency: USD },
    { termDuration: P1Y, billingFrequency: ANNUAL, unitPrice: yearly, currency: USD },
    { termDuration: P3Y, billingFrequency: MONTHLY, unitPrice: threeYears, currency: USD },
    { termDuration: P3Y, billingFrequency: ANNUAL, unitPrice: threeYears, currency: USD },
    { termDuration: P3Y, billingFrequency: TRIENNIAL, unitPrice: threeYears, currency: USD },
  ];
}

/**
 * The catalog every server starts with (upserted at boot, so it is the same on SQLite and MySQL). Each
 * offer's upgrade targets are the offers a subscription to it may move up to (upgradeSubscription).
 */
export const OFFER_CATALOG: Omit<Offer, 'terms'>[] = [
  {
    id: 'm365-business-basic',
    name: 'Microsoft 365 Business Basic',
    description: 'Web and mobile Office apps, Teams, Exchange email and 1 TB of OneDrive storage per user',
    minQuantity: 1,
    maxQuantity: 300,
    termRows: monthlyAndCommitted('7.20', '72.00', '216.00'),
    upgradeTargetIds: ['m365-business-standard', 'm365-business-premium'],
  },
  {
    id: 'm365-business-standard',
    name: 'Microsoft 365 Business Standard',
    description: 'Desktop Office apps with Business Basic services',
    minQuantity: 1,
    maxQuantity: 300,
    termRows: monthlyAndCommitted('15.00', '150.00', '450.00'),
    upgradeTargetIds: ['m365-business-premium'],
  },
  {
    id: 'm365-business-premium',
    name: 'Microsoft 365 Business Premium',
    description: 'Business Standard with advanced security and device management',
    minQuantity: 1,
    maxQuantity: 300,
    termRows: monthlyAndCommitted('26.40', '264.00', '792.00'),
    upgradeTargetIds: ['m365-e3', 'm365-e5'],
  },
  {
    id: 'm365-e3',
    name: 'Microsoft 365 E3',
    description: 'Enterprise productivity with Windows Enterprise and compliance tools',
    minQuantity: 1,
    maxQuantity: 50000,
    termRows: monthlyAndCommitted('43.20', '432.00', '1296.00'),
    upgradeTargetIds: ['m365-e5'],
  },
  {
    id: 'm365-e5',
    name: 'Microsoft 365 E5',
    description: 'E3 with advanced security, analytics and voice',
    minQuantity: 1,
    maxQuantity: 50000,
    termRows: monthlyAndCommitted('68.40', '684.00', '2052.00'),
    upgradeTargetIds: [],
  },
  {
    id: 'o365-e1',
    name: 'Office 365 E1',
    description: 'Web-based Office apps, email and file storage for the enterprise',
    minQuantity: 1,
    maxQuantity: 50000,
    termRows: monthlyAndCommitted('12.00', '120.00', '360.00'),
    upgradeTargetIds: ['m365-e3', 'm365-e5'],
  },
  {
    id: 'exchange-online-p1',
    name: 'Exchange Online (Plan 1)',
    description: 'Business email with a 50 GB mailbox per user',
    minQuantity: 1,
    maxQuantity: 50000,
    termRows: monthlyAndCommitted('4.80', '48.00', '144.00'),
    upgradeTargetIds: ['m365-business-basic', 'm365-business-standard'],
  },
  {
    id: 'teams-essentials',
    name: 'Microsoft Teams Essentials',
    description: 'Meetings, chat and file sharing for small businesses',
    minQuantity: 1,
    maxQuantity: 300,
    termRows: monthlyAndCommitted('4.80', '48.00', '144.00'),
    upgradeTargetIds: ['m365-business-basic', 'm365-business-standard'],
  },
  {
    id: 'power-bi-pro',
    name: 'Power BI Pro',
    description: 'Self-service analytics and sharing',
    minQuantity: 1,
    maxQuantity: 10000,
    termRows: monthlyAndCommitted('16.80', '168.00', '504.00'),
    upgradeTargetIds: [],
  },
  {
    id: 'dynamics-365-sales-enterprise',
    name: 'Dynamics 365 Sales Enterprise',
    description: 'CRM for sales teams',
    minQuantity: 5,
    maxQuantity: 10000,
    termRows: monthlyAndCommitted('126.00', '1260.00', '3780.00'),
    upgradeTargetIds: [],
  },
  {
    id: 'azure-plan',
    name: 'Azure plan',
    description: 'Pay-as-you-go Azure consumption for one customer tenant',
    minQuantity: 1,
    maxQuantity: 1,
    termRows: [{ termDuration: P1M, billingFrequency: MONTHLY, unitPrice: '0.00', currency: USD }],
    upgradeTargetIds: [],
  },
];
