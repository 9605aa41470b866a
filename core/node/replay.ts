// Reopening a data directory: find the committed snapshots on disk, pick where the stored
// ledger starts from (the beginning, or the snapshot just before its first entry), and
// rebuild store and Merkle tree from there, verifying every entry. What comes out is Raft's
// persisted log.
import type { Entry, NodeId } from '../consensus/types.js';
import { NODES_INFO } from '../governance/tables.js';
import { SnapshotFiles } from '../host/snapshot-files.js';
import { Store } from '../kv/store.js';
import { EntryKind } from '../ledger/entry.js';
import { MerkleTree } from '../ledger/merkle.js';
import { verifyCommittedSnapshot, type CommittedSnapshot } from '../ledger/snapshot.js';
import type { LedgerStorage } from '../ledger/storage.js';
import { LedgerVerifier } from '../ledger/verifier.js';
import type { ViewStart } from '../ledger/view-history.js';
import type { NodeIdentity } from './identity.js';
import { configAfter, trustedNodes } from './membership.js';

export interface HeldSnapshot {
  seqno: number;
  /** the committed snapshot file's bytes (what Raft sends to backups) */
  bytes: Uint8Array;
  committed: CommittedSnapshot;
}

/** The committed snapshots on disk that verify, ascending; the others are reported and skipped. */
export async function loadSnapshots(files: SnapshotFiles, identity: NodeIdentity, log: (m: string) => void): Promise<HeldSnapshot[]> {
  const held: HeldSnapshot[] = [];
  for (const seqno of await files.list()) {
    try {
      const bytes = await files.read(seqno);
      const committed = verifyCommittedSnapshot(bytes, identity.serviceCert, identity.secrets);
      if (committed.snapshot.txid.seqno !== seqno) throw new Error(`it holds seqno ${committed.snapshot.txid.seqno}`);
      held.push({ seqno, bytes, committed });
    } catch (e) {
      log(`ignoring snapshot file at seqno ${seqno}: ${(e as Error).message}`);
    }
  }
  return held;
}

export async function firstStoredSeqno(storage: LedgerStorage): Promise<number | undefined> {
  for await (const e of storage.scan(1)) return e.seqno;
  return undefined;
}

/** Neither ledger entries nor snapshot files: nothing to reopen. */
export async function holdsNothing(storage: LedgerStorage, files: SnapshotFiles): Promise<boolean> {
  return (await firstStoredSeqno(storage)) === undefined && (await files.list()).length === 0;
}

export interface Reopened extends Replayed {
  /** the committed snapshots on disk that verify */
  held: HeldSnapshot[];
}

/**
 * Reopen what a data directory holds: pick the snapshot the stored ledger starts after
 * (if it does not start at seqno 1) and replay the entries after it. Nothing stored gives
 * an empty state.
 */
export async function reopen(storage: LedgerStorage, files: SnapshotFiles, identity: NodeIdentity, log: (m: string) => void): Promise<Reopened> {
  const firstStored = await firstStoredSeqno(storage);
  const held = await loadSnapshots(files, identity, log);
  if (firstStored === undefined && (await files.list()).length === 0) {
    return { store: new Store(), tree: new MerkleTree(), views: [], entries: [], highestView: 0, held };
  }
  let base: HeldSnapshot | undefined;
  if (firstStored === undefined) base = held[held.length - 1];
  else if (firstStored > 1) {
    base = held.find((h) => h.seqno === firstStored - 1);
    if (!base) throw new Error(`the ledger starts at seqno ${firstStored}, and there is no valid committed snapshot at ${firstStored - 1} to start it from; refusing to start`);
  }
  return { ...(await replay(storage, identity, base)), held };
}

export interface Replayed {
  store: Store;
  tree: MerkleTree;
  views: readonly ViewStart[];
  /** the log after the base, up to the last signature */
  entries: Entry<Uint8Array>[];
  highestView: number;
  /** the snapshot the ledger starts from, if it does not start at seqno 1 */
  base?: { index: number; term: number; config: NodeId[]; snapshot: Uint8Array };
}

/**
 * Rebuild store and tree from `base` (if any) and the stored entries after it, verifying
 * every entry. An unsigned suffix (never committed) is discarded; any integrity failure
 * refuses the whole ledger.
 */
export async function replay(storage: LedgerStorage, identity: NodeIdentity, base: HeldSnapshot | undefined): Promise<Replayed> {
  const store = new Store();
  let tree = new MerkleTree();
  let views: readonly ViewStart[] = [];
  let start: Replayed['base'];
  if (base) {
    const { txid, state, peaks } = base.committed.snapshot;
    store.restore(txid, state);
    tree = MerkleTree.fromPeaks(txid.seqno, peaks);
    views = base.committed.snapshot.views;
    start = { index: txid.seqno, term: txid.view, config: trustedNodes(store), snapshot: base.bytes };
  }
  const from = (start?.index ?? 0) + 1;
  const verifier = new LedgerVerifier({ serviceCert: identity.serviceCert, secrets: identity.secrets, store, tree });
  const entries: Entry<Uint8Array>[] = [];
  for await (const stored of storage.scan(from)) {
    const entry = verifier.verify(stored.bytes);
    const config = configAfter(entry, store);
    entries.push({ term: entry.view, index: entry.seqno, kind: entry.kind === EntryKind.Signature ? 'signature' : 'data', payload: stored.bytes, ...(config ? { config } : {}) });
  }
  const signed = Math.max(verifier.lastSigned, start?.index ?? 0);
  if (verifier.seqno > signed) {
    // Never committed, so never acknowledged: drop them (their views still count).
    store.rollback(signed);
    tree.truncate(signed);
    await storage.truncate(signed);
  }
  const tx = store.begin();
  const me = tx.map(NODES_INFO).get(identity.nodeId);
  tx.abort();
  // A node that joined may hold a snapshot from before it was admitted: it follows the
  // primary until the entries that admit it arrive.
  const notYetAdmitted = start !== undefined && me === undefined;
  if (!notYetAdmitted && (signed === 0 || !me || me.status !== 'Trusted' || me.cert !== identity.nodeCert)) {
    throw new Error('the ledger holds no committed genesis for this node; refusing to start');
  }
  return { store, tree, views, entries: entries.filter((e) => e.index <= signed), highestView: verifier.view, ...(start ? { base: start } : {}) };
}
