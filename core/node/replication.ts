// Runs the Raft state machine for a node: ticks it on a timer, carries its messages over
// the peer network, persists term and vote before anything leaves the node, holds a
// backup's acknowledgements until its ledger is durable, and hands the node what Raft
// decided (entries to apply, a suffix to drop, a new commit index, a new role).
import { binaryCodec, type BinaryValue } from '../kv/codec.js';
import { RaftNode, type RaftEvent } from '../consensus/raft.js';
import type { Entry, EntryKind, Message, NodeId, PersistentState, Role } from '../consensus/types.js';

export interface ReplicationHost {
  /** Entries a primary sent: verify, apply and store them (throws if they do not verify). */
  applyReplicated(entries: Entry<Uint8Array>[]): void;
  truncated(after: number): void;
  /** Check a snapshot the primary sent before consensus acts on it. */
  acceptSnapshot(data: Uint8Array): boolean;
  /** Install a snapshot (checked by acceptSnapshot) that replaced the log: committed state at `index`. */
  installSnapshot(index: number, term: number, data: Uint8Array): void;
  commitAdvanced(index: number): void;
  roleChanged(role: Role, term: number): void;
  /** The primary this node knows of changed (a backup may learn of a new one without changing role). */
  primaryChanged(primary: NodeId | undefined): void;
  /** Make the ledger durable up to its end; resolves with the durable seqno. */
  makeDurable(): Promise<number>;
  /** Persist term and vote (before any message that depends on them is sent). */
  saveVote(term: number, votedFor: NodeId | undefined): Promise<void>;
  fatal(error: Error): void;
}

export interface ReplicationOptions {
  tickMs: number;
  electionTicks: [number, number];
  heartbeatTicks: number;
  random: () => number;
}

export const DEFAULT_REPLICATION: Omit<ReplicationOptions, 'random'> = { tickMs: 10, electionTicks: [30, 60], heartbeatTicks: 5 };

const codec = binaryCodec<BinaryValue>();

export function encodeMessage(message: Message<Uint8Array>): Uint8Array {
  return codec.encode(message as unknown as BinaryValue);
}

/** Decode a peer's message, checking its shape (peers are authenticated, not trusted to be bug-free). */
export function decodeMessage(bytes: Uint8Array): Message<Uint8Array> {
  const m = codec.decode(bytes) as Record<string, unknown>;
  const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const ok =
    typeof m === 'object' && m !== null && int(m.term) &&
    ((m.type === 'append' && int(m.prevIndex) && int(m.prevTerm) && int(m.commit) && Array.isArray(m.entries) &&
      (m.entries as Record<string, unknown>[]).every((e) => int(e.term) && int(e.index) && (e.kind === 'data' || e.kind === 'signature') && e.payload instanceof Uint8Array && (e.config === undefined || (Array.isArray(e.config) && e.config.every((c) => typeof c === 'string'))))) ||
      (m.type === 'append-response' && typeof m.success === 'boolean' && int(m.lastIndex)) ||
      (m.type === 'vote' && int(m.lastCommittableIndex) && int(m.lastCommittableTerm) && typeof m.preVote === 'boolean') ||
      (m.type === 'vote-response' && typeof m.granted === 'boolean' && typeof m.preVote === 'boolean') ||
      (m.type === 'snapshot' && int(m.index) && (m.index as number) > 0 && int(m.lastTerm) && m.data instanceof Uint8Array &&
        Array.isArray(m.config) && m.config.every((c) => typeof c === 'string')));
  if (!ok) throw new Error('malformed consensus message');
  return m as unknown as Message<Uint8Array>;
}

export class Replication {
  readonly raft: RaftNode<Uint8Array>;
  private timer: NodeJS.Timeout | undefined;
  private savedVote: { term: number; votedFor: NodeId | undefined };
  /** outputs are processed in order, one batch at a time */
  private processing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    readonly id: NodeId,
    state: PersistentState<Uint8Array>,
    private readonly host: ReplicationHost,
    /** delivers bytes to a peer (best effort: Raft copes with loss) */
    private readonly send: (to: NodeId, bytes: Uint8Array) => void,
    private readonly options: ReplicationOptions,
  ) {
    this.raft = new RaftNode(id, state, { electionTicks: options.electionTicks, heartbeatTicks: options.heartbeatTicks, maxEntriesPerAppend: 64, random: options.random });
    this.savedVote = { term: state.term, votedFor: state.votedFor };
  }

  get role(): Role {
    return this.raft.role;
  }

  get isPrimary(): boolean {
    return this.raft.role === 'primary';
  }

  start(): void {
    this.timer = setInterval(() => this.input(() => this.raft.tick()), this.options.tickMs);
    this.timer.unref();
    // Alone in the configuration: no one to wait for.
    const voters = new Set(this.raft.activeConfigs().flat());
    if (voters.size === 1 && voters.has(this.id)) this.input(() => this.raft.campaign());
  }

  /** Take no more inputs; resolves once the outputs already under way (vote saves, sends) are done. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    return this.processing;
  }

  /** A locally committed entry, as primary. */
  propose(kind: EntryKind, bytes: Uint8Array, config?: readonly NodeId[]): void {
    const entry = this.raft.propose(kind, bytes, config);
    if (!entry) throw new Error('not primary');
    // The host produced this entry itself: drop the 'appended' event it caused.
    this.input(() => {
      if (kind === 'signature') this.raft.flush();
    }, true);
  }

  /** A committed snapshot at `index` replaces the entries up to there. */
  compact(index: number, snapshot: Uint8Array): void {
    this.input(() => this.raft.compact(index, snapshot));
  }

  /** The ledger became durable up to `seqno` (primary: counts towards commit). */
  persisted(seqno: number): void {
    this.input(() => this.raft.persisted(seqno));
  }

  receive(from: NodeId, bytes: Uint8Array): void {
    let message: Message<Uint8Array>;
    try {
      message = decodeMessage(bytes);
    } catch {
      return; // dropped: Raft tolerates lost messages
    }
    // A snapshot that does not verify is dropped before consensus acts on it.
    if (message.type === 'snapshot' && message.term >= this.raft.currentTerm && message.index > this.raft.committed && !this.host.acceptSnapshot(message.data)) return;
    this.input(() => this.raft.receive(from, message));
  }

  /** Feed an input to Raft, then handle its outputs in order. */
  private input(step: () => void, ownProposal = false): void {
    if (this.stopped) return;
    try {
      step();
    } catch (e) {
      this.host.fatal(e as Error);
      return;
    }
    const events = this.raft.takeEvents();
    const messages = this.raft.takeMessages();
    try {
      for (const event of events) this.handle(event, ownProposal);
    } catch (e) {
      this.host.fatal(e as Error);
      return;
    }
    if (messages.length === 0 && this.savedVote.term === this.raft.currentTerm) return;
    const vote = this.raft.persistentState();
    const needsDurable = messages.some((m) => m.message.type === 'append-response' && m.message.success);
    this.processing = this.processing.then(async () => {
      if (vote.term !== this.savedVote.term || vote.votedFor !== this.savedVote.votedFor) {
        await this.host.saveVote(vote.term, vote.votedFor);
        this.savedVote = { term: vote.term, votedFor: vote.votedFor };
      }
      if (needsDurable) await this.host.makeDurable();
      for (const { to, message } of messages) this.send(to, encodeMessage(message));
    }).catch((e: Error) => this.host.fatal(e));
  }

  private handle(event: RaftEvent<Uint8Array>, ownProposal: boolean): void {
    switch (event.type) {
      case 'appended':
        if (!ownProposal && this.raft.role !== 'primary') this.host.applyReplicated(event.entries);
        return;
      case 'truncated':
        return this.host.truncated(event.after);
      case 'committed':
        return this.host.commitAdvanced(event.index);
      case 'snapshot':
        return this.host.installSnapshot(event.index, event.term, event.data);
      case 'role':
        return this.host.roleChanged(event.role, event.term);
      case 'primary':
        return this.host.primaryChanged(event.primary);
    }
  }
}
