// Blocks: the EVM transactions sealed by one ledger signature. The first EVM transaction
// after a seal opens a pending block (fixing its number and timestamp, which NUMBER and
// TIMESTAMP see); the seal hook, run just before the signature transaction, closes it
// into a block record whose hash and roots never change afterwards.
import { createBlock, type Block } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import { RLP } from '@ethereumjs/rlp';
import type { TransactionType } from '@ethereumjs/tx';
import { Bloom, encodeReceipt } from '@ethereumjs/vm';
import type { ReadOnlyTransaction } from '../core/kv/read-only.js';
import type { Transaction } from '../core/kv/transaction.js';
import { keccak256 } from './common.js';
import { blockTime } from './dev-clock.js';
import type { HeaderBuilder } from './header.js';
import { readPolicy } from './policy.js';
import { BLOCK_HASHES, BLOCK_TXS, BLOCKS, blockTxKey, HEAD, PENDING_BLOCK, RECEIPTS, TRANSACTIONS, type BlockRecord, type LogRecord, type PendingBlock, type ReceiptRecord } from './tables.js';

const ZERO_HASH = new Uint8Array(32);

/** What a block's transactions execute in; the fees are the EVM policy's when the block opened. */
export type BlockContext = Pick<PendingBlock, 'number' | 'timestamp' | 'baseFeePerGas' | 'gasLimit'>;

/** Whole seconds since the epoch, as block timestamps count them. */
export type Clock = () => number;

export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

/**
 * The block new transactions join: the open one, or a fresh one after the head.
 *
 * Timestamps never decrease, but several blocks may share one (as on Arbitrum; Ethereum
 * wants each child strictly later than its parent). A block is sealed by every signature,
 * many times a second under load, so strictly increasing whole seconds would run ahead of
 * the real clock without bound (a busy hour would end days in the future); a timestamp
 * here is the clock reading when the block opened, never earlier than its parent's.
 */
export function pendingBlock(tx: ReadOnlyTransaction, now: number): PendingBlock {
  const open = tx.map(PENDING_BLOCK).get(0);
  if (open) return open;
  const head = tx.map(HEAD).get(0);
  const policy = readPolicy(tx);
  return {
    number: head ? head.number + 1 : 0,
    // (on a development service, the clock as evm_increaseTime moved it: dev-clock.ts)
    timestamp: Math.max(head?.timestamp ?? 0, blockTime(tx, now)),
    txCount: 0,
    gasUsed: 0n,
    logCount: 0,
    baseFeePerGas: policy.baseFeePerGas,
    gasLimit: policy.blockGasLimit,
  };
}

/**
 * The blocks a transaction sent now may land in: the pending block, or, if that is sealed
 * before the transaction arrives, the next one, a second later or more. Gas estimates must
 * hold in both: a contract that stores `block.timestamp` (or `block.number`) pays 100 gas
 * to rewrite the value already there and 2,900 to change it, so an estimate made in the
 * block that last stored it is too low for any later one.
 */
export function landingBlocks(tx: ReadOnlyTransaction, now: number): BlockContext[] {
  const pending = pendingBlock(tx, now);
  const policy = readPolicy(tx);
  return [pending, { number: pending.number + 1, timestamp: pending.timestamp + 1, baseFeePerGas: policy.baseFeePerGas, gasLimit: policy.blockGasLimit }];
}

/**
 * The block context transactions of `pending` execute in, the same for calls, estimates and
 * the executor: coinbase and prevrandao are zero (there are no miners and no randomness
 * beacon), gas limit and base fee are the block's.
 */
export function executionBlock(common: Common, context: BlockContext, freeze = true): Block {
  return createBlock(
    {
      header: {
        number: BigInt(context.number),
        timestamp: BigInt(context.timestamp),
        gasLimit: context.gasLimit,
        baseFeePerGas: context.baseFeePerGas,
      },
    },
    { common, skipConsensusFormatValidation: true, freeze },
  );
}

/**
 * One execution context re-pointed at each new pending block: building a Block copies the
 * chain configuration, which would otherwise cost every small block a third of a
 * millisecond. The number and timestamp differ between pending blocks; the fees only
 * when the members change the policy, and then the block is built anew.
 */
export class ExecutionContext {
  private block: Block | undefined;

  constructor(private readonly common: Common) {}

  for(pending: BlockContext): Block {
    if (!this.block || this.block.header.baseFeePerGas !== pending.baseFeePerGas || this.block.header.gasLimit !== pending.gasLimit) {
      this.block = executionBlock(this.common, pending, false);
    }
    const header = this.block.header as { number: bigint; timestamp: bigint };
    header.number = BigInt(pending.number);
    header.timestamp = BigInt(pending.timestamp);
    return this.block;
  }
}

export function logsBloom(logs: readonly LogRecord[], common?: Common): Bloom {
  const bloom = new Bloom(undefined, common);
  for (const [address, topics] of logs) {
    bloom.add(address);
    for (const topic of topics) bloom.add(topic);
  }
  return bloom;
}

export function receiptBloom(receipt: ReceiptRecord, common?: Common): Bloom {
  return logsBloom(receipt.logs, common);
}

/** The Ethereum receipt encoding (EIP-2718 typed) used for the receipts root; `bloom`, if the caller has it already. */
export function encodeReceiptRecord(receipt: ReceiptRecord, common: Common, bloom = receiptBloom(receipt, common)): Uint8Array {
  return encodeReceipt(
    {
      status: receipt.status,
      cumulativeBlockGasUsed: receipt.cumulativeGasUsed,
      bitvector: bloom.bitvector,
      logs: receipt.logs,
    },
    receipt.type as TransactionType,
  );
}

/**
 * Close the pending block (or an empty one) into a block record. `ledgerRoot` becomes the
 * header's state root: the ledger's Merkle tree, not a state trie, commits to the state.
 *
 * Everyone sees the header, so it carries nothing about private activity: its bloom covers
 * only the logs anyone may see, its gasUsed is 0 (a caller is shown its view's), its gas
 * limit the policy's. The transactions root is keccak256 of the RLP list of transaction
 * hashes; the receipts root of the list of [hash, encoded receipt] pairs, so that no one
 * can confirm a guessed receipt (a status, a gas figure, a transfer's amount) against it
 * without the transaction's hash. ccevm proves inclusion with ledger receipts, not tries.
 */
export function sealBlock(
  tx: Transaction,
  common: Common,
  headers: HeaderBuilder,
  ledgerRoot: Uint8Array,
  now: number,
): BlockRecord {
  const pending = pendingBlock(tx, now);
  const head = tx.map(HEAD).get(0);
  const hashes: Uint8Array[] = [];
  const seqnos: number[] = [];
  const receipts: [Uint8Array, Uint8Array][] = [];
  const bloom = new Bloom(undefined, common);
  const allLogs = new Bloom(undefined, common);
  const byIndex = tx.map(BLOCK_TXS);
  const receiptMap = tx.map(RECEIPTS);
  const txs = tx.map(TRANSACTIONS);
  // Point reads: the pending block counts its transactions, and a range scan would cost
  // in proportion to every transaction ever recorded.
  for (let index = 0; index < pending.txCount; index++) {
    const hash = byIndex.get(blockTxKey(pending.number, index))!;
    hashes.push(hash);
    // Exact here: the pending block's transactions all came after the last signature, so
    // after any snapshot this store was restored from.
    seqnos.push(txs.writtenAt(hash)!);
    const receipt = receiptMap.get(hash)!;
    const all = receiptBloom(receipt, common);
    allLogs.or(all);
    if (receipt.publicLogs.length > 0) bloom.or(logsBloom(receipt.publicLogs.map((i) => receipt.logs[i]!), common));
    receipts.push([hash, encodeReceiptRecord(receipt, common, all)]);
  }
  const gasLimit = pending.gasLimit;
  const transactionsRoot = keccak256(RLP.encode(hashes));
  const receiptsRoot = keccak256(RLP.encode(receipts));
  const header = headers.build({
    parentHash: head?.hash ?? ZERO_HASH,
    number: BigInt(pending.number),
    timestamp: BigInt(pending.timestamp),
    gasLimit,
    gasUsed: 0n,
    baseFeePerGas: pending.baseFeePerGas,
    stateRoot: ledgerRoot,
    transactionsRoot,
    receiptsRoot,
    logsBloom: bloom.bitvector,
  });
  const record: BlockRecord = {
    number: pending.number,
    hash: header.hash,
    parentHash: head?.hash ?? ZERO_HASH,
    timestamp: pending.timestamp,
    gasUsed: pending.gasUsed,
    gasLimit,
    baseFeePerGas: pending.baseFeePerGas,
    txCount: hashes.length,
    txSeqnos: seqnos,
    logsBloom: bloom.bitvector,
    allLogsBloom: allLogs.bitvector,
    transactionsRoot,
    receiptsRoot,
    stateRoot: ledgerRoot,
    header: header.rlp,
  };
  tx.map(BLOCKS).set(record.number, record);
  tx.map(BLOCK_HASHES).set(record.hash, record.number);
  tx.map(HEAD).set(0, { number: record.number, hash: record.hash, timestamp: record.timestamp });
  tx.map(PENDING_BLOCK).delete(0);
  return record;
}
