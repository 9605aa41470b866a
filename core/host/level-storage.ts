// Ledger entries in a `level` database, keyed by big-endian seqno. Writes use one chained
// batch per group commit; with `sync` the batch is fsync'd before it resolves.
import { Level } from 'level';
import type { LedgerStorage, StoredEntry } from '../ledger/storage.js';

type DB = Level<Uint8Array, Uint8Array>;

function seqnoKey(seqno: number): Uint8Array {
  const key = new Uint8Array(8);
  new DataView(key.buffer).setBigUint64(0, BigInt(seqno));
  return key;
}

function keySeqno(key: Uint8Array): number {
  return Number(new DataView(key.buffer, key.byteOffset, 8).getBigUint64(0));
}

export class LevelLedgerStorage implements LedgerStorage {
  private constructor(
    private readonly db: DB,
    readonly durable: boolean,
  ) {}

  static async open(path: string, options: { sync: boolean }): Promise<LevelLedgerStorage> {
    const db: DB = new Level(path, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    return new LevelLedgerStorage(db, options.sync);
  }

  async write(entries: readonly StoredEntry[]): Promise<void> {
    const batch = this.db.batch();
    for (const e of entries) batch.put(seqnoKey(e.seqno), e.bytes);
    await batch.write({ sync: this.durable });
  }

  async read(from: number, to: number): Promise<StoredEntry[]> {
    if (from === to) {
      // Point reads (receipts) are several times cheaper than opening an iterator.
      const bytes = await this.db.get(seqnoKey(from));
      return bytes === undefined ? [] : [{ seqno: from, bytes }];
    }
    const out: StoredEntry[] = [];
    for await (const [key, value] of this.db.iterator({ gte: seqnoKey(from), lte: seqnoKey(to) })) {
      out.push({ seqno: keySeqno(key), bytes: value });
    }
    return out;
  }

  async *scan(from = 1): AsyncIterable<StoredEntry> {
    for await (const [key, value] of this.db.iterator({ gte: seqnoKey(from) })) {
      yield { seqno: keySeqno(key), bytes: value };
    }
  }

  async truncate(lastKept: number): Promise<void> {
    await this.db.clear({ gt: seqnoKey(lastKept) });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
