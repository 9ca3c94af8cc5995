import { Brackets, type EntityManager } from 'typeorm';
import { isOperator } from '../../common/auth/principal';
import { type AppDeps, principalOf, type RequestContext } from '../../common/context';
import { inTransaction, isUniqueViolation } from '../../common/database';
import { PartnershipStatus, type PartnerType } from '../../common/enums';
import { ConflictError, ForbiddenError, NotFoundError } from '../../common/errors';
import { newId } from '../../common/ids';
import { type ConnectionArgs, pageRequest, toConnection } from '../../common/pagination';
import { containsPattern, LIKE_ESCAPE } from '../../common/sql';
import { ActivityAction } from '../activity/activity.entity';
import type { ActivityService } from '../activity/activity.service';
import { Partnership } from '../partnership/partnership.entity';
import { Partner } from './partner.entity';
import type { CreatePartnerInput, PartnerFilter } from './partner.inputs';

export class PartnerService {
  constructor(
    private readonly deps: AppDeps,
    private readonly activity: ActivityService,
  ) {}

  /** Operator onboarding. A duplicate MPN ID is a CONFLICT. */
  async create(ctx: RequestContext, input: CreatePartnerInput): Promise<Partner> {
    try {
      return await inTransaction(this.deps.ds, async (em) => {
        if (await em.existsBy(Partner, { mpnId: input.mpnId })) {
          throw new ConflictError(`A partner with MPN ID ${input.mpnId} already exists`);
        }
        const partner = em.create(Partner, { id: newId(), ...input, createdAt: new Date() });
        await em.insert(Partner, partner);
        await this.activity.record(em, ctx, [
          { action: ActivityAction.PARTNER_CREATED, partnerId: partner.id, subjectId: partner.id },
        ]);
        return partner;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`A partner with MPN ID ${input.mpnId} already exists`);
      throw err;
    }
  }

  /** The caller's own partner; FORBIDDEN when the token names a partner that does not exist. */
  async current(ctx: RequestContext, em?: EntityManager): Promise<Partner> {
    const { partnerId } = principalOf(ctx);
    if (!partnerId) throw new ForbiddenError('This operation is for a partner’s users');
    const partner = em ? await em.findOneBy(Partner, { id: partnerId }) : await ctx.loaders.partner.load(partnerId);
    if (!partner) throw new ForbiddenError('Your token names a partner that does not exist');
    return partner;
  }

  /** Current partner, which must be of one of `types`. */
  async currentOfType(ctx: RequestContext, types: PartnerType[], em?: EntityManager): Promise<Partner> {
    const partner = await this.current(ctx, em);
    if (!types.includes(partner.type)) {
      throw new ForbiddenError(`This operation is for partners of type ${types.join(' or ')}`);
    }
    return partner;
  }

  /**
   * Who sees which partner: the operator every one; a partner's user its own partner and the
   * partners it has (or had) a partnership with; a customer's user the partners it has a relationship with.
   */
  private visibleQuery(ctx: RequestContext) {
    const p = principalOf(ctx);
    const qb = this.deps.ds.getRepository(Partner).createQueryBuilder('partner');
    if (isOperator(p)) return qb;
    if (p.partnerId) {
      return qb.where(
        new Brackets((w) => {
          w.where('partner.id = :self', { self: p.partnerId })
            .orWhere(
              `partner.id IN (SELECT ps.resellerId FROM partnership ps WHERE ps.providerId = :self AND ps.status = :active)`,
              { active: PartnershipStatus.ACTIVE },
            )
            .orWhere(
              `partner.id IN (SELECT ps.providerId FROM partnership ps WHERE ps.resellerId = :self AND ps.status = :active)`,
            );
        }),
      );
    }
    if (p.customerId) {
      return qb.where(
        `partner.id IN (SELECT rr.partnerId FROM reseller_relationship rr WHERE rr.customerId = :customerId)`,
        { customerId: p.customerId },
      );
    }
    return qb.where('1 = 0');
  }

  async get(ctx: RequestContext, id: string): Promise<Partner> {
    const partner = await this.visibleQuery(ctx).andWhere('partner.id = :id', { id }).getOne();
    if (!partner) throw new NotFoundError('Partner', id);
    return partner;
  }

  async list(ctx: RequestContext, args: ConnectionArgs, filter?: PartnerFilter) {
    const page = pageRequest(args);
    const base = () => {
      const qb = this.visibleQuery(ctx);
      if (filter?.type) qb.andWhere('partner.type = :type', { type: filter.type });
      if (filter?.cloud) qb.andWhere('partner.cloud = :cloud', { cloud: filter.cloud });
      if (filter?.search) {
        qb.andWhere(
          new Brackets((w) =>
            w
              .where(`partner.name LIKE :search ${LIKE_ESCAPE}`, { search: containsPattern(filter.search!) })
              .orWhere(`partner.mpnId LIKE :search ${LIKE_ESCAPE}`),
          ),
        );
      }
      return qb;
    };
    const qb = base();
    if (page.afterId) qb.andWhere('partner.id > :after', { after: page.afterId });
    const rows = await qb.orderBy('partner.id', 'ASC').take(page.first + 1).getMany();
    return toConnection(rows, page, () => base().getCount());
  }

  /** Is there an ACTIVE partnership between this provider and reseller? */
  async activePartnershipExists(em: EntityManager, providerId: string, resellerId: string): Promise<boolean> {
    return em.existsBy(Partnership, { providerId, resellerId, status: PartnershipStatus.ACTIVE });
  }
}
