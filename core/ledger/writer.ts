// Group commit: entries queue up while one storage write is in flight, then go down
// together in the next one. `durable(seqno)` resolves when the write holding that seqno
// has completed, which is the point at which the node may acknowledge a commit. Only
// signature entries are commit points, so other entries wait for the next one (or for
// the queue to grow large): one storage write, and one fsync, per signature.
import type { LedgerStorage, StoredEntry } from './storage.js';

/** Entries that may wait for a signature before a write is started anyway. */
const MAX_QUEUED = 4096;

interface Waiter {
  seqno: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class LedgerWriter {
  private queue: StoredEntry[] = [];
  private inFlight: Promise<void> | undefined;
  private waiters: Waiter[] = [];
  private failure: Error | undefined;
  /** a commit point, a flush or a waiter asked for a write */
  private urgent = false;
  private writtenSeqno: number;
  private listener: ((seqno: number) => void) | undefined;

  constructor(
    private readonly storage: LedgerStorage,
    writtenSeqno = 0,
  ) {
    this.writtenSeqno = writtenSeqno;
  }

  /** Told the new written seqno after every storage write. */
  onWritten(listener: (seqno: number) => void): void {
    this.listener = listener;
  }

  /** Highest seqno whose storage write has completed. */
  get written(): number {
    return this.writtenSeqno;
  }

  /** Queue an entry; `commitPoint` (a signature) starts a write now. */
  enqueue(entry: StoredEntry, commitPoint: boolean): void {
    if (this.failure) throw this.failure;
    this.queue.push(entry);
    if (commitPoint || this.queue.length >= MAX_QUEUED) this.startDrain();
  }

  /** Write everything queued, now (also what does not end on a commit point). */
  private startDrain(): void {
    this.urgent = true;
    if (!this.inFlight && this.queue.length > 0) this.inFlight = this.drain();
  }

  durable(seqno: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (seqno <= this.writtenSeqno) return Promise.resolve();
    const waiting = new Promise<void>((resolve, reject) => this.waiters.push({ seqno, resolve, reject }));
    this.startDrain();
    return waiting;
  }

  /** Wait until everything enqueued so far is written. */
  async flush(): Promise<void> {
    this.startDrain();
    while (this.inFlight) await this.inFlight;
    if (this.failure) throw this.failure;
  }

  /** Drop queued and stored entries after `lastKept` (rollback of an unsigned suffix). */
  async truncate(lastKept: number): Promise<void> {
    this.queue = this.queue.filter((e) => e.seqno <= lastKept);
    while (this.inFlight) await this.inFlight;
    await this.storage.truncate(lastKept);
    if (this.writtenSeqno > lastKept) this.writtenSeqno = lastKept;
  }

  private async drain(): Promise<void> {
    // Let the current synchronous burst of commits join the batch.
    await Promise.resolve();
    try {
      while (this.urgent && this.queue.length > 0) {
        // Entries arriving during this write wait for their own signature (or flush).
        this.urgent = false;
        const batch = this.queue;
        this.queue = [];
        await this.storage.write(batch);
        this.writtenSeqno = batch[batch.length - 1]!.seqno;
        this.wake();
        this.listener?.(this.writtenSeqno);
      }
    } catch (e) {
      this.failure = e instanceof Error ? e : new Error(String(e));
      for (const w of this.waiters) w.reject(this.failure);
      this.waiters = [];
    } finally {
      this.inFlight = undefined;
    }
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => w.seqno <= this.writtenSeqno);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seqno > this.writtenSeqno);
    for (const w of ready) w.resolve();
  }
}
