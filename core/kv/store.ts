// The in-memory key-value store: named maps with versioned history, optimistic
// transactions, and the hooks the ledger and consensus need (commit listener, apply of a
// replicated write set, rollback of an uncommitted suffix, compaction).
import { ConflictError } from './errors.js';
import { MapState } from './map-state.js';
import { Transaction } from './transaction.js';
import type { TxID } from './txid.js';
import type { Writes } from './write-set.js';

/** What kind of ledger entry a transaction becomes; the ledger gives kinds their meaning. */
export type TxKind = 'normal' | 'signature';

export interface CommittedTx {
  readonly txid: TxID;
  readonly writes: Writes;
  readonly kind: TxKind;
  /** Digest of application claims bound into the transaction's Merkle leaf, if any. */
  readonly claimsDigest: Uint8Array | undefined;
}

export type CommitListener = (committed: CommittedTx) => void;

export class Store {
  private readonly maps = new Map<string, MapState>();
  private seqno = 0;
  private currentView = 0;
  /** readVersion -> number of open transactions reading at it */
  private readonly readers = new Map<number, number>();
  private rollbackEpoch = 0;
  /** Versions older than this may have been dropped. */
  private compactedTo = 0;
  private listener: CommitListener | undefined;

  /** The last transaction applied to the store. */
  get txid(): TxID {
    return { view: this.currentView, seqno: this.seqno };
  }

  get view(): number {
    return this.currentView;
  }

  /** Consensus moves the store into a new view; later commits carry it. */
  setView(view: number): void {
    if (view < this.currentView) throw new RangeError(`view cannot go back (${this.currentView} -> ${view})`);
    this.currentView = view;
  }

  /** Bumped by every rollback: transactions begun before one can no longer read or commit. */
  get epoch(): number {
    return this.rollbackEpoch;
  }

  /** The single synchronous consumer of local commits (the ledger). */
  onCommit(listener: CommitListener): void {
    this.listener = listener;
  }

  begin(): Transaction {
    return this.snapshot(this.seqno);
  }

  /**
   * A transaction reading the state as of `seqno` (for read-only queries of committed
   * state). History is kept back to the last compaction horizon, no further.
   */
  snapshot(seqno: number): Transaction {
    if (seqno > this.seqno || seqno < this.compactedTo) {
      throw new RangeError(`no snapshot at seqno ${seqno}: the store holds ${this.compactedTo}..${this.seqno}`);
    }
    this.readers.set(seqno, (this.readers.get(seqno) ?? 0) + 1);
    return new Transaction(this, seqno, this.rollbackEpoch);
  }

  /** @internal */
  mapState(name: string): MapState | undefined {
    return this.maps.get(name);
  }

  /** Names of maps that have ever been written, in order. */
  mapNames(): string[] {
    return [...this.maps.keys()].sort();
  }

  /** @internal Called once per transaction when it commits, aborts or is discarded. */
  release(readVersion: number): void {
    const n = this.readers.get(readVersion);
    if (n === undefined) return;
    if (n <= 1) this.readers.delete(readVersion);
    else this.readers.set(readVersion, n - 1);
  }

  /** @internal Validate and install a transaction's writes; returns its new id. */
  commitWrites(
    writes: Writes,
    validate: (store: Store) => string | undefined,
    epoch: number,
    kind: TxKind,
    claimsDigest: Uint8Array | undefined,
  ): TxID {
    if (epoch !== this.rollbackEpoch) throw new ConflictError('the store was rolled back since this transaction began');
    const conflict = validate(this);
    if (conflict) throw new ConflictError(conflict);
    const txid = { view: this.currentView, seqno: this.seqno + 1 };
    this.install(txid, writes);
    this.listener?.({ txid, writes, kind, claimsDigest });
    return txid;
  }

  /**
   * Install a write set produced elsewhere (replication, ledger replay). It must be the
   * next seqno; no listener is told, because the caller already holds its ledger entry.
   */
  apply(txid: TxID, writes: Writes): void {
    if (txid.seqno !== this.seqno + 1) {
      throw new RangeError(`cannot apply ${txid.view}.${txid.seqno}: store is at seqno ${this.seqno}`);
    }
    if (txid.view < this.currentView) {
      throw new RangeError(`cannot apply ${txid.view}.${txid.seqno}: store is in view ${this.currentView}`);
    }
    this.currentView = txid.view;
    this.install(txid, writes);
  }

  private install(txid: TxID, writes: Writes): void {
    for (const [name, entries] of writes) {
      if (entries.size === 0) continue;
      let state = this.maps.get(name);
      if (!state) {
        state = new MapState(name);
        this.maps.set(name, state);
      }
      for (const [key, value] of entries) state.put(key, txid.seqno, value);
    }
    this.seqno = txid.seqno;
  }

  /** Every live key of every map as of `seqno` (what a snapshot holds). */
  state(seqno: number): Writes {
    if (seqno > this.seqno || seqno < this.compactedTo) {
      throw new RangeError(`no state at seqno ${seqno}: the store holds ${this.compactedTo}..${this.seqno}`);
    }
    const state: Writes = new Map();
    for (const name of this.mapNames()) {
      const map = this.maps.get(name)!;
      const entries = new Map<string, Uint8Array | undefined>();
      for (const key of map.keys()) {
        const value = map.get(key, seqno)?.value;
        if (value !== undefined) entries.set(key, value);
      }
      if (entries.size > 0) state.set(name, entries);
    }
    return state;
  }

  /**
   * Replace everything by the state a snapshot holds at `txid`. Transactions open before
   * can no longer read or commit.
   */
  restore(txid: TxID, state: Writes): void {
    this.maps.clear();
    this.readers.clear();
    this.install(txid, state);
    this.currentView = txid.view;
    this.compactedTo = txid.seqno;
    this.rollbackEpoch++;
  }

  /** Discard every transaction after `seqno` (an unsigned suffix after an election). */
  rollback(seqno: number): void {
    if (seqno >= this.seqno) return;
    for (const state of this.maps.values()) {
      if (state.lastWrite > seqno) state.rollback(seqno);
    }
    this.seqno = seqno;
    this.rollbackEpoch++;
  }

  /**
   * Drop history that no open reader needs and that can no longer be rolled back.
   * `upTo` is the highest seqno that is committed (rollback never goes below it).
   */
  compact(upTo: number): void {
    let horizon = Math.min(upTo, this.seqno);
    for (const readVersion of this.readers.keys()) horizon = Math.min(horizon, readVersion);
    for (const state of this.maps.values()) state.compact(horizon);
    this.compactedTo = Math.max(this.compactedTo, horizon);
  }

  /** Keys written since compaction last settled them: an upper bound on keys holding extra history. */
  get retainedHistory(): number {
    let n = 0;
    for (const state of this.maps.values()) n += state.historyKeys;
    return n;
  }
}
