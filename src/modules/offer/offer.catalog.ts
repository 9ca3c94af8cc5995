import type { Offer } from './offer.entity';

/** The catalog every server starts with (upserted at boot, so it is the same on SQLite and MySQL). */
export const OFFER_CATALOG: Offer[] = [
  {
    id: 'm365-business-basic',
    name: 'Microsoft 365 Business Basic',
    description: 'Web and mobile Office apps, Teams, Exchange email and 1 TB of OneDrive storage per user',
    minQuantity: 1,
    maxQuantity: 300,
  },
  {
    id: 'm365-business-standard',
    name: 'Microsoft 365 Business Standard',
    description: 'Desktop Office apps with Business Basic services',
    minQuantity: 1,
    maxQuantity: 300,
  },
  {
    id: 'm365-business-premium',
    name: 'Microsoft 365 Business Premium',
    description: 'Business Standard with advanced security and device management',
    minQuantity: 1,
    maxQuantity: 300,
  },
  {
    id: 'm365-e3',
    name: 'Microsoft 365 E3',
    description: 'Enterprise productivity with Windows Enterprise and compliance tools',
    minQuantity: 1,
    maxQuantity: 50000,
  },
  { id: 'm365-e5', name: 'Microsoft 365 E5', description: 'E3 with advanced security, analytics and voice', minQuantity: 1, maxQuantity: 50000 },
  { id: 'o365-e1', name: 'Office 365 E1', description: 'Web-based Office apps, email and file storage for the enterprise', minQuantity: 1, maxQuantity: 50000 },
  {
    id: 'exchange-online-p1',
    name: 'Exchange Online (Plan 1)',
    description: 'Business email with a 50 GB mailbox per user',
    minQuantity: 1,
    maxQuantity: 50000,
  },
  {
    id: 'teams-essentials',
    name: 'Microsoft Teams Essentials',
    description: 'Meetings, chat and file sharing for small businesses',
    minQuantity: 1,
    maxQuantity: 300,
  },
  { id: 'power-bi-pro', name: 'Power BI Pro', description: 'Self-service analytics and sharing', minQuantity: 1, maxQuantity: 10000 },
  { id: 'dynamics-365-sales-enterprise', name: 'Dynamics 365 Sales Enterprise', description: 'CRM for sales teams', minQuantity: 5, maxQuantity: 10000 },
  { id: 'azure-plan', name: 'Azure plan', description: 'Pay-as-you-go Azure consumption for one customer tenant', minQuantity: 1, maxQuantity: 1 },
];
