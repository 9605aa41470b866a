// eth_getBlockReceipts: the receipts of a block as its caller sees it (access/views.ts): the
// receipts of the transactions it may see, numbered, with cumulative gas and log indices
// counted, as its view of the block numbers them; null for an unknown block.
import type { EvmService } from '../../evm-adapter/service.js';
import { formatReceipt } from '../format.js';
import { parseBlockTag, parseHash, positional } from '../hex.js';
import type { Method } from './eth.js';

const HASH = /^0x[0-9a-fA-F]{64}$/;

export function blockReceiptMethods(evm: EvmService): Record<string, Method> {
  return {
    eth_getBlockReceipts: async (p, caller) => {
      const [at] = positional(p, 1, 1);
      // BlockNumberOrTagOrHash: a hash, plain or as EIP-1898 `{ blockHash }`, or a tag or number
      const hash = typeof at === 'string' && HASH.test(at) ? at : typeof at === 'object' && at !== null && 'blockHash' in at ? (at as { blockHash: unknown }).blockHash : undefined;
      const view = await (hash !== undefined ? evm.blockByHash(parseHash(hash, 'blockHash'), caller) : evm.block(parseBlockTag(at), caller));
      if (!view) return null;
      const { block } = view;
      return view.transactions
        .filter((t) => t.visible)
        .map((entry) => formatReceipt({ entry, block, txid: evm.node.txidAt(block.txSeqnos[entry.record.index]!) }, evm.common));
    },
  };
}
