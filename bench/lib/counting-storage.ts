// A LedgerStorage wrapper that counts and times group-commit writes, so the node
// benchmark can report how many entries each storage write carried and what it cost.
import type { LedgerStorage, StoredEntry } from '../../core/ledger/storage.js';
import { EntryKind } from '../../core/ledger/entry.js';

export class CountingStorage implements LedgerStorage {
  writes = 0;
  entries = 0;
  signatures = 0;
  writeMs = 0;
  writeTimes: number[] = [];

  constructor(private readonly inner: LedgerStorage) {}

  get durable(): boolean {
    return this.inner.durable;
  }

  reset(): void {
    this.writes = 0;
    this.entries = 0;
    this.signatures = 0;
    this.writeMs = 0;
    this.writeTimes = [];
  }

  async write(entries: readonly StoredEntry[]): Promise<void> {
    const t0 = performance.now();
    await this.inner.write(entries);
    const ms = performance.now() - t0;
    this.writes++;
    this.entries += entries.length;
    for (const e of entries) if (e.bytes[1] === EntryKind.Signature) this.signatures++;
    this.writeMs += ms;
    this.writeTimes.push(ms);
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
    return this.inner.close();
  }
}
