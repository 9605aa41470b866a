// What is committed, and who is waiting for it: a transaction is committed once the
// signature covering it is replicated to a majority and durable. Waiters resolve when the
// commit index passes them and are rejected when their transaction can never commit (an
// election rolled it back, or the node stopped).
import type { TxID } from '../kv/txid.js';

export type TxStatus = 'Unknown' | 'Pending' | 'Committed' | 'Invalid';

interface Waiter {
  seqno: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class RolledBackError extends Error {
  constructor(readonly seqno: number) {
    super(`transaction at seqno ${seqno} was rolled back by an election`);
    this.name = 'RolledBackError';
  }
}

export class CommitTracker {
  private waiters: Waiter[] = [];

  constructor(
    /** the txid the node's ledger holds at a seqno, if any */
    private readonly txidAt: (seqno: number) => TxID | undefined,
    private committedSeqno = 0,
  ) {}

  /** Seqno up to which everything is committed. */
  get committed(): number {
    return this.committedSeqno;
  }

  status(txid: TxID): TxStatus {
    const at = this.txidAt(txid.seqno);
    if (txid.seqno <= this.committedSeqno) return at && at.view === txid.view ? 'Committed' : 'Invalid';
    if (at && at.view === txid.view) return 'Pending';
    if (at && txid.view < at.view) return 'Invalid';
    return 'Unknown';
  }

  /** Resolves once `txid` is committed; rejects if it never can be. */
  wait(txid: TxID): Promise<void> {
    if (txid.seqno <= this.committedSeqno) {
      return this.status(txid) === 'Committed' ? Promise.resolve() : Promise.reject(new Error(`transaction ${txid.view}.${txid.seqno} is invalid`));
    }
    return new Promise((resolve, reject) => this.waiters.push({ seqno: txid.seqno, resolve, reject }));
  }

  /** Everything up to `seqno` is committed; false if that is no news. */
  advance(seqno: number): boolean {
    if (seqno <= this.committedSeqno) return false;
    this.committedSeqno = seqno;
    const ready = this.waiters.filter((w) => w.seqno <= seqno);
    this.waiters = this.waiters.filter((w) => w.seqno > seqno);
    for (const w of ready) w.resolve();
    return true;
  }

  /** The entries after `after` were dropped: whoever waits for them waits in vain. */
  rolledBack(after: number): void {
    const lost = this.waiters.filter((w) => w.seqno > after);
    this.waiters = this.waiters.filter((w) => w.seqno <= after);
    for (const w of lost) w.reject(new RolledBackError(w.seqno));
  }

  /** Reject every waiter (the node stopped, failed, or replaced its state by a snapshot). */
  failAll(e: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(e);
  }
}
