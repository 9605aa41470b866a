// The writes of chosen public maps, transaction by transaction, read from exported ledger
// chunks: the history of a public table (who proposed what, which constitution when), not
// only its last state. Only what is public is read, so an auditor needs no secrets. Read
// chunks that auditChunks has verified: this reader checks structure, not signatures.
import { DecodeError } from '../util/binary.js';
import { keyToBytes } from '../util/bytes.js';
import { deserialiseDomain } from '../kv/write-set.js';
import { decodeChunk, inSeqnoOrder } from './chunks.js';
import { decodeEntry } from './entry.js';
import { LedgerIntegrityError } from './errors.js';

export interface PublicWrite {
  seqno: number;
  view: number;
  map: string;
  key: Uint8Array;
  /** undefined: the key was removed */
  value: Uint8Array | undefined;
}

/** The writes to `maps`, in seqno order; within a transaction, in map then key order. */
export function* publicWrites(chunks: readonly { name: string; bytes: Uint8Array }[], maps: ReadonlySet<string>): Generator<PublicWrite> {
  for (const chunk of inSeqnoOrder(chunks)) {
    for (const stored of decodeChunk(chunk.bytes, chunk.name)) {
      let writes;
      let view;
      try {
        const entry = decodeEntry(stored.bytes);
        view = entry.view;
        writes = deserialiseDomain(entry.publicDomain, 'public');
      } catch (e) {
        if (e instanceof DecodeError) throw new LedgerIntegrityError(stored.seqno, `malformed: ${e.message}`);
        throw e;
      }
      for (const [map, entries] of writes) {
        if (!maps.has(map)) continue;
        for (const [key, value] of entries) yield { seqno: stored.seqno, view, map, key: keyToBytes(key), value };
      }
    }
  }
}
