// What a sealed block's transactions and logs are, for the read policy, whoever asks: each
// transaction's sender, the class of the contract it called or created, and each log's
// rule and contract class. A sealed block never changes, and classes change only with
// the members' marks (or code appearing at an address), so this is computed once per
// block and marks fingerprint and kept for the callers after; each caller's pass over it
// (reader.ts) is then a few comparisons per transaction.
import type { BlockContext } from '../blocks.js';
import { bytesToHex } from '@ethereumjs/util';
import type { ReadOnlyTransaction } from '../../core/kv/read-only.js';
import type { Queries } from '../queries.js';
import { RECEIPTS, TRANSACTIONS, type BlockRecord, type LogRecord, type ReceiptRecord, type TxRecord } from '../tables.js';
import type { ContractProbe } from './contract-probe.js';
import { classify, eventRuleOf, marksFingerprint, type ContractClass } from './contract-rules.js';
import { topicAddress } from './event-rules.js';

export interface LogFacts {
  log: LogRecord;
  rule: number;
  contract: ContractClass;
  /** the addresses in topics 1..3, where they hold one */
  holders: (string | undefined)[];
}

export interface TransactionFacts {
  hash: Uint8Array;
  record: TxRecord;
  receipt: ReceiptRecord;
  from: string;
  /** the contract called or created (an account class for a transfer); undefined for a failed creation */
  target: ContractClass | undefined;
  logs: LogFacts[];
}

/**
 * A sealed block's facts. A transaction is `shared` when every user sees it whole (it
 * called or created a public contract, and each of its logs follows the contract-level
 * rule of a public contract): then a user's view of the block is the shared ones plus the
 * few others it may see, and a receipt's place in that view is counted from `before`
 * without passing over the shared ones (views.ts).
 */
export interface SealedBlockFacts {
  txs: TransactionFacts[];
  shared: boolean[];
  /** per position: count, gas and logs of the shared transactions before it */
  before: { count: number; gas: bigint; logs: number }[];
  /** positions of the transactions that are not shared */
  others: number[];
}

const CACHED_BLOCKS = 256;

function isShared(tx: TransactionFacts): boolean {
  return tx.target?.kind === 'public' && tx.logs.every((l) => l.rule === 0 && l.contract.kind === 'public');
}

function sealedFacts(txs: TransactionFacts[]): SealedBlockFacts {
  const shared = txs.map(isShared);
  const before: SealedBlockFacts['before'] = [];
  const others: number[] = [];
  let count = 0;
  let gas = 0n;
  let logs = 0;
  txs.forEach((tx, i) => {
    before.push({ count, gas, logs });
    if (shared[i]) {
      count++;
      gas += tx.receipt.gasUsed;
      logs += tx.logs.length;
    } else others.push(i);
  });
  return { txs, shared, before, others };
}

export class BlockFacts {
  /** (promises: the many receipt polls that follow a block's commit wait for one classification) */
  private readonly cache = new Map<string, Promise<SealedBlockFacts>>();

  constructor(
    private readonly queries: Queries,
    private readonly probe: ContractProbe,
  ) {}

  of(snapshot: ReadOnlyTransaction, block: BlockRecord, context: () => BlockContext): Promise<SealedBlockFacts> {
    const key = `${block.number}|${bytesToHex(block.hash)}|${marksFingerprint(snapshot)}`;
    let facts = this.cache.get(key);
    if (!facts) {
      if (this.cache.size >= CACHED_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
      facts = this.classify(snapshot, block, context);
      this.cache.set(key, facts);
      facts.catch(() => this.cache.delete(key));
    }
    return facts;
  }

  private async classify(snapshot: ReadOnlyTransaction, block: BlockRecord, context: () => BlockContext): Promise<SealedBlockFacts> {
    const txs = snapshot.map(TRANSACTIONS);
    const receipts = snapshot.map(RECEIPTS);
    const facts: TransactionFacts[] = [];
    for (const hash of this.queries.blockTransactionHashes(snapshot, block.number)) {
      facts.push(await this.transaction(snapshot, context, hash, txs.get(hash)!, receipts.get(hash)!));
    }
    return sealedFacts(facts);
  }

  /** One transaction's facts (also for a pending one, which is not cached). */
  async transaction(snapshot: ReadOnlyTransaction, context: () => BlockContext, hash: Uint8Array, record: TxRecord, receipt: ReceiptRecord | undefined): Promise<TransactionFacts> {
    const classes = new Map<string, ContractClass>();
    const classOf = (address: Uint8Array) => {
      const key = bytesToHex(address);
      let found = classes.get(key);
      if (!found) classes.set(key, (found = classify(snapshot, this.probe, address)));
      return found;
    };
    const target = record.to ?? receipt?.contractAddress ?? undefined;
    const logs: LogFacts[] = [];
    for (const log of receipt?.logs ?? []) {
      logs.push({ log, rule: await eventRuleOf(snapshot, this.probe, context, log), contract: classOf(log[0]), holders: [1, 2, 3].map((i) => topicAddress(log[1][i])) });
    }
    return { hash, record, receipt: receipt!, from: bytesToHex(record.from), target: target && classOf(target), logs };
  }
}
