// Snapshots across three (then four) nodes in one process over TLS, with a small interval:
// every node takes the same snapshots, the primary records their evidence, committed
// snapshot files verify; a late joiner and a backup left far behind catch up from one;
// a node restarts from its snapshot; past states rebuild from a snapshot; a tampered
// snapshot is refused.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '../../core/crypto/keys.js';
import { auditChunks } from '../../core/ledger/audit.js';
import { verifyReceipt } from '../../core/ledger/receipt.js';
import { snapshotName, verifyCommittedSnapshot } from '../../core/ledger/snapshot.js';
import { SnapshotFiles } from '../../core/host/snapshot-files.js';
import { identityFromJoin } from '../../core/node/join.js';
import { startMode } from '../../core/node/boot.js';
import { Node } from '../../core/node/node.js';
import { fromUtf8, utf8 } from '../../core/util/bytes.js';
import type { ReadOnlyTransaction } from '../../core/kv/read-only.js';
import { HistoryUnavailableError } from '../../core/node/historical-state.js';
import { freePort } from '../support/node-process.js';
import { data, joinTrusted, read, until } from './helpers.js';

const INTERVAL = 25;

describe('node / snapshots (catch-up, restart, verification)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const nodes = new Map<string, Node>();
  const dataDirs = new Map<string, string>();
  const ports = new Map<string, number>();
  const logs = new Map<string, string[]>();
  const dir = (name: string) => {
    const d = mkdtempSync(join(tmpdir(), `ccevm-snap-${name}-`));
    dirs.push(d);
    dataDirs.set(name, d);
    return d;
  };
  const logTo = (name: string) => (m: string) => {
    if (!logs.has(name)) logs.set(name, []);
    logs.get(name)!.push(m);
    if (process.env.SNAPDEBUG) console.log(name, m);
  };
  const keys = new Map<string, ReturnType<typeof generateKeyPair>>();
  const joined = new Map<string, Parameters<typeof Node.join>[0]['joined']>();

  async function startJoined(name: string): Promise<Node> {
    const options = { dataDir: dataDirs.get(name)!, network: { host: '127.0.0.1', port: ports.get(name)! }, snapshotInterval: INTERVAL, log: logTo(name) };
    // The first start joins; later ones restart what the directory holds.
    const node = (await startMode(options.dataDir)) === 'restart' ? await Node.restart(options) : await Node.join({ ...options, joined: joined.get(name)! });
    nodes.set(name, node);
    return node;
  }

  async function joinNode(name: string): Promise<Node> {
    const key = generateKeyPair();
    keys.set(name, key);
    const port = await freePort();
    ports.set(name, port);
    dir(name);
    const response = await joinTrusted(primary(), key, `127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`);
    joined.set(name, { identity: identityFromJoin(key, response), peers: response.peers });
    return startJoined(name);
  }

  before(async () => {
    ports.set('a', await freePort());
    nodes.set('a', await Node.create({ dataDir: dir('a'), network: { host: '127.0.0.1', port: ports.get('a')! }, rpcAddress: 'http://127.0.0.1:1', snapshotInterval: INTERVAL, log: logTo('a') }));
    for (const name of ['b', 'c']) await joinNode(name);
  });
  after(async () => {
    for (const n of nodes.values()) await n.stop().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const primary = () => [...nodes.values()].find((n) => n.role === 'primary')!;

  async function writeMany(prefix: string, count: number) {
    let last;
    for (let i = 0; i < count; i++) {
      const p = primary();
      const { txid } = await p.transact((tx) => tx.map(data).set(utf8(`${prefix}${i}`), utf8(`value ${prefix}${i}`)));
      if (i % 3 === 2 || i === count - 1) p.emitSignature();
      last = txid!;
    }
    await primary().waitCommitted(last!);
    return last!;
  }

  const snapshotSeqnos = (name: string) => new SnapshotFiles(join(dataDirs.get(name)!, 'snapshots')).list();

  it('every node takes the same snapshots and writes committed snapshot files that verify', async () => {
    await writeMany('k', 80);
    // Evidence, its commit and the files follow the writes by a signature or two.
    await writeMany('nudge', 3);
    await until(async () => {
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(snapshotSeqnos));
      return a!.length >= 2 && JSON.stringify(a) === JSON.stringify(b) && JSON.stringify(a) === JSON.stringify(c);
    }, 'the same committed snapshots on every node');
    const seqnos = await snapshotSeqnos('a');
    assert.deepEqual(await snapshotSeqnos('b'), seqnos);
    for (const seqno of seqnos) {
      assert.ok(Math.floor(seqno / INTERVAL) >= 1, `snapshot at ${seqno}`);
      const inner = ['a', 'b', 'c'].map((name) => {
        const bytes = readFileSync(join(dataDirs.get(name)!, 'snapshots', snapshotName(seqno)));
        const committed = verifyCommittedSnapshot(bytes, primary().serviceCertificate, undefined);
        assert.equal(committed.snapshot.txid.seqno, seqno);
        return Buffer.from(committed.bytes).toString('hex');
      });
      assert.equal(inner[1], inner[0], 'byte-identical snapshots on every node');
      assert.equal(inner[2], inner[0]);
    }
    // Private maps are encrypted: no value written appears in clear.
    const file = readFileSync(join(dataDirs.get('a')!, 'snapshots', snapshotName(seqnos[seqnos.length - 1]!)));
    assert.equal(file.includes(Buffer.from('value k1')), false);
  });

  it('a node that joins late receives a snapshot and the entries after it, not the whole ledger', async () => {
    const before = primary().committed;
    const d = await joinNode('d');
    await writeMany('after-d', 5);
    await until(() => d.committed >= primary().committed, 'd catching up');
    assert.ok(d.ledgerBase > 0 && d.ledgerBase <= before, `d's ledger starts after a snapshot (base ${d.ledgerBase})`);
    await d.flushLedger();
    await assert.rejects(d.readEntry(d.ledgerBase), /no ledger entry/, 'it stores only the entries after it');
    await d.readEntry(d.ledgerBase + 1);
    for (const key of ['k0', 'k42', 'k79', 'after-d4']) assert.equal(read(d, key), `value ${key}`, key);
    // It proves what it holds, and says clearly what it does not.
    const txid = await writeMany('proof', 1);
    await until(() => d.committed >= txid.seqno, 'd committing');
    verifyReceipt((await d.receipt(txid))!, d.serviceCertificate);
    await assert.rejects(d.receipt(d.txidAt(2)!), /started from a snapshot/);
    assert.equal(d.status(d.txidAt(2)!), 'Committed', 'the view history still knows every txid');
    assert.ok(logs.get('d')!.some((m) => /installed the primary's snapshot/.test(m)));
  });

  it('serves past states from the snapshot its ledger starts after, and none before it', async () => {
    const d = nodes.get('d')!;
    const a = nodes.get('a')!;
    const written = a.readCommitted((tx) => tx.map(data).writtenAt(utf8('after-d2')))!;
    assert.ok(written > d.ledgerBase);
    const keys = (tx: ReadOnlyTransaction) => [...tx.map(data).entries()].map(([k]) => fromUtf8(k)).sort();
    for (const seqno of [d.ledgerBase, written - 1, written]) {
      assert.deepEqual(await d.readAt(seqno, keys), await a.readAt(seqno, keys), `the same state at ${seqno} on d (from its snapshot) and a`);
    }
    assert.equal(await d.readAt(written - 1, (tx) => tx.map(data).has(utf8('after-d2'))), false);
    assert.equal(await d.readAt(written, (tx) => tx.map(data).has(utf8('after-d2'))), true);
    await assert.rejects(d.readAt(d.ledgerBase - 1, keys), (e: unknown) => e instanceof HistoryUnavailableError && /starts after a snapshot/.test((e as Error).message));
    await assert.rejects(d.readAt(d.committed + 1, keys), HistoryUnavailableError);
  });

  it('restarts from the snapshot its ledger starts after', async () => {
    const d = nodes.get('d')!;
    const base = d.ledgerBase;
    await d.stop();
    await writeMany('while-d-down', 4);
    const again = await startJoined('d');
    assert.equal(again.ledgerBase, base);
    assert.ok(logs.get('d')!.some((m) => m.includes(`after the snapshot at seqno ${base}`)));
    await until(() => again.committed >= primary().committed, 'd catching up after restart');
    assert.equal(read(again, 'k7'), 'value k7');
    assert.equal(read(again, 'while-d-down3'), 'value while-d-down3');
  });

  it('a backup left behind the compacted log catches up from a snapshot', async () => {
    const c = nodes.get('c')!;
    const installs = () => logs.get('c')!.filter((m) => /installed the primary's snapshot/.test(m)).length;
    const installedBefore = installs();
    const reached = c.lastSeqno;
    const stoppedAt = Date.now();
    await c.stop();
    nodes.delete('c');
    await writeMany('while-c-down', 5 * INTERVAL);
    await until(async () => {
      await writeMany('nudge2-', 1);
      // ... and long enough for what the primary queued for c to have gone stale.
      return primary().compactedTo > reached && Date.now() - stoppedAt > 1_500;
    }, 'the primary compacting past what c holds');
    const again = await startJoined('c');
    await until(() => again.committed >= primary().committed, 'c catching up');
    assert.equal(installs(), installedBefore + 1, `c was sent a snapshot (it held ${reached}, the primary compacted to ${primary().compactedTo}; c ${again.role} committed ${again.committed} compactedTo ${again.compactedTo}, primary ${primary().nodeId.slice(0, 8)} committed ${primary().committed}): ${logs.get('c')!.join('; ')}`);
    assert.ok(again.ledgerBase > primary().committed - 4 * INTERVAL, `c's ledger starts from a recent snapshot (base ${again.ledgerBase})`);
    assert.equal(read(again, `while-c-down${5 * INTERVAL - 1}`), `value while-c-down${5 * INTERVAL - 1}`);
  });

  it('refuses a snapshot from the primary that does not verify, whatever byte was altered', async () => {
    const c = nodes.get('c')!;
    const seqnos = await snapshotSeqnos('a');
    const good = readFileSync(join(dataDirs.get('a')!, 'snapshots', snapshotName(seqnos[seqnos.length - 1]!)));
    assert.equal(c.acceptSnapshot(new Uint8Array(good)), true);
    // The receipt's signature_txid is the one field the signature does not cover (it signs
    // the root alone); a flip that leaves it a later txid is not detectable.
    const unbound = good.indexOf('"signature_txid":"') + '"signature_txid":"'.length;
    for (let i = 0; i < good.length; i += process.env.ALLBYTES ? 1 : Math.max(1, Math.floor(good.length / 150))) {
      if (i >= unbound && i < good.indexOf('"', unbound)) continue;
      const bad = new Uint8Array(good);
      bad[i]! ^= 0x01;
      assert.equal(c.acceptSnapshot(bad), false, `byte ${i} of ${good.length} flipped: ${JSON.stringify(Buffer.from(good.subarray(i - 30, i + 30)).toString('latin1'))}`);
    }
  });

  it('exports its ledger with the snapshot it starts after, and that export audits', async () => {
    const d = nodes.get('d')!;
    const out = mkdtempSync(join(tmpdir(), 'ccevm-snap-export-'));
    dirs.push(out);
    const files = await d.exportLedger(out);
    assert.ok(files.some((f) => f.endsWith(snapshotName(d.ledgerBase))));
    const chunks = files.filter((f) => /ledger_/.test(f)).map((f) => ({ name: f.split('/').pop()!, bytes: new Uint8Array(readFileSync(f)) }));
    const snapshot = { name: snapshotName(d.ledgerBase), bytes: new Uint8Array(readFileSync(join(out, snapshotName(d.ledgerBase)))) };
    const result = auditChunks(chunks, d.serviceCertificate, undefined, snapshot);
    assert.equal(result.from, d.ledgerBase);
    assert.equal(result.lastSeqno, d.committed);
    // Without the snapshot the chunks do not start where an audit can.
    assert.throws(() => auditChunks(chunks, d.serviceCertificate), /missing or overlap/);
    const bad = new Uint8Array(snapshot.bytes);
    bad[100]! ^= 1;
    assert.throws(() => auditChunks(chunks, d.serviceCertificate, undefined, { ...snapshot, bytes: bad }), /snapshot/);
  });

  it('refuses to start when the snapshot its ledger starts after was tampered with', async () => {
    const d = nodes.get('d')!;
    const base = d.ledgerBase;
    await d.stop();
    nodes.delete('d');
    const path = join(dataDirs.get('d')!, 'snapshots', snapshotName(base));
    const original = readFileSync(path);
    const bad = Buffer.from(original);
    bad[bad.length - 40]! ^= 0x01;
    writeFileSync(path, bad);
    await assert.rejects(startJoined('d'), new RegExp(`no valid committed snapshot at ${base}`));
    writeFileSync(path, original);
    const again = await startJoined('d');
    await until(() => again.committed >= primary().committed, 'd back');
  });
});
