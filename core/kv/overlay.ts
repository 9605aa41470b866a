// A write buffer over a transaction: writes are kept apart, seen by reads through the
// buffer, and reach the transaction only at flush() — what a change that may still fail
// (the constitution's apply) writes through, so that a failure leaves the transaction
// untouched.
import type { MapDef } from './map-def.js';
import type { Transaction } from './transaction.js';
import type { WritableMap, WritableMaps } from './writable.js';
import { bytesToKey, keyToBytes } from '../util/bytes.js';

type AnyMap = MapDef<string | number, unknown>;

/** Apply's writes, seen by its own reads, kept apart from the transaction until flush(). */
export class Overlay implements WritableMaps {
  /** map name -> its definition and (encoded key -> encoded value, or undefined: deleted) */
  private readonly writes = new Map<string, { def: AnyMap; entries: Map<string, Uint8Array | undefined> }>();

  constructor(private readonly tx: Transaction) {}

  get readVersion(): number {
    return this.tx.readVersion;
  }

  map<K, V>(def: MapDef<K, V>): OverlayMap<K, V> {
    let own = this.writes.get(def.name);
    if (!own) {
      own = { def: def as AnyMap, entries: new Map() };
      this.writes.set(def.name, own);
    }
    return new OverlayMap(this.tx, def, own.entries);
  }

  flush(): void {
    for (const { def, entries } of this.writes.values()) {
      const map = this.tx.map(def);
      for (const [key, value] of entries) {
        const decodedKey = def.key.decode(keyToBytes(key));
        if (value === undefined) map.delete(decodedKey);
        else map.set(decodedKey, def.value.decode(value));
      }
    }
  }
}

class OverlayMap<K, V> implements WritableMap<K, V> {
  constructor(
    private readonly tx: Transaction,
    private readonly def: MapDef<K, V>,
    private readonly own: Map<string, Uint8Array | undefined>,
  ) {}

  get name(): string {
    return this.def.name;
  }

  get(key: K): V | undefined {
    const k = bytesToKey(this.def.key.encode(key));
    if (this.own.has(k)) {
      const value = this.own.get(k);
      return value === undefined ? undefined : this.def.value.decode(value);
    }
    return this.tx.map(this.def).get(key);
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  /** Undefined for a key the overlay wrote (not committed), else the transaction's answer. */
  writtenAt(key: K): number | undefined {
    return this.own.has(bytesToKey(this.def.key.encode(key))) ? undefined : this.tx.map(this.def).writtenAt(key);
  }

  set(key: K, value: V): void {
    this.own.set(bytesToKey(this.def.key.encode(key)), this.def.value.encode(value));
  }

  delete(key: K): void {
    this.own.set(bytesToKey(this.def.key.encode(key)), undefined);
  }

  /** All entries in key-byte order, the overlay's writes merged in. */
  *entries(): Generator<[K, V]> {
    const merged = new Map<string, V | undefined>();
    for (const [key, value] of this.tx.map(this.def).entries()) merged.set(bytesToKey(this.def.key.encode(key)), value);
    for (const [key, value] of this.own) merged.set(key, value === undefined ? undefined : this.def.value.decode(value));
    for (const key of [...merged.keys()].sort()) {
      const value = merged.get(key);
      if (value !== undefined) yield [this.def.key.decode(keyToBytes(key)), value];
    }
  }
}
