// A caller's view of sealed blocks: the chain as if only the transactions and logs it may
// see existed. Indices, cumulative gas and log indices are counted over what the caller
// sees, so neither a gap in them nor a block total tells it about anyone else's activity.
import type { BlockRecord, LogRecord, ReceiptRecord, TxRecord } from '../tables.js';
import type { TransactionFacts } from './block-facts.js';
import type { Reader } from './reader.js';

export interface VisibleLog {
  log: LogRecord;
  /** in the caller's view of the block */
  logIndex: number;
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

/** The caller's view of `block`, whose transactions' facts are `facts` (block-facts.ts); of its first `count` only, if given. */
export async function blockView(reader: Reader, block: BlockRecord, facts: TransactionFacts[], count = facts.length): Promise<BlockView> {
  const transactions: ViewedTransaction[] = [];
  let gasUsed = 0n;
  let logIndex = 0;
  for (const tx of facts.slice(0, count)) {
    // (most answers need no contract asked: await only those that do)
    const seen = reader.seesTransaction(tx);
    const visible = seen === true || (seen !== false && (await seen));
    const logs: VisibleLog[] = [];
    for (const log of tx.logs) {
      const shown = reader.seesLog(log, tx.from);
      if (shown === true || (shown !== false && (await shown))) logs.push({ log: log.log, logIndex: logIndex++ });
    }
    if (visible || logs.length > 0) {
      if (visible) gasUsed += tx.receipt.gasUsed;
      transactions.push({ hash: tx.hash, record: tx.record, receipt: tx.receipt, visible, index: transactions.length, cumulativeGasUsed: gasUsed, logs });
    }
  }
  return { block, transactions, gasUsed };
}
