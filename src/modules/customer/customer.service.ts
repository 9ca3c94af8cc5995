import type { EntityManager } from 'typeorm';
import type { AppDeps } from '../../common/context';
import type { Changes } from '../../changes/change';
import { isUniqueViolation } from '../../common/database';
import { Cloud, PartnerType } from '../../common/enums';
import { ConflictError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import { hashPassword, newTemporaryPassword } from '../../common/secrets';
import { anyColumnContains } from '../../common/sql';
import type { Partner } from '../partner/partner.entity';
import type { Scope } from '../../scope/scope';
import type { RelationshipService } from '../relationship/relationship.service';
import type { SubscriptionService } from '../subscription/subscription.service';
import { CustomerUser, CustomerUserStatus } from '../customer-user/customer-user.entity';
import { userNameKey } from '../customer-user/customer-user.rules';
import { AdminRole } from '../admin-relationship/admin-relationship.entity';
import { type Address, type Contact, Customer } from './customer.entity';
import type { AddressInput, ContactInput, CreateCustomerInput, CustomerFilter, UpdateCustomerInput } from './customer.inputs';
import { fieldChanges } from '../../changes/change';
import type { AdminCredentials } from './customer.types';
import { tallyCount, TallyName } from '../../counts/tallies';
import { CUSTOMER_CREATED, CUSTOMER_EXTERNAL_ID_SET, CUSTOMER_UPDATED, type CustomerExternalIdData } from './customer.changes';
import { externalIdSetData } from './external-id';
import { CustomerExternalId } from './customer-external-id.entity';
import type { ChangeTx } from '../../changes/change';

const EXTERNAL_ID = 'input.externalId';

/** CONFLICT for an external id the partner gave another customer (also when the unique index refuses it under a race). */
const externalIdTaken = (externalId: string) =>
  new ConflictError(`You already gave another customer the external id "${externalId}": an external id is unique among your customers`);

/** Which unique index refused a write of a partner's external id: the external id (partner, externalId) or a concurrent set for the same customer. */
function externalIdConflict(err: unknown, externalId: string): ConflictError {
  const sameCustomer = /customerId|partner_customer/.test(err instanceof Error ? err.message : '');
  return sameCustomer ? new ConflictError('Your external id for this customer changed meanwhile: read it again') : externalIdTaken(externalId);
}

/** An address as stored: absent optional lines are null, the country upper-case. */
function addressOf(input: AddressInput): Address {
  return {
    addressLine1: input.addressLine1,
    addressLine2: input.addressLine2 ?? null,
    city: input.city,
    state: input.state ?? null,
    postalCode: input.postalCode,
    country: input.country.toUpperCase(),
  };
}

/** A contact as stored, its fields in one order whatever order the client sent them in (so an unchanged one compares equal). */
function contactOf(input: ContactInput): Contact {
  return { firstName: input.firstName, lastName: input.lastName, email: input.email, phoneNumber: input.phoneNumber };
}

/** The external ids of a customer event's data: null for every reader but each partner that has one (src/events/event.types.ts viewedBy). */
function externalIdData(rows: readonly { partnerId: string; externalId: string }[]): CustomerExternalIdData {
  if (!rows.length) return { externalId: null };
  return { externalId: null, perPartner: Object.fromEntries(rows.map((r) => [r.partnerId, { externalId: r.externalId }])) };
}

export class CustomerService {
  constructor(
    private readonly deps: AppDeps,
    private readonly changes: Changes,
    private readonly relationships: RelationshipService,
    private readonly subscriptions: SubscriptionService,
  ) {}

  /**
   * Creates the customer, its first admin user, the creating partner's ACTIVE relationship, the
   * order lines and, for an indirect provider acting for a reseller, the reseller's relationship and
   * admin access — all in one transaction. The temporary password is returned once and only hashed at rest.
   */
  async create(scope: Scope, input: CreateCustomerInput): Promise<{ customer: Customer; adminCredentials: AdminCredentials }> {
    const temporaryPassword = newTemporaryPassword(20);
    const passwordHash = await hashPassword(temporaryPassword);
    const domain = input.domain.toLowerCase();
    try {
      return await this.changes.run(scope, async (tx) => {
        const { em } = tx;
        const creator = scope.isOperator ? null : await scope.ownPartner(em);
        const cloud = input.cloud ?? creator?.cloud ?? Cloud.PUBLIC;
        if (creator && cloud !== creator.cloud) {
          throw UserInputError.field('input.cloud', `must be your partner's cloud (${creator.cloud})`);
        }
        if (input.externalId && !creator) throw UserInputError.field(EXTERNAL_ID, 'only a partner has external ids (its own, for its customers)');
        if (input.indirectResellerId) await this.requireResellerFor(em, scope, creator, input.indirectResellerId);
        if (await em.existsBy(Customer, { domain })) {
          throw new ConflictError(`A customer with the domain ${domain} already exists`);
        }
        // tx.at is taken after the partnership lock: a removal that committed first is older than this customer
        const customer = em.create(Customer, {
          id: newId(),
          companyName: input.companyName.trim(),
          domain,
          cloud,
          address: addressOf(input.address),
          billingContact: null,
          updatedAt: null,
          primaryContact: contactOf(input.primaryContact),
          agreement: { ...input.agreement },
          indirectResellerId: input.indirectResellerId ?? null,
          createdAt: tx.at,
        });
        await tx.insert(Customer, customer, CUSTOMER_CREATED, {
          subject: { partnerId: creator?.id ?? null, customerId: customer.id },
          subjectId: customer.id,
          details: { indirectResellerId: customer.indirectResellerId },
          data: {
            companyName: customer.companyName,
            domain: customer.domain,
            cloud: customer.cloud,
            indirectResellerId: customer.indirectResellerId,
            ...externalIdData(creator && input.externalId ? [{ partnerId: creator.id, externalId: input.externalId }] : []),
          },
        });
        // the creating partner's own id for it: audited (its trail), no event of its own (CUSTOMER_CREATED carries it)
        if (creator && input.externalId) await this.setExternalId(tx, creator.id, customer.id, input.externalId, { event: false });
        // the first admin user is part of the customer's creation (its password is never audited)
        const userName = `admin@${domain}`;
        await em.insert(CustomerUser, {
          id: newId(),
          customerId: customer.id,
          userName,
          userNameKey: userNameKey(userName),
          displayName: 'Administrator',
          firstName: null,
          lastName: null,
          roles: [AdminRole.GLOBAL_ADMINISTRATOR],
          status: CustomerUserStatus.ACTIVE,
          passwordHash,
          mustChangePassword: true,
          createdAt: tx.at,
          updatedAt: null,
          deletedAt: null,
        });

        if (creator) {
          await this.relationships.establish(tx, creator.id, customer.id);
          // The partner that will administer the customer gets admin access: the reseller if one is named.
          if (!customer.indirectResellerId) await this.relationships.grantDelegatedAdmin(tx, creator.id, customer.id);
        }
        if (customer.indirectResellerId) {
          await this.relationships.establish(tx, customer.indirectResellerId, customer.id);
          await this.relationships.grantDelegatedAdmin(tx, customer.indirectResellerId, customer.id);
        }
        if (input.subscriptions?.length) {
          if (!creator) throw UserInputError.field('input.subscriptions', 'only a partner can place an order');
          for (const [i, line] of input.subscriptions.entries()) {
            await this.subscriptions.placeInTransaction(
              tx,
              scope,
              creator,
              customer.id,
              { ...line, resellerId: customer.indirectResellerId },
              `input.subscriptions[${i}]`,
            );
          }
        }
        return { customer, adminCredentials: { userName, temporaryPassword } };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`A customer with the domain ${domain} already exists`);
      throw err;
    }
  }

  /**
   * Partnerships are only formed within one cloud, so a partnered reseller shares the provider's cloud.
   * The partnership stays locked until the commit: a concurrent removal waits for this customer, or
   * has committed before and this one is refused.
   */
  private async requireResellerFor(em: EntityManager, scope: Scope, creator: Partner | null, resellerId: string) {
    const field = 'input.indirectResellerId';
    if (!creator || creator.type !== PartnerType.INDIRECT_PROVIDER) {
      throw UserInputError.field(field, 'only an indirect provider can add a customer on behalf of a reseller');
    }
    if (!(await scope.lockActivePartnership(em, resellerId))) {
      throw UserInputError.field(field, 'must be an indirect reseller in an ACTIVE partnership with you');
    }
  }

  /**
   * The account details (company name, address, primary and billing contact), by the customer's admin,
   * a partner with an ACTIVE reseller relationship (GLOBAL_ADMIN, ADMIN_AGENT) or the operator. The
   * domain never changes. The audit record has each changed field before and after.
   */
  async update(scope: Scope, input: UpdateCustomerInput): Promise<Customer> {
    const given = (['companyName', 'address', 'primaryContact', 'billingContact'] as const).filter((f) => input[f] !== undefined && input[f] !== null);
    // null is a value here: it clears the partner's external id
    const externalIdGiven = input.externalId !== undefined;
    if (!given.length && !externalIdGiven) {
      throw UserInputError.field('input', 'give at least one of companyName, address, primaryContact, billingContact, externalId');
    }
    const partnerId = scope.partnerId;
    if (externalIdGiven && !partnerId) throw UserInputError.field(EXTERNAL_ID, 'only a partner has external ids (its own, for its customers)');
    return this.changes.run(scope, async (tx) => {
      const { em } = tx;
      const customer = await scope.lockForChange(em, Customer, input.customerId);
      if (externalIdGiven && partnerId) await this.setExternalId(tx, partnerId, customer.id, input.externalId ?? null, { event: true });
      const set: Partial<Customer> = {};
      if (input.companyName) set.companyName = input.companyName.trim();
      if (input.address) set.address = addressOf(input.address);
      if (input.primaryContact) set.primaryContact = contactOf(input.primaryContact);
      if (input.billingContact) set.billingContact = contactOf(input.billingContact);
      const changed = fieldChanges(customer, set).map((c) => c.field);
      if (!changed.length) return customer;
      const serving = await this.relationships.servingPartnerIds(em, customer.id);
      // each partner of the audience reads its own external id in the event (as set above)
      const externalIds = await em.findBy(CustomerExternalId, { customerId: customer.id });
      const audience = new Set<string | undefined>([partnerId, ...serving]);
      const after = await tx.update(Customer, customer, { ...set, updatedAt: tx.at }, CUSTOMER_UPDATED, (row) => ({
        subject: { partnerId: partnerId ?? null, customerId: row.id },
        subjectId: row.id,
        data: { changed, companyName: row.companyName, ...externalIdData(externalIds.filter((e) => audience.has(e.partnerId))) },
        alsoNotify: serving,
      }));
      if (!after) throw new ConflictError(`Customer ${customer.id} changed meanwhile: read it again`);
      return after;
    });
  }

  /**
   * Sets (null: clears) the partner's own external id of the customer, with its audit record in the
   * partner's trail (CUSTOMER_EXTERNAL_ID_SET; `event`: whether it sends its event, to that partner
   * only). Nothing when it is already that. CONFLICT when the partner gave another customer that id:
   * read first for a clear answer, and the unique index (partnerId, externalId) decides a race.
   */
  private async setExternalId(tx: ChangeTx, partnerId: string, customerId: string, externalId: string | null, opts: { event: boolean }): Promise<void> {
    const { em } = tx;
    const current = await em.findOneBy(CustomerExternalId, { partnerId, customerId });
    const previous = current?.externalId ?? null;
    if (previous === externalId) return;
    if (externalId !== null && (await em.existsBy(CustomerExternalId, { partnerId, externalId }))) throw externalIdTaken(externalId);
    try {
      if (!current) {
        await em.insert(CustomerExternalId, { id: newId(), partnerId, customerId, externalId: externalId!, createdAt: tx.at, updatedAt: tx.at });
      } else if (externalId === null) {
        await em.delete(CustomerExternalId, { id: current.id });
      } else {
        await em.update(CustomerExternalId, { id: current.id }, { externalId, updatedAt: tx.at });
      }
    } catch (err) {
      if (isUniqueViolation(err)) throw externalIdConflict(err, externalId ?? '');
      throw err;
    }
    tx.record(CUSTOMER_EXTERNAL_ID_SET, {
      subject: { partnerId, customerId },
      subjectId: customerId,
      data: externalIdSetData(partnerId, externalId, previous),
      event: opts.event,
      changes: [
        { field: 'externalId', before: previous === null ? null : JSON.stringify(previous), after: externalId === null ? null : JSON.stringify(externalId) },
      ],
    });
  }

  get(scope: Scope, id: string): Promise<Customer> {
    return scope.getOrThrow(Customer, id);
  }

  /** A page of the caller's customers; `select`: the properties the response reads (selectedProperties). */
  list(scope: Scope, args: ConnectionArgs, filter?: CustomerFilter, select?: readonly string[]) {
    const qb = scope.customers();
    if (filter?.indirectResellerId) {
      qb.andWhere('customer.indirectResellerId = :resellerId', { resellerId: filter.indirectResellerId });
    }
    if (filter?.search) qb.andWhere(anyColumnContains(['customer.companyName', 'customer.domain'], filter.search));
    if (filter?.externalId) {
      // the caller's own external ids only: a partner's are its own
      if (!scope.partnerId) throw UserInputError.field('filter.externalId', 'only a partner has external ids (its own, for its customers)');
      qb.innerJoin(
        CustomerExternalId,
        'filter_ext',
        'filter_ext.customerId = customer.id AND filter_ext.partnerId = :filterExtPartner AND filter_ext.externalId = :filterExt',
        {
          filterExtPartner: scope.partnerId,
          filterExt: filter.externalId,
        },
      );
    }
    const unfiltered = !filter?.indirectResellerId && !filter?.search && !filter?.externalId;
    return paginate(qb, args, { key: scope.customerKey, select, count: tallyCount(this.deps.ds, TallyName.CUSTOMERS, unfiltered && scope.tallyOwner) });
  }
}
