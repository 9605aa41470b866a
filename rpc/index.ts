import type { Node } from '../core/node/node.js';
import type { EvmService } from '../evm-adapter/service.js';
import { Forwarder, type ForwarderOptions } from './forwarder.js';
import { ethMethods, type Method } from './methods/eth.js';
import { authenticatorFor } from './governance/submit.js';
import { governanceMethods } from './methods/governance.js';
import { nodeMethods } from './methods/node.js';
import { servePeerCalls } from './peer-calls.js';

export { RpcServer, type RpcServerOptions } from './server.js';

export { DEFAULT_FORWARD_TIMEOUT_MS, type UnavailableReason } from './forwarder.js';

/** Every JSON-RPC method a node serves; also answers the calls other nodes forward to it. */
export function allMethods(node: Node, evm: EvmService, options: ForwarderOptions = {}): Record<string, Method> {
  const forwarder = new Forwarder(node, evm, options);
  servePeerCalls(node, evm, options.log ?? (() => {}));
  return {
    ...ethMethods(evm, (raw) => forwarder.sendRawTransaction(raw)),
    ...nodeMethods(node, evm, forwarder),
    ...governanceMethods(node, evm, forwarder, authenticatorFor(node, evm)),
  };
}
