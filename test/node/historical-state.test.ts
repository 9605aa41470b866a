// The historical state builder against a real store and ledger: the state it rebuilds at a
// seqno is what the live store held there, from genesis or from a snapshot, and its cache
// extends forward, reuses what it built, and keeps within its bounds.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { MemoryLedgerStorage } from '../../core/host/memory-storage.js';
import { rawMap } from '../../core/kv/map-def.js';
import { Store } from '../../core/kv/store.js';
import type { Writes } from '../../core/kv/write-set.js';
import { Ledger } from '../../core/ledger/ledger.js';
import { LedgerSecrets } from '../../core/ledger/secrets.js';
import { decodeSnapshot, encodeSnapshot } from '../../core/ledger/snapshot.js';
import { HistoricalStates, HistoryUnavailableError, type HistoryLimits, type HistorySource } from '../../core/node/historical-state.js';
import { fromUtf8, utf8 } from '../../core/util/bytes.js';

const priv = rawMap('accounts');
const pub = rawMap('public:blocks');

type Contents = Record<string, Record<string, string>>;

function contents(state: Writes): Contents {
  const out: Contents = {};
  for (const [name, entries] of state) out[name] = Object.fromEntries([...entries].map(([k, v]) => [k, fromUtf8(v!)]));
  return out;
}

/** A live store whose commits go to a ledger, the states it held at each seqno, and snapshots taken on the way. */
async function history(count: number, snapshotAt: number[] = []) {
  const secrets = new LedgerSecrets([{ fromSeqno: 1, key: new Uint8Array(randomBytes(32)) }, { fromSeqno: Math.ceil(count / 2), key: new Uint8Array(randomBytes(32)) }]);
  const ledger = new Ledger(new MemoryLedgerStorage(), secrets);
  const store = new Store();
  store.onCommit((c) => ledger.appendLocal(c));
  const held: Contents[] = [{}];
  const snapshots = new Map<number, Uint8Array>();
  for (let i = 1; i <= count; i++) {
    if (i === Math.floor(count / 3)) store.setView(2);
    const tx = store.begin();
    tx.map(priv).set(utf8(`acct${i % 7}`), utf8(`balance ${i}`));
    if (i % 3 === 0) tx.map(pub).set(utf8(`block${i}`), utf8(`public ${i}`));
    if (i % 5 === 0) tx.map(priv).delete(utf8(`acct${(i + 2) % 7}`));
    tx.commit();
    held.push(contents(store.state(i)));
    if (snapshotAt.includes(i)) snapshots.set(i, encodeSnapshot({ txid: store.txid, state: store.state(i), peaks: ledger.tree.peaks(i), views: ledger.viewHistory }, secrets));
  }
  await ledger.flush();
  let reads = 0;
  let ledgerBase = 0;
  const source: HistorySource = {
    ledgerBase: () => ledgerBase,
    committed: () => count,
    readEntry: (seqno) => {
      reads++;
      return ledger.readEntry(seqno);
    },
    secrets,
    snapshotSeqnos: async () => [...snapshots.keys()].sort((a, b) => a - b),
    loadSnapshot: async (seqno) => decodeSnapshot(snapshots.get(seqno)!, secrets),
  };
  return { source, held, reads: () => reads, startFrom: (base: number) => (ledgerBase = base) };
}

function stateOf(states: HistoricalStates, seqno: number): Promise<Contents> {
  return states.read(seqno, (tx) => {
    const out: Contents = {};
    for (const def of [priv, pub]) {
      const entries = Object.fromEntries([...tx.map(def).entries()].map(([k, v]) => [Buffer.from(k).toString('latin1'), fromUtf8(v)]));
      if (Object.keys(entries).length > 0) out[def.name] = entries;
    }
    return out;
  });
}

const roomy: HistoryLimits = { maxStates: 4, maxBytes: 1 << 30 };

describe('node / historical state', () => {
  it('rebuilds from the ledger the state the live store held at each seqno, across views and secrets', async () => {
    const h = await history(60);
    const states = new HistoricalStates(h.source, roomy);
    for (const seqno of [0, 1, 17, 20, 29, 30, 31, 59, 60, 5, 44]) assert.deepEqual(await stateOf(states, seqno), h.held[seqno], `at ${seqno}`);
  });

  it('starts from the nearest snapshot at or before the seqno, and reads no entry before it', async () => {
    const h = await history(60, [20, 40]);
    const states = new HistoricalStates(h.source, roomy);
    assert.deepEqual(await stateOf(states, 45), h.held[45]);
    assert.equal(h.reads(), 5);
    assert.deepEqual(await stateOf(states, 40), h.held[40]);
    assert.deepEqual(await stateOf(states, 33), h.held[33]);
    assert.equal(h.reads(), 5 + 13);
  });

  it('a ledger that starts after a snapshot has no state before it', async () => {
    const h = await history(30, [20]);
    h.startFrom(20);
    const states = new HistoricalStates(h.source, roomy);
    assert.deepEqual(await stateOf(states, 25), h.held[25]);
    await assert.rejects(stateOf(states, 19), (e: unknown) => e instanceof HistoryUnavailableError && /starts after a snapshot at seqno 20/.test((e as Error).message));
  });

  it('refuses seqnos past the committed one, and bad ones', async () => {
    const states = new HistoricalStates((await history(10)).source, roomy);
    await assert.rejects(stateOf(states, 11), (e: unknown) => e instanceof HistoryUnavailableError && /committed up to 10/.test((e as Error).message));
    await assert.rejects(stateOf(states, -1), RangeError);
    await assert.rejects(stateOf(states, 1.5), RangeError);
  });

  it('extends forward from the state it built, and answers earlier seqnos of a built store without reading', async () => {
    const h = await history(60);
    const states = new HistoricalStates(h.source, roomy);
    await stateOf(states, 50);
    assert.equal(h.reads(), 50);
    assert.deepEqual(await stateOf(states, 51), h.held[51]);
    assert.equal(h.reads(), 51, 'the next seqno applies one entry');
    assert.deepEqual(await stateOf(states, 10), h.held[10]);
    assert.equal(h.reads(), 51, 'an earlier seqno of the same store reads nothing');
    assert.equal(states.usage.states, 1);
  });

  it('concurrent reads get each its own seqno', async () => {
    const h = await history(40);
    const states = new HistoricalStates(h.source, roomy);
    const seqnos = [40, 3, 22, 39, 1, 30];
    assert.deepEqual(await Promise.all(seqnos.map((s) => stateOf(states, s))), seqnos.map((s) => h.held[s]));
  });

  it('keeps within its bounds: least recently used stores go, and an oversized one drops history below the seqno asked', async () => {
    const h = await history(60, [20, 40]);
    const few = new HistoricalStates(h.source, { maxStates: 2, maxBytes: 1 << 30 });
    await stateOf(few, 10); // from genesis
    await stateOf(few, 25); // from the snapshot at 20 (nearer than extending 10)
    await stateOf(few, 10); // used again
    await stateOf(few, 45); // from 40: the store at 20.. goes
    assert.equal(few.usage.states, 2);
    const before = h.reads();
    assert.deepEqual(await stateOf(few, 8), h.held[8]);
    assert.equal(h.reads(), before, 'the store from genesis was kept');

    const tiny = new HistoricalStates(h.source, { maxStates: 4, maxBytes: 1 });
    assert.deepEqual(await stateOf(tiny, 15), h.held[15]);
    assert.deepEqual(await stateOf(tiny, 18), h.held[18]);
    assert.equal(tiny.usage.states, 1);
    assert.equal(tiny.usage.historyKeys, 0, 'the history below 18 was dropped');
    const unbounded = new HistoricalStates(h.source, roomy);
    await stateOf(unbounded, 18);
    assert.ok(unbounded.usage.historyKeys > 0, 'within the bound, a store keeps the history of its keys');
    const reads = h.reads();
    assert.deepEqual(await stateOf(tiny, 12), h.held[12], 'rebuilt, right');
    assert.equal(h.reads(), reads + 12);
    assert.ok(tiny.usage.bytes < 2000, `estimate ${tiny.usage.bytes}`);
  });
});
