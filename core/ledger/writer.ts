// Group commit: entries queue up while one storage write is in flight, then go down
// together in the next one. `durable(seqno)` resolves when the write holding that seqno
// has completed, which is the point at which the node may acknowledge a commit.
import type { LedgerStorage, StoredEntry } from './storage.js';

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
  private writtenSeqno: number;

  constructor(
    private readonly storage: LedgerStorage,
    writtenSeqno = 0,
  ) {
    this.writtenSeqno = writtenSeqno;
  }

  /** Highest seqno whose storage write has completed. */
  get written(): number {
    return this.writtenSeqno;
  }

  enqueue(entry: StoredEntry): void {
    if (this.failure) throw this.failure;
    this.queue.push(entry);
    if (!this.inFlight) this.inFlight = this.drain();
  }

  durable(seqno: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (seqno <= this.writtenSeqno) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ seqno, resolve, reject }));
  }

  /** Wait until everything enqueued so far is written. */
  async flush(): Promise<void> {
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
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.storage.write(batch);
        this.writtenSeqno = batch[batch.length - 1]!.seqno;
        this.wake();
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
