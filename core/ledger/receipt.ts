// Receipts: offline proof that a transaction was committed with given content. The JSON
// shape is documented in FORMAT.md; verification needs only the service certificate.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { certificatePublicKey, isEndorsedBy } from '../crypto/certificates.js';
import { keyId, verifyData } from '../crypto/keys.js';
import { sha256 } from '../crypto/hash.js';
import { fromHex, toHex, utf8 } from '../util/bytes.js';
import { checkServiceSignature, CoseError, type ServiceSignature } from './cose.js';
import { leafHash } from './entry.js';
import { rootFromProof, type ProofStep } from './merkle.js';

export interface Receipt {
  /** view.seqno of the transaction */
  txid: string;
  leaf_components: {
    write_set_digest: string;
    commit_evidence: string;
    claims_digest: string;
  };
  proof: ({ left: string } | { right: string })[];
  /** view.seqno of the signature transaction whose root the proof leads to */
  signature_txid: string;
  node_id: string;
  /** base64 DER ECDSA signature over the root */
  signature: string;
  /** PEM node certificate, endorsed by the service certificate */
  cert: string;
  /** the service key's COSE_Sign1 over the root, detached payload (FORMAT.md "Service signature") */
  service_signature: {
    /** base64 CBOR protected header */
    protected: string;
    /** base64 ES256 r || s */
    signature: string;
  };
}

export class ReceiptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReceiptError';
  }
}

export function proofToJson(proof: readonly ProofStep[]): Receipt['proof'] {
  return proof.map((s) => ('left' in s ? { left: toHex(s.left) } : { right: toHex(s.right) }));
}

const HEX32 = /^[0-9a-f]{64}$/;

interface EndorsedSigner {
  publicKey: KeyObject;
  nodeId: string;
  validFrom: number;
  validTo: number;
  /** the service certificate's key, which makes the service signature */
  serviceKey: KeyObject;
}

// Verifying a batch of receipts re-checks the same few node certificates: remember which
// were endorsed by which service certificate (the validity window is still checked).
const endorsed = new Map<string, EndorsedSigner>();
const ENDORSED_CACHE_SIZE = 64;

function endorsedSigner(cert: string, serviceCertPem: string): EndorsedSigner | undefined {
  const cacheKey = `${serviceCertPem}\0${cert}`;
  let signer = endorsed.get(cacheKey);
  if (!signer) {
    if (!isEndorsedBy(cert, serviceCertPem)) return undefined;
    const x = new X509Certificate(cert);
    // One certificate, one text: a PEM with altered padding bits decodes the same.
    if (x.toString().trim() !== cert.trim()) return undefined;
    signer = { publicKey: x.publicKey, nodeId: keyId(x.publicKey), validFrom: Date.parse(x.validFrom), validTo: Date.parse(x.validTo), serviceKey: certificatePublicKey(serviceCertPem) };
    if (endorsed.size >= ENDORSED_CACHE_SIZE) endorsed.delete(endorsed.keys().next().value!);
    endorsed.set(cacheKey, signer);
  }
  const now = Date.now();
  return signer.validFrom <= now && now <= signer.validTo ? signer : undefined;
}
const TXID = /^\d+\.\d+$/;

/** Canonical base64 to bytes, or undefined. */
function base64(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function digest(hex: unknown, what: string): Uint8Array {
  if (typeof hex !== 'string' || !HEX32.test(hex)) throw new ReceiptError(`${what} is not a 32-byte hex digest`);
  return fromHex(hex);
}

export interface LeafComponents {
  writeSetDigest: Uint8Array;
  commitEvidence: string;
  claimsDigest: Uint8Array;
}

export function parseLeafComponents(lc: unknown): LeafComponents {
  if (typeof lc !== 'object' || lc === null) throw new ReceiptError('leaf_components missing');
  const { write_set_digest, commit_evidence, claims_digest } = lc as Partial<Receipt['leaf_components']>;
  if (typeof commit_evidence !== 'string') throw new ReceiptError('commit_evidence is not a string');
  return { writeSetDigest: digest(write_set_digest, 'write_set_digest'), commitEvidence: commit_evidence, claimsDigest: digest(claims_digest, 'claims_digest') };
}

export function parseProof(proof: unknown): ProofStep[] {
  if (!Array.isArray(proof)) throw new ReceiptError('proof is not a list');
  return proof.map((s, i) => {
    if (s && typeof s === 'object' && 'left' in s) return { left: digest(s.left, `proof[${i}].left`) };
    if (s && typeof s === 'object' && 'right' in s) return { right: digest(s.right, `proof[${i}].right`) };
    throw new ReceiptError(`proof[${i}] is neither left nor right`);
  });
}

export function parseServiceSignature(service: unknown): ServiceSignature {
  if (typeof service !== 'object' || service === null) throw new ReceiptError('service_signature missing');
  const { protected: protectedB64, signature } = service as Partial<Receipt['service_signature']>;
  const protectedHeader = base64(protectedB64);
  const signatureBytes = base64(signature);
  if (!protectedHeader || !signatureBytes) throw new ReceiptError('service_signature fields are not canonical base64');
  return { protectedHeader, signature: signatureBytes };
}

/**
 * Verify a receipt against the service certificate alone. Returns the transaction id and
 * the signed root; throws ReceiptError saying what does not hold.
 */
export function verifyReceipt(receipt: Receipt, serviceCertPem: string): { txid: string; root: Uint8Array } {
  if (typeof receipt !== 'object' || receipt === null) throw new ReceiptError('receipt is not an object');
  const { txid, leaf_components: lc, proof, signature, cert, node_id } = receipt;
  if (typeof txid !== 'string' || !TXID.test(txid)) throw new ReceiptError('txid is not view.seqno');
  // Bound by the service signature's header (step 7); and it must be a later transaction:
  // the root covers everything before the signature.
  const signed = typeof receipt.signature_txid === 'string' && TXID.test(receipt.signature_txid) ? receipt.signature_txid.split('.').map(Number) : undefined;
  const [view, seqno] = txid.split('.').map(Number);
  if (!signed || signed[1]! <= seqno! || signed[0]! < view!) throw new ReceiptError('signature_txid is not a later view.seqno');
  if (typeof lc !== 'object' || lc === null) throw new ReceiptError('leaf_components missing');
  if (typeof lc.commit_evidence !== 'string' || !lc.commit_evidence.startsWith(`ce:${txid}:`)) {
    throw new ReceiptError('commit evidence does not name the transaction');
  }
  const steps = parseProof(proof);
  const components = parseLeafComponents(lc);
  const leaf = leafHash(components.writeSetDigest, sha256(utf8(components.commitEvidence)), components.claimsDigest);
  const root = rootFromProof(leaf, steps);
  const signer = typeof cert === 'string' ? endorsedSigner(cert, serviceCertPem) : undefined;
  if (!signer) throw new ReceiptError('node certificate is not endorsed by the service certificate');
  if (node_id !== signer.nodeId) throw new ReceiptError('node_id does not match the certificate');
  const signatureBytes = base64(signature);
  if (!signatureBytes || !verifyData(signer.publicKey, root, signatureBytes)) {
    throw new ReceiptError('signature over the root does not verify');
  }
  checkReceiptServiceSignature(receipt.service_signature, root, receipt.signature_txid, signer.serviceKey);
  return { txid, root };
}

/** Step 7: the service's own signature over the root, which also binds signature_txid. */
function checkReceiptServiceSignature(service: unknown, root: Uint8Array, signatureTxid: string, serviceKey: KeyObject): void {
  const sig = parseServiceSignature(service);
  try {
    checkServiceSignature(serviceKey, sig, root, signatureTxid);
  } catch (e) {
    if (e instanceof CoseError) throw new ReceiptError(e.message);
    throw e;
  }
}
