// The EVM's state and history as KV maps. All private: encrypted in the ledger like any
// other application data; who may read what is decided by the RPC layer's policy.
import { binaryCodec, bytesCodec, uintCodec } from '../core/kv/codec.js';
import { defineMap } from '../core/kv/map-def.js';

/** address (20 B) -> RLP account [nonce, balance, storageRoot, codeHash] */
export const ACCOUNTS = defineMap('evm.accounts', bytesCodec, bytesCodec);
/** code hash (32 B) -> bytecode */
export const CODE = defineMap('evm.code', bytesCodec, bytesCodec);
/** address (20 B) || slot (32 B) -> value without leading zeros */
export const STORAGE = defineMap('evm.storage', bytesCodec, bytesCodec);

export type TxRecord = {
  /** the signed transaction as submitted */
  raw: Uint8Array;
  from: Uint8Array;
  /** recipient; null for a contract creation (kept so receipts need not decode `raw`) */
  to: Uint8Array | null;
  block: number;
  index: number;
};
export const TRANSACTIONS = defineMap('evm.transactions', bytesCodec, binaryCodec<TxRecord>());

/** [address, topics, data] */
export type LogRecord = [Uint8Array, Uint8Array[], Uint8Array];

export type ReceiptRecord = {
  /** EIP-2718 transaction type */
  type: number;
  status: 0 | 1;
  gasUsed: bigint;
  cumulativeGasUsed: bigint;
  effectiveGasPrice: bigint;
  contractAddress: Uint8Array | null;
  logs: LogRecord[];
  /** block-wide index of the first log */
  firstLogIndex: number;
  /** indices of the logs anyone may see (event rule Everyone, access/event-rules.ts), fixed at execution */
  publicLogs: number[];
  /** 32 random bytes the log leaves of the Ethereum claims are salted from (receipts/claims.ts); absent without logs */
  logSalt?: Uint8Array;
};
export const RECEIPTS = defineMap('evm.receipts', bytesCodec, binaryCodec<ReceiptRecord>());

/** block number (8 B) || index in block (4 B) -> transaction hash */
export const BLOCK_TXS = defineMap('evm.block_txs', bytesCodec, bytesCodec);

export function blockTxKey(block: number, index: number): Uint8Array {
  const key = new Uint8Array(12);
  const view = new DataView(key.buffer);
  view.setBigUint64(0, BigInt(block));
  view.setUint32(8, index);
  return key;
}

export type BlockRecord = {
  number: number;
  hash: Uint8Array;
  parentHash: Uint8Array;
  /** seconds */
  timestamp: number;
  /** of every transaction (never shown: a caller sees its view's, the header says 0) */
  gasUsed: bigint;
  gasLimit: bigint;
  baseFeePerGas: bigint;
  txCount: number;
  /**
   * The ledger seqno of each transaction, by index: where its ledger receipt is. Kept here
   * because a store restored from a snapshot holds every key as written at the snapshot.
   */
  txSeqnos: number[];
  /** the header's: over the logs anyone may see */
  logsBloom: Uint8Array;
  /** over every log, to find them (never shown) */
  allLogsBloom: Uint8Array;
  transactionsRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  /** the ledger's Merkle root over everything before the block was sealed */
  stateRoot: Uint8Array;
  /** header RLP, as hashed */
  header: Uint8Array;
};
export const BLOCKS = defineMap('evm.blocks', uintCodec, binaryCodec<BlockRecord>());
/** block hash -> block number */
export const BLOCK_HASHES = defineMap('evm.block_hashes', bytesCodec, uintCodec);

/** The block being filled: created by its first transaction, sealed before a signature. */
export type PendingBlock = {
  number: number;
  timestamp: number;
  txCount: number;
  gasUsed: bigint;
  logCount: number;
  /** fixed from the EVM policy when the block opens: a vote changes the next block's */
  baseFeePerGas: bigint;
  gasLimit: bigint;
};
export const PENDING_BLOCK = defineMap('evm.pending_block', uintCodec, binaryCodec<PendingBlock>());

/** The last sealed block: key 0. */
export type Head = { number: number; hash: Uint8Array; timestamp: number };
export const HEAD = defineMap('evm.head', uintCodec, binaryCodec<Head>());
