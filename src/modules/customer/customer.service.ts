import type { EntityManager } from 'typeorm';
import { Role } from '../../common/auth/roles';
import type { AppDeps } from '../../common/context';
import { inTransaction, isUniqueViolation } from '../../common/database';
import { Cloud, PartnerType } from '../../common/enums';
import { ConflictError, UserInputError } from '../../common/errors';
import { newId } from '../../common/ids';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import { hashPassword, newTemporaryPassword } from '../../common/secrets';
import { anyColumnContains } from '../../common/sql';
import { EventType } from '../../events/catalog';
import type { EventService } from '../../events/event.service';
import type { EventDraft } from '../../events/outbox';
import { ActivityAction } from '../activity/activity.entity';
import type { ActivityEntry, ActivityService } from '../activity/activity.service';
import type { Partner } from '../partner/partner.entity';
import type { Scope } from '../../scope/scope';
import type { RelationshipService } from '../relationship/relationship.service';
import type { SubscriptionService } from '../subscription/subscription.service';
import { CustomerUser } from './customer-user.entity';
import { Customer } from './customer.entity';
import type { CreateCustomerInput, CustomerFilter } from './customer.inputs';
import type { AdminCredentials } from './customer.types';
import { countChange, EVERYONE, tallyCount, TallyName } from '../../counts/tallies';

export class CustomerService {
  constructor(
    private readonly deps: AppDeps,
    private readonly activity: ActivityService,
    private readonly events: EventService,
    private readonly relationships: RelationshipService,
    private readonly subscriptions: SubscriptionService,
  ) {}

  /**
   * Creates the customer, its first admin user, the creating partner's ACTIVE relationship, the
   * order lines and, for an indirect provider acting for a reseller, the reseller's relationship and
   * admin access — all in one transaction. The temporary password is returned once and only hashed at rest.
   */
  async create(
    scope: Scope,
    input: CreateCustomerInput,
  ): Promise<{ customer: Customer; adminCredentials: AdminCredentials }> {
    const temporaryPassword = newTemporaryPassword(20);
    const passwordHash = await hashPassword(temporaryPassword);
    const domain = input.domain.toLowerCase();
    try {
      return await inTransaction(this.deps.ds, async (em) => {
        const creator = scope.isOperator ? null : await scope.ownPartner(em);
        const cloud = input.cloud ?? creator?.cloud ?? Cloud.PUBLIC;
        if (creator && cloud !== creator.cloud) {
          throw UserInputError.field('input.cloud', `must be your partner's cloud (${creator.cloud})`);
        }
        if (input.indirectResellerId) await this.requireResellerFor(em, scope, creator, input.indirectResellerId);
        if (await em.existsBy(Customer, { domain })) {
          throw new ConflictError(`A customer with the domain ${domain} already exists`);
        }
        // taken after the partnership lock: a removal that committed first is older than this customer
        const at = new Date();
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
          createdAt: at,
        });
        await em.insert(Customer, customer);
        countChange(em, TallyName.CUSTOMERS, EVERYONE);
        const userName = `admin@${domain}`;
        await em.insert(CustomerUser, {
          id: newId(),
          customerId: customer.id,
          userName,
          passwordHash,
          role: Role.CUSTOMER_ADMIN,
          mustChangePassword: true,
          createdAt: at,
        });

        const entries: ActivityEntry[] = [
          {
            action: ActivityAction.CUSTOMER_CREATED,
            partnerId: creator?.id ?? null,
            customerId: customer.id,
            subjectId: customer.id,
            details: { indirectResellerId: customer.indirectResellerId },
          },
        ];
        const drafts: EventDraft[] = [
          {
            type: EventType.CUSTOMER_CREATED,
            partnerId: creator?.id ?? null,
            customerId: customer.id,
            data: { companyName: customer.companyName, domain: customer.domain, cloud: customer.cloud, indirectResellerId: customer.indirectResellerId },
          },
        ];
        const push = (e: ActivityEntry | null) => e && entries.push(e);
        const grant = async (partnerId: string) => {
          const e = await this.relationships.grantDelegatedAdmin(em, partnerId, customer.id, at);
          if (e) drafts.push({ type: EventType.DELEGATED_ADMIN_GRANTED, partnerId, customerId: customer.id, data: { ...e.details } });
          push(e);
        };
        if (creator) {
          push(await this.relationships.establish(em, creator.id, customer.id, at));
          // The partner that will administer the customer gets admin access: the reseller if one is named.
          if (!customer.indirectResellerId) await grant(creator.id);
        }
        if (customer.indirectResellerId) {
          push(await this.relationships.establish(em, customer.indirectResellerId, customer.id, at));
          await grant(customer.indirectResellerId);
        }
        if (input.subscriptions?.length) {
          if (!creator) throw UserInputError.field('input.subscriptions', 'only a partner can place an order');
          for (const [i, line] of input.subscriptions.entries()) {
            const placed = await this.subscriptions.placeInTransaction(em, scope, creator, customer.id, {
              ...line,
              resellerId: customer.indirectResellerId,
            }, `input.subscriptions[${i}]`, at);
            entries.push(placed.entry);
            drafts.push(placed.event);
          }
        }
        await this.activity.record(em, scope, entries, at);
        await this.events.record(em, scope, drafts, at);
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
