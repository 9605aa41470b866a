// Reads of EVM history and state from a KV snapshot. Nothing here executes code.
import type { Common } from '@ethereumjs/common';
import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import { createAccountFromRLP, KECCAK256_NULL } from '@ethereumjs/util';
import type { ReadOnlyTransaction } from '../core/kv/read-only.js';
import { equalBytes } from '../core/util/bytes.js';
import { Bloom } from '@ethereumjs/vm';
import { ACCOUNTS, BLOCK_HASHES, BLOCK_TXS, BLOCKS, blockTxKey, CODE, HEAD, RECEIPTS, TRANSACTIONS, type BlockRecord, type TxRecord } from './tables.js';

export interface TransactionView {
  hash: Uint8Array;
  record: TxRecord;
  tx: TypedTransaction;
  /** undefined while the transaction's block is not sealed */
  blockHash: Uint8Array | undefined;
  blockTimestamp: number | undefined;
}

export interface LogView {
  address: Uint8Array;
  topics: Uint8Array[];
  data: Uint8Array;
  blockNumber: number;
  blockHash: Uint8Array;
  transactionHash: Uint8Array;
  transactionIndex: number;
  logIndex: number;
}

export interface LogFilter {
  fromBlock: number;
  toBlock: number;
  /** any of these addresses (all when empty) */
  addresses: Uint8Array[];
  /** per position: null for any, or any of the listed topics */
  topics: (Uint8Array[] | null)[];
}

export class Queries {
  constructor(private readonly common: Common) {}

  head(tx: ReadOnlyTransaction): BlockRecord | undefined {
    const head = tx.map(HEAD).get(0);
    return head ? tx.map(BLOCKS).get(head.number) : undefined;
  }

  block(tx: ReadOnlyTransaction, number: number): BlockRecord | undefined {
    return tx.map(BLOCKS).get(number);
  }

  blockByHash(tx: ReadOnlyTransaction, hash: Uint8Array): BlockRecord | undefined {
    const number = tx.map(BLOCK_HASHES).get(hash);
    return number === undefined ? undefined : this.block(tx, number);
  }

  blockTransactionHashes(tx: ReadOnlyTransaction, number: number): Uint8Array[] {
    const count = this.block(tx, number)?.txCount ?? 0;
    const byIndex = tx.map(BLOCK_TXS);
    return Array.from({ length: count }, (_, index) => byIndex.get(blockTxKey(number, index))!);
  }

  transaction(tx: ReadOnlyTransaction, hash: Uint8Array): TransactionView | undefined {
    const record = tx.map(TRANSACTIONS).get(hash);
    if (!record) return undefined;
    const block = this.block(tx, record.block);
    return {
      hash,
      record,
      tx: createTxFromRLP(record.raw, { common: this.common }),
      blockHash: block?.hash,
      blockTimestamp: block?.timestamp,
    };
  }

  /** A receipt exists only once its block is sealed in the snapshot read. */
  hasReceipt(tx: ReadOnlyTransaction, hash: Uint8Array): boolean {
    const record = tx.map(TRANSACTIONS).get(hash);
    return record !== undefined && this.block(tx, record.block) !== undefined && tx.map(RECEIPTS).has(hash);
  }

  /** The blocks of the filter's range whose logs may match it (by the bloom of all their logs). */
  *blocksMayMatch(tx: ReadOnlyTransaction, filter: LogFilter): Generator<BlockRecord> {
    for (let n = filter.fromBlock; n <= filter.toBlock; n++) {
      const block = this.block(tx, n);
      if (!block) return;
      if (block.txCount === 0 || !bloomMayMatch(new Bloom(block.allLogsBloom, this.common), filter)) continue;
      yield block;
    }
  }

  balance(tx: ReadOnlyTransaction, address: Uint8Array): bigint {
    const raw = tx.map(ACCOUNTS).get(address);
    return raw ? createAccountFromRLP(raw).balance : 0n;
  }

  nonce(tx: ReadOnlyTransaction, address: Uint8Array): bigint {
    const raw = tx.map(ACCOUNTS).get(address);
    return raw ? createAccountFromRLP(raw).nonce : 0n;
  }

  code(tx: ReadOnlyTransaction, address: Uint8Array): Uint8Array {
    const raw = tx.map(ACCOUNTS).get(address);
    if (!raw) return new Uint8Array(0);
    const { codeHash } = createAccountFromRLP(raw);
    if (equalBytes(codeHash, KECCAK256_NULL)) return new Uint8Array(0);
    return tx.map(CODE).get(codeHash) ?? new Uint8Array(0);
  }
}

function bloomMayMatch(bloom: Bloom, filter: LogFilter): boolean {
  if (filter.addresses.length > 0 && !filter.addresses.some((a) => bloom.check(a))) return false;
  return filter.topics.every((alternatives) => !alternatives || alternatives.length === 0 || alternatives.some((t) => bloom.check(t)));
}

export function logMatches(address: Uint8Array, topics: Uint8Array[], filter: LogFilter): boolean {
  if (filter.addresses.length > 0 && !filter.addresses.some((a) => equalBytes(a, address))) return false;
  return filter.topics.every((alternatives, i) => {
    if (!alternatives || alternatives.length === 0) return true;
    const topic = topics[i];
    return topic !== undefined && alternatives.some((t) => equalBytes(t, topic));
  });
}

