// Offline audit of exported ledger chunks: contiguity across files, then every entry
// through the ledger verifier. With the ledger secrets the private domains are checked
// too; without them (an auditor's usual position) only what is public. An export from a
// node that started from a snapshot begins after it: the committed snapshot is verified
// (evidence and receipt) and the audit goes on from its state and tree peaks.
import { Store } from '../kv/store.js';
import { DecodeError } from '../util/binary.js';
import { decodeChunk, inSeqnoOrder } from './chunks.js';
import { EntryKind } from './entry.js';
import { LedgerIntegrityError } from './errors.js';
import { MerkleTree } from './merkle.js';
import type { LedgerSecrets } from './secrets.js';
import { SnapshotError, verifyCommittedSnapshot } from './snapshot.js';
import { LedgerVerifier } from './verifier.js';

export interface AuditResult {
  entries: number;
  signatures: number;
  lastSeqno: number;
  lastView: number;
  /** The store rebuilt from the audited entries (public maps only without secrets). */
  store: Store;
  /** seqno of the committed snapshot the audit started from (0: from the first entry) */
  from: number;
}

export function auditChunks(
  chunks: readonly { name: string; bytes: Uint8Array }[],
  serviceCert: string,
  secrets?: LedgerSecrets,
  snapshot?: { name: string; bytes: Uint8Array },
): AuditResult {
  const ordered = inSeqnoOrder(chunks);
  const store = new Store();
  let tree = new MerkleTree();
  if (snapshot) {
    let start;
    try {
      start = verifyCommittedSnapshot(snapshot.bytes, serviceCert, secrets).snapshot;
    } catch (e) {
      if (e instanceof SnapshotError) throw new LedgerIntegrityError(1, `${snapshot.name}: ${e.message}`);
      throw e;
    }
    store.restore(start.txid, start.state);
    tree = MerkleTree.fromPeaks(start.txid.seqno, start.peaks);
  }
  const from = store.txid.seqno;
  const verifier = new LedgerVerifier({ serviceCert, store, tree, secrets });
  let signatures = 0;
  for (const chunk of ordered) {
    let entries;
    try {
      entries = decodeChunk(chunk.bytes, chunk.name);
    } catch (e) {
      if (e instanceof DecodeError) throw new LedgerIntegrityError(verifier.seqno + 1, `chunk ${chunk.name}: ${e.message}`);
      throw e;
    }
    if (entries[0]!.seqno !== verifier.seqno + 1) {
      throw new LedgerIntegrityError(verifier.seqno + 1, `chunk ${chunk.name} starts at ${entries[0]!.seqno}: chunks are missing or overlap`);
    }
    for (const stored of entries) {
      if (verifier.verify(stored.bytes).kind === EntryKind.Signature) signatures++;
    }
    if (verifier.lastSigned !== verifier.seqno) {
      throw new LedgerIntegrityError(verifier.seqno, `chunk ${chunk.name} does not end on a signature`);
    }
  }
  if (verifier.seqno === from) throw new LedgerIntegrityError(from + 1, 'no ledger chunks to audit');
  return { entries: verifier.seqno - from, signatures, lastSeqno: verifier.seqno, lastView: verifier.view, store, from };
}
