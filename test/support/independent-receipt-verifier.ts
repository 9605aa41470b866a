// A receipt verifier written only from core/ledger/FORMAT.md ("Receipt (JSON)", "Merkle
// tree", "Ledger entry", "Commit evidence"), sharing no code with core/: it imports
// nothing but node:crypto. Tests run it beside core's verifyReceipt so that a mistake
// made the same way in core's writer and core's verifier still shows up.
//
// Beyond the six documented steps it checks what the format fixes anyway:
// - digests and proof hashes are 64 lowercase hex characters, txids are `view.seqno`;
// - commit_evidence is exactly `ce:<txid>:<64 hex>`;
// - the proof has the shape the RFC 6962 tree gives leaf `seqno - 1` in the tree of the
//   `signature seqno - 1` leaves the signature covers (so `signature_txid` is bound too);
// - optionally, against the transaction's ledger entry bytes: the header names the
//   txid, `write_set_digest = H(entry[0, 26 + P + Q))`, and the trailer holds the same
//   claims digest and `H(commit_evidence)`.
import { createHash, verify as verifySignature, X509Certificate } from 'node:crypto';

export class IndependentReceiptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndependentReceiptError';
  }
}

function fail(message: string): never {
  throw new IndependentReceiptError(message);
}

function H(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

const HEX64 = /^[0-9a-f]{64}$/;
const TXID = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;

function hex32(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !HEX64.test(value)) fail(`${what} is not 64 lowercase hex characters`);
  return Buffer.from(value, 'hex');
}

function parseTxid(value: unknown, what: string): { view: number; seqno: number } {
  const m = typeof value === 'string' ? TXID.exec(value) : null;
  if (!m) fail(`${what} is not view.seqno`);
  const view = Number(m[1]);
  const seqno = Number(m[2]);
  if (!Number.isSafeInteger(view) || !Number.isSafeInteger(seqno) || view < 1 || seqno < 1) fail(`${what} is out of range`);
  return { view, seqno };
}

/** Directions of the RFC 6962 inclusion path of leaf `index` in a tree of `size`, leaf upwards. */
function pathShape(index: number, size: number): ('left' | 'right')[] {
  if (size <= 1) return [];
  let k = 1;
  while (k * 2 < size) k *= 2;
  return index < k ? [...pathShape(index, k), 'right'] : [...pathShape(index - k, size - k), 'left'];
}

/** The documented ledger entry layout, parsed just enough to bind a receipt to it. */
function checkEntry(entry: Uint8Array, txid: { view: number; seqno: number }, writeSet: Buffer, evidence: string, claims: Buffer): void {
  const bytes = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength);
  if (bytes.length < 90) fail('ledger entry shorter than its fixed fields');
  if (bytes[0] !== 1) fail(`ledger entry has format version ${bytes[0]}`);
  if (bytes[1] !== 0 && bytes[1] !== 1) fail(`ledger entry has kind ${bytes[1]}`);
  const view = bytes.readBigUInt64BE(2);
  const seqno = bytes.readBigUInt64BE(10);
  const P = bytes.readUInt32BE(18);
  const Q = bytes.readUInt32BE(22);
  if (bytes.length !== 90 + P + Q) fail(`ledger entry is ${bytes.length} bytes, header says ${90 + P + Q}`);
  if (Q !== 0 && Q <= 16) fail(`ledger entry private domain of ${Q} bytes`);
  if (view !== BigInt(txid.view) || seqno !== BigInt(txid.seqno)) fail(`ledger entry is ${view}.${seqno}, receipt is for ${txid.view}.${txid.seqno}`);
  if (!H(bytes.subarray(0, 26 + P + Q)).equals(writeSet)) fail('write_set_digest is not H(header || public || private) of the entry');
  if (!bytes.subarray(26 + P + Q, 58 + P + Q).equals(claims)) fail('claims_digest differs from the entry trailer');
  if (!bytes.subarray(58 + P + Q, 90 + P + Q).equals(H(Buffer.from(evidence, 'ascii')))) {
    fail('H(commit_evidence) differs from the entry trailer');
  }
}

/**
 * Verify `receipt` against the trusted service certificate (PEM). Returns the txid and
 * the signed root; throws IndependentReceiptError naming the first check that fails.
 * With `entry` (the transaction's ledger entry bytes) the receipt is also bound to it.
 */
export function verifyReceiptIndependently(
  receipt: unknown,
  serviceCertPem: string,
  entry?: Uint8Array,
  now: Date = new Date(),
): { txid: string; root: Buffer } {
  if (typeof receipt !== 'object' || receipt === null) fail('receipt is not an object');
  const r = receipt as Record<string, unknown>;
  const txid = parseTxid(r.txid, 'txid');
  const sigTxid = parseTxid(r.signature_txid, 'signature_txid');
  if (sigTxid.seqno <= txid.seqno) fail('signature_txid does not follow txid');
  if (sigTxid.view < txid.view) fail('signature_txid is in an earlier view than txid');

  const lc = r.leaf_components as Record<string, unknown> | undefined;
  if (typeof lc !== 'object' || lc === null) fail('leaf_components missing');
  const writeSet = hex32(lc.write_set_digest, 'write_set_digest');
  const claims = hex32(lc.claims_digest, 'claims_digest');
  const evidence = lc.commit_evidence;
  // Step 1, and the exact form given under "Commit evidence".
  if (typeof evidence !== 'string' || !new RegExp(`^ce:${txid.view}\\.${txid.seqno}:[0-9a-f]{64}$`).test(evidence)) {
    fail('commit_evidence is not ce:<txid>:<64 hex>');
  }

  // Step 2: the leaf.
  let h = H(writeSet, H(Buffer.from(evidence, 'ascii')), claims);

  // Step 3: the proof, which must have the shape of leaf seqno-1 in a tree of sigSeqno-1 leaves.
  if (!Array.isArray(r.proof)) fail('proof is not a list');
  const shape = pathShape(txid.seqno - 1, sigTxid.seqno - 1);
  if (r.proof.length !== shape.length) fail(`proof has ${r.proof.length} steps, the tree shape needs ${shape.length}`);
  r.proof.forEach((step: unknown, i: number) => {
    if (typeof step !== 'object' || step === null || Object.keys(step).length !== 1) fail(`proof[${i}] is not a single left/right step`);
    const side = Object.keys(step)[0]!;
    if (side !== shape[i]) fail(`proof[${i}] is "${side}", the tree shape needs "${shape[i]}"`);
    const sibling = hex32((step as Record<string, unknown>)[side], `proof[${i}].${side}`);
    h = side === 'left' ? H(sibling, h) : H(h, sibling);
  });
  const root = h;

  // Step 4: the node certificate is currently valid, issued and signed by the service.
  if (typeof r.cert !== 'string') fail('cert is not a PEM string');
  let cert: X509Certificate;
  let service: X509Certificate;
  try {
    cert = new X509Certificate(r.cert);
  } catch {
    fail('cert does not parse');
  }
  try {
    service = new X509Certificate(serviceCertPem);
  } catch {
    fail('service certificate does not parse');
  }
  if (!cert.checkIssued(service)) fail('cert is not issued by the service certificate');
  if (!cert.verify(service.publicKey)) fail('cert is not signed by the service key');
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) fail('cert is not currently valid');

  // Step 5: node_id names the certificate's key.
  const key = cert.publicKey;
  const spki = key.export({ type: 'spki', format: 'der' });
  if (r.node_id !== H(spki).toString('hex')) fail('node_id is not H(SPKI) of the cert key');

  // Step 6: ECDSA P-256 / SHA-256 over the 32 root bytes, DER.
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') fail('cert key is not ECDSA P-256');
  if (typeof r.signature !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(r.signature)) fail('signature is not base64');
  let ok = false;
  try {
    ok = verifySignature('sha256', root, { key, dsaEncoding: 'der' }, Buffer.from(r.signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) fail('signature over the root does not verify');

  if (entry !== undefined) checkEntry(entry, txid, writeSet, evidence, claims);
  return { txid: r.txid as string, root };
}
