import type { Node } from '../core/node/node.js';
import type { EvmService } from '../evm-adapter/service.js';
import { ethMethods, type Method } from './methods/eth.js';
import { nodeMethods } from './methods/node.js';

export { RpcServer, type RpcServerOptions } from './server.js';

/** Every JSON-RPC method a node serves. */
export function allMethods(node: Node, evm: EvmService): Record<string, Method> {
  return { ...ethMethods(evm), ...nodeMethods(node, evm) };
}
