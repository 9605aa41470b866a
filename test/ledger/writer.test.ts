// The ledger writer's storage operations keep the order they were asked in: a truncation
// or a reset to a snapshot never races the write of the entries that replace what it
// removes, even while an earlier write is still in flight.
import { strict as assert } from 'node:assert';
import { MemoryLedgerStorage } from '../../core/host/memory-storage.js';
import { LedgerWriter } from '../../core/ledger/writer.js';
import type { StoredEntry } from '../../core/ledger/storage.js';

/** Memory storage whose writes take a while, recording the order of operations. */
class SlowStorage extends MemoryLedgerStorage {
  readonly log: string[] = [];
  override async write(entries: readonly StoredEntry[]): Promise<void> {
    await new Promise((r) => setTimeout(r, 20));
    this.log.push(`write ${entries.map((e) => e.seqno).join(',')}`);
    await super.write(entries);
  }
  override async truncate(lastKept: number): Promise<void> {
    this.log.push(`truncate ${lastKept}`);
    await super.truncate(lastKept);
  }
}

const entry = (seqno: number, tag: string): StoredEntry => ({ seqno, bytes: new TextEncoder().encode(`${tag}${seqno}`) });

async function contents(storage: MemoryLedgerStorage): Promise<string[]> {
  const out: string[] = [];
  for await (const e of storage.scan(1)) out.push(new TextDecoder().decode(e.bytes));
  return out;
}

describe('ledger / writer ordering', () => {
  it('a truncation during a write does not remove the entries that replace the truncated ones', async () => {
    const storage = new SlowStorage();
    const writer = new LedgerWriter(storage);
    for (let s = 1; s <= 5; s++) writer.enqueue(entry(s, 'old'), s === 5);
    await new Promise((r) => setImmediate(r)); // the write of 1..5 is in flight
    const truncated = writer.truncate(3);
    writer.enqueue(entry(4, 'new'), false);
    writer.enqueue(entry(5, 'new'), true);
    await truncated;
    await writer.flush();
    assert.deepEqual(await contents(storage), ['old1', 'old2', 'old3', 'new4', 'new5'], storage.log.join('; '));
    assert.equal(writer.written, 5);
  });

  it('a reset to a snapshot persists it first, then clears storage, then writes what follows', async () => {
    const storage = new SlowStorage();
    const writer = new LedgerWriter(storage);
    for (let s = 1; s <= 4; s++) writer.enqueue(entry(s, 'old'), s === 4);
    await new Promise((r) => setImmediate(r));
    const done = writer.reset(10, async () => {
      storage.log.push('persist snapshot');
    });
    writer.enqueue(entry(11, 'new'), false);
    writer.enqueue(entry(12, 'new'), true);
    await done;
    await writer.flush();
    assert.deepEqual(await contents(storage), ['new11', 'new12']);
    assert.deepEqual(storage.log, ['write 1,2,3,4', 'persist snapshot', 'truncate 0', 'write 11,12']);
    assert.equal(writer.written, 12);
  });
});
