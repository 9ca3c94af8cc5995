import type { AppDeps } from '../../common/context';
import type { Changes } from '../../changes/change';
import { isUniqueViolation } from '../../common/database';
import { ConflictError } from '../../common/errors';
import { newId } from '../../common/ids';
import { type ConnectionArgs, paginate } from '../../common/pagination';
import { anyColumnContains } from '../../common/sql';
import type { Scope } from '../../scope/scope';
import { Partner } from './partner.entity';
import type { CreatePartnerInput, PartnerFilter } from './partner.inputs';
import { EVERYONE, tallyCount, TallyName } from '../../counts/tallies';
import { PARTNER_CREATED } from './partner.changes';

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
