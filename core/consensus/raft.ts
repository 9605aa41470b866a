// Raft in CCF's flavour as a pure, deterministic state machine. Inputs: ticks, messages
// and proposals; outputs: messages to send and events for the host (entries appended,
// a suffix truncated, the commit index advanced, the role changed). No I/O, no timers,
// no randomness of its own: the host hands it a seeded source.
//
// What differs from textbook Raft, as in CCF:
// - only signature entries are commit points; commit advances from signature to signature;
// - elections compare the last *committable* (signature) entry, and a new primary drops
//   its unsigned suffix before replicating;
// - pre-vote and check-quorum keep a partitioned node from disrupting a healthy majority;
// - a configuration entry takes effect as soon as it is appended, and until it commits,
//   elections and commits need a majority of the old and of the new configuration;
// - the host compacts the log behind a snapshot of committed state (taken at a signature);
//   a backup that needs entries from before it is sent the snapshot instead.
import type { Entry, EntryKind, Message, NodeId, Outbound, PersistentState, Role } from './types.js';

export interface RaftOptions {
  /** election timeout drawn uniformly from [min, max] ticks */
  electionTicks: [number, number];
  /** primary sends appends (heartbeats) every this many ticks */
  heartbeatTicks: number;
  /** most entries in one append message */
  maxEntriesPerAppend: number;
  /** uniform in [0, 1), seeded by the host */
  random: () => number;
}

export type RaftEvent<P> =
  | { type: 'appended'; entries: Entry<P>[] }
  | { type: 'truncated'; after: number }
  | { type: 'committed'; index: number }
  /** the log was replaced by a snapshot from the primary: install it (it is committed state) */
  | { type: 'snapshot'; index: number; term: number; data: P }
  | { type: 'role'; role: Role; term: number }
  /** the primary this node knows of changed (to another node, to itself, or to none) */
  | { type: 'primary'; primary: NodeId | undefined };

export class RaftNode<P> {
  private term: number;
  private votedFor: NodeId | undefined;
  private entries: Entry<P>[];
  /** indexes of signature entries and of configuration entries, ascending */
  private signatureIndexes: number[] = [];
  private configIndexes: number[] = [];
  private base: { index: number; term: number };
  private baseConfig: readonly NodeId[];
  private snapshot: P | undefined;

  private roleValue: Role = 'backup';
  private leader: NodeId | undefined;
  private commitIndex: number;
  private electionElapsed = 0;
  private electionTimeout: number;
  private heartbeatElapsed = 0;
  private votes = new Set<NodeId>();
  private nextIndex = new Map<NodeId, number>();
  private matchIndex = new Map<NodeId, number>();
  /** peers heard from since the last check-quorum round (primary) */
  private heardFrom = new Set<NodeId>();
  /** tick at which each backup was last sent the snapshot (primary) */
  private snapshotSent = new Map<NodeId, number>();
  private ticks = 0;
  /** highest index this node has made durable (the host says so through `persisted`) */
  private durableIndex: number;
  private outbox: Outbound<P>[] = [];
  private events: RaftEvent<P>[] = [];

  constructor(
    readonly id: NodeId,
    state: PersistentState<P>,
    private readonly options: RaftOptions,
  ) {
    this.term = state.term;
    this.votedFor = state.votedFor;
    this.entries = [...state.entries];
    this.base = { ...state.base };
    this.baseConfig = state.baseConfig;
    this.snapshot = state.snapshot;
    if (this.base.index > 0 && this.snapshot === undefined) throw new RangeError('a log that starts after index 0 needs the snapshot it starts from');
    this.commitIndex = state.base.index;
    for (const e of this.entries) this.index(e);
    this.durableIndex = this.base.index + this.entries.length;
    this.electionTimeout = this.randomElectionTimeout();
  }

  // -- observation ----------------------------------------------------------------------

  get role(): Role {
    return this.roleValue;
  }

  get currentTerm(): number {
    return this.term;
  }

  get committed(): number {
    return this.commitIndex;
  }

  get primary(): NodeId | undefined {
    return this.leader;
  }

  get lastIndex(): number {
    return this.base.index + this.entries.length;
  }

  entry(index: number): Entry<P> | undefined {
    return this.entries[index - this.base.index - 1];
  }

  termAt(index: number): number | undefined {
    if (index === this.base.index) return this.base.term;
    return this.entry(index)?.term;
  }

  /** The last signature entry (or the snapshot base): what elections compare. */
  lastCommittable(): { index: number; term: number } {
    const last = this.signatureIndexes[this.signatureIndexes.length - 1];
    return last === undefined ? { ...this.base } : { index: last, term: this.entry(last)!.term };
  }

  private index(e: Entry<P>): void {
    if (e.kind === 'signature') this.signatureIndexes.push(e.index);
    if (e.config) this.configIndexes.push(e.index);
  }

  private append(e: Entry<P>): void {
    this.entries.push(e);
    this.index(e);
  }

  persistentState(): PersistentState<P> {
    return {
      term: this.term,
      votedFor: this.votedFor,
      entries: [...this.entries],
      base: { ...this.base },
      baseConfig: this.baseConfig,
      ...(this.snapshot === undefined ? {} : { snapshot: this.snapshot }),
    };
  }

  /** Index of the snapshot the log starts after (0: the log starts at 1). */
  get baseIndex(): number {
    return this.base.index;
  }

  /** The configuration in force at `index`: the last configuration entry at or before it. */
  configAt(index: number): readonly NodeId[] {
    for (let k = this.configIndexes.length - 1; k >= 0; k--) {
      if (this.configIndexes[k]! <= index) return this.entry(this.configIndexes[k]!)!.config!;
    }
    return this.baseConfig;
  }

  /** Configurations whose quorums count: the committed one and any appended since. */
  activeConfigs(): (readonly NodeId[])[] {
    const configs = [this.configAt(this.commitIndex)];
    for (let k = this.configIndexes.length - 1; k >= 0 && this.configIndexes[k]! > this.commitIndex; k--) {
      configs.splice(1, 0, this.entry(this.configIndexes[k]!)!.config!);
    }
    return configs;
  }

  private voters(): Set<NodeId> {
    return new Set(this.activeConfigs().flat());
  }

  private hasQuorum(agree: (node: NodeId) => boolean): boolean {
    // An empty configuration (a log that has not reached its first one yet) asks nothing.
    return this.activeConfigs().every((config) => config.length === 0 || config.filter(agree).length * 2 > config.length);
  }

  // -- outputs --------------------------------------------------------------------------

  takeMessages(): Outbound<P>[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  takeEvents(): RaftEvent<P>[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  private send(to: NodeId, message: Message<P>): void {
    this.outbox.push({ to, message });
  }

  // -- inputs ---------------------------------------------------------------------------

  tick(): void {
    this.ticks++;
    if (this.roleValue === 'primary') {
      this.heartbeatElapsed++;
      this.electionElapsed++;
      if (this.electionElapsed >= this.electionTimeout) {
        this.electionElapsed = 0;
        // Check quorum: a primary cut off from a majority steps down rather than
        // keeping clients waiting on commits that cannot happen.
        const heard = this.heardFrom;
        this.heardFrom = new Set();
        if (!this.hasQuorum((n) => n === this.id || heard.has(n))) {
          this.becomeBackup(this.term, undefined);
          return;
        }
      }
      if (this.heartbeatElapsed >= this.options.heartbeatTicks) {
        this.heartbeatElapsed = 0;
        this.broadcastAppend();
      }
      return;
    }
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout && this.voters().has(this.id)) this.startPreVote();
  }

  /** Append a new entry as primary; returns it, or undefined if this node is not primary. */
  propose(kind: EntryKind, payload: P, config?: readonly NodeId[]): Entry<P> | undefined {
    if (this.roleValue !== 'primary') return undefined;
    const entry: Entry<P> = { term: this.term, index: this.lastIndex + 1, kind, payload, ...(config ? { config: [...config] } : {}) };
    this.append(entry);
    this.events.push({ type: 'appended', entries: [entry] });
    if (kind === 'signature') this.advanceCommit();
    return entry;
  }

  /**
   * The host has made everything up to `index` durable. A primary counts itself towards
   * a quorum only up to there; a backup's host sends its acknowledgements only after it.
   */
  persisted(index: number): void {
    this.durableIndex = Math.max(this.durableIndex, Math.min(index, this.lastIndex));
    if (this.roleValue === 'primary') this.advanceCommit();
  }

  /** Start an election now (a node alone in its configuration need not wait). */
  campaign(): void {
    if (this.roleValue !== 'primary' && this.voters().has(this.id)) this.startPreVote();
  }

  /**
   * The host holds `snapshot`, the committed state up to `index` (a signature entry):
   * forget the entries up to there. Backups that still need them get the snapshot.
   */
  compact(index: number, snapshot: P): void {
    if (index > this.commitIndex) throw new RangeError(`raft ${this.id}: cannot compact past the commit index (${index} > ${this.commitIndex})`);
    if (index <= this.base.index) return;
    if (this.entry(index)!.kind !== 'signature') throw new RangeError(`raft ${this.id}: a snapshot must be taken at a signature (index ${index})`);
    const config = this.configAt(index);
    const term = this.termAt(index)!;
    this.entries = this.entries.slice(index - this.base.index);
    this.base = { index, term };
    this.baseConfig = config;
    this.snapshot = snapshot;
    this.signatureIndexes = this.signatureIndexes.filter((i) => i > index);
    this.configIndexes = this.configIndexes.filter((i) => i > index);
  }

  /** Send pending entries now rather than at the next heartbeat. */
  flush(): void {
    if (this.roleValue === 'primary') this.broadcastAppend();
  }

  receive(from: NodeId, message: Message<P>): void {
    // A higher term always wins, except a pre-vote request, which must not disturb us.
    if (message.term > this.term && !(message.type === 'vote' && message.preVote) && !(message.type === 'vote-response' && message.preVote && message.granted)) {
      this.becomeBackup(message.term, message.type === 'append' || message.type === 'snapshot' ? from : undefined);
    }
    switch (message.type) {
      case 'append':
        return this.onAppend(from, message);
      case 'append-response':
        return this.onAppendResponse(from, message);
      case 'vote':
        return this.onVote(from, message);
      case 'vote-response':
        return this.onVoteResponse(from, message);
      case 'snapshot':
        return this.onSnapshot(from, message);
    }
  }

  // -- elections ------------------------------------------------------------------------

  private randomElectionTimeout(): number {
    const [min, max] = this.options.electionTicks;
    return min + Math.floor(this.options.random() * (max - min + 1));
  }

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.electionTimeout = this.randomElectionTimeout();
  }

  private setRole(role: Role): void {
    if (this.roleValue !== role) {
      this.roleValue = role;
      this.events.push({ type: 'role', role, term: this.term });
    }
  }

  private setLeader(leader: NodeId | undefined): void {
    if (this.leader !== leader) {
      this.leader = leader;
      this.events.push({ type: 'primary', primary: leader });
    }
  }

  private becomeBackup(term: number, leader: NodeId | undefined): void {
    if (term > this.term) {
      this.term = term;
      this.votedFor = undefined;
    }
    this.setLeader(leader);
    this.votes.clear();
    this.resetElectionTimer();
    this.setRole('backup');
  }

  private requestVotes(preVote: boolean): void {
    const last = this.lastCommittable();
    const term = preVote ? this.term + 1 : this.term;
    for (const peer of this.voters()) {
      if (peer !== this.id) this.send(peer, { type: 'vote', term, lastCommittableIndex: last.index, lastCommittableTerm: last.term, preVote });
    }
  }

  private startPreVote(): void {
    this.setLeader(undefined);
    this.votes = new Set([this.id]);
    this.resetElectionTimer();
    this.setRole('pre-candidate');
    if (this.hasQuorum((n) => this.votes.has(n))) return this.startElection();
    this.requestVotes(true);
  }

  private startElection(): void {
    this.term++;
    this.votedFor = this.id;
    this.votes = new Set([this.id]);
    this.resetElectionTimer();
    this.setRole('candidate');
    if (this.hasQuorum((n) => this.votes.has(n))) return this.becomePrimary();
    this.requestVotes(false);
  }

  private onVote(from: NodeId, m: Extract<Message<P>, { type: 'vote' }>): void {
    const last = this.lastCommittable();
    const upToDate = m.lastCommittableTerm > last.term || (m.lastCommittableTerm === last.term && m.lastCommittableIndex >= last.index);
    let granted: boolean;
    if (m.preVote) {
      // Refuse while a primary is known and alive: a node that was merely cut off
      // cannot force an election on a healthy majority.
      const primaryAlive = this.leader !== undefined && this.electionElapsed < this.options.electionTicks[0];
      granted = m.term > this.term && upToDate && !primaryAlive && this.roleValue !== 'primary';
    } else {
      granted = m.term === this.term && upToDate && (this.votedFor === undefined || this.votedFor === from);
      if (granted) {
        this.votedFor = from;
        this.resetElectionTimer();
      }
    }
    // A granted pre-vote echoes the term asked for; any refusal carries our own term, so
    // a stale asker learns it is behind.
    this.send(from, { type: 'vote-response', term: m.preVote && granted ? m.term : this.term, granted, preVote: m.preVote });
  }

  private onVoteResponse(from: NodeId, m: Extract<Message<P>, { type: 'vote-response' }>): void {
    if (!m.granted) return;
    if (m.preVote) {
      if (this.roleValue !== 'pre-candidate' || m.term !== this.term + 1) return;
      this.votes.add(from);
      if (this.hasQuorum((n) => this.votes.has(n))) this.startElection();
      return;
    }
    if (this.roleValue !== 'candidate' || m.term !== this.term) return;
    this.votes.add(from);
    if (this.hasQuorum((n) => this.votes.has(n))) this.becomePrimary();
  }

  private becomePrimary(): void {
    // The unsigned suffix was never committable: drop it before leading.
    const keep = this.lastCommittable().index;
    if (keep < this.lastIndex) this.truncateAfter(keep);
    this.setLeader(this.id);
    this.votes.clear();
    this.heartbeatElapsed = 0;
    this.electionElapsed = 0;
    this.heardFrom = new Set();
    this.snapshotSent.clear();
    this.nextIndex.clear();
    this.matchIndex.clear();
    for (const peer of this.voters()) {
      this.nextIndex.set(peer, this.lastIndex + 1);
      this.matchIndex.set(peer, 0);
    }
    this.matchIndex.set(this.id, this.lastIndex);
    this.setRole('primary');
    this.broadcastAppend();
  }

  // -- replication ----------------------------------------------------------------------

  private truncateAfter(index: number): void {
    if (index < this.commitIndex) throw new Error(`raft ${this.id}: refusing to truncate committed entries (${index} < ${this.commitIndex})`);
    this.entries.length = index - this.base.index;
    while ((this.signatureIndexes[this.signatureIndexes.length - 1] ?? 0) > index) this.signatureIndexes.pop();
    while ((this.configIndexes[this.configIndexes.length - 1] ?? 0) > index) this.configIndexes.pop();
    if (this.durableIndex > index) this.durableIndex = index;
    this.events.push({ type: 'truncated', after: index });
  }

  private broadcastAppend(): void {
    for (const peer of this.voters()) if (peer !== this.id) this.sendAppend(peer);
  }

  private sendAppend(peer: NodeId): void {
    const next = this.nextIndex.get(peer) ?? this.lastIndex + 1;
    if (next <= this.base.index) return this.sendSnapshot(peer);
    const prevIndex = next - 1;
    const entries = this.entries.slice(next - this.base.index - 1, next - this.base.index - 1 + this.options.maxEntriesPerAppend);
    this.send(peer, { type: 'append', term: this.term, prevIndex, prevTerm: this.termAt(prevIndex)!, entries, commit: this.commitIndex });
    // Pipelining: assume delivery; a lost append shows up as a refusal that backs off.
    this.nextIndex.set(peer, next + entries.length);
  }

  private sendSnapshot(peer: NodeId): void {
    // A snapshot is large: send it again only once the last one looks lost.
    const sent = this.snapshotSent.get(peer);
    if (sent !== undefined && this.ticks - sent < this.options.electionTicks[0]) return;
    this.snapshotSent.set(peer, this.ticks);
    this.send(peer, { type: 'snapshot', term: this.term, index: this.base.index, lastTerm: this.base.term, config: [...this.baseConfig], data: this.snapshot! });
    this.nextIndex.set(peer, this.base.index + 1);
  }

  private onSnapshot(from: NodeId, m: Extract<Message<P>, { type: 'snapshot' }>): void {
    if (m.term < this.term) {
      this.send(from, { type: 'append-response', term: this.term, success: false, lastIndex: this.lastIndex });
      return;
    }
    if (this.roleValue !== 'backup' || this.leader !== from) this.becomeBackup(m.term, from);
    this.resetElectionTimer();
    if (m.index <= this.commitIndex) {
      // Already past it: what we committed is what the primary holds.
      this.send(from, { type: 'append-response', term: this.term, success: true, lastIndex: this.commitIndex });
      return;
    }
    if (this.termAt(m.index) === m.lastTerm) {
      // We hold that entry: the snapshot only tells us it is committed.
      this.commitUpTo(m.index);
    } else {
      // Our log diverges or stops short: the snapshot replaces all of it.
      this.entries = [];
      this.signatureIndexes = [];
      this.configIndexes = [];
      this.base = { index: m.index, term: m.lastTerm };
      this.baseConfig = [...m.config];
      this.snapshot = m.data;
      this.commitIndex = m.index;
      this.durableIndex = m.index; // the host makes it durable before this answer leaves
      this.events.push({ type: 'snapshot', index: m.index, term: m.lastTerm, data: m.data });
    }
    this.send(from, { type: 'append-response', term: this.term, success: true, lastIndex: m.index });
  }

  private onAppend(from: NodeId, m: Extract<Message<P>, { type: 'append' }>): void {
    if (m.term < this.term) {
      this.send(from, { type: 'append-response', term: this.term, success: false, lastIndex: this.lastIndex });
      return;
    }
    // Same term: a candidate or pre-candidate yields to the primary that won it.
    if (this.roleValue !== 'backup' || this.leader !== from) this.becomeBackup(m.term, from);
    this.resetElectionTimer();
    if (m.prevIndex > this.lastIndex) {
      this.send(from, { type: 'append-response', term: this.term, success: false, lastIndex: this.lastIndex });
      return;
    }
    if (m.prevIndex >= this.base.index && this.termAt(m.prevIndex) !== m.prevTerm) {
      this.send(from, { type: 'append-response', term: this.term, success: false, lastIndex: Math.max(this.commitIndex, m.prevIndex - 1) });
      return;
    }
    const appended: Entry<P>[] = [];
    for (const e of m.entries) {
      if (e.index <= this.base.index) continue;
      const existing = this.termAt(e.index);
      if (existing === e.term) continue;
      if (existing !== undefined) this.truncateAfter(e.index - 1);
      this.append(e);
      appended.push(e);
    }
    if (appended.length > 0) this.events.push({ type: 'appended', entries: appended });
    const matched = m.prevIndex + m.entries.length;
    this.commitUpTo(Math.min(m.commit, matched));
    this.send(from, { type: 'append-response', term: this.term, success: true, lastIndex: matched });
  }

  private onAppendResponse(from: NodeId, m: Extract<Message<P>, { type: 'append-response' }>): void {
    if (this.roleValue !== 'primary' || m.term !== this.term) return;
    this.heardFrom.add(from);
    if (m.success) {
      if (m.lastIndex >= this.base.index) this.snapshotSent.delete(from);
      if (m.lastIndex > (this.matchIndex.get(from) ?? 0)) this.matchIndex.set(from, m.lastIndex);
      this.nextIndex.set(from, Math.max(this.nextIndex.get(from) ?? 0, m.lastIndex + 1));
      this.advanceCommit();
    } else {
      // Back off to just after what the backup says it holds (never past our own log).
      this.nextIndex.set(from, Math.min(m.lastIndex + 1, this.lastIndex + 1));
      this.sendAppend(from);
    }
  }

  /** Primary: commit the newest signature of this term that every active quorum holds. */
  private advanceCommit(): void {
    for (let k = this.signatureIndexes.length - 1; k >= 0; k--) {
      const i = this.signatureIndexes[k]!;
      if (i <= this.commitIndex) return;
      if (this.entry(i)!.term !== this.term) return; // earlier terms commit only through a current one
      if (this.hasQuorum((n) => (n === this.id ? this.durableIndex : this.matchIndex.get(n) ?? 0) >= i)) {
        this.commitUpTo(i);
        return;
      }
    }
  }

  /** Commit up to the last signature at or below `limit`. */
  private commitUpTo(limit: number): void {
    for (let k = this.signatureIndexes.length - 1; k >= 0; k--) {
      const i = this.signatureIndexes[k]!;
      if (i <= this.commitIndex) return;
      if (i <= Math.min(limit, this.lastIndex)) {
        this.commitIndex = i;
        this.events.push({ type: 'committed', index: i });
        // A primary that a committed configuration no longer lists hands over.
        if (this.roleValue === 'primary' && !this.configAt(i).includes(this.id)) this.becomeBackup(this.term, undefined);
        return;
      }
    }
  }
}

export function initialState<P>(config: readonly NodeId[]): PersistentState<P> {
  return { term: 0, votedFor: undefined, entries: [], base: { index: 0, term: 0 }, baseConfig: [...config] };
}
