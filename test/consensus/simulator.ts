// A deterministic simulator for the Raft state machine: N nodes, a virtual clock and a
// virtual network, all driven by one seed. Faults: message loss, duplication, reordering
// and delay; partitions, including one-way ones; crashes and restarts from persisted
// state; slow nodes. Each node's host snapshots its committed state every few entries and
// compacts its log behind a snapshot, so backups that fall behind catch up from one.
//
// Persistence is asynchronous, as on a real disk: after each input the host hands the
// node's persistent state (term, vote, log) to storage, and the write completes a few
// ticks later, in order. Messages that depend on it wait for it, as core/node/replication.ts
// makes them: an acknowledgement of entries waits until they are stored, and anything sent
// after a new term or vote waits until that is stored. A primary counts itself towards a
// commit only up to what its storage has completed. A crash loses every write not yet
// completed, with the messages waiting for it.
//
// After every step it checks Raft's safety invariants and throws with
// the seed and step on the first violation, so a failure replays exactly.
import { RaftNode, initialState, type RaftOptions } from '../../core/consensus/raft.js';
import type { Entry, Message, NodeId, Outbound, PersistentState } from '../../core/consensus/types.js';

/** mulberry32: small, fast, good enough for schedules. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultProfile {
  loss: number;
  duplicate: number;
  /** extra delay in ticks, uniform in [0, maxDelay] */
  maxDelay: number;
  /** per step: chance to crash a live node / restart a dead one */
  crash: number;
  restart: number;
  /** per step: chance to cut a random link (one way) / to heal every link */
  partition: number;
  heal: number;
  /** per step: chance to make a node slow (its messages take 5 extra ticks) */
  slow: number;
  /** a storage write completes 1 + uniform [0, persistDelay] ticks after it is asked for */
  persistDelay: number;
}

export const DEFAULT_FAULTS: FaultProfile = {
  loss: 0.05,
  duplicate: 0.03,
  maxDelay: 3,
  crash: 0.004,
  restart: 0.02,
  partition: 0.01,
  heal: 0.01,
  slow: 0.005,
  persistDelay: 3,
};

type Payload = string;

/** The host's state machine is a running digest of the committed entries. */
function digestOf(previous: string, entry: Entry<Payload>): string {
  let h = 0x811c9dc5;
  for (const c of `${previous}|${entry.term}:${entry.payload}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16);
}

/** A snapshot payload: the index it was taken at and the state digest there. */
function snapshotPayload(index: number, digest: string): Payload {
  return `snap:${index}:${digest}`;
}

function parseSnapshot(payload: Payload): { index: number; digest: string } {
  const [, index, digest] = payload.split(':');
  return { index: Number(index), digest: digest! };
}

/** A host takes a snapshot once its commit index has moved this far past the last one. */
const SNAPSHOT_EVERY = 12;

/** A storage write in progress, and the messages that may leave only once it completes. */
interface PendingWrite {
  at: number;
  state: PersistentState<Payload>;
  messages: Outbound<Payload>[];
}

interface SimNode {
  raft: RaftNode<Payload> | undefined;
  /** what storage holds: the state of the last completed write (a restart starts from it) */
  disk: PersistentState<Payload>;
  /** writes in progress, oldest first (a crash loses them) */
  pending: PendingWrite[];
  /** the state handed to storage last (the newest pending write, or the disk) */
  issued: PersistentState<Payload>;
  /** digest of the committed state this node has applied, and up to where */
  digest: string;
  appliedUpTo: number;
  /** snapshots this node's host took, newest last */
  snapshots: Payload[];
  slow: boolean;
}

interface InFlight {
  at: number;
  from: NodeId;
  to: NodeId;
  message: Message<Payload>;
}

export class SimulationError extends Error {}

export class Simulation {
  readonly random: () => number;
  readonly nodes = new Map<NodeId, SimNode>();
  /** messages in flight, by the tick they arrive at */
  private network = new Map<number, InFlight[]>();
  /** links cut in one direction: "from>to" */
  private cut = new Set<string>();
  private now = 0;
  private step = 0;
  /** after heal(): no more loss, duplication or extra delay */
  private calm = false;
  private proposals = 0;
  /** snapshots installed by backups (the tests check that the path is exercised) */
  installs = 0;
  /** term -> the node that was primary in it */
  private primaries = new Map<number, NodeId>();
  /** the globally committed log: index -> entry, and the state digest after it */
  private committed = new Map<number, Entry<Payload>>();
  private committedDigests = new Map<number, string>([[0, '']]);
  private committedUpTo = 0;
  private checkedUpTo = 0;
  readonly options: RaftOptions;

  constructor(
    readonly seed: number,
    readonly ids: NodeId[],
    readonly faults: FaultProfile = DEFAULT_FAULTS,
  ) {
    this.random = seededRandom(seed);
    this.options = { electionTicks: [10, 20], heartbeatTicks: 3, maxEntriesPerAppend: 16, random: this.random };
    for (const id of ids) {
      const disk = initialState<Payload>(ids);
      this.nodes.set(id, { raft: new RaftNode(id, disk, this.options), disk, pending: [], issued: disk, digest: '', appliedUpTo: 0, snapshots: [], slow: false });
    }
  }

  private fail(message: string): never {
    throw new SimulationError(`seed ${this.seed}, step ${this.step}: ${message}`);
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[Math.floor(this.random() * items.length)];
  }

  get maxCommitted(): number {
    return this.committedUpTo;
  }

  primary(): NodeId | undefined {
    let found: NodeId | undefined;
    let term = -1;
    for (const [id, n] of this.nodes) {
      if (n.raft?.role === 'primary' && n.raft.currentTerm > term) {
        found = id;
        term = n.raft.currentTerm;
      }
    }
    return found;
  }

  /** One tick of virtual time with faults drawn from the profile. */
  runStep(withFaults = true): void {
    this.step++;
    this.now++;
    if (withFaults) this.injectFaults();
    this.completeWrites();
    for (const [id, n] of this.nodes) {
      if (!n.raft) continue;
      n.raft.tick();
      this.drain(id);
    }
    this.deliver();
    this.driveClients();
    this.checkInvariants();
  }

  /** Remove every fault: links healed, nodes restarted, no more loss. */
  heal(): void {
    this.calm = true;
    this.cut.clear();
    for (const [id, n] of this.nodes) {
      n.slow = false;
      if (!n.raft) this.restartNode(id);
    }
  }

  private injectFaults(): void {
    const f = this.faults;
    const live = [...this.nodes].filter(([, n]) => n.raft).map(([id]) => id);
    const dead = [...this.nodes].filter(([, n]) => !n.raft).map(([id]) => id);
    // Keep a majority alive most of the time so that progress is possible.
    if (this.random() < f.crash && live.length > Math.floor(this.ids.length / 2)) this.crashNode(this.pick(live)!);
    if (this.random() < f.restart && dead.length > 0) this.restartNode(this.pick(dead)!);
    if (this.random() < f.partition) {
      const a = this.pick(this.ids)!;
      const b = this.pick(this.ids.filter((x) => x !== a))!;
      this.cut.add(`${a}>${b}`);
      if (this.random() < 0.5) this.cut.add(`${b}>${a}`);
    }
    if (this.random() < f.heal) this.cut.clear();
    if (this.random() < f.slow) {
      const n = this.nodes.get(this.pick(this.ids)!)!;
      n.slow = !n.slow;
    }
  }

  /** Cut a node off both ways, dropping what is in flight to or from it. */
  isolate(id: NodeId): void {
    for (const other of this.ids) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
    for (const [at, bucket] of this.network) this.network.set(at, bucket.filter((m) => m.from !== id && m.to !== id));
  }

  reconnect(): void {
    this.cut.clear();
  }

  crashNode(id: NodeId): void {
    const n = this.nodes.get(id)!;
    // Volatile state is gone, and so are writes not yet completed with the messages
    // waiting for them; `disk` holds what was persisted.
    n.raft = undefined;
    n.pending = [];
    n.issued = n.disk;
  }

  restartNode(id: NodeId): void {
    const n = this.nodes.get(id)!;
    n.raft = new RaftNode(id, n.disk, this.options);
    // The host reloads the snapshot its log starts from, then applies commits after it.
    const base = n.disk.snapshot === undefined ? { index: 0, digest: '' } : parseSnapshot(n.disk.snapshot);
    n.appliedUpTo = base.index;
    n.digest = base.digest;
    n.snapshots = n.disk.snapshot === undefined ? [] : [n.disk.snapshot];
  }

  /** Apply events, start persisting, send or hold messages: what a host does after each input. */
  private drain(id: NodeId): void {
    const n = this.nodes.get(id)!;
    const raft = n.raft!;
    for (const event of raft.takeEvents()) {
      if (event.type === 'role' && event.role === 'primary') this.onNewPrimary(id, event.term);
      if (event.type === 'committed') this.onCommit(id, event.index);
      if (event.type === 'snapshot') this.onInstall(id, event.index, event.data);
    }
    this.maybeSnapshot(id);
    const messages = raft.takeMessages();
    if (this.mayHaveChanged(n, raft, messages)) {
      const state = raft.persistentState();
      if (!sameState(state, n.issued)) {
        const after = n.pending[n.pending.length - 1]?.at ?? 0;
        const at = Math.max(after, this.now + 1 + Math.floor(this.random() * (this.faults.persistDelay + 1)));
        n.pending.push({ at, state, messages: [] });
        n.issued = state;
      }
    }
    const newest = n.pending[n.pending.length - 1];
    const voteStored = n.disk.term === n.issued.term && n.disk.votedFor === n.issued.votedFor;
    for (const out of messages) {
      // An acknowledgement waits until what it acknowledges is stored; with a new term or
      // vote not yet stored, every message waits (it would reveal what a crash may lose).
      const waits = !voteStored || (out.message.type === 'append-response' && out.message.success);
      if (waits && newest) newest.messages.push(out);
      else this.transmit(id, out);
    }
  }

  /**
   * Whether the persistent state may differ from what was last handed to storage (cheap,
   * so that the state is copied out only then): the term or the log moved, or a vote was
   * granted (within a term, the vote changes only by granting one).
   */
  private mayHaveChanged(n: SimNode, raft: RaftNode<Payload>, messages: Outbound<Payload>[]): boolean {
    const issued = n.issued;
    const last = issued.entries[issued.entries.length - 1] ?? issued.base;
    return (
      raft.currentTerm !== issued.term ||
      raft.baseIndex !== issued.base.index ||
      raft.lastIndex !== last.index ||
      raft.termAt(raft.lastIndex) !== last.term ||
      messages.some((m) => m.message.type === 'vote-response' && m.message.granted && !m.message.preVote)
    );
  }

  /** Complete the storage writes due by now: release what waited, tell Raft what is durable. */
  private completeWrites(): void {
    for (const [id, n] of this.nodes) {
      while (n.raft && n.pending.length > 0 && n.pending[0]!.at <= this.now) {
        const write = n.pending.shift()!;
        n.disk = write.state;
        for (const out of write.messages) this.transmit(id, out);
        n.raft.persisted(durablePrefix(n.raft, write.state));
        this.drain(id);
      }
    }
  }

  /** Put a message on the network, subject to cuts, loss, duplication and delay. */
  private transmit(id: NodeId, { to, message }: Outbound<Payload>): void {
    const n = this.nodes.get(id)!;
    if (this.cut.has(`${id}>${to}`) || (!this.calm && this.random() < this.faults.loss)) return;
    const copies = !this.calm && this.random() < this.faults.duplicate ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const delay = 1 + (this.calm ? 0 : Math.floor(this.random() * (this.faults.maxDelay + 1))) + (n.slow ? 5 : 0);
      const at = this.now + delay;
      const bucket = this.network.get(at);
      if (bucket) bucket.push({ at, from: id, to, message });
      else this.network.set(at, [{ at, from: id, to, message }]);
    }
  }

  private deliver(): void {
    const due = this.network.get(this.now) ?? [];
    this.network.delete(this.now);
    // Shuffle: delivery order among due messages is the network's choice.
    for (let i = due.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [due[i], due[j]] = [due[j]!, due[i]!];
    }
    for (const m of due) {
      const target = this.nodes.get(m.to)!;
      if (!target.raft) continue;
      target.raft.receive(m.from, structuredClone(m.message));
      this.drain(m.to);
    }
  }

  /** Clients write to whoever is primary; the primary signs every few entries. */
  private driveClients(): void {
    const id = this.primary();
    if (!id) return;
    const raft = this.nodes.get(id)!.raft!;
    if (this.random() < 0.5) {
      raft.propose('data', `${id}:${++this.proposals}`);
      if (this.random() < 0.3) raft.propose('signature', `sig:${id}:${this.proposals}`);
      raft.flush();
      this.drain(id);
    }
  }

  private onNewPrimary(id: NodeId, term: number): void {
    const other = this.primaries.get(term);
    if (other !== undefined && other !== id) this.fail(`two primaries in term ${term}: ${other} and ${id}`);
    this.primaries.set(term, id);
    // Leader completeness: every committed entry is in the new primary's log.
    const raft = this.nodes.get(id)!.raft!;
    for (const [index, entry] of this.committed) {
      if (index <= raft.baseIndex) continue; // in the snapshot it holds (checked when taken or installed)
      const mine = raft.entry(index);
      if (!mine || mine.term !== entry.term || mine.payload !== entry.payload) {
        this.fail(`new primary ${id} (term ${term}) lacks committed entry ${index}`);
      }
    }
    // CCF: a new primary signs at once so that its term can commit.
    raft.propose('signature', `sig:${id}:new-term-${term}`);
  }

  private onCommit(id: NodeId, index: number): void {
    const n = this.nodes.get(id)!;
    const raft = n.raft!;
    for (let i = n.appliedUpTo + 1; i <= index; i++) {
      const entry = raft.entry(i);
      if (!entry) this.fail(`${id} committed ${index} without holding entry ${i}`);
      const known = this.committed.get(i);
      if (known && (known.term !== entry.term || known.payload !== entry.payload)) {
        this.fail(`${id} applies ${entry.payload}@${entry.term} at ${i}, but ${known.payload}@${known.term} was committed there`);
      }
      n.digest = digestOf(n.digest, entry);
      if (!known) {
        this.committed.set(i, entry);
        this.committedDigests.set(i, n.digest);
      }
    }
    if (index < n.appliedUpTo) this.fail(`${id} commit index went back from ${n.appliedUpTo} to ${index}`);
    n.appliedUpTo = index;
    if (index > this.committedUpTo) this.committedUpTo = index;
  }

  /** The primary sent a snapshot that replaced this node's log: it must be committed state. */
  private onInstall(id: NodeId, index: number, data: Payload): void {
    const n = this.nodes.get(id)!;
    const snapshot = parseSnapshot(data);
    if (snapshot.index !== index) this.fail(`${id} was sent a snapshot of ${snapshot.index} as one of ${index}`);
    if (this.committedDigests.get(index) !== snapshot.digest) this.fail(`${id} installs a snapshot at ${index} that is not the committed state there`);
    if (index < n.appliedUpTo) this.fail(`${id} installs a snapshot at ${index}, behind its applied ${n.appliedUpTo}`);
    n.appliedUpTo = index;
    n.digest = snapshot.digest;
    n.snapshots = [data];
    this.installs++;
  }

  /**
   * Every SNAPSHOT_EVERY committed entries the host snapshots its state and compacts the
   * log, behind the newest snapshot or (at random) the one before, which leaves backups
   * a little behind the entries they need.
   */
  private maybeSnapshot(id: NodeId): void {
    const n = this.nodes.get(id)!;
    const raft = n.raft!;
    if (n.appliedUpTo - raft.baseIndex < SNAPSHOT_EVERY) return; // the newest snapshot is at or past the base
    const last = n.snapshots.length === 0 ? raft.baseIndex : parseSnapshot(n.snapshots[n.snapshots.length - 1]!).index;
    if (n.appliedUpTo - last < SNAPSHOT_EVERY || n.appliedUpTo !== raft.committed) return;
    n.snapshots = [...n.snapshots.slice(-1), snapshotPayload(n.appliedUpTo, n.digest)];
    const target = this.random() < 0.5 || n.snapshots.length === 1 ? n.snapshots[n.snapshots.length - 1]! : n.snapshots[0]!;
    raft.compact(parseSnapshot(target).index, target);
  }

  private checkInvariants(): void {
    const live = [...this.nodes].filter(([, n]) => n.raft) as [NodeId, SimNode & { raft: RaftNode<Payload> }][];
    // Log matching: equal (index, term) means equal prefixes (every 5 steps: it is the
    // costly check, and a violation persists until the next one).
    for (let a = 0; a < live.length && this.step % 5 === 0; a++) {
      for (let b = a + 1; b < live.length; b++) {
        const [ida, x] = live[a]!;
        const [idb, y] = live[b]!;
        const common = Math.min(x.raft.lastIndex, y.raft.lastIndex);
        // Below either log's base the entries are compacted into (committed) snapshots.
        const floor = Math.max(x.raft.baseIndex, y.raft.baseIndex);
        let matchAt = 0;
        for (let i = common; i > floor; i--) {
          if (x.raft.termAt(i) === y.raft.termAt(i)) {
            matchAt = i;
            break;
          }
        }
        for (let i = floor + 1; i <= matchAt; i++) {
          const ex = x.raft.entry(i)!;
          const ey = y.raft.entry(i)!;
          if (ex.term !== ey.term || ex.payload !== ey.payload) this.fail(`logs of ${ida} and ${idb} agree at ${matchAt} but differ at ${i}`);
        }
      }
    }
    // The committed prefix is never lost from a majority of its configuration: every
    // committed entry is in the stored log (what a crash keeps) of a majority of nodes.
    // Checked for new commits each step and for all of them every 25 steps.
    const reference = live[0]?.[1].raft;
    if (!reference) return;
    const from = this.step % 25 === 0 ? 1 : this.checkedUpTo + 1;
    for (let index = from; index <= this.committedUpTo; index++) {
      const entry = this.committed.get(index)!;
      const config = reference.configAt(index);
      let holders = 0;
      for (const id of config) {
        const disk = this.nodes.get(id)!.disk;
        const e = disk.entries[index - disk.base.index - 1];
        if (index <= disk.base.index || (e && e.term === entry.term && e.payload === entry.payload)) holders++;
      }
      if (holders * 2 <= config.length) this.fail(`committed entry ${index} is held by only ${holders} of ${config.length} nodes`);
    }
    this.checkedUpTo = this.committedUpTo;
  }
}

/** Two persistent states with the same term, vote and log (a log is known by its last entry). */
function sameState(a: PersistentState<Payload>, b: PersistentState<Payload>): boolean {
  const last = (s: PersistentState<Payload>) => s.entries[s.entries.length - 1] ?? s.base;
  return a.term === b.term && a.votedFor === b.votedFor && a.base.index === b.base.index && last(a).index === last(b).index && last(a).term === last(b).term;
}

/**
 * How much of Raft's current log a completed write made durable: the written log up to
 * the last index where it still agrees with the current one (entries written before a
 * truncation do not count for the entries that replaced them).
 */
function durablePrefix(raft: RaftNode<Payload>, written: PersistentState<Payload>): number {
  for (let i = written.base.index + written.entries.length; i > written.base.index; i--) {
    if (i <= raft.baseIndex || raft.termAt(i) === written.entries[i - written.base.index - 1]!.term) return i;
  }
  return Math.min(written.base.index, raft.baseIndex);
}

/** Run one seed: chaos, then healing; returns the simulation for inspection. */
export function runSeed(seed: number, options: { nodes?: number; steps?: number; faults?: FaultProfile } = {}): Simulation {
  const ids = Array.from({ length: options.nodes ?? 3 }, (_, i) => `n${i}`);
  const sim = new Simulation(seed, ids, options.faults);
  const steps = options.steps ?? 400;
  for (let i = 0; i < steps; i++) sim.runStep(true);
  const before = sim.maxCommitted;
  sim.heal();
  for (let i = 0; i < 200; i++) sim.runStep(false);
  if (sim.maxCommitted <= before) throw new SimulationError(`seed ${seed}: no progress after healing (committed stayed at ${before})`);
  if (!sim.primary()) throw new SimulationError(`seed ${seed}: no primary after healing`);
  return sim;
}
