import { defineModule } from '../module';
import { NodeResolver } from './node.resolver';

/**
 * `node` and `nodes`: Relay's Global Object Identification. The `Node` interface is in
 * src/common/node.ts; each feature registers its Node types in its `<feature>.scope.ts`
 * (`registerNodeType`, src/scope/nodes.ts).
 */
export const nodeModule = defineModule({ name: 'node', resolvers: [NodeResolver] });
