// web3_*, net_* and ccevm_* methods: who this node is and where it stands.
import type { Node } from '../../core/node/node.js';
import { formatTxID } from '../../core/kv/txid.js';
import type { EvmService } from '../../evm-adapter/service.js';
import { positional } from '../hex.js';
import type { Method } from './eth.js';

export const VERSION = '0.1.0';

export function nodeMethods(node: Node, evm: EvmService): Record<string, Method> {
  const txidOf = (seqno: number) => formatTxID(node.ledger.txidAt(seqno) ?? { view: 0, seqno: 0 });
  return {
    web3_clientVersion: (p) => (positional(p, 0, 0), `ccevm/v${VERSION}/${process.platform}-${process.arch}/node${process.versions.node}`),
    net_version: (p) => (positional(p, 0, 0), evm.chainId.toString()),
    net_listening: (p) => (positional(p, 0, 0), true),
    net_peerCount: (p) => (positional(p, 0, 0), '0x0'),
    ccevm_nodeInfo: (p) => {
      positional(p, 0, 0);
      return {
        nodeId: node.nodeId,
        role: 'primary',
        view: node.store.view,
        lastSigned: txidOf(node.lastSigned),
        lastCommitted: txidOf(node.committed),
        version: VERSION,
        serviceCertificate: node.serviceCertificate,
      };
    },
  };
}
