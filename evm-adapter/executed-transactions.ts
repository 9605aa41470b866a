// Which transactions this node has executed since a point (eth_newPendingTransactionFilter):
// a cursor is a position in the chain of executed transactions, (block, index), read from
// the node's current state, so transactions count from when they execute here, before they
// commit; the caller is shown only those it may see (EvmService.transaction).
import type { ReadOnlyTransaction } from '../core/kv/read-only.js';
import type { Caller } from './access/caller.js';
import type { EvmService } from './service.js';
import { BLOCK_TXS, blockTxKey, BLOCKS, HEAD, PENDING_BLOCK } from './tables.js';

/** The position of the next transaction to execute. */
export interface TxCursor {
  block: number;
  index: number;
}

/** At most this many transactions are read per poll; the rest wait for the next one. */
const MAX_PER_POLL = 10_000;

function nextPosition(tx: ReadOnlyTransaction): TxCursor {
  const open = tx.map(PENDING_BLOCK).get(0);
  if (open) return { block: open.number, index: open.txCount };
  const head = tx.map(HEAD).get(0);
  return { block: head ? head.number + 1 : 0, index: 0 };
}

/** Where the executed transactions end now. */
export function executedCursor(evm: EvmService): TxCursor {
  return evm.node.readPending(nextPosition);
}

/** The hashes of the transactions executed from `from` on that `caller` may see, and the cursor after them. */
export async function executedSince(evm: EvmService, from: TxCursor, caller: Caller): Promise<{ hashes: Uint8Array[]; next: TxCursor }> {
  const { executed, next } = evm.node.readPending((tx) => {
    const end = nextPosition(tx);
    const executed: Uint8Array[] = [];
    let at = { ...from };
    while ((at.block < end.block || (at.block === end.block && at.index < end.index)) && executed.length < MAX_PER_POLL) {
      const count = at.block < end.block ? (tx.map(BLOCKS).get(at.block)?.txCount ?? 0) : end.index;
      if (at.index >= count) {
        at = { block: at.block + 1, index: 0 };
        continue;
      }
      const hash = tx.map(BLOCK_TXS).get(blockTxKey(at.block, at.index));
      if (hash) executed.push(hash);
      at = { block: at.block, index: at.index + 1 };
    }
    return { executed, next: at };
  });
  const hashes: Uint8Array[] = [];
  for (const hash of executed) if (await evm.transaction(hash, caller)) hashes.push(hash);
  return { hashes, next };
}
