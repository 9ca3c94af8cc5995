import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { COST } from '../../common/cost';
import { UserInputError } from '../../common/errors';
import { Node } from '../../common/node';
import type { RequestContext } from '../../context';
import { loadNode } from '../../scope/nodes';

/** The most ids one `nodes` call takes: a page's worth, like a connection's `first`. */
export const MAX_NODES = 100;

/**
 * Relay's refetch entry points. Each type is read through the caller's scope with the roles its own
 * queries need (src/scope/nodes.ts), so an id the caller may not read is null, whether it exists or not.
 */
@Resolver()
export class NodeResolver {
  @Authorized()
  @Query(() => Node, {
    nullable: true,
    complexity: COST.root,
    description: 'The object with this id (any type that implements Node), when the viewer may read it; null otherwise, whether or not it exists',
  })
  node(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return loadNode(ctx.scope, id);
  }

  @Authorized()
  @Query(() => [Node], {
    nullable: 'items',
    description: `The objects with these ids (1 to ${MAX_NODES}), in the order given: null for each one the viewer may not read`,
  })
  nodes(@Ctx() ctx: RequestContext, @Arg('ids', () => [ID]) ids: string[]) {
    if (ids.length === 0 || ids.length > MAX_NODES) throw UserInputError.field('ids', `give 1 to ${MAX_NODES} ids`);
    return Promise.all(ids.map((id) => loadNode(ctx.scope, id)));
  }
}
