// Restarting a node on its data directory: everything committed comes back (values,
// receipts, statuses), new work continues in a higher view, and an unsigned tail left by
// a crash is discarded without ever reusing its transaction ids.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { LevelLedgerStorage } from '../../core/host/level-storage.js';
import { rawMap } from '../../core/kv/map-def.js';
import type { TxID } from '../../core/kv/txid.js';
import { decodeEntry } from '../../core/ledger/entry.js';
import { verifyReceipt, type Receipt } from '../../core/ledger/receipt.js';
import type { LedgerStorage, StoredEntry } from '../../core/ledger/storage.js';
import { Node } from '../../core/node/node.js';
import { fromUtf8, utf8 } from '../../core/util/bytes.js';
import { verifyLedgerReceipt, verifyReceiptEntry } from '../../evm-adapter/receipts/verify-receipt.js';
import { tempDirs } from '../support/tmpdir.js';

const accounts = rawMap('accounts');
const records = rawMap('public:records');
const fmt = (t: TxID) => `${t.view}.${t.seqno}`;

function read(node: Node, map: typeof accounts, key: string): string | undefined {
  return node.readPending((tx) => {
    const v = tx.map(map).get(utf8(key));
    return v === undefined ? undefined : fromUtf8(v);
  });
}

async function put(node: Node, key: string, value: string): Promise<TxID> {
  const { txid } = await node.transact((tx) => {
    tx.map(accounts).set(utf8(key), utf8(value));
    tx.map(records).set(utf8(key), utf8(`public ${value}`));
  });
  return txid!;
}

/**
 * Simulating a crash. `Node.stop()` always emits a final signature, so a clean stop can
 * never leave an unsigned tail. A crash is "the process dies; what the storage had
 * completed is on disk, nothing after it is". This wrapper around the real level storage
 * models exactly that: after `crash()`, writes (the final signature of `stop()`) and
 * truncations are silently lost, as they would be in a dead process. The tail on disk is
 * thus byte for byte what the node's own ledger writer produced, which is more faithful
 * than hand-crafting entries into the database. `stop()` is then only used to release the
 * timers and the database handle.
 */
class CrashableStorage implements LedgerStorage {
  private dead = false;
  private constructor(private readonly inner: LedgerStorage) {}

  static async open(dataDir: string): Promise<CrashableStorage> {
    return new CrashableStorage(await LevelLedgerStorage.open(join(dataDir, 'ledger'), { sync: true }));
  }

  get durable(): boolean {
    return this.inner.durable;
  }

  crash(): void {
    this.dead = true;
  }

  async write(entries: readonly StoredEntry[]): Promise<void> {
    if (!this.dead) await this.inner.write(entries);
  }

  read(from: number, to: number): Promise<StoredEntry[]> {
    return this.inner.read(from, to);
  }

  scan(from?: number): AsyncIterable<StoredEntry> {
    return this.inner.scan(from);
  }

  async truncate(lastKept: number): Promise<void> {
    if (!this.dead) await this.inner.truncate(lastKept);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Start with a crashable storage and a policy that never signs on its own during a test. */
async function startCrashable(dataDir: string, mode: 'create' | 'restart'): Promise<{ node: Node; storage: CrashableStorage }> {
  const storage = await CrashableStorage.open(dataDir);
  const node = await Node[mode]({ dataDir, storage, signatures: { transactions: 1_000_000, milliseconds: 600_000 } });
  return { node, storage };
}

/** Everything handed to storage so far reaches the disk; then the process "dies". */
async function crash(node: Node, storage: CrashableStorage): Promise<void> {
  await node.flushLedger();
  storage.crash();
  await node.stop();
}

/** Raw ledger entries on disk (the node must be stopped). */
async function entriesOnDisk(dataDir: string): Promise<Map<number, Uint8Array>> {
  const db = new Level<Uint8Array, Uint8Array>(join(dataDir, 'ledger'), { keyEncoding: 'view', valueEncoding: 'view' });
  const out = new Map<number, Uint8Array>();
  try {
    for await (const [key, value] of db.iterator()) {
      out.set(Number(new DataView(key.buffer, key.byteOffset, 8).getBigUint64(0)), value);
    }
  } finally {
    await db.close();
  }
  return out;
}

describe('ledger / restart', function () {
  const dirs = tempDirs();
  after(() => dirs.cleanup());

  it('brings back every committed value, receipt and status, and continues in a higher view', async () => {
    const dataDir = await dirs.make('restart');
    let node = await Node.create({ dataDir, signatures: { transactions: 10, milliseconds: 5 } });
    const ids: TxID[] = [];
    for (let i = 0; i < 45; i++) ids.push(await put(node, `k${i}`, `v${i}`));
    await node.waitCommitted(ids[ids.length - 1]!);
    const receipts = new Map<string, Receipt>();
    for (const id of ids) receipts.set(fmt(id), (await node.receipt(id))!);
    const firstView = ids[0]!.view;
    assert.ok(ids.every((id) => id.view === firstView));
    await node.stop();

    node = await Node.restart({ dataDir, signatures: { transactions: 10, milliseconds: 5 } });
    try {
      for (let i = 0; i < 45; i++) {
        assert.equal(read(node, accounts, `k${i}`), `v${i}`);
        assert.equal(read(node, records, `k${i}`), `public v${i}`);
      }
      for (const id of ids) {
        assert.equal(node.status(id), 'Committed', fmt(id));
        const receipt = (await node.receipt(id))!;
        assert.deepEqual(receipt, receipts.get(fmt(id)), `receipt of ${fmt(id)} unchanged`);
        verifyReceipt(receipt, node.serviceCertificate);
        verifyLedgerReceipt(receipt, node.serviceCertificate);
        verifyReceiptEntry(receipt, (await node.readEntry(id.seqno)).bytes);
      }
      assert.equal(node.status({ view: firstView + 1, seqno: ids[3]!.seqno }), 'Invalid', 'a txid in a view that never held it');

      const next = await put(node, 'after restart', 'x');
      assert.ok(next.view > firstView, `view ${next.view} after restart, was ${firstView}`);
      assert.ok(next.seqno > node.committed - 1);
      await node.waitCommitted(next);
      const receipt = (await node.receipt(next))!;
      verifyReceipt(receipt, node.serviceCertificate);
      verifyLedgerReceipt(receipt, node.serviceCertificate);
      verifyReceiptEntry(receipt, (await node.readEntry(next.seqno)).bytes);
      await node.stop();

      // Once more: the view keeps rising and both generations of data are there.
      node = await Node.restart({ dataDir });
      const third = await put(node, 'third run', 'y');
      assert.ok(third.view > next.view);
      assert.equal(read(node, accounts, 'after restart'), 'x');
      assert.equal(read(node, accounts, 'k44'), 'v44');
      assert.equal(node.status(next), 'Committed');
    } finally {
      await node.stop();
    }
  });

  it('discards an unsigned tail left by a crash, and never commits it', async () => {
    const dataDir = await dirs.make('crash');
    let { node, storage } = await startCrashable(dataDir, 'create');
    const committed = await put(node, 'committed', 'yes');
    node.emitSignature();
    await node.waitCommitted(committed);
    const signed = node.lastSigned;
    const tail: TxID[] = [];
    for (let i = 0; i < 5; i++) tail.push(await put(node, `tail ${i}`, 'lost'));
    assert.ok(tail.every((id) => node.status(id) === 'Pending'));
    await crash(node, storage);

    // The tail really is on disk, unsigned.
    const disk = await entriesOnDisk(dataDir);
    assert.equal(Math.max(...disk.keys()), tail[tail.length - 1]!.seqno);
    assert.equal(decodeEntry(disk.get(signed)!).kind, 1, 'last signature');
    for (const id of tail) assert.equal(decodeEntry(disk.get(id.seqno)!).kind, 0);

    node = await Node.restart({ dataDir, signatures: { transactions: 10, milliseconds: 5 } });
    try {
      // The tail is gone; the restarted primary signed once in its new view.
      assert.equal(node.lastSigned, signed + 1);
      assert.equal(node.committed, signed + 1);
      assert.ok(node.txidAt(signed + 1)!.view > committed.view);
      assert.equal(read(node, accounts, 'committed'), 'yes');
      for (let i = 0; i < 5; i++) {
        assert.equal(read(node, accounts, `tail ${i}`), undefined);
        assert.equal(read(node, records, `tail ${i}`), undefined);
      }
      for (const id of tail) {
        assert.equal(await node.receipt(id), undefined);
        assert.ok(['Unknown', 'Invalid'].includes(node.status(id)), `${fmt(id)} is ${node.status(id)}`);
      }
      assert.equal(node.status(committed), 'Committed');

      // New work takes the tail's seqnos (after the new view's first signature), in a
      // higher view; the old txids become Invalid.
      const fresh: TxID[] = [];
      for (let i = 0; i < 6; i++) fresh.push(await put(node, `fresh ${i}`, 'kept'));
      assert.equal(fresh[0]!.seqno, tail[1]!.seqno);
      assert.ok(fresh[0]!.view > tail[0]!.view);
      await node.waitCommitted(fresh[fresh.length - 1]!);
      for (const id of tail) assert.equal(node.status(id), 'Invalid', fmt(id));
      for (const id of fresh) verifyReceipt((await node.receipt(id))!, node.serviceCertificate);
    } finally {
      await node.stop();
    }
    const after = await entriesOnDisk(dataDir);
    for (const id of tail) assert.ok(decodeEntry(after.get(id.seqno)!).view > id.view, `seqno ${id.seqno} rewritten in a later view`);
  });

  it('never reuses a (view, seqno) pair, even when a restart discarded a tail and wrote nothing', async () => {
    // Run 1 commits and stops cleanly. Run 2 writes an unsigned private entry and crashes.
    // Run 3 discards it (truncating storage) and stops without writing. Run 4 writes again.
    // The pair (view, seqno) is the AES-GCM IV of the private domain (FORMAT.md), so run 4
    // must not produce the id run 2 used: the host may have kept run 2's ciphertext.
    const dataDir = await dirs.make('view-reuse');
    let node = await Node.create({ dataDir });
    await node.waitCommitted(await put(node, 'base', '1'));
    await node.stop();

    const run2 = await startCrashable(dataDir, 'restart');
    const lost = await put(run2.node, 'secret', 'first plaintext');
    await crash(run2.node, run2.storage);
    const lostEntry = (await entriesOnDisk(dataDir)).get(lost.seqno)!;
    assert.equal(decodeEntry(lostEntry).view, lost.view);

    node = await Node.restart({ dataDir });
    assert.equal(node.status(lost) === 'Committed', false);
    await node.stop();

    node = await Node.restart({ dataDir });
    await node.waitCommitted(await put(node, 'secret', 'other plaintext!'));
    assert.notEqual(node.status(lost), 'Committed');
    await node.stop();
    // Whatever now sits at the lost seqno (each restart signs in its new view), it is not
    // from the lost transaction's view.
    const now = (await entriesOnDisk(dataDir)).get(lost.seqno)!;
    assert.ok(now, 'the seqno was reused by later entries');
    assert.notEqual(decodeEntry(now).view, lost.view, `txid ${fmt(lost)} was used for two different entries (same AES-GCM key and IV)`);
  });

  it('does not create a new service over an existing ledger when the sealed state is missing', async () => {
    const dataDir = await dirs.make('lost-identity');
    const node = await Node.create({ dataDir });
    await node.waitCommitted(await put(node, 'precious', 'data'));
    await node.stop();
    const before = await entriesOnDisk(dataDir);
    await rm(join(dataDir, 'node.sealed.json'));
    assert.ok(!existsSync(join(dataDir, 'node.sealed.json')));

    let started: Node | undefined;
    try {
      started = await Node.create({ dataDir });
    } catch {
      // refusing is the right answer
    }
    if (started) await started.stop();
    const after = await entriesOnDisk(dataDir);
    const overwritten = [...before.keys()].filter((s) => !after.has(s) || Buffer.compare(after.get(s)!, before.get(s)!) !== 0);
    assert.deepEqual(overwritten, [], `Node.create ${started ? 'started a new service and' : ''} overwrote ledger entries ${overwritten.join(', ')}`);
    assert.equal(started, undefined, 'Node.create created a new service over an existing ledger');
  });
});
