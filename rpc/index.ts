import type { Node } from '../core/node/node.js';
import type { Caller } from '../evm-adapter/access/caller.js';
import type { EvmService } from '../evm-adapter/service.js';
import { SignInDomains } from './auth/domains.js';
import { TokenResolver } from './auth/sessions.js';
import { Forwarder, type ForwarderOptions } from './forwarder.js';
import { accessListMethods } from './methods/access-list.js';
import { blockReceiptMethods } from './methods/block-receipts.js';
import { debugMethods } from './methods/debug.js';
import { devMethods } from './methods/dev.js';
import { ethMethods, type Method } from './methods/eth.js';
import { authenticatorFor } from './governance/submit.js';
import { governanceMethods } from './methods/governance.js';
import { nodeMethods } from './methods/node.js';
import { receiptMethods } from './methods/receipts.js';
import { sessionMethods } from './methods/session.js';
import { unsupportedMethods } from './methods/unsupported.js';
import { servePeerCalls } from './peer-calls.js';

export { RpcServer, type RpcServerOptions } from './server.js';
export { SignInDomains } from './auth/domains.js';

export { DEFAULT_FORWARD_TIMEOUT_MS, type UnavailableReason } from './forwarder.js';

export interface FrontEndOptions extends ForwarderOptions {
  /** the SIWE domains that name this node (none: no sign-in is accepted) */
  signInDomains?: SignInDomains;
}

/** Every JSON-RPC method a node serves; also answers the calls other nodes forward to it. */
export function allMethods(node: Node, evm: EvmService, options: FrontEndOptions = {}): Record<string, Method> {
  const forwarder = new Forwarder(node, evm, options);
  servePeerCalls(node, evm, options.log ?? (() => {}));
  return {
    ...ethMethods(evm, (raw) => forwarder.sendRawTransaction(raw)),
    ...blockReceiptMethods(evm),
    ...accessListMethods(evm),
    ...debugMethods(evm),
    ...unsupportedMethods(),
    ...nodeMethods(node, evm, forwarder),
    ...receiptMethods(node, evm),
    ...governanceMethods(node, evm, forwarder, authenticatorFor(node, evm)),
    ...sessionMethods(node, evm, forwarder, options.signInDomains ?? new SignInDomains()),
    ...devMethods(node, evm),
  };
}

/** Who a session token stands for on this node now (its committed state): RpcServerOptions.authenticate. */
export function sessionAuthenticator(node: Node, clock: () => number = Date.now): (token: string) => Caller | undefined {
  const resolver = new TokenResolver();
  return (token) => node.readCommitted((tx) => resolver.resolve(tx, token, Math.floor(clock() / 1000)));
}
