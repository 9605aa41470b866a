// A caller's view of sealed blocks: the chain as if only the transactions and logs it may
// see existed. Indices, cumulative gas and log indices are counted over what the caller
// sees, so neither a gap in them nor a block total tells it about anyone else's activity.
import type { BlockRecord, LogRecord, ReceiptRecord, TxRecord } from '../tables.js';
import type { SealedBlockFacts, TransactionFacts } from './block-facts.js';
import type { Reader } from './reader.js';

export interface VisibleLog {
  log: LogRecord;
  /** in the caller's view of the block */
  logIndex: number;
  /** among its transaction's logs */
  position: number;
}

/**
 * A transaction in a caller's view: one it may see, or one only some of whose logs it may
 * see (a public event of a private call: the log names its transaction hash and index).
 */
export interface ViewedTransaction {
  hash: Uint8Array;
  record: TxRecord;
  receipt: ReceiptRecord;
  /** the transaction itself, its input and receipt, are the caller's to see */
  visible: boolean;
  /** position in the caller's view of the block */
  index: number;
  /** gas of the visible transactions of the view up to and including this one */
  cumulativeGasUsed: bigint;
  logs: VisibleLog[];
}

export interface BlockView {
  block: BlockRecord;
  transactions: ViewedTransaction[];
  /** gas of the visible transactions */
  gasUsed: bigint;
}

/** The caller's view of `block`, whose transactions' facts are `facts` (block-facts.ts). */
export async function blockView(reader: Reader, block: BlockRecord, facts: TransactionFacts[]): Promise<BlockView> {
  const transactions: ViewedTransaction[] = [];
  let gasUsed = 0n;
  let logIndex = 0;
  for (const tx of facts) {
    // (most answers need no contract asked: await only those that do)
    const seen = reader.seesTransaction(tx);
    const visible = seen === true || (seen !== false && (await seen));
    const logs: VisibleLog[] = [];
    for (const [position, log] of tx.logs.entries()) {
      const shown = reader.seesLog(log, tx.from);
      if (shown === true || (shown !== false && (await shown))) logs.push({ log: log.log, logIndex: logIndex++, position });
    }
    if (visible || logs.length > 0) {
      if (visible) gasUsed += tx.receipt.gasUsed;
      transactions.push({ hash: tx.hash, record: tx.record, receipt: tx.receipt, visible, index: transactions.length, cumulativeGasUsed: gasUsed, logs });
    }
  }
  return { block, transactions, gasUsed };
}

/**
 * The entry of the transaction at `position` in the caller's view of its block, as
 * blockView would number it, without passing over the block's shared transactions where
 * the caller's relation to them is known without asking: an auditor sees all, a user all
 * the shared ones, a caller who reads as no one none of them.
 */
export async function entryAt(reader: Reader, block: BlockRecord, facts: SealedBlockFacts, position: number): Promise<ViewedTransaction | undefined> {
  const tx = facts.txs[position]!;
  if (reader.auditor) {
    return { hash: tx.hash, record: tx.record, receipt: tx.receipt, visible: true, index: position, cumulativeGasUsed: tx.receipt.cumulativeGasUsed, logs: tx.logs.map((l, i) => ({ log: l.log, logIndex: tx.receipt.firstLogIndex + i, position: i })) };
  }
  const sharedSeen = reader.user ? true : reader.identities.length === 0 ? false : undefined;
  if (sharedSeen === undefined) return (await blockView(reader, block, facts.txs.slice(0, position + 1))).transactions.find((t) => t.hash === tx.hash);
  const base = sharedSeen ? facts.before[position]! : { count: 0, gas: 0n, logs: 0 };
  // The others before it, as blockView counts them.
  const earlier = await blockView(reader, block, facts.others.filter((q) => q < position).map((q) => facts.txs[q]!));
  const index = base.count + earlier.transactions.length;
  let gas = base.gas + earlier.gasUsed;
  let logIndex = base.logs + earlier.transactions.reduce((n, t) => n + t.logs.length, 0);
  let visible: boolean;
  let logs: VisibleLog[];
  if (facts.shared[position]) {
    if (!sharedSeen) return undefined;
    visible = true;
    logs = tx.logs.map((l, at) => ({ log: l.log, logIndex: logIndex++, position: at }));
  } else {
    const seen = reader.seesTransaction(tx);
    visible = seen === true || (seen !== false && (await seen));
    logs = [];
    for (const [at, log] of tx.logs.entries()) {
      const shown = reader.seesLog(log, tx.from);
      if (shown === true || (shown !== false && (await shown))) logs.push({ log: log.log, logIndex: logIndex++, position: at });
    }
    if (!visible && logs.length === 0) return undefined;
  }
  if (visible) gas += tx.receipt.gasUsed;
  return { hash: tx.hash, record: tx.record, receipt: tx.receipt, visible, index, cumulativeGasUsed: gas, logs };
}
