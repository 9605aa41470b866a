// A ledger storage whose writes a test can hold open: while held, every write waits until
// the test releases it, as a slow disk would. Used to show that nothing is acknowledged or
// committed before it is durable.
import { MemoryLedgerStorage } from '../../core/host/memory-storage.js';
import type { LedgerStorage, StoredEntry } from '../../core/ledger/storage.js';

export class HeldStorage implements LedgerStorage {
  private gate: { promise: Promise<void>; open: () => void } | undefined;
  /** the highest seqno a held write is waiting to store (0: none has been held) */
  heldUpTo = 0;

  constructor(private readonly inner: LedgerStorage = new MemoryLedgerStorage()) {}

  get durable(): boolean {
    return this.inner.durable;
  }

  /** Writes from now on wait until `release()`. */
  hold(): void {
    if (this.gate) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
  }

  /** Let held writes (and later ones) complete. */
  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  async write(entries: readonly StoredEntry[]): Promise<void> {
    const gate = this.gate;
    if (gate) {
      for (const e of entries) this.heldUpTo = Math.max(this.heldUpTo, e.seqno);
      await gate.promise;
    }
    await this.inner.write(entries);
  }

  read(from: number, to: number): Promise<StoredEntry[]> {
    return this.inner.read(from, to);
  }

  scan(from?: number): AsyncIterable<StoredEntry> {
    return this.inner.scan(from);
  }

  truncate(lastKept: number): Promise<void> {
    return this.inner.truncate(lastKept);
  }

  close(): Promise<void> {
    this.release();
    return this.inner.close();
  }
}
