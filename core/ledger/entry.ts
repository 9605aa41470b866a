// The ledger entry format (see FORMAT.md). One entry per transaction:
//
//   header (26 B) | public domain | private domain (AES-256-GCM ciphertext || tag) |
//   claims digest (32 B) | commit evidence digest (32 B)
//
// The header and public domain are the additional data of the private domain's
// encryption, and the write-set digest covers header and both domains, so every byte of
// an entry is bound either by the cipher or by the Merkle leaf.
import { aesGcmDecrypt, aesGcmEncrypt, IV_SIZE, TAG_SIZE } from '../crypto/aead.js';
import { DIGEST_SIZE, sha256 } from '../crypto/hash.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/binary.js';
import type { TxID } from '../kv/txid.js';

export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 26;
export const TRAILER_SIZE = 2 * DIGEST_SIZE;
export const ZERO_DIGEST = new Uint8Array(DIGEST_SIZE);
export const MAX_VIEW = 2 ** 32 - 1;

export enum EntryKind {
  Normal = 0,
  Signature = 1,
}

export interface LedgerEntry {
  readonly kind: EntryKind;
  readonly view: number;
  readonly seqno: number;
  readonly publicDomain: Uint8Array;
  /** Ciphertext with its tag, or empty when the transaction wrote no private map. */
  readonly privateCiphertext: Uint8Array;
  readonly claimsDigest: Uint8Array;
  readonly commitEvidenceDigest: Uint8Array;
  /** The whole serialised entry. */
  readonly bytes: Uint8Array;
}

export function entryIv(view: number, seqno: number): Uint8Array {
  if (view > MAX_VIEW) throw new RangeError('view does not fit the IV');
  const iv = new Uint8Array(IV_SIZE);
  const dv = new DataView(iv.buffer);
  dv.setBigUint64(0, BigInt(seqno));
  dv.setUint32(8, view);
  return iv;
}

function header(kind: EntryKind, view: number, seqno: number, publicLength: number, privateLength: number): Uint8Array {
  return new ByteWriter(HEADER_SIZE).u8(FORMAT_VERSION).u8(kind).u64(view).u64(seqno).u32(publicLength).u32(privateLength).finish();
}

export interface EntryContents {
  kind: EntryKind;
  txid: TxID;
  publicDomain: Uint8Array;
  privateDomain: Uint8Array;
  claimsDigest: Uint8Array;
  commitEvidenceDigest: Uint8Array;
}

/** Serialise an entry, encrypting its private domain with `secret`. */
export function encodeEntry(contents: EntryContents, secret: Uint8Array): LedgerEntry {
  const { kind, txid, publicDomain, privateDomain, claimsDigest, commitEvidenceDigest } = contents;
  const privateLength = privateDomain.length === 0 ? 0 : privateDomain.length + TAG_SIZE;
  const head = header(kind, txid.view, txid.seqno, publicDomain.length, privateLength);
  const privateCiphertext =
    privateLength === 0
      ? new Uint8Array(0)
      : aesGcmEncrypt(secret, entryIv(txid.view, txid.seqno), privateDomain, Buffer.concat([head, publicDomain]));
  const bytes = Buffer.concat([head, publicDomain, privateCiphertext, claimsDigest, commitEvidenceDigest]);
  return { kind, view: txid.view, seqno: txid.seqno, publicDomain, privateCiphertext, claimsDigest, commitEvidenceDigest, bytes };
}

/** Parse an entry's structure without decrypting it. Throws DecodeError on malformed bytes. */
export function decodeEntry(bytes: Uint8Array): LedgerEntry {
  const r = new ByteReader(bytes, 'ledger entry');
  const version = r.u8();
  if (version !== FORMAT_VERSION) throw new DecodeError(`ledger entry: unknown format version ${version}`);
  const kind = r.u8();
  if (kind !== EntryKind.Normal && kind !== EntryKind.Signature) throw new DecodeError(`ledger entry: unknown kind ${kind}`);
  const view = r.u64();
  if (view > MAX_VIEW) throw new DecodeError(`ledger entry: view ${view} is out of range`);
  const seqno = r.u64();
  const publicLength = r.u32();
  const privateLength = r.u32();
  if (privateLength !== 0 && privateLength <= TAG_SIZE) throw new DecodeError(`ledger entry: private domain of ${privateLength} bytes`);
  const publicDomain = r.raw(publicLength);
  const privateCiphertext = r.raw(privateLength);
  const claimsDigest = r.raw(DIGEST_SIZE);
  const commitEvidenceDigest = r.raw(DIGEST_SIZE);
  r.end();
  return { kind, view, seqno, publicDomain, privateCiphertext, claimsDigest, commitEvidenceDigest, bytes };
}

/** Decrypt the private domain; throws AuthenticationError if the entry was altered. */
export function decryptPrivateDomain(entry: LedgerEntry, secret: Uint8Array): Uint8Array {
  if (entry.privateCiphertext.length === 0) return new Uint8Array(0);
  const aad = entry.bytes.subarray(0, HEADER_SIZE + entry.publicDomain.length);
  return aesGcmDecrypt(secret, entryIv(entry.view, entry.seqno), entry.privateCiphertext, aad);
}

/** SHA-256 over header, public domain and private ciphertext. */
export function writeSetDigest(entry: LedgerEntry): Uint8Array {
  return sha256(entry.bytes.subarray(0, entry.bytes.length - TRAILER_SIZE));
}

/** The Merkle leaf: SHA-256(write-set digest || commit evidence digest || claims digest). */
export function leafHash(writeSet: Uint8Array, commitEvidenceDigest: Uint8Array, claimsDigest: Uint8Array): Uint8Array {
  return sha256(writeSet, commitEvidenceDigest, claimsDigest);
}

export function entryLeaf(entry: LedgerEntry): Uint8Array {
  return leafHash(writeSetDigest(entry), entry.commitEvidenceDigest, entry.claimsDigest);
}
