// BLOCKHASH's view of the chain: block hashes from the KV, through the transaction the
// EVM is executing in.
import type { EVMMockBlockchainInterface } from '@ethereumjs/evm';
import type { ReadOnlyTransaction } from '../core/kv/read-only.js';
import { BLOCKS } from './tables.js';

const ZERO_HASH = new Uint8Array(32);

export class KvBlockchain implements EVMMockBlockchainInterface {
  private tx: ReadOnlyTransaction | undefined;

  bind(tx: ReadOnlyTransaction): void {
    this.tx = tx;
  }

  async getBlock(blockId: number): Promise<{ hash(): Uint8Array }> {
    const hash = this.tx?.map(BLOCKS).get(blockId)?.hash ?? ZERO_HASH;
    return { hash: () => hash };
  }

  async putBlock(): Promise<void> {}

  shallowCopy(): EVMMockBlockchainInterface {
    const copy = new KvBlockchain();
    if (this.tx) copy.bind(this.tx);
    return copy;
  }
}
