// core/kv/transaction.ts: reads, writes, iteration, commit ids, snapshot isolation and
// optimistic conflict detection.
import fc from 'fast-check';
import { ConflictError, TransactionClosedError } from '../../core/kv/errors.js';
import { Overlay } from '../../core/kv/overlay.js';
import { Store } from '../../core/kv/store.js';
import { assert, b, numMap, put, rawMap, strMap } from './helpers.js';

const M = strMap('m');
const OTHER = strMap('other');

function entries(store: Store, range: { from?: string; to?: string } = {}): [string, string][] {
  const tx = store.begin();
  const out = [...tx.map(M).entries(range)];
  tx.abort();
  return out;
}

describe('kv transactions', () => {
  describe('reads and writes', () => {
    it('reads its own writes, overwrites and deletes', () => {
      const store = new Store();
      put(store, M, { a: 'committed' });
      const tx = store.begin();
      const m = tx.map(M);
      assert.equal(m.get('a'), 'committed');
      m.set('a', 'mine');
      assert.equal(m.get('a'), 'mine');
      m.set('a', 'mine again');
      assert.equal(m.get('a'), 'mine again');
      m.set('new', 'fresh');
      assert.equal(m.get('new'), 'fresh');
      assert.ok(m.has('new'));
      m.delete('a');
      assert.equal(m.get('a'), undefined);
      assert.equal(m.has('a'), false);
      m.set('a', 'back');
      assert.equal(m.get('a'), 'back');
      // nobody else sees any of this before commit
      const other = store.begin();
      assert.equal(other.map(M).get('a'), 'committed');
      assert.equal(other.map(M).get('new'), undefined);
      other.abort();
      tx.commit();
      assert.deepStrictEqual(entries(store), [['a', 'back'], ['new', 'fresh']]);
    });

    it('deletes committed keys', () => {
      const store = new Store();
      put(store, M, { a: '1', b: '2' });
      const tx = store.begin();
      tx.map(M).delete('a');
      tx.map(M).delete('never-existed');
      assert.ok(tx.commit());
      const after = store.begin();
      assert.equal(after.map(M).get('a'), undefined);
      assert.equal(after.map(M).has('a'), false);
      assert.equal(after.map(M).has('b'), true);
      after.abort();
      assert.deepStrictEqual(entries(store), [['b', '2']]);
    });

    it('returns undefined and false for missing keys and for maps never written', () => {
      const store = new Store();
      put(store, M, { a: '1' });
      const tx = store.begin();
      assert.equal(tx.map(M).get('zz'), undefined);
      assert.equal(tx.map(M).has('zz'), false);
      assert.equal(tx.map(strMap('no-such-map')).get('a'), undefined);
      assert.deepStrictEqual([...tx.map(strMap('no-such-map')).entries()], []);
      assert.equal(tx.map(M).has('a'), true);
      tx.abort();
    });

    it('keeps maps apart: the same key in two maps is two entries', () => {
      const store = new Store();
      const tx = store.begin();
      tx.map(M).set('k', 'in m');
      tx.map(OTHER).set('k', 'in other');
      tx.commit();
      const r = store.begin();
      assert.equal(r.map(M).get('k'), 'in m');
      assert.equal(r.map(OTHER).get('k'), 'in other');
      r.abort();
      assert.deepStrictEqual(store.mapNames(), ['m', 'other']);
    });

    it('stores the empty value and the empty key', () => {
      const store = new Store();
      const raw = rawMap('raw');
      const tx = store.begin();
      tx.map(raw).set(b(), b());
      tx.commit();
      const r = store.begin();
      assert.deepStrictEqual(r.map(raw).get(b()), b());
      assert.ok(r.map(raw).has(b()));
      assert.deepStrictEqual([...r.map(raw).entries()], [[b(), b()]]);
      r.abort();
    });
  });

  describe('writtenAt', () => {
    it('is the seqno that committed the value read, at the snapshot read; undefined when absent or only written here', () => {
      const store = new Store();
      const first = put(store, M, { a: 'one' });
      put(store, M, { b: 'other key' });
      const old = store.snapshot(store.txid.seqno);
      const second = put(store, M, { a: 'two' });
      put(store, M, { b: undefined });
      const tx = store.begin();
      const m = tx.map(M);
      assert.equal(m.writtenAt('a'), second);
      assert.equal(old.map(M).writtenAt('a'), first, 'a snapshot sees the version it reads');
      assert.equal(m.writtenAt('b'), undefined, 'deleted');
      assert.equal(m.writtenAt('never'), undefined);
      const writer = store.begin();
      writer.map(M).set('a', 'mine');
      assert.equal(writer.map(M).writtenAt('a'), undefined, 'its own write: not committed');
      writer.abort();
      const overlay = new Overlay(tx).map(M);
      assert.equal(overlay.writtenAt('a'), second, 'through an overlay: the transaction\'s answer');
      overlay.set('a', 'buffered');
      assert.equal(overlay.writtenAt('a'), undefined, "the overlay's own write is not committed");
      old.abort();
      tx.abort();
    });

    it('is a read: a later write of the key conflicts', () => {
      const store = new Store();
      put(store, M, { a: 'one' });
      const tx = store.begin();
      tx.map(M).writtenAt('a');
      tx.map(OTHER).set('x', 'y');
      put(store, M, { a: 'two' });
      assert.throws(() => tx.commit(), ConflictError);
    });
  });

  describe('iteration', () => {
    it('visits entries in key byte order: numeric order for uint keys', () => {
      const store = new Store();
      const N = numMap('n');
      const tx = store.begin();
      for (const k of [256, 2, 10, 0, 65536, 1]) tx.map(N).set(k, k * 2);
      tx.commit();
      const r = store.begin();
      assert.deepStrictEqual([...r.map(N).entries()].map(([k]) => k), [0, 1, 2, 10, 256, 65536]);
      assert.deepStrictEqual([...r.map(N).entries({ from: 2, to: 256 })], [[2, 4], [10, 20]]);
      r.abort();
    });

    it('honours [from, to): from inclusive, to exclusive, either optional', () => {
      const store = new Store();
      put(store, M, { a: '1', b: '2', c: '3', d: '4' });
      const keys = (range: { from?: string; to?: string }) => entries(store, range).map(([k]) => k);
      assert.deepStrictEqual(keys({}), ['a', 'b', 'c', 'd']);
      assert.deepStrictEqual(keys({ from: 'b' }), ['b', 'c', 'd']);
      assert.deepStrictEqual(keys({ to: 'c' }), ['a', 'b']);
      assert.deepStrictEqual(keys({ from: 'b', to: 'd' }), ['b', 'c']);
      assert.deepStrictEqual(keys({ from: 'bb', to: 'cc' }), ['c']);
      assert.deepStrictEqual(keys({ from: 'c', to: 'c' }), []);
      assert.deepStrictEqual(keys({ from: 'd', to: 'a' }), []);
      assert.deepStrictEqual(keys({ from: 'e' }), []);
      assert.deepStrictEqual(keys({ to: 'a' }), []);
    });

    it('merges its own writes and deletes into the committed entries', () => {
      const store = new Store();
      put(store, M, { a: '1', c: '3', e: '5', g: '7' });
      const tx = store.begin();
      const m = tx.map(M);
      m.set('b', 'own b'); // new key between committed ones
      m.set('c', 'own c'); // overwrite
      m.delete('e'); // own delete hides a committed key
      m.set('f', 'tmp');
      m.delete('f'); // set then delete: invisible
      m.set('h', 'own h'); // after the last committed key
      m.set('0', 'own 0'); // before the first
      assert.deepStrictEqual(
        [...m.entries()],
        [['0', 'own 0'], ['a', '1'], ['b', 'own b'], ['c', 'own c'], ['g', '7'], ['h', 'own h']],
      );
      assert.deepStrictEqual([...m.entries({ from: 'b', to: 'g' })], [['b', 'own b'], ['c', 'own c']]);
      assert.deepStrictEqual([...m.entries({ from: 'd', to: 'h' })], [['g', '7']]);
      tx.abort();
    });

    it('equals a sorted model of committed entries plus own writes, for any range (property)', () => {
      const key = fc.constantFrom('', 'a', 'aa', 'ab', 'b', 'ba', 'c', 'é', 'z');
      fc.assert(
        fc.property(
          fc.dictionary(key, fc.string({ maxLength: 3 }), { noNullPrototype: true }),
          fc.array(fc.tuple(key, fc.option(fc.string({ maxLength: 3 }), { nil: undefined })), { maxLength: 8 }),
          fc.option(key, { nil: undefined }),
          fc.option(key, { nil: undefined }),
          (committed, own, from, to) => {
            const store = new Store();
            if (Object.keys(committed).length > 0) put(store, M, committed);
            const model = new Map(Object.entries(committed));
            const tx = store.begin();
            for (const [k, v] of own) {
              if (v === undefined) {
                tx.map(M).delete(k);
                model.delete(k);
              } else {
                tx.map(M).set(k, v);
                model.set(k, v);
              }
            }
            const expected = [...model]
              .filter(([k]) => (from === undefined || k >= from) && (to === undefined || k < to))
              .sort(([x], [y]) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
            assert.deepStrictEqual([...tx.map(M).entries({ from, to })], expected);
            tx.abort();
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('commit', () => {
    it('returns {view, seqno} with seqno increasing by one per write transaction', () => {
      const store = new Store();
      assert.deepStrictEqual(store.txid, { view: 0, seqno: 0 });
      for (let i = 1; i <= 5; i++) {
        const tx = store.begin();
        tx.map(M).set(`k${i}`, 'v');
        assert.deepStrictEqual(tx.commit(), { view: 0, seqno: i });
        assert.deepStrictEqual(store.txid, { view: 0, seqno: i });
      }
      store.setView(3);
      const tx = store.begin();
      tx.map(M).delete('k1'); // a removal alone is a write
      assert.deepStrictEqual(tx.commit(), { view: 3, seqno: 6 });
    });

    it('returns undefined for a read-only transaction and uses no seqno', () => {
      const store = new Store();
      put(store, M, { a: '1' });
      const tx = store.begin();
      assert.equal(tx.map(M).get('a'), '1');
      assert.deepStrictEqual([...tx.map(M).entries()], [['a', '1']]);
      assert.equal(tx.hasWrites, false);
      assert.equal(tx.commit(), undefined);
      assert.deepStrictEqual(store.txid, { view: 0, seqno: 1 });
      assert.equal(store.begin().commit(), undefined);
      assert.equal(put(store, M, { b: '2' }), 2);
    });

    it('closes the transaction: every later use throws TransactionClosedError', () => {
      const store = new Store();
      const closedBy: [string, (tx: ReturnType<Store['begin']>) => void][] = [
        ['commit', (tx) => tx.commit()],
        ['commit of a read-only tx', (tx) => {
          tx.map(M).get('a');
          tx.commit();
        }],
        ['abort', (tx) => tx.abort()],
      ];
      for (const [how, close] of closedBy) {
        const tx = store.begin();
        tx.map(M).set('a', how);
        close(tx);
        assert.equal(tx.isOpen, false, how);
        const m = tx.map(M);
        assert.throws(() => m.get('a'), TransactionClosedError, how);
        assert.throws(() => m.has('a'), TransactionClosedError, how);
        assert.throws(() => m.set('a', 'x'), TransactionClosedError, how);
        assert.throws(() => m.delete('a'), TransactionClosedError, how);
        assert.throws(() => [...m.entries()], TransactionClosedError, how);
        assert.throws(() => tx.commit(), TransactionClosedError, how);
        tx.abort(); // aborting again is harmless
      }
    });

    it('is closed after a failed (conflicting) commit, and leaves the store unchanged', () => {
      const store = new Store();
      put(store, M, { a: '1' });
      const tx = store.begin();
      tx.map(M).get('a');
      tx.map(M).set('b', 'lost');
      put(store, M, { a: '2' });
      assert.throws(() => tx.commit(), ConflictError);
      assert.equal(tx.isOpen, false);
      assert.throws(() => tx.commit(), TransactionClosedError);
      assert.deepStrictEqual(store.txid.seqno, 2);
      assert.deepStrictEqual(entries(store), [['a', '2']]);
    });

    it('takes a 32-byte claims digest only', () => {
      const tx = new Store().begin();
      assert.throws(() => tx.setClaimsDigest(new Uint8Array(31)), RangeError);
      tx.setClaimsDigest(new Uint8Array(32));
      tx.abort();
    });
  });

  describe('snapshot isolation', () => {
    it('does not see writes committed after it began', () => {
      const store = new Store();
      put(store, M, { a: '1', gone: 'x' });
      const old = store.begin();
      put(store, M, { a: '2', b: 'new', gone: undefined });
      const m = old.map(M);
      assert.equal(m.get('a'), '1');
      assert.equal(m.get('b'), undefined);
      assert.equal(m.has('b'), false);
      assert.equal(m.get('gone'), 'x');
      assert.deepStrictEqual([...m.entries()], [['a', '1'], ['gone', 'x']]);
      old.abort();
      assert.deepStrictEqual(entries(store), [['a', '2'], ['b', 'new']]);
    });

    it('reads one stable snapshot however many commits happen during the transaction', () => {
      const store = new Store();
      put(store, M, { a: '0' });
      const old = store.begin();
      for (let i = 1; i <= 5; i++) {
        put(store, M, { a: String(i), [`k${i}`]: 'v' });
        assert.equal(old.map(M).get('a'), '0');
        assert.deepStrictEqual([...old.map(M).entries()], [['a', '0']]);
      }
      old.abort();
    });
  });

  describe('conflicts', () => {
    it('fails a transaction whose read key was written since it began', () => {
      const store = new Store();
      put(store, M, { a: '1' });
      const tx = store.begin();
      assert.equal(tx.map(M).get('a'), '1');
      tx.map(M).set('b', 'depends on a');
      put(store, M, { a: '2' });
      assert.throws(() => tx.commit(), ConflictError);
    });

    it('counts has(), reads of missing keys and reads later deleted as reads', () => {
      const store = new Store();
      put(store, M, { a: '1' });
      const cases: [string, (tx: ReturnType<Store['begin']>) => void, Record<string, string | undefined>][] = [
        ['has', (tx) => tx.map(M).has('a'), { a: '2' }],
        ['missing key created', (tx) => tx.map(M).get('missing'), { missing: 'now here' }],
        ['read key deleted', (tx) => tx.map(M).get('a'), { a: undefined }],
        ['read in a map created later', (tx) => tx.map(strMap('later')).get('x'), {}],
      ];
      for (const [what, read, change] of cases) {
        const tx = store.begin();
        read(tx);
        tx.map(OTHER).set('out', what);
        if (what === 'read in a map created later') {
          const w = store.begin();
          w.map(strMap('later')).set('x', '1');
          w.commit();
        } else {
          put(store, M, change);
        }
        assert.throws(() => tx.commit(), ConflictError, what);
        put(store, M, { a: '1' });
      }
    });

    it('fails a transaction that iterated a map someone wrote to, even a key it never saw', () => {
      const store = new Store();
      put(store, M, { a: '1', m: '2' });
      const tx = store.begin();
      assert.deepStrictEqual([...tx.map(M).entries({ from: 'a', to: 'b' })], [['a', '1']]);
      tx.map(OTHER).set('sum', '1');
      put(store, M, { zzz: 'outside the range' });
      assert.throws(() => tx.commit(), ConflictError);

      // also for a map that did not exist when iterated (phantoms)
      const tx2 = store.begin();
      assert.deepStrictEqual([...tx2.map(strMap('empty')).entries()], []);
      tx2.map(OTHER).set('count', '0');
      const w = store.begin();
      w.map(strMap('empty')).set('x', 'phantom');
      w.commit();
      assert.throws(() => tx2.commit(), ConflictError);

      // stopping the iteration early still counts
      const tx3 = store.begin();
      for (const entry of tx3.map(M).entries()) {
        assert.ok(entry);
        break;
      }
      tx3.map(OTHER).set('first', 'seen');
      put(store, M, { zzzz: 'x' });
      assert.throws(() => tx3.commit(), ConflictError);
    });

    it('prevents write skew: two transactions reading both keys and each writing one', () => {
      const store = new Store();
      put(store, M, { x: '1', y: '1' });
      const t1 = store.begin();
      const t2 = store.begin();
      for (const t of [t1, t2]) assert.equal(Number(t.map(M).get('x')) + Number(t.map(M).get('y')), 2);
      t1.map(M).set('x', '0');
      t2.map(M).set('y', '0');
      assert.ok(t1.commit());
      assert.throws(() => t2.commit(), ConflictError);
    });

    it('prevents lost updates: concurrent read-modify-write of one key', () => {
      const store = new Store();
      put(store, M, { n: '0' });
      const t1 = store.begin();
      const t2 = store.begin();
      t1.map(M).set('n', String(Number(t1.map(M).get('n')) + 1));
      t2.map(M).set('n', String(Number(t2.map(M).get('n')) + 1));
      assert.ok(t2.commit());
      assert.throws(() => t1.commit(), ConflictError);
      assert.deepStrictEqual(entries(store), [['n', '1']]);
    });

    it('lets blind writes to the same key both commit; the later commit wins', () => {
      const store = new Store();
      put(store, M, { k: 'orig' });
      const t1 = store.begin();
      const t2 = store.begin();
      t1.map(M).set('k', 'from t1');
      t2.map(M).set('k', 'from t2');
      assert.equal(t1.map(M).get('k'), 'from t1'); // reading one's own write is not a store read
      assert.deepStrictEqual(t2.commit(), { view: 0, seqno: 2 });
      assert.deepStrictEqual(t1.commit(), { view: 0, seqno: 3 });
      assert.deepStrictEqual(entries(store), [['k', 'from t1']]);
    });

    it('lets transactions on disjoint keys (or other maps) commit in any order', () => {
      const store = new Store();
      put(store, M, { a: '1', b: '1' });
      const t1 = store.begin();
      const t2 = store.begin();
      const t3 = store.begin();
      t1.map(M).set('a', String(Number(t1.map(M).get('a')) + 1));
      t2.map(M).set('b', String(Number(t2.map(M).get('b')) + 1));
      t3.map(OTHER).set('a', String(t3.map(OTHER).get('a') ?? 'none'));
      assert.ok(t2.commit());
      assert.ok(t3.commit());
      assert.ok(t1.commit());
      assert.deepStrictEqual(entries(store), [['a', '2'], ['b', '2']]);
    });

    it('does not fail a stale read-only transaction: it is serialised at its snapshot', () => {
      const store = new Store();
      put(store, M, { a: '1' });
      const reader = store.begin();
      assert.equal(reader.map(M).get('a'), '1');
      put(store, M, { a: '2' });
      assert.equal(reader.commit(), undefined);
    });

    it('commits after a retry on a fresh snapshot', () => {
      const store = new Store();
      put(store, M, { n: '0' });
      const stale = store.begin();
      stale.map(M).set('n', String(Number(stale.map(M).get('n')) + 1));
      put(store, M, { n: '10' });
      assert.throws(() => stale.commit(), ConflictError);
      const retry = store.begin();
      retry.map(M).set('n', String(Number(retry.map(M).get('n')) + 1));
      assert.ok(retry.commit());
      assert.deepStrictEqual(entries(store), [['n', '11']]);
    });
  });

  // BUG (core/kv/transaction.ts:115-123 and 101-112, core/kv/codec.ts:11-14): the store keeps
  // the caller's Uint8Array itself (bytesCodec.encode is the identity and writeRaw stores the
  // reference) and hands the stored array back on reads (bytesCodec.decode is the identity).
  // Mutating a buffer after set(), or mutating what get() returned, silently rewrites
  // committed history — other snapshots, the ledger's copy and the replicas then disagree.
  // Fix: copy at the boundary (bytesCodec: encode `v.slice()`, decode `b.slice()`; or copy in
  // writeRaw and return copies from readRaw/scanRaw).
  describe('committed values are immutable', () => {
    it('is not changed by mutating the array passed to set()', () => {
      const store = new Store();
      const raw = rawMap('raw');
      const value = b(1, 2, 3);
      const tx = store.begin();
      tx.map(raw).set(b(7), value);
      tx.commit();
      value[0] = 99;
      const r = store.begin();
      assert.deepStrictEqual(r.map(raw).get(b(7)), b(1, 2, 3));
      r.abort();
    });

    it('is not changed by mutating the array get() returned', () => {
      const store = new Store();
      const raw = rawMap('raw');
      const tx = store.begin();
      tx.map(raw).set(b(7), b(1, 2, 3));
      tx.commit();
      const r1 = store.begin();
      r1.map(raw).get(b(7))![0] = 99;
      r1.abort();
      const r2 = store.begin();
      assert.deepStrictEqual(r2.map(raw).get(b(7)), b(1, 2, 3));
      r2.abort();
    });
  });
});
