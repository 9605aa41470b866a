// Raft under the deterministic simulator. `npm test` runs a few hundred seeds; a soak:
//   SEEDS=20000 SEED_START=1 npx mocha --no-config -n import=tsx test/consensus/raft.test.ts
// A failing seed is printed; replay it with SEED_START=<seed> SEEDS=1.
import { strict as assert } from 'node:assert';
import { RaftNode, initialState, type RaftEvent } from '../../core/consensus/raft.js';
import type { Message, NodeId, PersistentState } from '../../core/consensus/types.js';
import { DEFAULT_FAULTS, runSeed, seededRandom, Simulation } from './simulator.js';

const SEEDS = Number(process.env.SEEDS ?? 300);
const CALM = { ...DEFAULT_FAULTS, loss: 0, duplicate: 0, crash: 0, restart: 0, partition: 0, heal: 0, slow: 0 };
const SEED_START = Number(process.env.SEED_START ?? 1);

/**
 * Raft nodes driven by hand: the test says who campaigns and which messages are lost, so a
 * scenario the simulator only reaches by chance happens every time. Persistence is
 * immediate; a crash keeps the persistent state.
 */
class HandCluster {
  private readonly nodes = new Map<NodeId, RaftNode<string> | undefined>();
  private readonly disks = new Map<NodeId, PersistentState<string>>();
  private readonly inbox: { from: NodeId; to: NodeId; message: Message<string> }[] = [];
  /** every event each node emitted, in order */
  readonly events = new Map<NodeId, RaftEvent<string>[]>();
  // The longest election timeout: no node campaigns on its own while a test ticks it.
  private readonly options = { electionTicks: [10, 20] as [number, number], heartbeatTicks: 100, maxEntriesPerAppend: 64, random: () => 0.999 };

  constructor(readonly ids: NodeId[]) {
    for (const id of ids) this.nodes.set(id, new RaftNode(id, initialState(ids), this.options));
  }

  raft(id: NodeId): RaftNode<string> {
    const raft = this.nodes.get(id);
    if (!raft) throw new Error(`${id} is down`);
    return raft;
  }

  crash(id: NodeId): void {
    this.disks.set(id, this.raft(id).persistentState());
    this.nodes.set(id, undefined);
  }

  restart(id: NodeId): void {
    this.nodes.set(id, new RaftNode(id, this.disks.get(id)!, this.options));
  }

  /** Let every live node's primary look dead (pre-vote), then have `id` campaign and win. */
  elect(id: NodeId): RaftNode<string> {
    for (let t = 0; t < this.options.electionTicks[0]; t++) for (const raft of this.nodes.values()) if (raft?.role !== 'primary') raft?.tick();
    this.raft(id).campaign();
    this.exchange();
    assert.equal(this.raft(id).role, 'primary', `${id} won`);
    return this.raft(id);
  }

  /** The primary sends what it has, twice: the second round carries the commit index. */
  replicate(primary: NodeId): void {
    for (let round = 0; round < 2; round++) {
      this.raft(primary).flush();
      this.exchange();
    }
  }

  /** Deliver messages until none are left, persisting after every input. */
  exchange(options: { drop?: (from: NodeId, to: NodeId) => boolean } = {}): void {
    this.collect();
    for (let m = this.inbox.shift(); m; m = this.inbox.shift()) {
      const target = this.nodes.get(m.to);
      if (!target || options.drop?.(m.from, m.to)) continue;
      target.receive(m.from, m.message);
      this.collect();
    }
  }

  private collect(): void {
    for (const [id, raft] of this.nodes) {
      if (!raft) continue;
      raft.persisted(raft.lastIndex);
      const events = this.events.get(id) ?? [];
      events.push(...raft.takeEvents());
      this.events.set(id, events);
      for (const { to, message } of raft.takeMessages()) this.inbox.push({ from: id, to, message });
    }
  }
}

describe('consensus / raft state machine', () => {
  it('a single node elects itself and commits at signatures only', () => {
    const raft = new RaftNode<string>('a', initialState(['a']), { electionTicks: [3, 5], heartbeatTicks: 1, maxEntriesPerAppend: 8, random: seededRandom(1) });
    for (let i = 0; i < 10 && raft.role !== 'primary'; i++) raft.tick();
    assert.equal(raft.role, 'primary');
    raft.propose('data', 'x');
    raft.persisted(raft.lastIndex);
    assert.equal(raft.committed, 0, 'a data entry is not a commit point');
    raft.propose('signature', 'sig');
    assert.equal(raft.committed, 0, 'not before it is durable');
    raft.persisted(raft.lastIndex);
    assert.equal(raft.committed, 2);
  });

  it('a backup holding an unsigned suffix wins the election and drops the suffix, so no node ever sees it', () => {
    // a leads and commits; then replicates an unsigned entry to b only and crashes. b and c
    // hold the same last signature, so b may win; a new primary must drop what no signature
    // covers instead of replicating and committing it under its own signature.
    const cluster = new HandCluster(['a', 'b', 'c']);
    const a = cluster.elect('a');
    a.propose('data', 'committed write');
    a.propose('signature', 'sig-1');
    cluster.replicate('a');
    const committed = a.committed;
    assert.equal(committed, a.lastIndex);
    for (const id of ['b', 'c']) assert.equal(cluster.raft(id).committed, committed);

    const unsigned = a.propose('data', 'unsigned')!;
    a.flush();
    cluster.exchange({ drop: (from, to) => from === 'a' && to === 'c' });
    assert.equal(cluster.raft('b').entry(unsigned.index)?.payload, 'unsigned', 'b holds the unsigned suffix');
    assert.equal(cluster.raft('c').lastIndex, committed, 'c does not');
    cluster.crash('a');

    const b = cluster.elect('b');
    assert.equal(b.currentTerm, a.currentTerm + 1);
    assert.equal(b.lastIndex, committed, 'the new primary dropped its unsigned suffix');
    const signature = b.propose('signature', 'sig-2')!; // what the host does for a new term
    assert.equal(signature.index, unsigned.index, 'the new term starts where the dropped entry was');
    cluster.replicate('b');
    for (const id of ['b', 'c']) {
      const raft = cluster.raft(id);
      assert.equal(raft.committed, signature.index, `${id} commits the new term`);
      for (let i = 1; i <= raft.lastIndex; i++) assert.notEqual(raft.entry(i)?.payload, 'unsigned', `${id} holds the dropped entry at ${i}`);
    }

    cluster.restart('a');
    cluster.replicate('b');
    const back = cluster.raft('a');
    assert.equal(back.committed, signature.index, 'the old primary catches up');
    assert.equal(back.entry(unsigned.index)?.payload, 'sig-2', 'and its copy of the unsigned entry is overwritten');
  });

  it('a backup that did not campaign learns the new primary from its messages: a primary event, with no role change', () => {
    // (the front end abandons a request in flight to the old primary on this event)
    const cluster = new HandCluster(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.replicate('a');
    const primaries = () => cluster.events.get('c')!.filter((e) => e.type === 'primary').map((e) => (e as { primary?: NodeId }).primary);
    assert.deepEqual(primaries(), ['a']);
    assert.equal(cluster.raft('c').primary, 'a');
    cluster.crash('a');
    const roleEventsBefore = cluster.events.get('c')!.filter((e) => e.type === 'role').length;
    cluster.elect('b');
    cluster.replicate('b');
    assert.equal(cluster.raft('c').role, 'backup');
    assert.equal(cluster.events.get('c')!.filter((e) => e.type === 'role').length, roleEventsBefore, 'c never changed role');
    assert.equal(cluster.raft('c').primary, 'b');
    assert.deepEqual(primaries().slice(-1), ['b'], 'c told of the new primary');
  });

  it('the simulator persists asynchronously: a crash loses the writes storage had not completed', () => {
    const sim = new Simulation(3, ['a', 'b', 'c'], CALM);
    for (let i = 0; i < 100; i++) sim.runStep(false);
    const primary = sim.primary()!;
    const node = sim.nodes.get(primary)!;
    const entry = node.raft!.propose('data', 'not yet stored')!;
    node.raft!.propose('signature', 'sig: not yet stored');
    sim.runStep(false); // the write is asked for; it completes a tick later at the earliest
    assert.ok(node.raft!.entry(entry.index), 'the primary holds the entry');
    sim.crashNode(primary);
    const onDisk = node.disk.entries[entry.index - node.disk.base.index - 1];
    assert.notEqual(onDisk?.payload, 'not yet stored', 'the crash lost the entries whose write had not completed');
    sim.restartNode(primary);
    assert.notEqual(node.raft!.entry(entry.index)?.payload, 'not yet stored');
  });

  it('an isolated primary commits nothing, steps down, and loses its unsigned writes', () => {
    const sim = new Simulation(11, ['a', 'b', 'c', 'd', 'e'], CALM);
    for (let i = 0; i < 100; i++) sim.runStep(false);
    const old = sim.primary()!;
    const oldRaft = sim.nodes.get(old)!.raft!;
    const committedBefore = oldRaft.committed;
    sim.isolate(old);
    oldRaft.propose('data', 'minority write');
    const minorityEntry = oldRaft.propose('signature', 'minority signature')!;
    for (let i = 0; i < 300; i++) sim.runStep(false);
    assert.equal(oldRaft.committed, committedBefore, 'the minority commits nothing');
    assert.notEqual(oldRaft.role, 'primary', 'check-quorum made it step down');
    const fresh = sim.primary()!;
    assert.ok(fresh && fresh !== old, 'the majority elected another primary');
    sim.reconnect();
    for (let i = 0; i < 200; i++) sim.runStep(false);
    assert.equal(sim.primary(), fresh, 'rejoining does not depose the new primary');
    assert.notEqual(oldRaft.entry(minorityEntry.index)?.payload, 'minority signature', 'the uncommitted minority entries are gone');
    assert.ok(oldRaft.committed > committedBefore, 'the old primary caught up');
  });

  it('an isolated backup cannot disrupt the majority when it returns (pre-vote)', () => {
    const sim = new Simulation(13, ['a', 'b', 'c'], CALM);
    for (let i = 0; i < 100; i++) sim.runStep(false);
    const primary = sim.primary()!;
    const backup = ['a', 'b', 'c'].find((x) => x !== primary)!;
    const term = sim.nodes.get(primary)!.raft!.currentTerm;
    sim.isolate(backup);
    for (let i = 0; i < 300; i++) sim.runStep(false);
    assert.equal(sim.nodes.get(backup)!.raft!.currentTerm, term, 'its term does not climb while cut off');
    sim.reconnect();
    for (let i = 0; i < 100; i++) sim.runStep(false);
    assert.equal(sim.primary(), primary);
    assert.equal(sim.nodes.get(primary)!.raft!.currentTerm, term, 'no election happened');
  });

  it('changes configuration under joint quorums, and a removed primary hands over', () => {
    const sim = new Simulation(5, ['a', 'b', 'c', 'd'], CALM);
    // d starts outside the configuration of a, b, c.
    for (const id of ['a', 'b', 'c', 'd']) {
      const n = sim.nodes.get(id)!;
      n.disk = initialState(['a', 'b', 'c']);
      n.raft = new RaftNode(id, n.disk, sim.options);
    }
    for (let i = 0; i < 100; i++) sim.runStep(false);
    const primary = sim.primary()!;
    const raft = sim.nodes.get(primary)!.raft!;
    const next = ['a', 'b', 'c', 'd'].filter((x) => x !== primary);
    raft.propose('data', 'reconfigure', next);
    raft.propose('signature', 'sig-reconfigure');
    for (let i = 0; i < 300; i++) sim.runStep(false);
    const newPrimary = sim.primary()!;
    assert.ok(newPrimary && newPrimary !== primary, `a node of the new configuration leads (got ${newPrimary})`);
    assert.deepEqual([...sim.nodes.get(newPrimary)!.raft!.configAt(sim.nodes.get(newPrimary)!.raft!.lastIndex)], next);
    assert.ok(sim.nodes.get('d')!.raft!.committed >= raft.lastIndex, 'the added node holds the committed log');
  });

  it('a backup that was down while the log was compacted catches up from a snapshot', () => {
    const sim = new Simulation(21, ['a', 'b', 'c'], CALM);
    for (let i = 0; i < 60; i++) sim.runStep(false);
    const primary = sim.primary()!;
    const lagging = ['a', 'b', 'c'].find((x) => x !== primary)!;
    sim.crashNode(lagging);
    for (let i = 0; i < 300; i++) sim.runStep(false);
    const leader = sim.nodes.get(sim.primary()!)!.raft!;
    assert.ok(leader.baseIndex > sim.nodes.get(lagging)!.disk.entries.length, 'the primary compacted past what the backup holds');
    const before = sim.installs;
    sim.restartNode(lagging);
    for (let i = 0; i < 100; i++) sim.runStep(false);
    assert.ok(sim.installs > before, 'it was sent a snapshot');
    const raft = sim.nodes.get(lagging)!.raft!;
    assert.ok(raft.committed >= leader.committed - 20, `it caught up (${raft.committed} of ${leader.committed})`);
    assert.ok(raft.lastIndex - raft.baseIndex < 60, 'and holds only the entries after a snapshot');
  });

  it('compact refuses what is not committed or not a signature', () => {
    const raft = new RaftNode<string>('a', initialState(['a']), { electionTicks: [3, 5], heartbeatTicks: 1, maxEntriesPerAppend: 8, random: seededRandom(1) });
    for (let i = 0; i < 10 && raft.role !== 'primary'; i++) raft.tick();
    raft.propose('data', 'x');
    raft.propose('signature', 's');
    raft.propose('data', 'y');
    raft.persisted(raft.lastIndex);
    assert.throws(() => raft.compact(1, 'snap'), /signature/);
    assert.throws(() => raft.compact(3, 'snap'), /commit index/);
    raft.compact(2, 'snap');
    assert.equal(raft.baseIndex, 2);
    assert.equal(raft.entry(3)?.payload, 'y');
    assert.equal(raft.persistentState().snapshot, 'snap');
    assert.throws(() => new RaftNode<string>('a', { ...initialState(['a']), base: { index: 2, term: 1 } }, { electionTicks: [3, 5], heartbeatTicks: 1, maxEntriesPerAppend: 8, random: seededRandom(1) }), /snapshot/);
  });

  it(`keeps every safety invariant and makes progress after healing, for ${SEEDS} seeds`, function () {
    this.timeout(0);
    let installs = 0;
    for (let seed = SEED_START; seed < SEED_START + SEEDS; seed++) {
      try {
        installs += runSeed(seed, { nodes: seed % 2 === 0 ? 3 : 5 }).installs;
      } catch (e) {
        throw new Error(`${(e as Error).message}\n  replay: SEED_START=${seed} SEEDS=1 npx mocha --no-config -n import=tsx test/consensus/raft.test.ts`);
      }
    }
    if (SEEDS >= 100) assert.ok(installs > SEEDS / 10, `snapshot catch-up was exercised (${installs} installs)`);
  });
});
