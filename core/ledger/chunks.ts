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

/** The seqno range a chunk file's name says it holds, if it is named as an export names it. */
export function rangeInName(name: string): ChunkHeader | undefined {
  const m = CHUNK_NAME.exec(name);
  return m ? { first: Number(m[1]), last: Number(m[2]) } : undefined;
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

/** Bytes that are not a well-formed chunk: where they are, and which entry they were to hold. */
export class ChunkFormatError extends DecodeError {
  constructor(
    readonly file: string,
    /** byte offset of the malformed bytes in the file */
    readonly offset: number,
    /** the seqno of the entry the malformed bytes hold or were to hold (the header's range when it is the header) */
    readonly seqno: number | undefined,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ChunkFormatError';
  }
}

export const CHUNK_HEADER_SIZE = 28;
/** Offset of the header's first seqno (magic and version come before it). */
export const CHUNK_RANGE_OFFSET = 12;

export interface ChunkHeader {
  first: number;
  last: number;
}

/** A chunk's header: the seqno range it says it holds. */
export function decodeChunkHeader(bytes: Uint8Array, name = 'chunk'): ChunkHeader {
  if (bytes.length === 0) throw new ChunkFormatError(name, 0, undefined, 'empty file, not a ccevm ledger chunk');
  const r = new ByteReader(bytes, name);
  if (bytes.length < MAGIC.length || !Buffer.from(r.raw(MAGIC.length)).equals(MAGIC)) throw new ChunkFormatError(name, 0, undefined, 'not a ccevm ledger chunk');
  if (bytes.length < CHUNK_HEADER_SIZE) throw new ChunkFormatError(name, bytes.length, undefined, `truncated in its header (${bytes.length} of ${CHUNK_HEADER_SIZE} bytes)`);
  const version = r.u32();
  if (version !== CHUNK_VERSION) throw new ChunkFormatError(name, MAGIC.length, undefined, `unknown chunk version ${version}`);
  let first, last;
  try {
    first = r.u64();
    last = r.u64();
  } catch (e) {
    throw new ChunkFormatError(name, CHUNK_RANGE_OFFSET, undefined, `header seqno range unreadable: ${(e as Error).message}`);
  }
  if (first < 1 || last < first) throw new ChunkFormatError(name, CHUNK_RANGE_OFFSET, undefined, `header says entries ${first}..${last}: not a range`);
  return { first, last };
}

/** An entry as found in a chunk file: its seqno by position, and where its bytes start. */
export interface ChunkEntry extends StoredEntry {
  /** byte offset of the entry's bytes in the file (after its u32 length) */
  readonly offset: number;
}

/** Parse a chunk file; the entries themselves are left for the ledger verifier. Throws ChunkFormatError. */
export function decodeChunk(bytes: Uint8Array, name = 'chunk'): ChunkEntry[] {
  const { first, last } = decodeChunkHeader(bytes, name);
  const r = new ByteReader(bytes, name);
  r.raw(CHUNK_HEADER_SIZE);
  const entries: ChunkEntry[] = [];
  let seqno = first;
  while (r.remaining > 0) {
    const at = r.offset;
    if (seqno > last) throw new ChunkFormatError(name, at, seqno, `holds more entries than its header's ${first}..${last}`);
    if (r.remaining < 4) throw new ChunkFormatError(name, at, seqno, `truncated: the length of entry ${seqno} is cut (${r.remaining} of 4 bytes)`);
    const length = r.u32();
    if (length > r.remaining) throw new ChunkFormatError(name, at, seqno, `truncated: entry ${seqno} of ${length} bytes is cut after ${r.remaining}`);
    entries.push({ seqno: seqno++, bytes: r.raw(length), offset: at + 4 });
  }
  if (seqno - 1 !== last) throw new ChunkFormatError(name, bytes.length, seqno, `truncated: header says ${first}..${last}, holds ${entries.length} entries (the file ends before entry ${seqno})`);
  return entries;
}
