// Signature transactions: the node signs the Merkle root of every transaction before
// this one. They are the ledger's commit points.
import { binaryCodec, uintCodec } from '../kv/codec.js';
import { defineMap } from '../kv/map-def.js';

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
};

/** Single entry, key 0: each signature transaction overwrites it. */
export const SIGNATURES = defineMap('public:ccf.internal.signatures', uintCodec, binaryCodec<SignatureRecord>());
