// What a function that changes maps needs of a transaction: typed maps it may read and
// write, nothing else (no commit, no abort). A Transaction is one; so is a buffer that
// keeps writes apart until they are known to be wanted (the constitution's apply).
import type { MapDef } from './map-def.js';
import type { ReadOnlyMap } from './read-only.js';

export interface WritableMap<K, V> extends ReadOnlyMap<K, V> {
  set(key: K, value: V): void;
  delete(key: K): void;
}

export interface WritableMaps {
  map<K, V>(def: MapDef<K, V>): WritableMap<K, V>;
}
