// Codecs turn typed keys and values into the bytes a map stores. Key codecs should
// preserve order (big-endian integers, UTF-8 strings) so that iteration follows it.
import { ByteReader, ByteWriter, DecodeError } from '../util/binary.js';
import { fromUtf8, utf8 } from '../util/bytes.js';

export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** Copies both ways, so neither a caller's buffer nor a returned one aliases stored history. */
export const bytesCodec: Codec<Uint8Array> = {
  encode: (v) => v.slice(),
  decode: (b) => b.slice(),
};

export const stringCodec: Codec<string> = {
  encode: (v) => utf8(v),
  decode: (b) => fromUtf8(b),
};

/** Unsigned 64-bit integer, big-endian so byte order equals numeric order. */
export const u64Codec: Codec<bigint> = {
  encode(v) {
    if (v < 0n || v >= 1n << 64n) throw new RangeError(`u64 out of range: ${v}`);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, v);
    return out;
  },
  decode(b) {
    if (b.length !== 8) throw new DecodeError(`u64: expected 8 bytes, got ${b.length}`);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
  },
};

/** A non-negative safe integer, stored as a big-endian u64. */
export const uintCodec: Codec<number> = {
  encode: (v) => {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`uint out of range: ${v}`);
    return u64Codec.encode(BigInt(v));
  },
  decode: (b) => {
    const v = u64Codec.decode(b);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError(`uint: ${v} is not a safe integer`);
    return Number(v);
  },
};

export function jsonCodec<T>(): Codec<T> {
  return {
    encode: (v) => utf8(JSON.stringify(v)),
    decode: (b) => JSON.parse(fromUtf8(b)) as T,
  };
}

// ---------------------------------------------------------------------------------------
// Compact binary codec: a self-describing, deterministic encoding of JSON-like values
// that also carries byte strings and bigints (which JSON cannot). Object keys are written
// in sorted order, so equal values always encode to equal bytes.

export type BinaryValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | BinaryValue[]
  | { [key: string]: BinaryValue };

const enum Tag {
  Null = 0,
  False = 1,
  True = 2,
  UInt = 3, // safe integer >= 0, varint
  NegInt = 4, // safe integer < 0, varint of -(v + 1)
  Float = 5, // IEEE 754 double
  BigPos = 6, // bigint >= 0, magnitude bytes big-endian
  BigNeg = 7, // bigint < 0, magnitude bytes of -(v + 1)
  String = 8,
  Bytes = 9,
  Array = 10,
  Object = 11,
}

const MAX_DEPTH = 64;

function bigToBytes(v: bigint): Uint8Array {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function writeValue(w: ByteWriter, v: BinaryValue, depth = 0): void {
  if (depth > MAX_DEPTH) throw new RangeError('binary codec: nesting too deep');
  if (v === null) w.u8(Tag.Null);
  else if (v === false) w.u8(Tag.False);
  else if (v === true) w.u8(Tag.True);
  else if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) {
      if (v >= 0) w.u8(Tag.UInt).varint(v);
      else w.u8(Tag.NegInt).varint(-(v + 1));
    } else {
      const f = new Uint8Array(8);
      new DataView(f.buffer).setFloat64(0, v);
      w.u8(Tag.Float).raw(f);
    }
  } else if (typeof v === 'bigint') {
    if (v >= 0n) w.u8(Tag.BigPos).bytes(bigToBytes(v));
    else w.u8(Tag.BigNeg).bytes(bigToBytes(-(v + 1n)));
  } else if (typeof v === 'string') w.u8(Tag.String).bytes(utf8(v));
  else if (v instanceof Uint8Array) w.u8(Tag.Bytes).bytes(v);
  else if (Array.isArray(v)) {
    w.u8(Tag.Array).varint(v.length);
    for (const item of v) writeValue(w, item, depth + 1);
  } else if (typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    w.u8(Tag.Object).varint(keys.length);
    for (const k of keys) {
      w.bytes(utf8(k));
      writeValue(w, v[k]!, depth + 1);
    }
  } else {
    throw new TypeError(`binary codec cannot encode a ${typeof v}`);
  }
}

function readValue(r: ByteReader, depth: number): BinaryValue {
  if (depth > MAX_DEPTH) throw new DecodeError('binary codec: nesting too deep');
  const tag = r.u8();
  switch (tag) {
    case Tag.Null: return null;
    case Tag.False: return false;
    case Tag.True: return true;
    case Tag.UInt: return r.varint();
    case Tag.NegInt: return -r.varint() - 1;
    case Tag.Float: {
      const f = r.raw(8);
      return new DataView(f.buffer, f.byteOffset, 8).getFloat64(0);
    }
    case Tag.BigPos: return BigInt('0x' + (Buffer.from(r.bytes()).toString('hex') || '0'));
    case Tag.BigNeg: return -BigInt('0x' + (Buffer.from(r.bytes()).toString('hex') || '0')) - 1n;
    case Tag.String: return fromUtf8(r.bytes());
    case Tag.Bytes: return r.bytes().slice();
    case Tag.Array: {
      const n = r.varint();
      if (n > r.remaining) throw new DecodeError('binary codec: array longer than input');
      const out: BinaryValue[] = [];
      for (let i = 0; i < n; i++) out.push(readValue(r, depth + 1));
      return out;
    }
    case Tag.Object: {
      const n = r.varint();
      if (n > r.remaining) throw new DecodeError('binary codec: object longer than input');
      const out: { [key: string]: BinaryValue } = {};
      for (let i = 0; i < n; i++) {
        const key = fromUtf8(r.bytes());
        Object.defineProperty(out, key, { value: readValue(r, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new DecodeError(`binary codec: unknown tag ${tag} at byte ${r.offset - 1}`);
  }
}

export function binaryCodec<T extends BinaryValue>(): Codec<T> {
  return {
    encode(v) {
      const w = new ByteWriter(64);
      writeValue(w, v);
      return w.finish();
    },
    decode(b) {
      const r = new ByteReader(b, 'binary codec');
      const v = readValue(r, 0);
      r.end();
      return v as T;
    },
  };
}
