// When to take snapshots and how they become committed. Every node takes one at the first
// signature past each multiple of the interval (a rule of the ledger alone, so all nodes
// take the same ones, byte for byte). Once that signature is committed, the primary records
// the snapshot's digest in an evidence transaction; once the evidence is committed, each
// node that holds a matching snapshot writes it, with the evidence entry and its receipt,
// as a committed snapshot file. Consensus then drops the entries before the older of the
// two newest committed snapshots (a backup only a little behind still gets entries).
import type { Store } from '../kv/store.js';
import type { TxID } from '../kv/txid.js';
import type { SnapshotFiles } from '../host/snapshot-files.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Receipt } from '../ledger/receipt.js';
import { encodeCommittedSnapshot, encodeSnapshot, snapshotDigest, type SnapshotEvidence } from '../ledger/snapshot.js';
import { toHex } from '../util/bytes.js';
import type { NodeObserver } from './observer.js';

export interface SnapshotHost {
  readonly store: Store;
  readonly ledger: Ledger;
  isPrimary(): boolean;
  /** Seqno of the last governance request for a snapshot visible at `seqno` (0: none). */
  snapshotRequestedAt(seqno: number): number;
  /** As primary: record `evidence` in a transaction; `failed` if it could not be. */
  writeEvidence(evidence: SnapshotEvidence, failed: () => void): void;
  receipt(txid: TxID): Promise<Receipt | undefined>;
  /** Consensus may forget the entries up to `seqno`: this committed snapshot replaces them. */
  compact(seqno: number, committed: Uint8Array): void;
  log(message: string): void;
  observe: NodeObserver;
}

export const DEFAULT_SNAPSHOT_INTERVAL = 10_000;

interface Taken {
  bytes: Uint8Array;
  digest: string;
}

export class Snapshotter {
  /** snapshots taken, awaiting committed evidence: seqno -> snapshot */
  private readonly taken = new Map<number, Taken>();
  /** evidence seen in the ledger: snapshot seqno -> seqno of the evidence entry */
  private readonly evidence = new Map<number, number>();
  /** snapshots whose evidence this primary asked to write */
  private readonly asked = new Set<number>();
  /** committed snapshots held, ascending */
  private held: { seqno: number; bytes: Uint8Array }[] = [];
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly interval: number,
    private readonly files: SnapshotFiles,
    private readonly host: SnapshotHost,
  ) {
    if (!Number.isSafeInteger(interval) || interval < 1) throw new RangeError('snapshot interval must be a positive integer');
  }

  /** A signature entry at `seqno` was appended and the store is at it. */
  signed(seqno: number, previousSignature: number): void {
    // Past a multiple of the interval, or just after the members asked (trigger_snapshot):
    // both read from the ledger alone, so every node takes the same snapshots.
    const asked = this.host.snapshotRequestedAt(seqno) > previousSignature;
    if (!asked && Math.floor(seqno / this.interval) === Math.floor(previousSignature / this.interval)) return;
    const { store, ledger } = this.host;
    const bytes = encodeSnapshot({ txid: store.txid, state: store.state(seqno), peaks: ledger.tree.peaks(seqno), views: ledger.viewHistory }, ledger.secrets);
    this.taken.set(seqno, { bytes, digest: toHex(snapshotDigest(bytes)) });
  }

  /** The entry at `seqno` records `evidence`. */
  evidenceAt(seqno: number, evidence: SnapshotEvidence): void {
    const mine = this.taken.get(evidence.seqno);
    if (mine && mine.digest !== evidence.digest) {
      // Deterministic serialisation makes this a bug or a divergent store: never use it.
      this.host.log(`error: the snapshot this node took at ${evidence.seqno} differs from the evidence at ${seqno}; discarding it`);
      this.taken.delete(evidence.seqno);
      return;
    }
    this.evidence.set(evidence.seqno, seqno);
  }

  /** Entries after `after` were rolled back. */
  truncated(after: number): void {
    for (const seqno of [...this.taken.keys()]) if (seqno > after) this.taken.delete(seqno);
    for (const [seqno, at] of [...this.evidence]) {
      if (at > after) {
        this.evidence.delete(seqno);
        this.asked.delete(seqno);
      }
    }
  }

  /** Everything up to `seqno` is committed. */
  committed(seqno: number): void {
    for (const [at, snapshot] of this.taken) {
      if (at > seqno) continue;
      const evidenceAt = this.evidence.get(at);
      if (evidenceAt === undefined) {
        if (this.host.isPrimary() && !this.asked.has(at)) {
          this.asked.add(at);
          this.host.writeEvidence({ seqno: at, digest: snapshot.digest }, () => this.asked.delete(at));
        }
      } else if (evidenceAt <= seqno) {
        for (const older of this.taken.keys()) if (older <= at) this.taken.delete(older);
        this.evidence.delete(at);
        this.asked.delete(at);
        this.work = this.work.then(() => this.commit(at, snapshot, evidenceAt)).catch((e: Error) => this.host.log(`snapshot at ${at} not kept: ${e.message}`));
      }
    }
  }

  private async commit(seqno: number, snapshot: Taken, evidenceAt: number): Promise<void> {
    const { ledger } = this.host;
    const txid = ledger.txidAt(evidenceAt);
    const receipt = txid && (await this.host.receipt(txid));
    if (!receipt) throw new Error(`no receipt for its evidence at ${evidenceAt}`);
    const evidence = await ledger.readEntry(evidenceAt);
    const bytes = encodeCommittedSnapshot(snapshot.bytes, evidence.bytes, receipt);
    await this.files.write(seqno, bytes);
    this.host.log(`committed snapshot at seqno ${seqno} (${bytes.length} bytes, evidence ${txid.view}.${evidenceAt})`);
    this.host.observe({ kind: 'snapshot', seqno, bytes: bytes.length, source: 'taken' });
    await this.adopt(seqno, bytes);
  }

  /**
   * A committed snapshot this node now holds (written, installed from the primary, or
   * found at start-up): compact consensus behind the older of the two newest, and delete
   * the files no longer needed (the ledger's own base is needed to restart).
   */
  async adopt(seqno: number, bytes: Uint8Array): Promise<void> {
    if (this.held.some((h) => h.seqno === seqno)) return;
    this.held = [...this.held, { seqno, bytes }].sort((a, b) => a.seqno - b.seqno);
    const newest = this.held.slice(-2);
    if (newest.length === 2) this.host.compact(newest[0]!.seqno, newest[0]!.bytes);
    const keep = new Set([this.host.ledger.base, ...newest.map((h) => h.seqno)]);
    const drop = this.held.filter((h) => !keep.has(h.seqno));
    this.held = this.held.filter((h) => keep.has(h.seqno));
    for (const h of drop) await this.files.remove(h.seqno);
  }

  /** After a snapshot install: forget what was taken or seen before it. */
  installed(): void {
    this.taken.clear();
    this.evidence.clear();
    this.asked.clear();
  }

  /** Resolves when no snapshot is being written. */
  idle(): Promise<void> {
    return this.work;
  }
}
