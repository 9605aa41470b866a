// web3_*, net_* and ccevm_* methods: who this node is and where it stands.
import type { Node } from '../../core/node/node.js';
import { formatTxID, parseTxID } from '../../core/kv/txid.js';
import { invalidParams } from '../../evm-adapter/errors.js';
import type { EvmService } from '../../evm-adapter/service.js';
import type { Forwarder } from '../forwarder.js';
import { positional, quantity } from '../hex.js';
import type { Method } from './eth.js';

export const VERSION = '0.1.0';

export function nodeMethods(node: Node, evm: EvmService, forwarder: Forwarder): Record<string, Method> {
  const txidOf = (seqno: number) => formatTxID(node.txidAt(seqno) ?? { view: 0, seqno: 0 });
  return {
    web3_clientVersion: (p) => (positional(p, 0, 0), `ccevm/v${VERSION}/${process.platform}-${process.arch}/node${process.versions.node}`),
    net_version: (p) => (positional(p, 0, 0), evm.chainId.toString()),
    net_listening: (p) => (positional(p, 0, 0), true),
    net_peerCount: (p) => (positional(p, 0, 0), quantity(node.connectedPeers)),
    ccevm_nodeInfo: (p) => {
      positional(p, 0, 0);
      return {
        nodeId: node.nodeId,
        role: node.role,
        primaryRpc: node.primaryRpcAddress() ?? null,
        view: node.view,
        lastSigned: txidOf(node.lastSigned),
        lastCommitted: txidOf(node.committed),
        version: VERSION,
        serviceCertificate: node.serviceCertificate,
      };
    },
    /** CCF's transaction status for any view.seqno: Unknown, Pending, Committed or Invalid. */
    ccevm_getTransactionStatus: (p) => {
      const [txid] = positional(p, 1, 1);
      let parsed;
      try {
        parsed = parseTxID(String(txid));
      } catch (e) {
        throw invalidParams((e as Error).message);
      }
      return { txid: formatTxID(parsed), status: node.status(parsed) };
    },
    /** A new node asks to join (see core/node/join.ts); any node takes the request to the primary. */
    ccevm_joinNetwork: (p) => {
      const [request] = positional(p, 1, 1);
      return forwarder.joinNetwork(request);
    },
  };
}
