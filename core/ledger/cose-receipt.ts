// COSE receipts, CCF profile (draft-ietf-cose-merkle-tree-proofs,
// draft-birkholz-cose-receipts-ccf-profile): the JSON receipt's proof and service signature
// as one COSE_Sign1 with a detached payload, the signed root. FORMAT.md "COSE receipt".
import type { KeyObject } from 'node:crypto';
import { certificatePublicKey } from '../crypto/certificates.js';
import { sha256 } from '../crypto/hash.js';
import { concatBytes, utf8 } from '../util/bytes.js';
import { checkServiceSignature, COSE, CoseError, decodeCbor, decodeProtectedHeader, encodeCbor, exactMap } from './cose.js';
import { leafHash } from './entry.js';
import { rootFromProof, type ProofStep } from './merkle.js';
import { parseLeafComponents, parseProof, parseServiceSignature, ReceiptError, type Receipt } from './receipt.js';

/** CBOR tag 18 (COSE_Sign1) in its one-byte form. */
const COSE_SIGN1_TAG = 0xd2;
const PROOF_LEAF = 1;
const PROOF_PATH = 2;

/** The COSE receipt of a JSON receipt (which this does not verify; only its shape). */
export function coseReceipt(receipt: Receipt): Uint8Array {
  if (typeof receipt !== 'object' || receipt === null) throw new ReceiptError('receipt is not an object');
  const lc = parseLeafComponents(receipt.leaf_components);
  const steps = parseProof(receipt.proof);
  const service = parseServiceSignature(receipt.service_signature);
  const proof = encodeCbor(new Map<number, unknown>([
    [PROOF_LEAF, [lc.writeSetDigest, lc.commitEvidence, lc.claimsDigest]],
    // left: the sibling hash goes on the left
    [PROOF_PATH, steps.map((s) => ('left' in s ? [true, s.left] : [false, s.right]))],
  ]));
  const unprotected = new Map([[COSE.vdp, new Map([[COSE.inclusionProofs, [proof]]])]]);
  return concatBytes(Uint8Array.of(COSE_SIGN1_TAG), encodeCbor([service.protectedHeader, unprotected, null, service.signature]));
}

export interface CoseReceiptContents {
  /** view.seqno of the transaction, from its commit evidence */
  txid: string;
  /** view.seqno of the signature transaction, from the protected header */
  signatureTxid: string;
  root: Uint8Array;
  claimsDigest: Uint8Array;
}

const COMMIT_EVIDENCE = /^ce:((\d+)\.(\d+)):[0-9a-f]{64}$/;

const isDigest = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length === 32;

/**
 * Verify a COSE receipt against the service certificate: compute the root from the
 * inclusion proof, then check the COSE signature over it (detached payload) under the
 * service key. Throws ReceiptError naming what does not hold.
 */
export function verifyCoseReceipt(bytes: Uint8Array, serviceCertPem: string): CoseReceiptContents {
  try {
    return verify(bytes, serviceCertPem);
  } catch (e) {
    if (e instanceof CoseError) throw new ReceiptError(`COSE receipt: ${e.message}`);
    throw e;
  }
}

// A batch of receipts is verified against one service certificate: parse it once.
const serviceKeys = new Map<string, KeyObject>();
const SERVICE_KEYS_CACHED = 16;

function serviceKeyOf(pem: string): KeyObject {
  let key = serviceKeys.get(pem);
  if (!key) {
    try {
      key = certificatePublicKey(pem);
    } catch {
      throw new CoseError('the service certificate cannot be read');
    }
    if (serviceKeys.size >= SERVICE_KEYS_CACHED) serviceKeys.delete(serviceKeys.keys().next().value!);
    serviceKeys.set(pem, key);
  }
  return key;
}

function verify(bytes: Uint8Array, serviceCertPem: string): CoseReceiptContents {
  if (!(bytes instanceof Uint8Array) || bytes[0] !== COSE_SIGN1_TAG) throw new CoseError('not a COSE_Sign1 (tag 18)');
  const sign1 = decodeCbor(bytes.subarray(1), 'COSE_Sign1');
  if (!Array.isArray(sign1) || sign1.length !== 4) throw new CoseError('COSE_Sign1 is not a 4-element array');
  const [protectedHeader, unprotected, payload, signature] = sign1 as unknown[];
  if (!(protectedHeader instanceof Uint8Array) || !(signature instanceof Uint8Array)) throw new CoseError('protected header or signature is not a byte string');
  if (payload !== null) throw new CoseError('payload is not detached (nil)');
  const proofs = exactMap(exactMap(unprotected, [COSE.vdp], 'unprotected header').get(COSE.vdp), [COSE.inclusionProofs], 'verifiable data proofs').get(COSE.inclusionProofs);
  if (!Array.isArray(proofs) || proofs.length !== 1 || !(proofs[0] instanceof Uint8Array)) throw new CoseError('inclusion proofs are not a list of one byte string');
  const proof = exactMap(decodeCbor(proofs[0], 'inclusion proof'), [PROOF_LEAF, PROOF_PATH], 'inclusion proof');

  const leaf = proof.get(PROOF_LEAF);
  if (!Array.isArray(leaf) || leaf.length !== 3 || !isDigest(leaf[0]) || typeof leaf[1] !== 'string' || !isDigest(leaf[2])) {
    throw new CoseError('inclusion proof leaf is not [bstr 32, tstr, bstr 32]');
  }
  const [writeSetDigest, commitEvidence, claimsDigest] = leaf as [Uint8Array, string, Uint8Array];
  const path = proof.get(PROOF_PATH);
  if (!Array.isArray(path)) throw new CoseError('inclusion proof path is not a list');
  const steps: ProofStep[] = path.map((step: unknown, i) => {
    if (!Array.isArray(step) || step.length !== 2 || typeof step[0] !== 'boolean' || !isDigest(step[1])) {
      throw new CoseError(`inclusion proof path[${i}] is not [bool, bstr 32]`);
    }
    return step[0] ? { left: step[1] } : { right: step[1] };
  });
  const root = rootFromProof(leafHash(writeSetDigest, sha256(utf8(commitEvidence)), claimsDigest), steps);

  const header = decodeProtectedHeader(protectedHeader);
  const evidence = COMMIT_EVIDENCE.exec(commitEvidence);
  if (!evidence) throw new CoseError('commit evidence is not ce:<view>.<seqno>:<64 hex>');
  const [sigView, sigSeqno] = header.txid.split('.').map(Number);
  if (Number(evidence[3]) >= sigSeqno! || Number(evidence[2]) > sigView!) throw new CoseError(`transaction ${evidence[1]} is not before the signature ${header.txid}`);
  checkServiceSignature(serviceKeyOf(serviceCertPem), { protectedHeader, signature }, root, header.txid);
  return { txid: evidence[1]!, signatureTxid: header.txid, root, claimsDigest };
}
