// Ledger entries in memory: for the deterministic simulator and for tests that are not
// about disks. Nothing survives the process.
import type { LedgerStorage, StoredEntry } from '../ledger/storage.js';

export class MemoryLedgerStorage implements LedgerStorage {
  readonly durable = false;
  private readonly entries = new Map<number, Uint8Array>();

  async write(entries: readonly StoredEntry[]): Promise<void> {
    for (const e of entries) this.entries.set(e.seqno, e.bytes);
  }

  async read(from: number, to: number): Promise<StoredEntry[]> {
    const out: StoredEntry[] = [];
    for (let s = from; s <= to; s++) {
      const bytes = this.entries.get(s);
      if (bytes) out.push({ seqno: s, bytes });
    }
    return out;
  }

  async *scan(from = 1): AsyncIterable<StoredEntry> {
    const seqnos = [...this.entries.keys()].filter((s) => s >= from).sort((a, b) => a - b);
    for (const seqno of seqnos) yield { seqno, bytes: this.entries.get(seqno)! };
  }

  async truncate(lastKept: number): Promise<void> {
    for (const s of [...this.entries.keys()]) if (s > lastKept) this.entries.delete(s);
  }

  async close(): Promise<void> {}
}
