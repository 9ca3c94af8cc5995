import type { EntityManager } from 'typeorm';
import { Role } from '../../common/auth/roles';
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
import { CustomerUser } from './customer-user.entity';
import { Customer } from './customer.entity';
import type { CreateCustomerInput, CustomerFilter } from './customer.inputs';
import type { AdminCredentials } from './customer.types';
import { tallyCount, TallyName } from '../../counts/tallies';
import { CUSTOMER_CREATED } from './customer.changes';

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
          address: {
            addressLine1: input.address.addressLine1,
            addressLine2: input.address.addressLine2 ?? null,
            city: input.address.city,
            state: input.address.state ?? null,
            postalCode: input.address.postalCode,
            country: input.address.country.toUpperCase(),
          },
          primaryContact: { ...input.primaryContact },
          agreement: { ...input.agreement },
          indirectResellerId: input.indirectResellerId ?? null,
          createdAt: tx.at,
        });
        await tx.insert(Customer, customer, CUSTOMER_CREATED, {
          subject: { partnerId: creator?.id ?? null, customerId: customer.id },
          subjectId: customer.id,
          details: { indirectResellerId: customer.indirectResellerId },
          data: { companyName: customer.companyName, domain: customer.domain, cloud: customer.cloud, indirectResellerId: customer.indirectResellerId },
        });
        // the first admin user is part of the customer's creation (its password is never audited)
        const userName = `admin@${domain}`;
        await em.insert(CustomerUser, {
          id: newId(),
          customerId: customer.id,
          userName,
          passwordHash,
          role: Role.CUSTOMER_ADMIN,
          mustChangePassword: true,
          createdAt: tx.at,
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
    const unfiltered = !filter?.indirectResellerId && !filter?.search;
    return paginate(qb, args, { key: scope.customerKey, select, count: tallyCount(this.deps.ds, TallyName.CUSTOMERS, unfiltered && scope.tallyOwner) });
  }
}
