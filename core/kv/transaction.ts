// An optimistic transaction over the store: reads see the snapshot at `readVersion`
// (plus the transaction's own writes) and are recorded; commit fails with a conflict if
// anything read, or any map iterated, has been written since.
import { bytesToKey, keyToBytes } from '../util/bytes.js';
import { ConflictError, TransactionClosedError } from './errors.js';
import type { MapDef } from './map-def.js';
import type { Store, TxKind } from './store.js';
import type { TxID } from './txid.js';
import type { Writes } from './write-set.js';

export interface KeyRange<K> {
  /** inclusive */
  from?: K;
  /** exclusive */
  to?: K;
}

export class Transaction {
  private readonly writes: Writes = new Map();
  /** map name -> keys read from the store */
  private readonly reads = new Map<string, Set<string>>();
  /** maps iterated: any write to them after readVersion is a conflict */
  private readonly scanned = new Set<string>();
  private closed = false;
  private kind: TxKind = 'normal';
  private claims: Uint8Array | undefined;

  /** @internal use Store.begin() */
  constructor(
    private readonly store: Store,
    readonly readVersion: number,
    private readonly epoch: number,
  ) {}

  map<K, V>(def: MapDef<K, V>): MapHandle<K, V> {
    return new MapHandle(this, def);
  }

  /** Bind an application claims digest (32 bytes) into this transaction's ledger leaf. */
  setClaimsDigest(digest: Uint8Array): void {
    if (digest.length !== 32) throw new RangeError('claims digest must be 32 bytes');
    this.claims = digest;
  }

  /** @internal used by the ledger to mark signature transactions */
  setKind(kind: TxKind): void {
    this.kind = kind;
  }

  get hasWrites(): boolean {
    for (const entries of this.writes.values()) if (entries.size > 0) return true;
    return false;
  }

  /**
   * Commit. Returns the new transaction id, or undefined for a transaction that wrote
   * nothing (it needs no id). Throws ConflictError if a read is stale; the transaction is
   * closed either way.
   */
  commit(): TxID | undefined {
    this.ensureOpen();
    this.close();
    this.ensureSameHistory();
    if (!this.hasWrites) return undefined;
    return this.store.commitWrites(this.writes, (s) => this.findConflict(s), this.epoch, this.kind, this.claims);
  }

  /** Give up the transaction; its writes vanish and its snapshot is released. */
  abort(): void {
    if (!this.closed) this.close();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  private close(): void {
    this.closed = true;
    this.store.release(this.readVersion);
  }

  private findConflict(store: Store): string | undefined {
    for (const name of this.scanned) {
      const state = store.mapState(name);
      if (state && state.lastWrite > this.readVersion) return `map ${name} changed after it was iterated`;
    }
    for (const [name, keys] of this.reads) {
      const state = store.mapState(name);
      if (!state) continue;
      for (const key of keys) {
        if (state.latestSeqno(key) > this.readVersion) return `a key read in ${name} was written by a later transaction`;
      }
    }
    return undefined;
  }

  ensureOpen(): void {
    if (this.closed) throw new TransactionClosedError();
  }

  /** After a rollback this snapshot may mix discarded and new history: refuse it. */
  private ensureSameHistory(): void {
    if (this.store.epoch !== this.epoch) throw new ConflictError('the store was rolled back since this transaction began');
  }

  /** @internal */
  readRaw(name: string, key: string): Uint8Array | undefined {
    this.ensureOpen();
    this.ensureSameHistory();
    const own = this.writes.get(name);
    if (own?.has(key)) return own.get(key);
    let keys = this.reads.get(name);
    if (!keys) {
      keys = new Set();
      this.reads.set(name, keys);
    }
    keys.add(key);
    return this.store.mapState(name)?.get(key, this.readVersion)?.value;
  }

  /**
   * @internal The seqno of the committed write whose value this transaction reads for
   * `key`; undefined if it reads none, or its own uncommitted write. Recorded as a read.
   */
  writtenAtRaw(name: string, key: string): number | undefined {
    this.ensureOpen();
    this.ensureSameHistory();
    if (this.writes.get(name)?.has(key)) return undefined;
    let keys = this.reads.get(name);
    if (!keys) {
      keys = new Set();
      this.reads.set(name, keys);
    }
    keys.add(key);
    const version = this.store.mapState(name)?.get(key, this.readVersion);
    return version?.value === undefined ? undefined : version.seqno;
  }

  /** @internal */
  writeRaw(name: string, key: string, value: Uint8Array | undefined): void {
    this.ensureOpen();
    let own = this.writes.get(name);
    if (!own) {
      own = new Map();
      this.writes.set(name, own);
    }
    own.set(key, value);
  }

  /** @internal Entries of a map in key order within [from, to), merged with own writes. */
  *scanRaw(name: string, from: string | undefined, to: string | undefined): Generator<[string, Uint8Array]> {
    this.ensureOpen();
    this.ensureSameHistory();
    this.scanned.add(name);
    const state = this.store.mapState(name);
    const own = this.writes.get(name);
    const inRange = (k: string) => (from === undefined || k >= from) && (to === undefined || k < to);
    const storeKeys = state ? state.keys() : [];
    const ownKeys = own ? [...own.keys()].filter(inRange).sort() : [];
    let i = from === undefined ? 0 : lowerBound(storeKeys, from);
    let j = 0;
    while (true) {
      const sk = i < storeKeys.length && (to === undefined || storeKeys[i]! < to) ? storeKeys[i] : undefined;
      const ok = j < ownKeys.length ? ownKeys[j] : undefined;
      if (sk === undefined && ok === undefined) return;
      let key: string;
      let value: Uint8Array | undefined;
      if (ok !== undefined && (sk === undefined || ok <= sk)) {
        key = ok;
        value = own!.get(ok);
        j++;
        if (sk === ok) i++;
      } else {
        key = sk!;
        value = state!.get(key, this.readVersion)?.value;
        i++;
      }
      if (value !== undefined) yield [key, value];
    }
  }
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Typed access to one map inside a transaction. */
export class MapHandle<K, V> {
  constructor(
    private readonly tx: Transaction,
    private readonly def: MapDef<K, V>,
  ) {}

  get name(): string {
    return this.def.name;
  }

  get(key: K): V | undefined {
    const raw = this.tx.readRaw(this.def.name, bytesToKey(this.def.key.encode(key)));
    return raw === undefined ? undefined : this.def.value.decode(raw);
  }

  has(key: K): boolean {
    return this.tx.readRaw(this.def.name, bytesToKey(this.def.key.encode(key))) !== undefined;
  }

  /**
   * The seqno at which the value read for `key` was committed (undefined: absent, or this
   * transaction's own write). A store restored from a snapshot holds each key as written
   * at the snapshot's seqno: its history before that is gone.
   */
  writtenAt(key: K): number | undefined {
    return this.tx.writtenAtRaw(this.def.name, bytesToKey(this.def.key.encode(key)));
  }

  set(key: K, value: V): void {
    this.tx.writeRaw(this.def.name, bytesToKey(this.def.key.encode(key)), this.def.value.encode(value));
  }

  delete(key: K): void {
    this.tx.writeRaw(this.def.name, bytesToKey(this.def.key.encode(key)), undefined);
  }

  /** Entries in key-byte order, optionally within [from, to). */
  *entries(range: KeyRange<K> = {}): Generator<[K, V]> {
    const from = range.from === undefined ? undefined : bytesToKey(this.def.key.encode(range.from));
    const to = range.to === undefined ? undefined : bytesToKey(this.def.key.encode(range.to));
    for (const [key, value] of this.tx.scanRaw(this.def.name, from, to)) {
      yield [this.def.key.decode(keyToBytes(key)), this.def.value.decode(value)];
    }
  }
}
