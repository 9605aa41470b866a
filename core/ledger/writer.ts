// Group commit: entries queue up while one storage write is in flight, then go down
// together in the next one. `durable(seqno)` resolves when the write holding that seqno
// has completed, which is the point at which the node may acknowledge a commit. Only
// signature entries are commit points, so other entries wait for the next one (or for
// the queue to grow large): one storage write, and one fsync, per signature.
//
// Every storage operation (writes, truncations, the reset to a snapshot) runs through one
// chain, in the order asked for, so a truncation can never race the write of entries
// that replace the ones it removes.
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
  /** the tail of the chain of storage operations */
  private operations: Promise<void> = Promise.resolve();
  /** bumped by truncations and resets: a write begun before one no longer counts */
  private generation = 0;
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

  /** Wait until everything enqueued, truncated or reset so far has reached storage. */
  async flush(): Promise<void> {
    this.startDrain();
    do {
      while (this.inFlight) await this.inFlight;
      await this.operations;
    } while (this.inFlight);
    if (this.failure) throw this.failure;
  }

  /** Drop queued and stored entries after `lastKept` (rollback of an unsigned suffix). */
  truncate(lastKept: number): Promise<void> {
    this.queue = this.queue.filter((e) => e.seqno <= lastKept);
    this.generation++;
    if (this.writtenSeqno > lastKept) this.writtenSeqno = lastKept;
    return this.exclusive(() => this.storage.truncate(lastKept));
  }

  /**
   * Start over after a snapshot at `seqno`: drop every queued and stored entry once
   * `persist` (which stores the snapshot) has completed; entries after `seqno` follow.
   */
  reset(seqno: number, persist: () => Promise<void>): Promise<void> {
    this.queue = [];
    this.generation++;
    this.writtenSeqno = Math.min(this.writtenSeqno, seqno);
    return this.exclusive(async () => {
      await persist();
      await this.storage.truncate(0);
      this.writtenSeqno = seqno;
      this.wake();
    });
  }

  private exclusive(operation: () => Promise<void>): Promise<void> {
    const run = this.operations.then(operation);
    this.operations = run.catch((e: Error) => this.fail(e));
    return run;
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
        const generation = this.generation;
        await this.exclusive(() => this.storage.write(batch));
        if (generation !== this.generation) continue;
        this.writtenSeqno = batch[batch.length - 1]!.seqno;
        this.wake();
        this.listener?.(this.writtenSeqno);
      }
    } catch {
      // exclusive() recorded the failure
    } finally {
      this.inFlight = undefined;
    }
  }

  private fail(e: Error): void {
    this.failure = e instanceof Error ? e : new Error(String(e));
    for (const w of this.waiters) w.reject(this.failure);
    this.waiters = [];
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => w.seqno <= this.writtenSeqno);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seqno > this.writtenSeqno);
    for (const w of ready) w.resolve();
  }
}
