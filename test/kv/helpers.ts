// Helpers shared by the core/kv suites: byte literals, small typed maps, and a plain
// dump of a store's visible contents for equality checks.
import { strict as assert } from 'node:assert';
import { stringCodec, uintCodec } from '../../core/kv/codec.js';
import { defineMap, rawMap, type MapDef } from '../../core/kv/map-def.js';
import { Store } from '../../core/kv/store.js';
import { keyToBytes, toHex } from '../../core/util/bytes.js';

export { assert };

/** Bytes from small integers: `b(1, 2, 3)`. */
export function b(...bytes: number[]): Uint8Array {
  return new Uint8Array(bytes);
}

/** string -> string map */
export function strMap(name: string): MapDef<string, string> {
  return defineMap(name, stringCodec, stringCodec);
}

/** uint -> uint map; big-endian keys, so iteration follows numeric order */
export function numMap(name: string): MapDef<number, number> {
  return defineMap(name, uintCodec, uintCodec);
}

export { rawMap };

/** Commit a transaction that sets the given entries of a string map; returns its seqno. */
export function put(store: Store, def: MapDef<string, string>, entries: Record<string, string | undefined>): number {
  const tx = store.begin();
  const m = tx.map(def);
  for (const [k, v] of Object.entries(entries)) {
    if (v === undefined) m.delete(k);
    else m.set(k, v);
  }
  const id = tx.commit();
  assert.ok(id, 'expected a write transaction to get an id');
  return id.seqno;
}

/** Everything a fresh transaction sees, as { map: { hex(key): hex(value) } }, empty maps left out. */
export function dump(store: Store): Record<string, Record<string, string>> {
  const tx = store.begin();
  try {
    const out: Record<string, Record<string, string>> = {};
    for (const name of store.mapNames()) {
      const entries: Record<string, string> = {};
      let any = false;
      for (const [k, v] of tx.map(rawMap(name)).entries()) {
        entries[toHex(k)] = toHex(v);
        any = true;
      }
      if (any) out[name] = entries;
    }
    return out;
  } finally {
    tx.abort();
  }
}

/** Latin1 map key (as used in `Writes`) from bytes. */
export function latin1(...bytes: number[]): string {
  return Buffer.from(bytes).toString('latin1');
}

export { keyToBytes };
