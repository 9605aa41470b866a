// The glue between the node's store and ledger and consensus: what Raft tells the node
// (entries to verify and apply, a suffix to drop, a snapshot to install, a new commit
// index, a new role; see ReplicationHost), what the node tells Raft (its own commits, as
// primary), and what the snapshotter may ask of the node.
import type { Entry, NodeId, Role } from '../consensus/types.js';
import type { Sealer } from '../crypto/sealing.js';
import { NODES_INFO, SNAPSHOT_REQUEST } from '../governance/tables.js';
import type { DataDir } from '../host/data-dir.js';
import type { SnapshotFiles } from '../host/snapshot-files.js';
import type { CommittedTx, Store } from '../kv/store.js';
import type { Transaction } from '../kv/transaction.js';
import { EntryKind } from '../ledger/entry.js';
import type { Ledger } from '../ledger/ledger.js';
import { readEvidence, SNAPSHOT_EVIDENCE, verifyCommittedSnapshot, type CommittedSnapshot } from '../ledger/snapshot.js';
import { LedgerVerifier } from '../ledger/verifier.js';
import { bytesToKey, fromHex } from '../util/bytes.js';
import type { CommitRecord } from './commit-record.js';
import type { CommitTracker } from './commit-waiters.js';
import { saveVote, type NodeIdentity } from './identity.js';
import { configAfter, trustedNodes } from './membership.js';
import type { PendingWrites } from './pending-writes.js';
import type { Replication, ReplicationHost } from './replication.js';
import type { SignatureScheduler } from './signatures.js';
import type { NodeObserver } from './observer.js';
import type { SnapshotHost, Snapshotter } from './snapshotter.js';

/** The node's parts the glue works on. */
export interface NodeParts {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly identity: NodeIdentity;
  readonly dir: DataDir;
  readonly sealer: Sealer;
  readonly snapshotFiles: SnapshotFiles;
  readonly commits: CommitTracker;
  readonly commitRecord: CommitRecord;
  readonly signatures: SignatureScheduler;
  readonly writes: PendingWrites;
  readonly log: (message: string) => void;
  readonly observe: NodeObserver;
}

/** What the glue asks of the node itself. */
export interface NodeControl {
  /** The primary this node knows of changed. */
  primaryChanged(): void;
  /** This node became primary in `term` (the store is in that view already). */
  becamePrimary(): void;
  /** Primary and not retiring: it may write. */
  writable(): boolean;
  transact(body: (tx: Transaction) => void): Promise<unknown>;
  /** The node table changed: point the network at the peers' addresses. */
  peersChanged(): void;
  /** Something went wrong that the node cannot continue after. */
  halt(error: Error): void;
}

export class ConsensusHost implements ReplicationHost {
  private replication!: Replication;
  private snapshots!: Snapshotter;
  /** checks entries a primary sends before they touch the store (rebuilt after a truncation) */
  private verifier: LedgerVerifier | undefined;
  /** snapshots from the primary already verified (Replication checks before Raft sees them) */
  private readonly verifiedSnapshots = new WeakMap<Uint8Array, CommittedSnapshot>();
  /** a compaction waiting for consensus to commit that far */
  private pendingCompaction: { seqno: number; snapshot: Uint8Array } | undefined;

  constructor(
    private readonly parts: NodeParts,
    private readonly node: NodeControl,
  ) {}

  /** Both exist only once this host does (each takes it). */
  attach(replication: Replication, snapshots: Snapshotter): void {
    this.replication = replication;
    this.snapshots = snapshots;
  }

  /** As primary: a transaction this node committed becomes a ledger entry and a Raft proposal. */
  localCommit(committed: CommittedTx): void {
    const { ledger, store, signatures } = this.parts;
    const previousSignature = ledger.lastSigned;
    const entry = ledger.appendLocal(committed);
    this.parts.observe({ kind: 'appended', seqno: committed.txid.seqno, bytes: entry.bytes.length, signature: committed.kind === 'signature' });
    // A local commit still has its write set: no need to decode the entry to see it.
    const config = committed.writes.has(NODES_INFO.name) ? trustedNodes(store) : undefined;
    this.replication.propose(committed.kind === 'signature' ? 'signature' : 'data', entry.bytes, config);
    if (config) this.node.peersChanged();
    if (committed.kind === 'signature') this.snapshots.signed(committed.txid.seqno, previousSignature);
    else signatures.unsigned(committed.txid.seqno);
    if (committed.writes.has(SNAPSHOT_EVIDENCE.name)) this.snapshots.evidenceAt(committed.txid.seqno, readEvidence(entry)!);
  }

  /** What the snapshotter may ask of the node. */
  snapshotHost(): SnapshotHost {
    const { store, ledger, commits, log, observe } = this.parts;
    return {
      store,
      ledger,
      isPrimary: () => this.node.writable(),
      snapshotRequestedAt: (seqno) => store.mapState(SNAPSHOT_REQUEST.name)?.get(bytesToKey(SNAPSHOT_REQUEST.key.encode(0)), seqno)?.seqno ?? 0,
      writeEvidence: (evidence, failed) => {
        this.node
          .transact((tx) => {
            tx.map(SNAPSHOT_EVIDENCE).set(0, evidence);
            tx.setClaimsDigest(fromHex(evidence.digest));
          })
          .catch(failed);
      },
      receipt: (txid) => ledger.receipt(txid, commits.committed),
      compact: (seqno, snapshot) => {
        this.pendingCompaction = { seqno, snapshot };
        this.compactIfCommitted();
      },
      log,
      observe,
    };
  }

  // -- ReplicationHost ------------------------------------------------------------------

  applyReplicated(entries: Entry<Uint8Array>[]): void {
    const { identity, store, ledger } = this.parts;
    for (const e of entries) {
      this.verifier ??= new LedgerVerifier({ serviceCert: identity.serviceCert, secrets: identity.secrets, store, tree: ledger.tree });
      const entry = this.verifier.verify(e.payload);
      if (entry.seqno !== e.index || entry.view !== e.term) throw new Error(`replicated entry ${e.term}.${e.index} holds ${entry.view}.${entry.seqno}`);
      const previousSignature = ledger.lastSigned;
      ledger.appendReplicated(entry);
      this.parts.observe({ kind: 'appended', seqno: entry.seqno, bytes: e.payload.length, signature: entry.kind === EntryKind.Signature });
      if (configAfter(entry, store)) this.node.peersChanged();
      if (entry.kind === EntryKind.Signature) this.snapshots.signed(entry.seqno, previousSignature);
      const evidence = entry.publicDomain.length > 0 ? readEvidence(entry) : undefined;
      if (evidence) this.snapshots.evidenceAt(entry.seqno, evidence);
    }
  }

  truncated(after: number): void {
    this.parts.store.rollback(after);
    this.verifier = undefined;
    this.parts.commits.rolledBack(after);
    this.snapshots.truncated(after);
    // At once, not later: entries that replace the dropped ones may follow immediately.
    this.parts.writes.track(this.parts.ledger.truncate(after)).catch((e: Error) => this.fatal(e));
  }

  acceptSnapshot(data: Uint8Array): boolean {
    const { identity, log } = this.parts;
    try {
      this.verifiedSnapshots.set(data, verifyCommittedSnapshot(data, identity.serviceCert, identity.secrets));
      return true;
    } catch (e) {
      log(`refused a snapshot from the primary: ${(e as Error).message}`);
      return false;
    }
  }

  installSnapshot(index: number, term: number, data: Uint8Array): void {
    const { identity, store, ledger, commits, writes, snapshotFiles, log } = this.parts;
    const committed = this.verifiedSnapshots.get(data) ?? verifyCommittedSnapshot(data, identity.serviceCert, identity.secrets);
    const { txid, state, peaks, views } = committed.snapshot;
    if (txid.seqno !== index || txid.view !== term) throw new Error(`a snapshot of ${txid.view}.${txid.seqno} was installed as ${term}.${index}`);
    // Whatever this node had beyond its commit index is replaced; callers can ask the status.
    commits.failAll(new Error('superseded by a snapshot from the primary; ask for the transaction status'));
    store.restore(txid, state);
    this.verifier = undefined;
    this.snapshots.installed();
    writes.track(ledger.restore(index, peaks, views, () => snapshotFiles.write(index, data))).catch((e: Error) => this.fatal(e));
    this.commitAdvanced(index);
    writes.track(this.snapshots.adopt(index, data)).catch((e: Error) => log(`snapshot files: ${e.message}`));
    this.node.peersChanged();
    log(`installed the primary's snapshot at ${txid.view}.${txid.seqno}`);
    this.parts.observe({ kind: 'snapshot', seqno: index, bytes: data.length, source: 'installed' });
  }

  commitAdvanced(index: number): void {
    const { commits, store, commitRecord } = this.parts;
    if (!commits.advance(index)) return;
    store.compact(index);
    commitRecord.committed(index);
    this.snapshots.committed(index);
    this.compactIfCommitted();
  }

  primaryChanged(): void {
    this.node.primaryChanged();
  }

  roleChanged(role: Role, term: number): void {
    // The verifier of replicated entries tracks the ledger's end; as primary the node
    // appended its own entries, so start a fresh one from wherever the ledger now ends.
    this.verifier = undefined;
    this.parts.observe({ kind: 'role', role, view: term });
    if (role === 'primary') {
      this.parts.store.setView(term);
      this.node.becamePrimary();
    } else {
      this.parts.signatures.signed(); // a backup does not sign
    }
  }

  async makeDurable(): Promise<number> {
    await this.parts.ledger.flush();
    return this.parts.ledger.writtenSeqno;
  }

  saveVote(term: number, votedFor: NodeId | undefined): Promise<void> {
    this.parts.observe({ kind: 'vote', view: term, votedFor });
    return this.parts.writes.track(saveVote(this.parts.dir, this.parts.sealer, { term, votedFor }));
  }

  fatal(error: Error): void {
    this.parts.log(`fatal: ${error.stack ?? error.message}`);
    this.node.halt(error);
  }

  private compactIfCommitted(): void {
    const pending = this.pendingCompaction;
    if (!pending || pending.seqno > this.replication.raft.committed) return;
    this.pendingCompaction = undefined;
    this.replication.compact(pending.seqno, pending.snapshot);
  }
}
