import { strict as assert } from 'node:assert';
import { TransactionClosedError } from '../../core/kv/errors.js';
import { rawMap } from '../../core/kv/map-def.js';
import { readOnly, type ReadOnlyTransaction } from '../../core/kv/read-only.js';
import { Store } from '../../core/kv/store.js';
import { fromUtf8, utf8 } from '../../core/util/bytes.js';

const m = rawMap('m');

describe('kv / read-only transactions', () => {
  let store: Store;
  beforeEach(() => {
    store = new Store();
    for (const v of ['1', '2']) {
      const tx = store.begin();
      tx.map(m).set(utf8('k'), utf8(v));
      tx.map(m).set(utf8(`k${v}`), utf8(v));
      tx.commit();
    }
  });

  /** Rewrite one key many times and compact: what history is left is pinned by a reader. */
  function churnAndCompact() {
    for (let i = 0; i < 10; i++) {
      const tx = store.begin();
      tx.map(m).set(utf8('k'), utf8(`v${i}`));
      tx.commit();
    }
    store.compact(store.txid.seqno);
    return store.retainedHistory;
  }

  it('reads with get, has, writtenAt and entries, and offers nothing that writes', () => {
    const seen = readOnly(store.begin(), (tx) => {
      const map = tx.map(m);
      assert.deepEqual(Object.keys(map).sort(), ['entries', 'get', 'has', 'name', 'writtenAt']);
      assert.equal(map.writtenAt(utf8('k')), 2, 'the seqno that last wrote it');
      assert.equal('commit' in tx || 'abort' in tx, false);
      return { value: fromUtf8(map.get(utf8('k'))!), has: map.has(utf8('k1')), keys: [...map.entries()].map(([k]) => fromUtf8(k)) };
    });
    assert.deepEqual(seen, { value: '2', has: true, keys: ['k', 'k1', 'k2'] });
  });

  it('closes the transaction when the reader returns or throws, so no reader pins compaction', () => {
    let leaked: ReadOnlyTransaction | undefined;
    readOnly(store.snapshot(1), (tx) => (leaked = tx));
    assert.throws(() => readOnly(store.snapshot(1), () => {
      throw new Error('reader failed');
    }), /reader failed/);
    assert.throws(() => leaked!.map(m).get(utf8('k')), TransactionClosedError, 'a view kept past its reader cannot read');
    assert.equal(churnAndCompact(), 0);
  });

  it('closes an async reader once its promise settles, not before', async () => {
    let resume!: () => void;
    const reading = readOnly(store.snapshot(1), async (tx) => {
      await new Promise<void>((r) => (resume = r));
      return fromUtf8(tx.map(m).get(utf8('k'))!);
    });
    assert.ok(churnAndCompact() > 0, 'the open reader holds its snapshot');
    resume();
    assert.equal(await reading, '1');
    assert.equal(churnAndCompact(), 0);
  });
});
