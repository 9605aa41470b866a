// What a reader gets: a view of a transaction with get, has and entries, and no set,
// delete or commit. `readOnly` closes the transaction underneath once the reader returns
// (once its promise settles, for an async reader), so a reader can neither write nor keep
// a snapshot open: an open snapshot holds back compaction of the store's history.
import type { MapDef } from './map-def.js';
import type { KeyRange, Transaction } from './transaction.js';

export interface ReadOnlyMap<K, V> {
  readonly name: string;
  get(key: K): V | undefined;
  has(key: K): boolean;
  /** The seqno at which the value read for `key` was committed (see MapHandle.writtenAt). */
  writtenAt(key: K): number | undefined;
  /** Entries in key-byte order, optionally within [from, to). */
  entries(range?: KeyRange<K>): Generator<[K, V]>;
}

/** A `Transaction` is one too, so code that only reads can take either. */
export interface ReadOnlyTransaction {
  /** The seqno whose state this reads. */
  readonly readVersion: number;
  map<K, V>(def: MapDef<K, V>): ReadOnlyMap<K, V>;
}

/** Run `read` over a read-only view of `tx`, then close `tx`, whatever `read` did. */
export function readOnly<T>(tx: Transaction, read: (view: ReadOnlyTransaction) => T): T {
  // A wrapper, not `tx` itself under a narrower type: a cast cannot get at the writes.
  // (one wrapper per map: readers ask for the same maps again and again)
  const handles = new Map<MapDef<any, any>, ReadOnlyMap<any, any>>();
  const view: ReadOnlyTransaction = {
    readVersion: tx.readVersion,
    map<K, V>(def: MapDef<K, V>): ReadOnlyMap<K, V> {
      let wrapper = handles.get(def) as ReadOnlyMap<K, V> | undefined;
      if (!wrapper) {
        const handle = tx.map(def);
        wrapper = { name: handle.name, get: (key) => handle.get(key), has: (key) => handle.has(key), writtenAt: (key) => handle.writtenAt(key), entries: (range) => handle.entries(range) };
        handles.set(def, wrapper);
      }
      return wrapper;
    },
  };
  let result: T;
  try {
    result = read(view);
  } catch (e) {
    tx.abort();
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => tx.abort()) as T;
  tx.abort();
  return result;
}
