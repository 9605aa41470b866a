// State at past seqnos, as CCF's historical queries: a store rebuilt from the nearest
// committed snapshot at or before the seqno (or from the empty store before seqno 1) by
// applying the ledger's write sets; nothing is re-executed. Rebuilt stores keep their whole
// history from their base, so one store answers every seqno between its base and its top,
// and a later seqno extends the nearest one below it by the entries in between (block N+1
// after block N applies one block's entries). Application-agnostic: the caller names seqnos.
//
// Memory bound: at most `maxStates` stores, and an estimate of their bytes (keys, values and
// a per-write overhead, for the base state and every write applied since) of at most
// `maxBytes`. Past it, the least recently used stores go first; a single store still over
// drops its history below the seqno just asked for (the state there is kept, whatever its size).
import { readOnly, type ReadOnlyTransaction } from '../kv/read-only.js';
import { Store } from '../kv/store.js';
import type { Transaction } from '../kv/transaction.js';
import type { TxID } from '../kv/txid.js';
import { deserialiseDomain, type Writes } from '../kv/write-set.js';
import { decryptPrivateDomain, type LedgerEntry } from '../ledger/entry.js';
import type { LedgerSecrets } from '../ledger/secrets.js';

/** Where past states come from: the node's ledger and committed snapshots. */
export interface HistorySource {
  /** Entries after this seqno are in the ledger (a ledger started from a snapshot holds none before it). */
  ledgerBase(): number;
  /** Highest seqno whose state may be asked for (the committed one). */
  committed(): number;
  /** The entry at `seqno`, once durable. */
  readEntry(seqno: number): Promise<LedgerEntry>;
  readonly secrets: LedgerSecrets;
  /** Seqnos of the committed snapshots held, ascending. */
  snapshotSeqnos(): Promise<number[]>;
  /** The state a held committed snapshot records (verified). */
  loadSnapshot(seqno: number): Promise<{ txid: TxID; state: Writes }>;
}

export interface HistoryLimits {
  maxStates: number;
  maxBytes: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { maxStates: 4, maxBytes: 64 * 1024 * 1024 };

/** Rough cost of one stored version besides its key and value (map entry, version record). */
const WRITE_OVERHEAD = 96;

export class HistoryUnavailableError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryUnavailableError';
  }
}

interface Built {
  store: Store;
  /** lowest seqno it answers (its base, or its compaction horizon) */
  from: number;
  /** estimated bytes of the state at `from` */
  baseBytes: number;
  /** estimated bytes of each seqno applied above `from` */
  applied: Map<number, number>;
  /** their sum with baseBytes */
  bytes: number;
  lastUsed: number;
}

function writesBytes(writes: Writes): number {
  let n = 0;
  for (const [name, entries] of writes) for (const [key, value] of entries) n += name.length + key.length + (value?.length ?? 0) + WRITE_OVERHEAD;
  return n;
}

export class HistoricalStates {
  private built: Built[] = [];
  private clock = 0;
  /** builds run one at a time: each may extend a store another would read from */
  private queue: Promise<unknown> = Promise.resolve();
  private applied = 0;

  constructor(
    private readonly source: HistorySource,
    readonly limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
  ) {
    if (!(limits.maxStates >= 1 && limits.maxBytes > 0)) throw new RangeError('history limits must be positive');
  }

  /** Run `read` over the committed state as of `seqno` (closed when `read` settles). */
  async read<T>(seqno: number, read: (tx: ReadOnlyTransaction) => T | Promise<T>): Promise<T> {
    return readOnly(await this.snapshotAt(seqno), read);
  }

  /** Entries applied since construction (tests and benches see the cache at work). */
  get appliedEntries(): number {
    return this.applied;
  }

  /** How many stores, their estimated bytes, and how many of their keys hold more than one version. */
  get usage(): { states: number; bytes: number; historyKeys: number } {
    return { states: this.built.length, bytes: this.built.reduce((n, b) => n + b.bytes, 0), historyKeys: this.built.reduce((n, b) => n + b.store.retainedHistory, 0) };
  }

  private snapshotAt(seqno: number): Promise<Transaction> {
    const next = this.queue.then(() => this.build(seqno));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async build(seqno: number): Promise<Transaction> {
    if (!Number.isSafeInteger(seqno) || seqno < 0) throw new RangeError(`no state at seqno ${seqno}`);
    const committed = this.source.committed();
    if (seqno > committed) throw new HistoryUnavailableError(`no committed state at seqno ${seqno}: committed up to ${committed}`);
    let built = this.built.find((b) => b.from <= seqno && seqno <= b.store.txid.seqno);
    if (!built) {
      const below = this.built.filter((b) => b.from <= seqno && b.store.txid.seqno < seqno).sort((a, b) => b.store.txid.seqno - a.store.txid.seqno)[0];
      const base = await this.baseFor(seqno);
      // Extending a store costs the entries above its top; a fresh one those above the base.
      built = below && below.store.txid.seqno >= base ? below : await this.fresh(base);
      await this.extend(built, seqno);
    }
    built.lastUsed = ++this.clock;
    // Opened before bounding: an open snapshot holds back the compaction of its store.
    const snapshot = built.store.snapshot(seqno);
    this.bound(built, seqno);
    return snapshot;
  }

  /** The nearest point at or before `seqno` a store can start from: a snapshot, or 0. */
  private async baseFor(seqno: number): Promise<number> {
    const ledgerBase = this.source.ledgerBase();
    const snapshots = (await this.source.snapshotSeqnos()).filter((s) => s <= seqno && s >= ledgerBase);
    const best = snapshots[snapshots.length - 1];
    if (best !== undefined) return best;
    if (ledgerBase === 0) return 0;
    throw new HistoryUnavailableError(`no state at seqno ${seqno}: this node's ledger starts after a snapshot at seqno ${ledgerBase}`);
  }

  private async fresh(base: number): Promise<Built> {
    const store = new Store();
    let baseBytes = 0;
    if (base > 0) {
      const { txid, state } = await this.source.loadSnapshot(base);
      store.restore(txid, state);
      baseBytes = writesBytes(state);
    }
    const built: Built = { store, from: base, baseBytes, applied: new Map(), bytes: baseBytes, lastUsed: 0 };
    this.built.push(built);
    return built;
  }

  private async extend(built: Built, seqno: number): Promise<void> {
    const { store } = built;
    for (let s = store.txid.seqno + 1; s <= seqno; s++) {
      const entry = await this.source.readEntry(s);
      if (entry.seqno !== s) throw new Error(`ledger entry at seqno ${s} says seqno ${entry.seqno}`);
      const writes = deserialiseDomain(entry.publicDomain, 'public');
      deserialiseDomain(decryptPrivateDomain(entry, this.source.secrets.forSeqno(s).key), 'private', writes);
      store.apply({ view: entry.view, seqno: s }, writes);
      const bytes = writesBytes(writes);
      built.applied.set(s, bytes);
      built.bytes += bytes;
      this.applied++;
    }
  }

  /** Keep within the limits, never dropping what `seqno` on `kept` needs. */
  private bound(kept: Built, seqno: number): void {
    const over = () => this.built.length > this.limits.maxStates || this.usage.bytes > this.limits.maxBytes;
    const byAge = this.built.filter((b) => b !== kept).sort((a, b) => a.lastUsed - b.lastUsed);
    while (over() && byAge.length > 0) {
      const gone = byAge.shift()!;
      this.built = this.built.filter((b) => b !== gone);
    }
    if (over() && kept.from < seqno) {
      kept.store.compact(seqno);
      let bytes = 0;
      for (const [name, entries] of kept.store.state(seqno)) for (const [key, value] of entries) bytes += name.length + key.length + value!.length + WRITE_OVERHEAD;
      for (const s of kept.applied.keys()) if (s <= seqno) kept.applied.delete(s);
      kept.from = seqno;
      kept.baseBytes = bytes;
      kept.bytes = bytes + [...kept.applied.values()].reduce((n, b) => n + b, 0);
    }
  }
}
