// Ledger chunk files: the export an auditor verifies offline. Each chunk holds a run of
// consecutive entries and ends on a signature transaction (see FORMAT.md).
//
//   chunk := "CCEVMLDG" | u32 version (1) | u64 first seqno | u64 last seqno | (u32 length | entry)*
import { ByteReader, ByteWriter, DecodeError } from '../util/binary.js';
import { EntryKind } from './entry.js';
import type { StoredEntry } from './storage.js';

const MAGIC = Buffer.from('CCEVMLDG', 'latin1');
const CHUNK_VERSION = 1;
export const CHUNK_NAME = /^ledger_(\d+)-(\d+)\.committed$/;

export function chunkName(first: number, last: number): string {
  return `ledger_${first}-${last}.committed`;
}

/** Chunk files in the order of the seqnos they start at (as their names say). */
export function inSeqnoOrder<C extends { name: string }>(chunks: readonly C[]): C[] {
  const first = (c: C) => Number(CHUNK_NAME.exec(c.name)?.[1] ?? NaN);
  return [...chunks].sort((a, b) => first(a) - first(b));
}

function isSignature(bytes: Uint8Array): boolean {
  return bytes[1] === EntryKind.Signature;
}

export function encodeChunk(entries: readonly StoredEntry[]): Uint8Array {
  const w = new ByteWriter(1024).raw(MAGIC).u32(CHUNK_VERSION).u64(entries[0]!.seqno).u64(entries[entries.length - 1]!.seqno);
  for (const e of entries) w.u32(e.bytes.length).raw(e.bytes);
  return w.finish();
}

/**
 * Group entries into chunks of at least `targetBytes` that each end on a signature.
 * Entries after the last signature are not committed and are left out.
 */
export async function* chunkEntries(entries: AsyncIterable<StoredEntry>, targetBytes: number): AsyncGenerator<{ name: string; bytes: Uint8Array }> {
  let current: StoredEntry[] = [];
  let size = 0;
  for await (const e of entries) {
    current.push(e);
    size += e.bytes.length;
    if (isSignature(e.bytes) && size >= targetBytes) {
      yield { name: chunkName(current[0]!.seqno, e.seqno), bytes: encodeChunk(current) };
      current = [];
      size = 0;
    }
  }
  const lastSig = current.findLastIndex((e) => isSignature(e.bytes));
  if (lastSig >= 0) {
    const tail = current.slice(0, lastSig + 1);
    yield { name: chunkName(tail[0]!.seqno, tail[tail.length - 1]!.seqno), bytes: encodeChunk(tail) };
  }
}

/** Parse a chunk file; the entries themselves are left for the ledger verifier. */
export function decodeChunk(bytes: Uint8Array, name = 'chunk'): StoredEntry[] {
  const r = new ByteReader(bytes, name);
  if (!Buffer.from(r.raw(MAGIC.length)).equals(MAGIC)) throw new DecodeError(`${name}: not a ccevm ledger chunk`);
  const version = r.u32();
  if (version !== CHUNK_VERSION) throw new DecodeError(`${name}: unknown chunk version ${version}`);
  const first = r.u64();
  const last = r.u64();
  const entries: StoredEntry[] = [];
  let seqno = first;
  while (r.remaining > 0) entries.push({ seqno: seqno++, bytes: r.raw(r.u32()) });
  if (entries.length === 0 || seqno - 1 !== last) throw new DecodeError(`${name}: header says ${first}..${last}, holds ${entries.length} entries`);
  return entries;
}
