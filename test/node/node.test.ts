import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDir } from '../../core/host/data-dir.js';
import { Node } from '../../core/node/node.js';
import { MemoryLedgerStorage } from '../../core/host/memory-storage.js';
import { ConflictError } from '../../core/kv/errors.js';
import { rawMap } from '../../core/kv/map-def.js';
import { EntryKind } from '../../core/ledger/entry.js';
import { utf8 } from '../../core/util/bytes.js';

const accounts = rawMap('accounts');

describe('node', () => {
  let dir: string;
  let node: Node | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ccevm-node-'));
  });
  afterEach(async () => {
    await node?.stop();
    node = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function write(n: Node, key: string) {
    const { txid } = await n.transact((tx) => tx.map(accounts).set(utf8(key), utf8(`value of ${key}`)));
    return txid!;
  }

  it('starts a service whose genesis is committed', async () => {
    node = await Node.create({ dataDir: dir });
    assert.equal(node.committed, 2, 'genesis and its signature');
    assert.equal(node.status({ view: 1, seqno: 1 }), 'Committed');
    assert.equal((await node.readEntry(2)).kind, EntryKind.Signature);
  });

  it('signs after N transactions, commits only at signatures, and reports status', async () => {
    node = await Node.create({ dataDir: dir, signatures: { transactions: 5, milliseconds: 60_000 } });
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await write(node, `k${i}`));
    assert.equal(node.lastSigned, 2, 'no signature before the fifth transaction');
    assert.equal(node.status(ids[0]!), 'Pending');
    assert.equal(await node.receipt(ids[0]!), undefined);
    ids.push(await write(node, 'k4'));
    await node.waitCommitted(ids[4]!);
    assert.equal(node.lastSigned, 8);
    assert.ok((await node.readEntry(8)).kind === EntryKind.Signature);
    for (const id of ids) assert.equal(node.status(id), 'Committed');
    assert.equal(node.status({ view: ids[0]!.view + 5, seqno: ids[0]!.seqno }), 'Invalid');
    assert.equal(node.status({ view: 1, seqno: 10_000 }), 'Unknown');
  });

  it('signs after T milliseconds when transactions are few', async () => {
    node = await Node.create({ dataDir: dir, signatures: { transactions: 1_000_000, milliseconds: 10 } });
    const id = await write(node, 'lonely');
    assert.equal(node.status(id), 'Pending');
    await node.waitCommitted(id);
    assert.equal(node.status(id), 'Committed');
    assert.equal(node.lastSigned, id.seqno + 1);
  });

  it('retries transactions that conflict and reports a persistent conflict', async () => {
    node = await Node.create({ dataDir: dir, storage: new MemoryLedgerStorage() });
    const counter = rawMap('counter');
    const bump = () =>
      node!.transact(async (tx) => {
        const c = tx.map(counter);
        const v = Number(Buffer.from(c.get(utf8('n')) ?? utf8('0')).toString());
        await new Promise((r) => setImmediate(r));
        c.set(utf8('n'), utf8(String(v + 1)));
      }, 32); // each round of 20 contenders lets at least one through
    await Promise.all(Array.from({ length: 20 }, bump));
    assert.equal(node.readPending((tx) => Buffer.from(tx.map(counter).get(utf8('n'))!).toString()), '20');
    await assert.rejects(
      node.transact(async (t) => {
        t.map(counter).get(utf8('n'));
        await write(node!, 'unrelated');
        await node!.transact((u) => u.map(counter).set(utf8('n'), utf8('x')));
        t.map(counter).set(utf8('n'), utf8('y'));
      }, 1),
      ConflictError,
    );
  });

  it('commits many concurrent transactions with few storage writes (group commit)', async () => {
    class CountingStorage extends MemoryLedgerStorage {
      writes = 0;
      override async write(entries: Parameters<MemoryLedgerStorage['write']>[0]): Promise<void> {
        this.writes++;
        await new Promise((r) => setTimeout(r, 2)); // a disk: writes take time, so entries pile up
        return super.write(entries);
      }
    }
    const storage = new CountingStorage();
    node = await Node.create({ dataDir: dir, storage, signatures: { transactions: 50, milliseconds: 60_000 } });
    const before = storage.writes;
    // Transactions trickle in (the event loop turns between them), yet nothing is
    // written before the signature that makes them a commit point.
    const ids = [];
    for (let i = 0; i < 100; i++) {
      ids.push(await write(node, `c${i}`));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(ids.map((id) => node!.waitCommitted(id)));
    assert.ok(node.committed >= ids[ids.length - 1]!.seqno);
    assert.ok(storage.writes - before <= 100 / 50 + 1, `${storage.writes - before} storage writes for 100 transactions`);
  });

  it('compacts store history behind commits', async () => {
    node = await Node.create({ dataDir: dir, storage: new MemoryLedgerStorage(), signatures: { transactions: 10, milliseconds: 5 } });
    let last;
    for (let i = 0; i < 100; i++) last = await write(node, 'same-key');
    await node.waitCommitted(last!);
    assert.equal(node.retainedHistory, 0);
  });

  it('rejects work after stop and resolves nothing uncommitted', async () => {
    const n = await Node.create({ dataDir: dir, storage: new MemoryLedgerStorage() });
    await n.stop();
    await assert.rejects(write(n, 'late'), /node stopped/);
  });

  it('a transaction still running when stop() begins does not commit (the ledger is being closed under it)', async () => {
    const n = await Node.create({ dataDir: dir });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = n.transact(async (tx) => {
      await gate; // an EVM execution awaits between its reads and its commit
      tx.map(accounts).set(utf8('late'), utf8('written after stop began'));
    });
    const stopped = n.stop();
    release();
    await assert.rejects(running, /node stopped/);
    await stopped;
    node = await Node.restart({ dataDir: dir });
    assert.equal(node.readCommitted((tx) => tx.map(accounts).get(utf8('late'))), undefined);
    assert.equal(node.readPending((tx) => tx.map(accounts).get(utf8('late'))), undefined);
  });

  it('stop() resolves only after every write it started, a vote save still under way included', async () => {
    /** A data directory whose vote writes wait until the test lets them go. */
    class HeldVotes extends DataDir {
      inFlight = 0;
      private waiting: (() => void)[] = [];
      private holding = true;
      override async writeAtomic(name: string, bytes: Uint8Array, mode?: number): Promise<void> {
        this.inFlight++;
        try {
          if (name === 'node.vote' && this.holding) await new Promise<void>((r) => this.waiting.push(r));
          await super.writeAtomic(name, bytes, mode);
        } finally {
          this.inFlight--;
        }
      }
      release(): void {
        this.holding = false;
        for (const go of this.waiting.splice(0)) go();
      }
    }
    const held = new HeldVotes(dir);
    // The node becomes primary, saves its vote (held) and commits its genesis meanwhile.
    node = await Node.create({ dataDir: held, storage: new MemoryLedgerStorage() });
    assert.ok(held.inFlight > 0, 'the vote save is under way');
    let inFlightWhenStopped: number | undefined;
    const stopping = node.stop().then(() => (inFlightWhenStopped = held.inFlight));
    const first = await Promise.race([stopping.then(() => 'stopped'), new Promise((r) => setTimeout(r, 300, 'still stopping'))]);
    assert.equal(first, 'still stopping', 'stop() resolved while a vote write was under way');
    held.release();
    await stopping;
    assert.equal(inFlightWhenStopped, 0, 'no write under way once stop() resolved');
  });

  it('a seal that throws neither signs nor leaves its transaction open (which would pin compaction)', async () => {
    let sealFails = false;
    const logged: string[] = [];
    node = await Node.create({
      dataDir: dir,
      storage: new MemoryLedgerStorage(),
      signatures: { transactions: 1_000_000, milliseconds: 60_000 },
      application: { seal: () => {
        if (sealFails) throw new Error('application bug');
      } },
      log: (m) => logged.push(m),
    });
    sealFails = true;
    const first = await write(node, 'same-key');
    assert.equal(node.emitSignature(), undefined, 'nothing signed without the seal');
    assert.ok(logged.some((m) => /could not seal.*application bug/.test(m)), logged.join('; '));
    assert.equal(node.status(first), 'Pending');
    sealFails = false;
    let last;
    for (let i = 0; i < 20; i++) last = await write(node, 'same-key');
    node.emitSignature();
    await node.waitCommitted(last!);
    assert.equal(node.status(first), 'Committed', 'the next signature took it');
    assert.equal(node.retainedHistory, 0, 'no reader left open holds history back');
  });
});
