// Property: whatever the interleaving, the transactions that commit are serialisable in
// commit order, every transaction reads one consistent snapshot, and conflicts are exactly
// the ones optimistic validation promises (no missed ones, no spurious ones).
//
// A scenario is some initial data, 2–6 planned transactions (operations on a small key space
// over 1–2 maps, then commit or abort), an interleaving schedule, and points at which the
// store compacts its history. We run it against one store, recording what every operation
// observed, then replay on a fresh store:
//   - a transaction that committed with seqno s is replayed alone on the state after s - 1;
//   - any other transaction (read-only, conflicted, aborted) is replayed alone on the state
//     at its read version: it wrote nothing, so that is where it serialises;
// and require that every replayed read equals the original one and that both stores end
// with the same contents and the same serialised write sets.
import fc from 'fast-check';
import { ConflictError } from '../../core/kv/errors.js';
import type { MapDef } from '../../core/kv/map-def.js';
import { Store } from '../../core/kv/store.js';
import type { Transaction } from '../../core/kv/transaction.js';
import { serialiseWrites } from '../../core/kv/write-set.js';
import { toHex } from '../../core/util/bytes.js';
import { assert, dump, numMap } from './helpers.js';

const MAPS: MapDef<number, number>[] = [numMap('m'), numMap('public:p')];
const KEYS = 4;

type Range = { from?: number; to?: number };
type Op =
  | { t: 'get' | 'has' | 'del'; map: number; key: number }
  | { t: 'set'; map: number; key: number; value: number }
  | { t: 'add'; map: number; key: number; delta: number } // read-modify-write
  | { t: 'scan'; map: number; range: Range }
  | { t: 'sum'; map: number; range: Range; target: { map: number; key: number } }; // scan, then write the sum

interface Plan {
  ops: Op[];
  end: 'commit' | 'abort';
}

interface Scenario {
  initial: [map: number, key: number, value: number][];
  plans: Plan[];
  schedule: number[];
  compactAt: boolean[];
}

type Outcome = { kind: 'committed'; seqno: number } | { kind: 'read-only' | 'conflict' | 'aborted' };

interface Run {
  readVersion: number;
  observed: unknown[];
  outcome?: Outcome;
  /** "map/key" read from the store (not shadowed by an own write), and maps iterated */
  storeReads: Set<string>;
  scanned: Set<number>;
  /** "map/key" written (puts and removals) */
  written: Set<string>;
  /** store seqno just before this transaction tried to commit */
  seqnoAtCommit?: number;
}

function scenario(maxTxs: number): fc.Arbitrary<Scenario> {
  return fc.integer({ min: 1, max: 2 }).chain((mapCount) => {
    const map = fc.nat({ max: mapCount - 1 });
    const key = fc.nat({ max: KEYS - 1 });
    const bound = fc.option(fc.nat({ max: KEYS }), { nil: undefined });
    const range = fc.record({ from: bound, to: bound }).map(({ from, to }) => {
      const r: Range = {};
      if (from !== undefined) r.from = from;
      if (to !== undefined) r.to = to;
      return r;
    });
    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.record({ t: fc.constantFrom('get' as const, 'has' as const), map, key }), weight: 3 },
      { arbitrary: fc.record({ t: fc.constant('del' as const), map, key }), weight: 1 },
      { arbitrary: fc.record({ t: fc.constant('set' as const), map, key, value: fc.nat({ max: 9 }) }), weight: 2 },
      { arbitrary: fc.record({ t: fc.constant('add' as const), map, key, delta: fc.integer({ min: 1, max: 3 }) }), weight: 2 },
      { arbitrary: fc.record({ t: fc.constant('scan' as const), map, range }), weight: 1 },
      { arbitrary: fc.record({ t: fc.constant('sum' as const), map, range, target: fc.record({ map, key }) }), weight: 1 },
    );
    const plan = fc.record({
      ops: fc.array(op, { minLength: 0, maxLength: 6 }),
      end: fc.oneof({ arbitrary: fc.constant('commit' as const), weight: 5 }, { arbitrary: fc.constant('abort' as const), weight: 1 }),
    });
    return fc.record({
      initial: fc.array(fc.tuple(map, key, fc.nat({ max: 9 })), { maxLength: 6 }),
      plans: fc.array(plan, { minLength: 2, maxLength: maxTxs }),
      schedule: fc.array(fc.nat({ max: 7 }), { maxLength: 50 }),
      compactAt: fc.array(fc.boolean(), { maxLength: 50 }),
    });
  });
}

const id = (map: number, key: number) => `${map}/${key}`;

/** Perform one operation; returns what it observed (undefined for pure writes). */
function perform(tx: Transaction, op: Op, run: Run | undefined): unknown {
  const m = tx.map(MAPS[op.map]!);
  const noteRead = (key: number) => {
    if (run && !run.written.has(id(op.map, key))) run.storeReads.add(id(op.map, key));
  };
  const noteWrite = (map: number, key: number) => run?.written.add(id(map, key));
  switch (op.t) {
    case 'get':
      noteRead(op.key);
      return m.get(op.key) ?? null;
    case 'has':
      noteRead(op.key);
      return m.has(op.key);
    case 'set':
      m.set(op.key, op.value);
      noteWrite(op.map, op.key);
      return undefined;
    case 'del':
      m.delete(op.key);
      noteWrite(op.map, op.key);
      return undefined;
    case 'add': {
      noteRead(op.key);
      const v = m.get(op.key) ?? null;
      m.set(op.key, (v ?? 0) + op.delta);
      noteWrite(op.map, op.key);
      return v;
    }
    case 'scan':
      run?.scanned.add(op.map);
      return [...m.entries(op.range)];
    case 'sum': {
      run?.scanned.add(op.map);
      const seen = [...m.entries(op.range)];
      tx.map(MAPS[op.target.map]!).set(op.target.key, seen.reduce((s, [, v]) => s + v, 0));
      noteWrite(op.target.map, op.target.key);
      return seen;
    }
  }
}

function seed(store: Store, initial: Scenario['initial']): void {
  if (initial.length === 0) return;
  const tx = store.begin();
  for (const [map, key, value] of initial) tx.map(MAPS[map]!).set(key, value);
  tx.commit();
}

/** Run the scenario concurrently; returns the per-transaction records and the write sets. */
function runConcurrently(s: Scenario): { store: Store; runs: Run[]; writeSets: string[] } {
  const store = new Store();
  const writeSets: string[] = [];
  seed(store, s.initial);
  store.onCommit((c) => {
    const { publicDomain, privateDomain } = serialiseWrites(c.writes);
    writeSets.push(`${c.txid.seqno}:${toHex(publicDomain)}:${toHex(privateDomain)}`);
  });
  const txs: (Transaction | undefined)[] = s.plans.map(() => undefined);
  const runs: (Run | undefined)[] = s.plans.map(() => undefined);
  const next = s.plans.map(() => 0); // 0: begin; 1..n: op i-1; n+1: end
  let step = 0;
  for (;;) {
    const live = s.plans.map((_, i) => i).filter((i) => next[i]! <= s.plans[i]!.ops.length + 1);
    if (live.length === 0) break;
    const i = live[(s.schedule[step] ?? 0) % live.length]!;
    const plan = s.plans[i]!;
    const at = next[i]!++;
    if (at === 0) {
      const tx = store.begin();
      txs[i] = tx;
      runs[i] = { readVersion: tx.readVersion, observed: [], storeReads: new Set(), scanned: new Set(), written: new Set() };
    } else if (at <= plan.ops.length) {
      runs[i]!.observed.push(perform(txs[i]!, plan.ops[at - 1]!, runs[i]));
    } else {
      const run = runs[i]!;
      if (plan.end === 'abort') {
        txs[i]!.abort();
        run.outcome = { kind: 'aborted' };
      } else {
        run.seqnoAtCommit = store.txid.seqno;
        try {
          const txid = txs[i]!.commit();
          run.outcome = txid ? { kind: 'committed', seqno: txid.seqno } : { kind: 'read-only' };
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
          run.outcome = { kind: 'conflict' };
        }
      }
    }
    if (s.compactAt[step]) store.compact(store.txid.seqno);
    step++;
  }
  return { store, runs: runs as Run[], writeSets };
}

function checkScenario(s: Scenario): void {
  const { store, runs, writeSets } = runConcurrently(s);
  const base = s.initial.length > 0 ? 1 : 0;
  const writers = runs
    .map((run, i) => ({ run, i }))
    .filter(({ run }) => run.outcome!.kind === 'committed')
    .sort((x, y) => (x.run.outcome as { seqno: number }).seqno - (y.run.outcome as { seqno: number }).seqno);
  assert.deepStrictEqual(
    writers.map(({ run }) => (run.outcome as { seqno: number }).seqno),
    writers.map((_, k) => base + k + 1),
    'committed seqnos are consecutive',
  );

  // Conflicts are exactly the documented ones: a store read or an iterated map was written
  // by a transaction that committed after this one's read version.
  for (const run of runs) {
    if (run.outcome!.kind !== 'committed' && run.outcome!.kind !== 'conflict') continue;
    const clash = writers.some(({ run: w }) => {
      const seqno = (w.outcome as { seqno: number }).seqno;
      if (seqno <= run.readVersion || seqno > run.seqnoAtCommit!) return false;
      return [...w.written].some((k) => run.storeReads.has(k) || run.scanned.has(Number(k.split('/')[0])));
    });
    assert.equal(run.outcome!.kind, clash ? 'conflict' : 'committed', 'conflict detection');
  }

  // Serial replay on a fresh store.
  const replay = new Store();
  const replayWriteSets: string[] = [];
  seed(replay, s.initial);
  replay.onCommit((c) => {
    const { publicDomain, privateDomain } = serialiseWrites(c.writes);
    replayWriteSets.push(`${c.txid.seqno}:${toHex(publicDomain)}:${toHex(privateDomain)}`);
  });
  const lastSeqno = base + writers.length;
  for (let p = base; p <= lastSeqno; p++) {
    // transactions that wrote nothing to the store serialise at their snapshot
    runs.forEach((run, i) => {
      if (run.outcome!.kind === 'committed' || run.readVersion !== p) return;
      const tx = replay.begin();
      const observed = s.plans[i]!.ops.map((op) => perform(tx, op, undefined));
      tx.abort();
      assert.deepStrictEqual(observed, run.observed, `reads of transaction ${i} (${run.outcome!.kind}) at snapshot ${p}`);
    });
    const writer = writers.find(({ run }) => (run.outcome as { seqno: number }).seqno === p + 1);
    if (!writer) continue;
    const tx = replay.begin();
    const observed = s.plans[writer.i]!.ops.map((op) => perform(tx, op, undefined));
    assert.deepStrictEqual(observed, writer.run.observed, `reads of committed transaction ${writer.i} in serial order`);
    assert.deepStrictEqual(tx.commit(), { view: 0, seqno: p + 1 });
  }
  assert.deepStrictEqual(dump(replay), dump(store), 'final contents');
  assert.deepStrictEqual(replayWriteSets, writeSets, 'serialised write sets');
}

describe('kv serialisability (property)', () => {
  it('committed transactions are equivalent to running them one by one in commit order', () => {
    fc.assert(fc.property(scenario(6), checkScenario), { numRuns: 400 });
  });

  it('holds for many transactions racing on a single map', () => {
    fc.assert(
      fc.property(scenario(6).filter((s) => s.plans.length >= 4), (s) =>
        checkScenario({
          ...s,
          initial: s.initial.map(([, key, value]) => [0, key, value]),
          plans: s.plans.map((plan) => ({ ...plan, ops: plan.ops.map(onMapZero) })),
        }),
      ),
      { numRuns: 200 },
    );
  });

  it('checks something: the generator produces commits, conflicts and read-only transactions', () => {
    const seen = { committed: 0, conflict: 0, 'read-only': 0, aborted: 0 };
    fc.assert(
      fc.property(scenario(6), (s) => {
        for (const run of runConcurrently(s).runs) seen[run.outcome!.kind]++;
      }),
      { numRuns: 200, seed: 42 },
    );
    for (const [kind, n] of Object.entries(seen)) assert.ok(n >= 20, `only ${n} ${kind} transactions in 200 scenarios`);
  });
});

/** The same operation, moved onto map 0. */
function onMapZero(op: Op): Op {
  return op.t === 'sum' ? { ...op, map: 0, target: { ...op.target, map: 0 } } : { ...op, map: 0 };
}
