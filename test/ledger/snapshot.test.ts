// The snapshot format on its own: the store's whole state and the ledger's position in,
// the same out; deterministic bytes; private maps encrypted and authenticated; strict
// decoding. (Committed snapshots, evidence and catch-up: test/node/snapshots.test.ts.)
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { rawMap } from '../../core/kv/map-def.js';
import { Store } from '../../core/kv/store.js';
import { MerkleTree } from '../../core/ledger/merkle.js';
import { LedgerSecrets } from '../../core/ledger/secrets.js';
import { decodeSnapshot, encodeSnapshot, SnapshotError, type Snapshot } from '../../core/ledger/snapshot.js';
import { ViewHistory } from '../../core/ledger/view-history.js';
import { fromUtf8, utf8 } from '../../core/util/bytes.js';

const priv = rawMap('accounts');
const pub = rawMap('public:blocks');
const secrets = new LedgerSecrets([{ fromSeqno: 1, key: new Uint8Array(randomBytes(32)) }]);

function populated(): Store {
  const store = new Store();
  store.setView(2);
  for (let i = 0; i < 50; i++) {
    const tx = store.begin();
    tx.map(priv).set(utf8(`acct${i % 17}`), utf8(`secret balance ${i}`));
    tx.map(pub).set(utf8(`block${i}`), utf8(`public block ${i}`));
    if (i % 5 === 4) tx.map(priv).delete(utf8(`acct${(i + 3) % 17}`));
    tx.commit();
  }
  return store;
}

function snapshotOf(store: Store): Snapshot {
  const tree = new MerkleTree();
  for (let i = 0; i < store.txid.seqno; i++) tree.append(new Uint8Array(32).fill(i));
  return { txid: store.txid, state: store.state(store.txid.seqno), peaks: tree.peaks(), views: [{ view: 1, seqno: 1 }, { view: 2, seqno: 20 }] };
}

function contents(store: Store): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, entries] of store.state(store.txid.seqno)) {
    out[name] = Object.fromEntries([...entries].map(([k, v]) => [k, fromUtf8(v!)]));
  }
  return out;
}

describe('ledger / snapshot format', () => {
  it('round-trips the whole state, the tree peaks and the view history', () => {
    const store = populated();
    const bytes = encodeSnapshot(snapshotOf(store), secrets);
    const decoded = decodeSnapshot(bytes, secrets);
    assert.deepEqual(decoded.txid, store.txid);
    assert.deepEqual(decoded.views, [{ view: 1, seqno: 1 }, { view: 2, seqno: 20 }]);
    assert.deepEqual(decoded.peaks.map((p) => Buffer.from(p).toString('hex')), snapshotOf(store).peaks.map((p) => Buffer.from(p).toString('hex')));
    const restored = new Store();
    restored.restore(decoded.txid, decoded.state);
    assert.deepEqual(contents(restored), contents(store));
    assert.deepEqual(restored.txid, store.txid);
  });

  it('is deterministic: the same state gives the same bytes', () => {
    assert.deepEqual(encodeSnapshot(snapshotOf(populated()), secrets), encodeSnapshot(snapshotOf(populated()), secrets));
  });

  it('encrypts private maps; without the secrets only public state comes out', () => {
    const bytes = encodeSnapshot(snapshotOf(populated()), secrets);
    assert.equal(Buffer.from(bytes).includes(Buffer.from('secret balance')), false);
    assert.equal(Buffer.from(bytes).includes(Buffer.from('public block 7')), true);
    const audited = decodeSnapshot(bytes);
    assert.deepEqual([...audited.state.keys()], ['public:blocks']);
  });

  it('refuses every single-byte alteration (with the secrets), and other secrets', () => {
    const bytes = encodeSnapshot(snapshotOf(populated()), secrets);
    for (let i = 0; i < bytes.length; i++) {
      const bad = new Uint8Array(bytes);
      bad[i]! ^= 0x01;
      assert.throws(() => decodeSnapshot(bad, secrets), SnapshotError, `byte ${i}`);
    }
    const other = new LedgerSecrets([{ fromSeqno: 1, key: new Uint8Array(randomBytes(32)) }]);
    assert.throws(() => decodeSnapshot(bytes, other), /authentication/);
    assert.throws(() => decodeSnapshot(bytes.subarray(0, bytes.length - 1), secrets), SnapshotError);
    assert.throws(() => decodeSnapshot(new Uint8Array(0), secrets), SnapshotError);
  });

  it('restoring invalidates transactions opened before', () => {
    const store = populated();
    const open = store.begin();
    const decoded = decodeSnapshot(encodeSnapshot(snapshotOf(populated()), secrets), secrets);
    store.restore(decoded.txid, decoded.state);
    assert.throws(() => open.map(priv).get(utf8('acct1')));
    const fresh = store.begin();
    assert.equal(fromUtf8(fresh.map(priv).get(utf8('acct2'))!), 'secret balance 36');
    assert.equal(fresh.map(priv).get(utf8('acct1')), undefined, 'removed keys stay removed');
    fresh.abort();
  });

  it('view history answers the view of any seqno and truncates', () => {
    const h = new ViewHistory([{ view: 1, seqno: 1 }]);
    h.note(1, 2);
    h.note(3, 10);
    h.note(4, 15);
    assert.equal(h.viewAt(0), undefined);
    assert.equal(h.viewAt(9), 1);
    assert.equal(h.viewAt(10), 3);
    assert.equal(h.viewAt(100), 4);
    h.truncate(12);
    assert.equal(h.viewAt(100), 3);
    assert.throws(() => new ViewHistory([{ view: 2, seqno: 1 }, { view: 1, seqno: 5 }]), /ascend/);
  });
});
