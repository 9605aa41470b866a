// The node's ledger: turns committed transactions into entries, keeps the Merkle tree
// and the positions of signature transactions, hands entries to the group-commit writer,
// and answers receipts. A ledger that starts from a snapshot holds the entries after it
// only (its tree starts from the snapshot's peaks).
import { serialiseWrites } from '../kv/write-set.js';
import type { CommittedTx } from '../kv/store.js';
import { formatTxID, type TxID } from '../kv/txid.js';
import { toHex } from '../util/bytes.js';
import { decodeEntry, encodeEntry, entryLeaf, EntryKind, writeSetDigest, ZERO_DIGEST, type LedgerEntry } from './entry.js';
import { MerkleTree } from './merkle.js';
import { proofToJson, type Receipt } from './receipt.js';
import { commitEvidenceDigest, type LedgerSecrets } from './secrets.js';
import { parseSignatureRecord, SIGNATURES } from './signature.js';
import type { LedgerStorage } from './storage.js';
import { ViewHistory, type ViewStart } from './view-history.js';
import { LedgerWriter } from './writer.js';
import { deserialiseDomain } from '../kv/write-set.js';

export interface LedgerPosition {
  /** Last seqno appended (in memory, maybe not yet written). */
  seqno: number;
  /** Last signature transaction appended. */
  signedSeqno: number;
}

export class Ledger {
  private treeValue: MerkleTree;
  private readonly writer: LedgerWriter;
  /** Seqnos of signature transactions, ascending. */
  private readonly signatureSeqnos: number[] = [];
  private lastSeqno: number;
  /** answers "which txid is at seqno s" without reading */
  private views: ViewHistory;

  /**
   * `tree` holds what is already in storage (replayed, or a snapshot's peaks); after a
   * snapshot, `views` is its view history (the snapshot is at a signature).
   */
  constructor(
    readonly storage: LedgerStorage,
    readonly secrets: LedgerSecrets,
    tree = new MerkleTree(),
    views: readonly ViewStart[] = [],
  ) {
    this.treeValue = tree;
    this.lastSeqno = tree.size;
    this.views = new ViewHistory(views);
    if (tree.base > 0) this.signatureSeqnos.push(tree.base);
    this.writer = new LedgerWriter(storage, tree.size);
  }

  get tree(): MerkleTree {
    return this.treeValue;
  }

  /**
   * Start over from a snapshot at `seqno` (a backup sent one by the primary): the tree
   * restarts from its peaks, and once `persist` has stored the snapshot, every stored
   * entry is dropped; entries after `seqno` follow.
   */
  restore(seqno: number, peaks: readonly Uint8Array[], views: readonly ViewStart[], persist: () => Promise<void>): Promise<void> {
    this.treeValue = MerkleTree.fromPeaks(seqno, peaks);
    this.views = new ViewHistory(views);
    this.signatureSeqnos.length = 0;
    this.signatureSeqnos.push(seqno);
    this.lastSeqno = seqno;
    return this.writer.reset(seqno, persist);
  }

  /** Entries up to here came in a snapshot: this ledger does not hold them. */
  get base(): number {
    return this.tree.base;
  }

  get viewHistory(): readonly ViewStart[] {
    return this.views.all;
  }

  get position(): LedgerPosition {
    return { seqno: this.lastSeqno, signedSeqno: this.lastSigned };
  }

  get lastSigned(): number {
    return this.signatureSeqnos[this.signatureSeqnos.length - 1] ?? 0;
  }

  /** Record an entry that is already in storage (replayed and verified at start-up). */
  adoptVerified(entry: Pick<LedgerEntry, 'seqno' | 'view' | 'kind'>): void {
    this.views.note(entry.view, entry.seqno);
    if (entry.kind === EntryKind.Signature) this.signatureSeqnos.push(entry.seqno);
    this.lastSeqno = entry.seqno;
  }

  /** Build, hash and queue the entry of a transaction the local store just committed. */
  appendLocal(committed: CommittedTx): LedgerEntry {
    const { txid } = committed;
    const { publicDomain, privateDomain } = serialiseWrites(committed.writes);
    const entry = encodeEntry(
      {
        kind: committed.kind === 'signature' ? EntryKind.Signature : EntryKind.Normal,
        txid,
        publicDomain,
        privateDomain,
        claimsDigest: committed.claimsDigest ?? ZERO_DIGEST,
        commitEvidenceDigest: commitEvidenceDigest(this.secrets.commitEvidence(txid)),
      },
      this.secrets.forSeqno(txid.seqno).key,
    );
    this.append(entry);
    return entry;
  }

  private append(entry: LedgerEntry): void {
    if (entry.seqno !== this.lastSeqno + 1) throw new RangeError(`ledger expects seqno ${this.lastSeqno + 1}, got ${entry.seqno}`);
    this.tree.append(entryLeaf(entry));
    this.adoptVerified(entry);
    this.writer.enqueue({ seqno: entry.seqno, bytes: entry.bytes }, entry.kind === EntryKind.Signature);
  }

  /** Store an entry from the primary that a LedgerVerifier has checked (and added to the tree). */
  appendReplicated(entry: LedgerEntry): void {
    if (entry.seqno !== this.lastSeqno + 1) throw new RangeError(`ledger expects seqno ${this.lastSeqno + 1}, got ${entry.seqno}`);
    if (this.tree.size !== entry.seqno) throw new RangeError('replicated entry was not verified into the tree');
    this.adoptVerified(entry);
    this.writer.enqueue({ seqno: entry.seqno, bytes: entry.bytes }, entry.kind === EntryKind.Signature);
  }

  onWritten(listener: (seqno: number) => void): void {
    this.writer.onWritten(listener);
  }

  /** Resolves once entry `seqno` is in storage as durably as the storage promises. */
  durable(seqno: number): Promise<void> {
    return this.writer.durable(seqno);
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  get writtenSeqno(): number {
    return this.writer.written;
  }

  /** The txid at `seqno`, if the ledger has it. */
  txidAt(seqno: number): TxID | undefined {
    const view = seqno >= 1 && seqno <= this.lastSeqno ? this.views.viewAt(seqno) : undefined;
    return view === undefined ? undefined : { view, seqno };
  }

  /** First signature transaction after `seqno`, if any. */
  signatureAfter(seqno: number): number | undefined {
    let lo = 0;
    let hi = this.signatureSeqnos.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.signatureSeqnos[mid]! <= seqno) lo = mid + 1;
      else hi = mid;
    }
    return this.signatureSeqnos[lo];
  }

  /** Discard everything after `seqno` (a suffix consensus did not commit). */
  async truncate(seqno: number): Promise<void> {
    if (seqno >= this.lastSeqno) return;
    this.tree.truncate(seqno);
    this.views.truncate(seqno);
    while (this.lastSigned > seqno) this.signatureSeqnos.pop();
    this.lastSeqno = seqno;
    await this.writer.truncate(seqno);
  }

  async readEntry(seqno: number): Promise<LedgerEntry> {
    const [stored] = await this.storage.read(seqno, seqno);
    if (!stored) throw new RangeError(`no ledger entry at seqno ${seqno}`);
    return decodeEntry(stored.bytes);
  }

  /**
   * A receipt for `txid`, which must be covered by a signature at or below
   * `committedSeqno`; undefined if it is not (yet).
   */
  async receipt(txid: TxID, committedSeqno: number): Promise<Receipt | undefined> {
    const known = this.txidAt(txid.seqno);
    if (!known || known.view !== txid.view) return undefined;
    if (txid.seqno <= this.base) {
      throw new RangeError(`this node started from a snapshot at seqno ${this.base} and does not hold transaction ${formatTxID(txid)}: ask a node with the full ledger`);
    }
    const sigSeqno = this.signatureAfter(txid.seqno);
    if (sigSeqno === undefined || sigSeqno > committedSeqno) return undefined;
    await this.writer.durable(sigSeqno);
    const [entry, sigEntry] = await Promise.all([this.readEntry(txid.seqno), this.readEntry(sigSeqno)]);
    const record = parseSignatureRecord([...deserialiseDomain(sigEntry.publicDomain, 'public').get(SIGNATURES.name)!.values()][0]!);
    return {
      txid: formatTxID(txid),
      leaf_components: {
        write_set_digest: toHex(writeSetDigest(entry)),
        commit_evidence: this.secrets.commitEvidence(txid),
        claims_digest: toHex(entry.claimsDigest),
      },
      proof: proofToJson(this.tree.proof(txid.seqno - 1, sigSeqno - 1)),
      signature_txid: formatTxID({ view: record.view, seqno: record.seqno }),
      node_id: record.node,
      signature: Buffer.from(record.signature).toString('base64'),
      cert: record.cert,
      service_signature: {
        protected: Buffer.from(record.cose_protected).toString('base64'),
        signature: Buffer.from(record.cose_signature).toString('base64'),
      },
    };
  }
}
