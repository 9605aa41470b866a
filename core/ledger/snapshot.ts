// Snapshots: the whole store at a signature transaction, so that a node can start from
// one instead of replaying the ledger from the beginning. Like a ledger entry, the public
// maps are in clear and the private ones AES-256-GCM encrypted; the snapshot also carries
// what the ledger needs to go on from there (the Merkle tree's peaks and the view history).
// Serialisation is deterministic, so every node that takes a snapshot at the same seqno
// produces the same bytes. Its SHA-256 is recorded in the ledger as the claims digest of an
// evidence transaction; once that transaction is committed, the snapshot, the evidence
// entry and its receipt form a *committed snapshot*, which anyone holding the service
// certificate can check. Formats: FORMAT.md.
import { aesGcmDecrypt, aesGcmEncrypt, AuthenticationError, IV_SIZE, TAG_SIZE } from '../crypto/aead.js';
import { DIGEST_SIZE, hkdfSha256, sha256 } from '../crypto/hash.js';
import { uintCodec, jsonCodec } from '../kv/codec.js';
import { defineMap } from '../kv/map-def.js';
import { formatTxID, type TxID } from '../kv/txid.js';
import { deserialiseDomain, serialiseWrites, type Writes } from '../kv/write-set.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/binary.js';
import { bytesToKey, fromUtf8, toHex, utf8 } from '../util/bytes.js';
import { decodeEntry, MAX_VIEW, writeSetDigest, type LedgerEntry } from './entry.js';
import { verifyReceipt, type Receipt } from './receipt.js';
import { commitEvidenceDigest, type LedgerSecrets } from './secrets.js';
import type { ViewStart } from './view-history.js';

export const SNAPSHOT_VERSION = 1;
const HEADER_SIZE = 29;
const COMMITTED_MAGIC = Buffer.from('CCEVMSNP', 'latin1');
export const SNAPSHOT_NAME = /^snapshot_(\d+)\.committed$/;

export function snapshotName(seqno: number): string {
  return `snapshot_${seqno}.committed`;
}

/** Evidence of a snapshot: written by the primary once the snapshot's seqno is committed. */
export interface SnapshotEvidence {
  /** seqno the snapshot was taken at */
  seqno: number;
  /** hex SHA-256 of the snapshot bytes (also the evidence transaction's claims digest) */
  digest: string;
}

/** Single entry, key 0: the latest snapshot evidence. */
export const SNAPSHOT_EVIDENCE = defineMap('public:ccf.internal.snapshot_evidence', uintCodec, jsonCodec<SnapshotEvidence>());

export interface Snapshot {
  /** the signature transaction it was taken at */
  txid: TxID;
  /** every live key of every map (private maps only when decoded with the secrets) */
  state: Writes;
  /** peaks of the Merkle tree of seqnos 1..txid.seqno */
  peaks: Uint8Array[];
  views: readonly ViewStart[];
}

export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}

function snapshotKey(secrets: LedgerSecrets, seqno: number): Uint8Array {
  // A key of its own: ledger entries use (seqno, view) IVs under the ledger secret itself.
  return hkdfSha256(secrets.forSeqno(seqno).key, 'ccevm snapshot');
}

function snapshotIv(txid: TxID): Uint8Array {
  const iv = new Uint8Array(IV_SIZE);
  const dv = new DataView(iv.buffer);
  dv.setBigUint64(0, BigInt(txid.seqno));
  dv.setUint32(8, txid.view);
  return iv;
}

function encodeLedgerState(peaks: readonly Uint8Array[], views: readonly ViewStart[]): Uint8Array {
  const w = new ByteWriter(64 + peaks.length * DIGEST_SIZE + views.length * 8).varint(peaks.length);
  for (const p of peaks) w.raw(p);
  w.varint(views.length);
  for (const v of views) w.varint(v.view).varint(v.seqno);
  return w.finish();
}

export function encodeSnapshot(snapshot: Snapshot, secrets: LedgerSecrets): Uint8Array {
  const { txid } = snapshot;
  if (txid.view > MAX_VIEW || txid.seqno < 1) throw new RangeError(`no snapshot at ${txid.view}.${txid.seqno}`);
  const { publicDomain, privateDomain } = serialiseWrites(snapshot.state);
  const ledgerState = encodeLedgerState(snapshot.peaks, snapshot.views);
  const privateLength = privateDomain.length === 0 ? 0 : privateDomain.length + TAG_SIZE;
  const head = new ByteWriter(HEADER_SIZE).u8(SNAPSHOT_VERSION).u64(txid.view).u64(txid.seqno).u32(publicDomain.length).u32(ledgerState.length).u32(privateLength).finish();
  const aad = Buffer.concat([head, publicDomain, ledgerState]);
  const sealed = privateLength === 0 ? new Uint8Array(0) : aesGcmEncrypt(snapshotKey(secrets, txid.seqno), snapshotIv(txid), privateDomain, aad);
  return Buffer.concat([aad, sealed]);
}

/**
 * Parse a snapshot, strictly. With the ledger secrets its private maps are decrypted and
 * authenticated; without them (an auditor) only the public state is returned.
 */
export function decodeSnapshot(bytes: Uint8Array, secrets?: LedgerSecrets): Snapshot {
  try {
    const r = new ByteReader(bytes, 'snapshot');
    const version = r.u8();
    if (version !== SNAPSHOT_VERSION) throw new DecodeError(`snapshot: unknown version ${version}`);
    const txid = { view: r.u64(), seqno: r.u64() };
    if (txid.view > MAX_VIEW || txid.seqno < 1) throw new DecodeError(`snapshot: no snapshot at ${txid.view}.${txid.seqno}`);
    const publicLength = r.u32();
    const ledgerLength = r.u32();
    const privateLength = r.u32();
    if (privateLength !== 0 && privateLength <= TAG_SIZE) throw new DecodeError(`snapshot: private state of ${privateLength} bytes`);
    const state = deserialiseDomain(r.raw(publicLength), 'public');
    const ledger = new ByteReader(r.raw(ledgerLength), 'snapshot ledger state');
    const aadEnd = r.offset;
    const sealed = r.raw(privateLength);
    r.end();
    const peaks = Array.from({ length: ledger.varint() }, () => ledger.raw(DIGEST_SIZE).slice());
    const views = Array.from({ length: ledger.varint() }, () => ({ view: ledger.varint(), seqno: ledger.varint() }));
    ledger.end();
    if (secrets && privateLength > 0) {
      const plain = aesGcmDecrypt(snapshotKey(secrets, txid.seqno), snapshotIv(txid), sealed, bytes.subarray(0, aadEnd));
      deserialiseDomain(plain, 'private', state);
    }
    for (const [name, entries] of state) {
      for (const value of entries.values()) if (value === undefined) throw new DecodeError(`snapshot: map ${JSON.stringify(name)} holds a removal`);
    }
    const last = views[views.length - 1];
    if (!last || last.view !== txid.view || last.seqno > txid.seqno || views.some((v, i) => i > 0 && (v.view <= views[i - 1]!.view || v.seqno <= views[i - 1]!.seqno))) {
      throw new DecodeError('snapshot: view history does not ascend to the snapshot view');
    }
    return { txid, state, peaks, views };
  } catch (e) {
    if (e instanceof AuthenticationError) throw new SnapshotError('snapshot private state fails authentication (altered, or a wrong ledger secret)');
    if (e instanceof DecodeError || e instanceof RangeError) throw new SnapshotError(`snapshot malformed: ${e.message}`);
    throw e;
  }
}

export function snapshotDigest(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}

//   committed := "CCEVMSNP" | u32 version (1) | u32 length | snapshot
//                | u32 length | evidence ledger entry | u32 length | receipt (UTF-8 JSON)
export function encodeCommittedSnapshot(snapshot: Uint8Array, evidence: Uint8Array, receipt: Receipt): Uint8Array {
  const json = utf8(JSON.stringify(receipt));
  return new ByteWriter(snapshot.length + evidence.length + json.length + 32)
    .raw(COMMITTED_MAGIC).u32(SNAPSHOT_VERSION)
    .u32(snapshot.length).raw(snapshot)
    .u32(evidence.length).raw(evidence)
    .u32(json.length).raw(json)
    .finish();
}

export interface CommittedSnapshot {
  /** the snapshot bytes */
  bytes: Uint8Array;
  snapshot: Snapshot;
  /** the ledger entry that records the snapshot's digest */
  evidence: LedgerEntry;
  /** that entry's receipt */
  receipt: Receipt;
}

/**
 * Check a committed snapshot against the service certificate: the receipt verifies and is
 * the evidence entry's (same txid, same write-set and claims digests); the entry records
 * this snapshot (seqno and SHA-256) in the snapshot evidence map, after the snapshot's
 * seqno. Then parse the snapshot (see decodeSnapshot for what the secrets add).
 */
export function verifyCommittedSnapshot(bytes: Uint8Array, serviceCert: string, secrets?: LedgerSecrets): CommittedSnapshot {
  let snapshotBytes: Uint8Array;
  let evidence: LedgerEntry;
  let receipt: Receipt;
  try {
    const r = new ByteReader(bytes, 'committed snapshot');
    if (!Buffer.from(r.raw(COMMITTED_MAGIC.length)).equals(COMMITTED_MAGIC)) throw new DecodeError('not a ccevm committed snapshot');
    const version = r.u32();
    if (version !== SNAPSHOT_VERSION) throw new DecodeError(`unknown committed snapshot version ${version}`);
    snapshotBytes = r.raw(r.u32()).slice();
    evidence = decodeEntry(r.raw(r.u32()).slice());
    receipt = JSON.parse(fromUtf8(r.raw(r.u32()))) as Receipt;
    r.end();
  } catch (e) {
    throw new SnapshotError(`committed snapshot malformed: ${(e as Error).message}`);
  }
  try {
    verifyReceipt(receipt, serviceCert);
  } catch (e) {
    throw new SnapshotError(`snapshot evidence receipt: ${(e as Error).message}`);
  }
  const digest = toHex(snapshotDigest(snapshotBytes));
  if (
    receipt.txid !== formatTxID(evidence) ||
    receipt.leaf_components.write_set_digest !== toHex(writeSetDigest(evidence)) ||
    receipt.leaf_components.claims_digest !== toHex(evidence.claimsDigest) ||
    toHex(commitEvidenceDigest(receipt.leaf_components.commit_evidence)) !== toHex(evidence.commitEvidenceDigest)
  ) {
    throw new SnapshotError('the receipt is not the evidence entry\'s');
  }
  const recorded = readEvidence(evidence);
  const snapshot = decodeSnapshot(snapshotBytes, secrets);
  if (!recorded || recorded.digest !== digest || toHex(evidence.claimsDigest) !== digest || recorded.seqno !== snapshot.txid.seqno) {
    throw new SnapshotError('the evidence entry does not record this snapshot');
  }
  if (evidence.seqno <= snapshot.txid.seqno) throw new SnapshotError('the snapshot evidence does not come after the snapshot');
  return { bytes: snapshotBytes, snapshot, evidence, receipt };
}

/** The snapshot evidence an entry records, if it writes any. */
export function readEvidence(entry: LedgerEntry): SnapshotEvidence | undefined {
  const raw = deserialiseDomain(entry.publicDomain, 'public').get(SNAPSHOT_EVIDENCE.name)?.get(bytesToKey(SNAPSHOT_EVIDENCE.key.encode(0)));
  if (raw === undefined) return undefined;
  let value: Partial<SnapshotEvidence>;
  try {
    value = SNAPSHOT_EVIDENCE.value.decode(raw);
  } catch {
    return undefined;
  }
  return Number.isSafeInteger(value?.seqno) && typeof value.digest === 'string' && /^[0-9a-f]{64}$/.test(value.digest) ? (value as SnapshotEvidence) : undefined;
}
