// Signature transactions: the node signs the Merkle root of every transaction before
// this one. They are the ledger's commit points.
import { binaryCodec, uintCodec } from '../kv/codec.js';
import { defineMap } from '../kv/map-def.js';
import { DecodeError } from '../util/binary.js';

export type SignatureRecord = {
  /** node id of the signer */
  node: string;
  /** txid of the signature transaction itself */
  view: number;
  seqno: number;
  /** Merkle root over seqnos 1 .. seqno - 1 */
  root: Uint8Array;
  /** ECDSA P-256 / SHA-256 over the 32 root bytes, DER */
  signature: Uint8Array;
  /** PEM of the signer's node certificate */
  cert: string;
  /** the service key's COSE_Sign1 over the root (detached payload): its CBOR protected header */
  cose_protected: Uint8Array;
  /** ... and its ES256 signature, r || s */
  cose_signature: Uint8Array;
};

/** Single entry, key 0: each signature transaction overwrites it. */
export const SIGNATURES = defineMap('public:ccf.internal.signatures', uintCodec, binaryCodec<SignatureRecord>());

const HEX64 = /^[0-9a-f]{64}$/;

/** Decode and check every field of a signature record read from untrusted bytes. */
export function parseSignatureRecord(bytes: Uint8Array): SignatureRecord {
  const r = SIGNATURES.value.decode(bytes) as Partial<Record<keyof SignatureRecord, unknown>>;
  const ok =
    r !== null && typeof r === 'object' &&
    typeof r.node === 'string' && HEX64.test(r.node) &&
    Number.isSafeInteger(r.view) && Number.isSafeInteger(r.seqno) &&
    r.root instanceof Uint8Array && r.root.length === 32 &&
    r.signature instanceof Uint8Array && r.signature.length > 0 &&
    typeof r.cert === 'string' &&
    r.cose_protected instanceof Uint8Array && r.cose_protected.length > 0 &&
    r.cose_signature instanceof Uint8Array && r.cose_signature.length === 64;
  if (!ok) throw new DecodeError('signature record: missing or mistyped fields');
  return r as SignatureRecord;
}

/** The one key of the signatures map: 0 as 8 bytes. */
export const SIGNATURE_KEY = 0;
