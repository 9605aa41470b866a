// Deterministic serialisation of a transaction's writes, split into the public domain
// (maps named `public:…`, written in clear) and the private domain (everything else,
// encrypted by the ledger). Within a domain: maps in name order, keys in byte order.
// An empty domain serialises to zero bytes.
//
//   domain := varint(mapCount) map*
//   map    := bytes(name) varint(writeCount) write*
//   write  := bytes(key) u8(op) [bytes(value) if op = 1]      op: 1 put, 0 remove
//
// bytes(x) is varint(length) followed by x.
import { ByteReader, ByteWriter, DecodeError } from '../util/binary.js';
import { bytesToKey, fromUtf8, utf8 } from '../util/bytes.js';

export const PUBLIC_PREFIX = 'public:';

export function isPublicMap(name: string): boolean {
  return name.startsWith(PUBLIC_PREFIX);
}

/** map name -> (key as a latin1 string -> new value, or undefined for a removal) */
export type Writes = Map<string, Map<string, Uint8Array | undefined>>;

export interface SerialisedWriteSet {
  publicDomain: Uint8Array;
  privateDomain: Uint8Array;
}

const OP_REMOVE = 0;
const OP_PUT = 1;

function serialiseDomain(writes: Writes, names: string[]): Uint8Array {
  if (names.length === 0) return new Uint8Array(0);
  const w = new ByteWriter(256);
  w.varint(names.length);
  for (const name of names) {
    const entries = writes.get(name)!;
    const keys = [...entries.keys()].sort();
    w.bytes(utf8(name)).varint(keys.length);
    for (const key of keys) {
      w.bytes(Buffer.from(key, 'latin1'));
      const value = entries.get(key);
      if (value === undefined) w.u8(OP_REMOVE);
      else w.u8(OP_PUT).bytes(value);
    }
  }
  return w.finish();
}

export function serialiseWrites(writes: Writes): SerialisedWriteSet {
  const names = [...writes.keys()].filter((n) => writes.get(n)!.size > 0).sort();
  return {
    publicDomain: serialiseDomain(writes, names.filter(isPublicMap)),
    privateDomain: serialiseDomain(writes, names.filter((n) => !isPublicMap(n))),
  };
}

/**
 * Parse one domain, rejecting anything a correct serialiser would not produce (wrong
 * domain, unsorted or repeated names and keys), so a tampered entry cannot decode to
 * a different write set than the one its bytes were signed for.
 */
export function deserialiseDomain(bytes: Uint8Array, domain: 'public' | 'private', into: Writes = new Map()): Writes {
  if (bytes.length === 0) return into;
  const r = new ByteReader(bytes, `${domain} domain`);
  const mapCount = r.varint();
  if (mapCount === 0) throw new DecodeError(`${domain} domain: an empty domain must be zero bytes`);
  let previousName: string | undefined;
  for (let m = 0; m < mapCount; m++) {
    const name = fromUtf8(r.bytes());
    if (isPublicMap(name) !== (domain === 'public')) {
      throw new DecodeError(`${domain} domain: map ${JSON.stringify(name)} belongs to the other domain`);
    }
    if (previousName !== undefined && name <= previousName) {
      throw new DecodeError(`${domain} domain: maps out of order at ${JSON.stringify(name)}`);
    }
    previousName = name;
    const writeCount = r.varint();
    if (writeCount === 0) throw new DecodeError(`${domain} domain: map ${JSON.stringify(name)} with no writes`);
    const entries = new Map<string, Uint8Array | undefined>();
    let previousKey: string | undefined;
    for (let i = 0; i < writeCount; i++) {
      const key = bytesToKey(r.bytes());
      if (previousKey !== undefined && key <= previousKey) {
        throw new DecodeError(`${domain} domain: keys out of order in ${JSON.stringify(name)}`);
      }
      previousKey = key;
      const op = r.u8();
      if (op === OP_PUT) entries.set(key, r.bytes().slice());
      else if (op === OP_REMOVE) entries.set(key, undefined);
      else throw new DecodeError(`${domain} domain: unknown write op ${op}`);
    }
    into.set(name, entries);
  }
  r.end();
  return into;
}
