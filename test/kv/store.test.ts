// core/kv/store.ts (with map-state.ts): replicated apply, rollback of an uncommitted
// suffix, compaction of history, the commit listener, views, and transaction ids.
import { ConflictError } from '../../core/kv/errors.js';
import { Store, type CommittedTx } from '../../core/kv/store.js';
import { formatTxID, parseTxID } from '../../core/kv/txid.js';
import type { Writes } from '../../core/kv/write-set.js';
import { utf8 } from '../../core/util/bytes.js';
import { assert, dump, put, strMap } from './helpers.js';

const M = strMap('m');
const P = strMap('public:p');

/** A Writes for map `m` with string keys and values (undefined = removal). */
function writes(entries: Record<string, string | undefined>, map = 'm'): Writes {
  const inner = new Map<string, Uint8Array | undefined>();
  for (const [k, v] of Object.entries(entries)) inner.set(Buffer.from(k, 'utf8').toString('latin1'), v === undefined ? undefined : utf8(v));
  return new Map([[map, inner]]);
}

function read(store: Store, key: string): string | undefined {
  const tx = store.begin();
  const v = tx.map(M).get(key);
  tx.abort();
  return v;
}

function keysOf(store: Store, map = 'm'): readonly string[] {
  return store.mapState(map)?.keys() ?? [];
}

describe('kv store', () => {
  describe('apply', () => {
    it('installs a replicated write set at the next seqno, without telling the listener', () => {
      const store = new Store();
      const told: CommittedTx[] = [];
      store.onCommit((c) => told.push(c));
      store.apply({ view: 2, seqno: 1 }, writes({ a: '1', b: '2' }));
      store.apply({ view: 2, seqno: 2 }, writes({ a: undefined, c: '3' }));
      assert.deepStrictEqual(store.txid, { view: 2, seqno: 2 });
      assert.equal(store.view, 2);
      assert.equal(read(store, 'a'), undefined);
      assert.equal(read(store, 'b'), '2');
      assert.equal(read(store, 'c'), '3');
      assert.equal(told.length, 0);
      // local commits continue from there, in the applied view
      const tx = store.begin();
      tx.map(M).set('d', '4');
      assert.deepStrictEqual(tx.commit(), { view: 2, seqno: 3 });
      assert.equal(told.length, 1);
    });

    it('refuses a write set that is not the next seqno, or from an older view', () => {
      const store = new Store();
      store.apply({ view: 1, seqno: 1 }, writes({ a: '1' }));
      assert.throws(() => store.apply({ view: 1, seqno: 1 }, writes({ a: 'again' })), RangeError);
      assert.throws(() => store.apply({ view: 1, seqno: 3 }, writes({ a: 'gap' })), RangeError);
      assert.throws(() => store.apply({ view: 1, seqno: 0 }, writes({ a: 'back' })), RangeError);
      assert.throws(() => store.apply({ view: 0, seqno: 2 }, writes({ a: 'old view' })), RangeError);
      assert.deepStrictEqual(store.txid, { view: 1, seqno: 1 });
      assert.equal(read(store, 'a'), '1');
    });

    it('makes open transactions that read an applied key conflict', () => {
      const store = new Store();
      put(store, M, { a: '1' });
      const tx = store.begin();
      tx.map(M).get('a');
      tx.map(M).set('b', 'x');
      store.apply({ view: 0, seqno: 2 }, writes({ a: 'replicated' }));
      assert.throws(() => tx.commit(), ConflictError);
    });
  });

  describe('commit listener and views', () => {
    it('hands every local commit to the listener with its id, writes, kind and claims', () => {
      const store = new Store();
      const told: CommittedTx[] = [];
      store.onCommit((c) => told.push(c));
      const t1 = store.begin();
      t1.map(M).set('a', '1');
      t1.commit();
      store.setView(4);
      const t2 = store.begin();
      t2.map(P).set('sig', 'x');
      t2.setKind('signature');
      const digest = new Uint8Array(32).fill(7);
      t2.setClaimsDigest(digest);
      t2.commit();
      store.begin().commit(); // read-only: nothing to tell
      assert.equal(told.length, 2);
      assert.deepStrictEqual(told[0]!.txid, { view: 0, seqno: 1 });
      assert.equal(told[0]!.kind, 'normal');
      assert.equal(told[0]!.claimsDigest, undefined);
      assert.deepStrictEqual(told[0]!.writes, writes({ a: '1' }));
      assert.deepStrictEqual(told[1]!.txid, { view: 4, seqno: 2 });
      assert.equal(told[1]!.kind, 'signature');
      assert.deepStrictEqual(told[1]!.claimsDigest, digest);
      assert.deepStrictEqual(told[1]!.writes, writes({ sig: 'x' }, 'public:p'));
    });

    it('never moves the view back', () => {
      const store = new Store();
      store.setView(3);
      store.setView(3);
      assert.throws(() => store.setView(2), RangeError);
      assert.equal(store.view, 3);
    });

    it('formats and parses transaction ids as view.seqno', () => {
      assert.equal(formatTxID({ view: 2, seqno: 15 }), '2.15');
      assert.deepStrictEqual(parseTxID('2.15'), { view: 2, seqno: 15 });
      assert.deepStrictEqual(parseTxID(formatTxID({ view: 0, seqno: 999_999_999_999_999 })), { view: 0, seqno: 999_999_999_999_999 });
      for (const bad of ['', '2', '2.', '.3', '2.3.4', '-1.2', '1.2 ', 'a.b', '1.1234567890123456']) {
        assert.throws(() => parseTxID(bad), TypeError, bad);
      }
    });
  });

  describe('rollback', () => {
    it('restores the state at the given seqno: values, deletions and new keys', () => {
      const store = new Store();
      put(store, M, { a: '1', b: '2', gone: 'x' }); // 1
      put(store, M, { a: '1b' }); // 2
      const at2 = dump(store);
      put(store, M, { a: '3', b: undefined, c: 'new' }); // 3
      const t = store.begin();
      t.map(strMap('brand-new-map')).set('k', 'v');
      t.commit(); // 4
      put(store, M, { gone: undefined }); // 5
      store.rollback(2);
      assert.deepStrictEqual(store.txid.seqno, 2);
      assert.deepStrictEqual(dump(store), at2);
      assert.deepStrictEqual(keysOf(store), ['a', 'b', 'gone']);
      assert.deepStrictEqual(keysOf(store, 'brand-new-map'), []);
      // the next commit reuses seqno 3
      assert.equal(put(store, M, { c: 'again' }), 3);
      assert.equal(read(store, 'c'), 'again');
      assert.equal(read(store, 'a'), '1b');
    });

    it('makes transactions begun before it fail to commit, even on unrelated keys', () => {
      const store = new Store();
      put(store, M, { a: '1' }); // 1
      put(store, M, { a: '2' }); // 2
      const beforeAtTip = store.begin(); // read version 2
      store.rollback(1);
      const afterward = store.begin();
      beforeAtTip.map(strMap('elsewhere')).set('x', 'y');
      assert.throws(() => beforeAtTip.commit(), ConflictError);
      afterward.map(M).set('a', String(Number(afterward.map(M).get('a')) + 10));
      assert.deepStrictEqual(afterward.commit(), { view: 0, seqno: 2 });
      assert.equal(read(store, 'a'), '11');

      // also a transaction whose snapshot is older than the rollback point
      const old = store.begin(); // read version 2
      put(store, M, { b: '3' }); // 3
      store.rollback(2);
      old.map(M).set('c', '4');
      assert.throws(() => old.commit(), ConflictError);
    });

    // BUG (core/kv/transaction.ts:101-112 and 60-65, store.ts:121-129): only commitWrites
    // checks the rollback epoch. A transaction open across a rollback (easy: EVM execution is
    // async) keeps reading at its old read version, which after the rollback and new commits
    // names *different* history: it sees a torn state that never existed, and if it wrote
    // nothing its commit() even succeeds, so the caller (e.g. eth_call) never learns.
    // Fix: give Store a public `rollbackEpoch` getter and have readRaw/scanRaw and commit()
    // (also for read-only transactions) throw ConflictError when the epoch has moved.
    it('never lets a transaction open across a rollback observe a torn state unnoticed', () => {
      const store = new Store();
      put(store, M, { a: '1', b: '1' }); // 1
      put(store, M, { a: '2', b: '2' }); // 2 (will be rolled back)
      const reader = store.begin(); // snapshot at 2
      assert.equal(reader.map(M).get('a'), '2');
      store.rollback(1);
      put(store, M, { b: 'X' }); // a new, different seqno 2: a = 1, b = X
      let b: string | undefined;
      try {
        b = reader.map(M).get('b');
      } catch (e) {
        assert.ok(e instanceof ConflictError, String(e));
        return; // refusing to read is fine
      }
      if (b === '2') return; // still the old snapshot: consistent
      // It saw a = 2 (old history) and b = X (new history): it must at least not commit.
      assert.throws(() => reader.commit(), ConflictError, `read a = 2 and b = ${b}, then committed without error`);
    });

    it('does nothing when asked to roll back to the current seqno or beyond', () => {
      const store = new Store();
      put(store, M, { a: '1' });
      const open = store.begin();
      store.rollback(1);
      store.rollback(5);
      assert.deepStrictEqual(store.txid.seqno, 1);
      open.map(M).set('b', '2');
      assert.deepStrictEqual(open.commit(), { view: 0, seqno: 2 });
    });

    it('rolls back correctly after a compaction up to the rollback point', () => {
      const store = new Store();
      put(store, M, { a: '1', b: '1' }); // 1
      put(store, M, { a: '2', c: '2' }); // 2
      const at2 = dump(store);
      put(store, M, { a: '3', b: undefined }); // 3
      put(store, M, { c: '4', d: '4' }); // 4
      store.compact(2); // 3 and 4 are not committed: their history must survive
      store.rollback(2);
      assert.deepStrictEqual(dump(store), at2);
    });
  });

  describe('compact', () => {
    it('drops history that no reader needs, keeping the newest values', () => {
      const store = new Store();
      for (let i = 1; i <= 5; i++) put(store, M, { a: String(i), b: String(i * 10) });
      const before = dump(store);
      assert.ok(store.retainedHistory > 0);
      store.compact(store.txid.seqno);
      assert.equal(store.retainedHistory, 0);
      assert.deepStrictEqual(dump(store), before);
    });

    it('keeps what an open older reader sees, and drops it once the reader is gone', () => {
      const store = new Store();
      put(store, M, { a: '1', b: 'b1', doomed: 'd' }); // 1
      const reader = store.begin(); // snapshot at 1
      put(store, M, { a: '2', c: 'c2' }); // 2
      put(store, M, { a: '3', doomed: undefined }); // 3
      store.compact(3);
      assert.ok(store.retainedHistory > 0, 'history for the reader must be kept');
      const m = reader.map(M);
      assert.equal(m.get('a'), '1');
      assert.equal(m.get('c'), undefined);
      assert.equal(m.get('doomed'), 'd');
      assert.deepStrictEqual([...m.entries()], [['a', '1'], ['b', 'b1'], ['doomed', 'd']]);
      reader.abort();
      store.compact(3);
      assert.equal(store.retainedHistory, 0);
      assert.equal(read(store, 'a'), '3');
      assert.deepStrictEqual(keysOf(store), ['a', 'b', 'c']);
    });

    it('lets removed keys vanish from the map once no one can see them', () => {
      const store = new Store();
      put(store, M, { k: 'v', keep: '1' });
      put(store, M, { k: undefined });
      assert.deepStrictEqual(keysOf(store), ['k', 'keep']); // still in history
      store.compact(store.txid.seqno);
      assert.deepStrictEqual(keysOf(store), ['keep']);
      assert.equal(read(store, 'k'), undefined);
      assert.equal(store.retainedHistory, 0);
      // and a key written back later is an ordinary key again
      put(store, M, { k: 'back' });
      assert.equal(read(store, 'k'), 'back');
      assert.deepStrictEqual(keysOf(store), ['k', 'keep']);
    });

    it('never compacts past upTo or past the newest seqno', () => {
      const store = new Store();
      put(store, M, { a: '1' }); // 1
      put(store, M, { a: '2' }); // 2
      store.compact(1);
      assert.ok(store.retainedHistory > 0);
      store.compact(100);
      assert.equal(store.retainedHistory, 0);
      assert.equal(read(store, 'a'), '2');
    });

    it('keeps conflict detection intact for open transactions', () => {
      const store = new Store();
      put(store, M, { a: '1', b: '1' });
      const readsA = store.begin();
      readsA.map(M).get('a');
      readsA.map(M).set('x', '1');
      const readsB = store.begin();
      readsB.map(M).get('b');
      readsB.map(M).set('y', '1');
      put(store, M, { a: '2' });
      put(store, M, { b: undefined }); // a removal, the kind of version compaction deletes
      store.compact(store.txid.seqno);
      assert.throws(() => readsA.commit(), ConflictError);
      assert.throws(() => readsB.commit(), ConflictError);
    });

    it('is not held back by transactions that have committed or aborted', () => {
      const store = new Store();
      put(store, M, { a: '1' });
      const committed = store.begin();
      committed.map(M).set('a', '2');
      committed.commit();
      const aborted = store.begin();
      aborted.abort();
      const conflicted = store.begin();
      conflicted.map(M).get('a');
      conflicted.map(M).set('b', 'x');
      put(store, M, { a: '3' });
      assert.throws(() => conflicted.commit(), ConflictError);
      put(store, M, { a: '4' });
      store.compact(store.txid.seqno);
      assert.equal(store.retainedHistory, 0);
    });
  });
});
