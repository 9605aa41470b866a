// A caller's view of sealed blocks: the chain as if only the transactions and logs it may
// see existed. Indices, cumulative gas and log indices are counted over what the caller
// sees, so neither a gap in them nor a block total tells it about anyone else's activity.
import type { ReadOnlyTransaction } from '../../core/kv/read-only.js';
import type { Queries } from '../queries.js';
import { RECEIPTS, TRANSACTIONS, type BlockRecord, type LogRecord, type ReceiptRecord, type TxRecord } from '../tables.js';
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

export async function blockView(snapshot: ReadOnlyTransaction, queries: Queries, reader: Reader, block: BlockRecord): Promise<BlockView> {
  const transactions: ViewedTransaction[] = [];
  let gasUsed = 0n;
  let logIndex = 0;
  const txs = snapshot.map(TRANSACTIONS);
  const receipts = snapshot.map(RECEIPTS);
  for (const hash of queries.blockTransactionHashes(snapshot, block.number)) {
    const record = txs.get(hash)!;
    const receipt = receipts.get(hash)!;
    const visible = await reader.maySeeTransaction(record, receipt);
    const logs: VisibleLog[] = [];
    for (const log of receipt.logs) if (await reader.maySeeLog(log, record.from)) logs.push({ log, logIndex: logIndex++ });
    if (!visible && logs.length === 0) continue;
    if (visible) gasUsed += receipt.gasUsed;
    transactions.push({ hash, record, receipt, visible, index: transactions.length, cumulativeGasUsed: gasUsed, logs });
  }
  return { block, transactions, gasUsed };
}
