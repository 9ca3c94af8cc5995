import type { EntityManager } from 'typeorm';
import type { AppDeps } from '../../common/context';
import type { Changes } from '../../changes/change';
import { isUniqueViolation } from '../../common/database';
import { ConflictError, ForbiddenError, NotFoundError, UserInputError } from '../../common/errors';
import { PartnershipStatus, RelationshipStatus } from '../../common/enums';
import { newId } from '../../common/ids';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import { anyColumnContains } from '../../common/sql';
import type { Scope } from '../../scope/scope';
import { Partner } from './partner.entity';
import type { CreatePartnerInput, PartnerFilter, UpdatePartnerInput } from './partner.inputs';
import { EVERYONE, tallyCount, TallyName } from '../../counts/tallies';
import { PARTNER_CREATED, PARTNER_UPDATED } from './partner.changes';

/** The fields only the operator changes: who the partner is in the program. */
const OPERATOR_ONLY = ['mpnId', 'type', 'cloud'] as const;
const PROFILE = ['name', 'contactEmail', ...OPERATOR_ONLY] as const;

export class PartnerService {
  constructor(
    private readonly deps: AppDeps,
    private readonly changes: Changes,
  ) {}

  /** Operator onboarding. A duplicate MPN ID is a CONFLICT. */
  async create(scope: Scope, input: CreatePartnerInput): Promise<Partner> {
    try {
      return await this.changes.run(scope, async (tx) => {
        if (await tx.em.existsBy(Partner, { mpnId: input.mpnId })) {
          throw new ConflictError(`A partner with MPN ID ${input.mpnId} already exists`);
        }
        const partner = tx.em.create(Partner, { id: newId(), ...input, createdAt: tx.at });
        return tx.insert(Partner, partner, PARTNER_CREATED, { subject: { partnerId: partner.id }, subjectId: partner.id, data: {} });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`A partner with MPN ID ${input.mpnId} already exists`);
      throw err;
    }
  }

  /**
   * The operator, or the partner's own GLOBAL_ADMIN (name and contact email). The MPN ID stays unique;
   * the cloud and the type stay what the partner's ties were formed under: no cloud change while it has
   * customers, ACTIVE partnerships or admin relationships, nor its type (what it may sell and to whom).
   */
  async update(scope: Scope, input: UpdatePartnerInput): Promise<Partner> {
    const given = PROFILE.filter((field) => input[field] !== undefined && input[field] !== null);
    if (!given.length) throw UserInputError.field('input', `give at least one of ${PROFILE.join(', ')}`);
    if (!scope.isOperator) {
      if (scope.partnerId !== input.partnerId) throw new NotFoundError('Partner', input.partnerId);
      const reserved = given.filter((field) => (OPERATOR_ONLY as readonly string[]).includes(field));
      if (reserved.length) throw new ForbiddenError(`Only the operator changes a partner's ${reserved.join(', ')} (input.${reserved[0]})`);
    }
    try {
      return await this.changes.run(scope, async (tx) => {
        const { em } = tx;
        const partner = await scope.lockForChange(em, Partner, input.partnerId);
        const set: Partial<Partner> = {};
        if (input.name !== undefined && input.name !== null) set.name = input.name;
        if (input.contactEmail) set.contactEmail = input.contactEmail;
        if (input.mpnId && input.mpnId !== partner.mpnId) {
          if (await em.existsBy(Partner, { mpnId: input.mpnId })) throw new ConflictError(`A partner with MPN ID ${input.mpnId} already exists`);
          set.mpnId = input.mpnId;
        }
        if (input.type && input.type !== partner.type) {
          if (await this.hasTies(em, partner.id, { partnerships: true, customers: true })) {
            throw new ConflictError(`The type of partner ${partner.id} cannot change while it has customers, partnerships or admin relationships (input.type)`);
          }
          set.type = input.type;
        }
        if (input.cloud && input.cloud !== partner.cloud) {
          if (await this.hasTies(em, partner.id, { partnerships: true, customers: true })) {
            throw new ConflictError(
              `The cloud of partner ${partner.id} cannot change while it has customers, partnerships or admin relationships (input.cloud)`,
            );
          }
          set.cloud = input.cloud;
        }
        const changed = Object.keys(set).filter((field) => set[field as keyof Partner] !== partner[field as keyof Partner]);
        if (!changed.length) return partner;
        const after = await tx.update(Partner, partner, set, PARTNER_UPDATED, (row) => ({
          subject: { partnerId: row.id },
          subjectId: row.id,
          data: { changed, partner: { name: row.name, mpnId: row.mpnId, type: row.type, cloud: row.cloud } },
        }));
        if (!after) throw new ConflictError(`Partner ${partner.id} changed meanwhile: read it again`);
        return after;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`A partner with MPN ID ${input.mpnId} already exists`);
      throw err;
    }
  }

  /** Whether the partner is in an ACTIVE partnership and (`customers`) has customers or admin relationships. */
  private async hasTies(em: EntityManager, partnerId: string, what: { partnerships: boolean; customers?: boolean }): Promise<boolean> {
    const probes: Promise<unknown[]>[] = [];
    const probe = (sql: string, params: unknown[]) => probes.push(em.query<unknown[]>(sql, params));
    if (what.partnerships) {
      probe('SELECT 1 FROM partnership WHERE (providerId = ? OR resellerId = ?) AND status = ? LIMIT 1', [partnerId, partnerId, PartnershipStatus.ACTIVE]);
    }
    if (what.customers) {
      probe('SELECT 1 FROM reseller_relationship WHERE partnerId = ? AND status = ? LIMIT 1', [partnerId, RelationshipStatus.ACTIVE]);
      probe('SELECT 1 FROM admin_relationship WHERE partnerId = ? LIMIT 1', [partnerId]);
    }
    return (await Promise.all(probes)).some((rows) => rows.length > 0);
  }

  get(scope: Scope, id: string): Promise<Partner> {
    return scope.getOrThrow(Partner, id);
  }

  list(scope: Scope, args: ConnectionArgs, filter?: PartnerFilter) {
    const qb = scope.partners();
    if (filter?.type) qb.andWhere('partner.type = :type', { type: filter.type });
    if (filter?.cloud) qb.andWhere('partner.cloud = :cloud', { cloud: filter.cloud });
    if (filter?.search) qb.andWhere(anyColumnContains(['partner.name', 'partner.mpnId'], filter.search));
    const unfiltered = !filter?.type && !filter?.cloud && !filter?.search;
    return paginate(qb, args, { count: tallyCount(this.deps.ds, TallyName.PARTNERS, unfiltered && scope.isOperator && EVERYONE) });
  }
}
