// The offline receipt verifier: a ledger receipt (core/ledger/FORMAT.md "Receipt (JSON)",
// with the service signature of issue 11) and the ccevm_getLedgerReceipt answer for an
// Ethereum transaction (its claims, evm-adapter/FORMAT.md). Written from those formats
// alone and importing nothing but node:crypto (the architecture test checks it), so that
// it can be copied out and run anywhere, and so that a mistake made the same way in the
// node's writer and in core's verifier still shows up here.
//
// Beyond the documented steps it checks what the formats fix anyway:
// - digests and hashes have their exact length, txids are `view.seqno`;
// - commit_evidence is exactly `ce:<txid>:<64 hex>`;
// - the proof has the shape the RFC 6962 tree gives leaf `seqno - 1` in the tree of the
//   `signature seqno - 1` leaves the signature covers;
// - the protected header is byte for byte the one deterministic CBOR gives the five
//   entries of the spec, in their order (anything else is refused, not interpreted);
// - the node certificate is not a CA, and node and service keys are ECDSA P-256.
import { createHash, verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto';

/** Which check failed: the receipt field or step that does not hold. */
export type ReceiptCheck =
  | 'receipt'
  | 'txid'
  | 'signature_txid'
  | 'leaf_components'
  | 'commit_evidence'
  | 'proof'
  | 'cert'
  | 'node_id'
  | 'signature'
  | 'service_certificate'
  | 'service_signature'
  | 'protected_header'
  | 'entry'
  | 'response'
  | 'status'
  | 'transactionHash'
  | 'claims'
  | 'claims_digest'
  | 'ethereumReceipt';

/** A receipt that does not verify: `check` names the check, the message what does not hold. */
export class ReceiptVerificationError extends Error {
  constructor(
    readonly check: ReceiptCheck,
    message: string,
  ) {
    super(message);
    this.name = 'ReceiptVerificationError';
  }
}

function fail(check: ReceiptCheck, message: string): never {
  throw new ReceiptVerificationError(check, message);
}

/** A ledger receipt as JSON (FORMAT.md "Receipt (JSON)"). */
export interface LedgerReceiptJson {
  txid: string;
  leaf_components: { write_set_digest: string; commit_evidence: string; claims_digest: string };
  proof: ({ left: string } | { right: string })[];
  signature_txid: string;
  node_id: string;
  signature: string;
  cert: string;
  service_signature: { protected: string; signature: string };
}

/** What a valid ledger receipt proves. Digests are hex. */
export interface ProvenLedgerReceipt {
  txid: string;
  signatureTxid: string;
  /** `iat` of the service signature */
  signedAt: Date;
  root: string;
  nodeId: string;
  writeSetDigest: string;
  claimsDigest: string;
}

export interface ProvenLog {
  /** position among the transaction's logs */
  index: number;
  address: string;
  topics: string[];
  data: string;
}

/** What a valid ccevm_getLedgerReceipt answer proves. Hex is lowercase with 0x. */
export interface ProvenEthereumReceipt {
  txid: string;
  signatureTxid: string;
  signedAt: Date;
  transactionHash: string;
  from: string;
  status: 'success' | 'failed';
  gasUsed: bigint;
  contractAddress: string | null;
  /** the logs shown to the caller */
  logs: ProvenLog[];
  /** how many logs were given only as their leaf */
  withheldLogs: number;
}

export interface VerifyOptions {
  /** when the node certificate must be valid (default: now) */
  now?: Date;
}

function H(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

const HEX64 = /^[0-9a-f]{64}$/;
const TXID = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function record(value: unknown, check: ReceiptCheck, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(check, `${what} is not an object`);
  return value as Record<string, unknown>;
}

function hex32(value: unknown, check: ReceiptCheck, what: string): Buffer {
  if (typeof value !== 'string' || !HEX64.test(value)) fail(check, `${what} is not 64 lowercase hex characters`);
  return Buffer.from(value, 'hex');
}

/** Canonical base64 (the one text of those bytes), non-empty. */
function base64(value: unknown, check: ReceiptCheck, what: string): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value)) fail(check, `${what} is not base64`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) fail(check, `${what} is not canonical base64`);
  return bytes;
}

interface Txid {
  view: number;
  seqno: number;
  text: string;
}

function parseTxid(value: unknown, check: ReceiptCheck): Txid {
  const m = typeof value === 'string' ? TXID.exec(value) : null;
  if (!m) fail(check, `${check} is not view.seqno`);
  const view = Number(m[1]);
  const seqno = Number(m[2]);
  if (!Number.isSafeInteger(view) || !Number.isSafeInteger(seqno) || view < 1 || seqno < 1) fail(check, `${check} ${m[0]} is out of range`);
  return { view, seqno, text: m[0] };
}

/** Directions of the RFC 6962 inclusion path of leaf `index` in a tree of `size`, leaf upwards. */
function pathShape(index: number, size: number): ('left' | 'right')[] {
  const shape: ('left' | 'right')[] = [];
  while (size > 1) {
    let k = 1;
    while (k * 2 < size) k *= 2;
    if (index < k) {
      shape.unshift('right');
      size = k;
    } else {
      shape.unshift('left');
      index -= k;
      size -= k;
    }
  }
  return shape;
}

// --- CBOR, just enough for the protected header -------------------------------------

type CborValue = number | string | Buffer | [CborKey, CborValue][];
type CborKey = number | string;

/**
 * A strict reader of the CBOR the protected header uses: integers, byte and text strings,
 * maps with integer or text keys. Lengths in their shortest form, nothing indefinite, no
 * tags, floats, arrays or duplicate keys: one value has one encoding, so the bytes that are
 * signed are the bytes that are read.
 */
class StrictCbor {
  private pos = 0;
  constructor(private readonly bytes: Buffer) {}

  static decode(bytes: Buffer): CborValue {
    const reader = new StrictCbor(bytes);
    const value = reader.item(0);
    if (reader.pos !== bytes.length) throw new Error(`${bytes.length - reader.pos} bytes after the header map`);
    return value;
  }

  private take(n: number): Buffer {
    if (this.pos + n > this.bytes.length) throw new Error('truncated');
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private head(): { major: number; arg: number } {
    const first = this.take(1)[0]!;
    const major = first >> 5;
    const info = first & 31;
    if (info < 24) return { major, arg: info };
    const widths: Record<number, number> = { 24: 1, 25: 2, 26: 4, 27: 8 };
    const width = widths[info];
    if (width === undefined) throw new Error(`additional information ${info} (indefinite or reserved) at byte ${this.pos - 1}`);
    const raw = this.take(width);
    let arg: number;
    if (width === 8) {
      const wide = raw.readBigUInt64BE(0);
      if (wide > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('integer beyond 2^53');
      arg = Number(wide);
    } else {
      arg = raw.readUIntBE(0, width);
    }
    const floor = width === 1 ? 24 : 2 ** (4 * width);
    if (arg < floor) throw new Error(`non-shortest length or integer at byte ${this.pos - 1 - width}`);
    return { major, arg };
  }

  private item(depth: number): CborValue {
    const { major, arg } = this.head();
    switch (major) {
      case 0:
        return arg;
      case 1:
        return -1 - arg;
      case 2:
        return Buffer.from(this.take(arg));
      case 3:
        return new TextDecoder('utf-8', { fatal: true }).decode(this.take(arg));
      case 5: {
        if (depth >= 2) throw new Error('maps nested too deep');
        const entries: [CborKey, CborValue][] = [];
        for (let i = 0; i < arg; i++) {
          const key = this.item(depth + 1);
          if (typeof key !== 'number' && typeof key !== 'string') throw new Error('a map key that is not an integer or text');
          if (entries.some(([k]) => k === key)) throw new Error(`duplicate map key ${JSON.stringify(key)}`);
          entries.push([key, this.item(depth + 1)]);
        }
        return entries;
      }
      default:
        throw new Error(`CBOR major type ${major} where the header has none`);
    }
  }
}

const COSE_ALG_ES256 = -7;
const VDS_CCF_LEDGER_SHA256 = 2;
const HEADER_KEYS: CborKey[] = [1, 4, 395, 15, 'ccf.v1'];

function describeKeys(entries: [CborKey, CborValue][]): string {
  return entries.map(([k]) => JSON.stringify(k)).join(', ');
}

/** A map value with exactly `keys`, in that order. */
function mapWith(value: CborValue | undefined, keys: CborKey[], what: string): CborValue[] {
  if (!Array.isArray(value)) fail('protected_header', `${what} is not a map`);
  const found = value.map(([k]) => k);
  if (found.length !== keys.length || found.some((k, i) => k !== keys[i])) {
    fail('protected_header', `${what} has keys ${describeKeys(value)}, the spec fixes ${keys.map((k) => JSON.stringify(k)).join(', ')} in that order`);
  }
  return value.map(([, v]) => v);
}

/**
 * The protected header (spec S1): alg ES256, kid = hex SHA-256 of the service key's SPKI,
 * verifiable data structure CCF_LEDGER_SHA256, CWT iat, and ccf.v1.txid; returns the iat.
 */
function checkProtectedHeader(bytes: Buffer, serviceKeyId: string, signatureTxid: Txid): Date {
  let header: CborValue;
  try {
    header = StrictCbor.decode(bytes);
  } catch (e) {
    fail('protected_header', `not the strict CBOR map of the spec: ${(e as Error).message}`);
  }
  const [alg, kid, vds, cwt, ccf] = mapWith(header, HEADER_KEYS, 'the header');
  if (alg !== COSE_ALG_ES256) fail('protected_header', `alg (1) is ${String(alg)}, not ${COSE_ALG_ES256} (ES256)`);
  const expectedKid = Buffer.from(serviceKeyId, 'utf8');
  if (!Buffer.isBuffer(kid) || !kid.equals(expectedKid)) fail('protected_header', 'kid (4) is not the UTF-8 hex SHA-256 of the service key (SPKI DER)');
  if (vds !== VDS_CCF_LEDGER_SHA256) fail('protected_header', `verifiable data structure (395) is ${String(vds)}, not ${VDS_CCF_LEDGER_SHA256} (CCF_LEDGER_SHA256)`);
  const [iat] = mapWith(cwt, [6], 'the CWT claims (15)');
  if (typeof iat !== 'number' || iat < 0) fail('protected_header', 'CWT iat (15/6) is not a non-negative integer');
  const [txid] = mapWith(ccf, ['txid'], 'ccf.v1');
  if (typeof txid !== 'string') fail('protected_header', 'ccf.v1.txid is not text');
  if (txid !== signatureTxid.text) fail('signature_txid', `signature_txid is ${signatureTxid.text}, the service signed ${JSON.stringify(txid)}`);
  const signedAt = new Date(iat * 1000);
  if (Number.isNaN(signedAt.getTime())) fail('protected_header', `CWT iat (15/6) ${iat} is beyond any date`);
  return signedAt;
}

/**
 * RFC 9052 Sig_structure for COSE_Sign1 with empty external AAD and the detached root as
 * payload. Both byte strings are 24 to 255 bytes long (a header that passed the checks is
 * about 100, the root 32), so both have the two-byte head 0x58 <length>.
 */
function sigStructure(protectedHeader: Buffer, root: Buffer): Buffer {
  const context = Buffer.from('Signature1', 'ascii');
  return Buffer.concat([
    Buffer.from([0x84, 0x60 | context.length]),
    context,
    Buffer.from([0x58, protectedHeader.length]),
    protectedHeader,
    Buffer.from([0x40]),
    Buffer.from([0x58, root.length]),
    root,
  ]);
}

// --- the ledger receipt ----------------------------------------------------------------

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

// A batch of receipts names the same few certificates: each PEM is parsed once, with its
// key's id, and each endorsement (service, node) checked once; validity dates are still
// checked at `now` every time. Bounded: the oldest goes first.
interface Certificate {
  x509: X509Certificate;
  /** hex SHA-256 of the key's SPKI DER */
  keyId: string;
}
const certificates = new Map<string, Certificate>();
const endorsements = new Map<string, string>();
const CACHED = 64;

function remember<V>(map: Map<string, V>, key: string, value: V): V {
  if (map.size >= CACHED) map.delete(map.keys().next().value!);
  map.set(key, value);
  return value;
}

/** The parsed certificate; throws if `pem` does not parse. */
function certificate(pem: string): Certificate {
  const known = certificates.get(pem);
  if (known) return known;
  const x509 = new X509Certificate(pem);
  return remember(certificates, pem, { x509, keyId: H(x509.publicKey.export({ type: 'spki', format: 'der' })).toString('hex') });
}

/** Why `node` is not endorsed by `service` ('' when it is: issued and signed by it). */
function notEndorsed(node: string, service: string): string {
  const key = `${service}\0${node}`;
  const known = endorsements.get(key);
  if (known !== undefined) return known;
  const [n, s] = [certificate(node).x509, certificate(service).x509];
  const why = !n.checkIssued(s) ? 'cert is not issued by the service certificate' : !n.verify(s.publicKey) ? 'cert is not signed by the service key' : '';
  return remember(endorsements, key, why);
}

function parseServiceCertificate(pem: unknown): Certificate {
  if (typeof pem !== 'string') fail('service_certificate', 'the service certificate is not a PEM string');
  let service: Certificate;
  try {
    service = certificate(pem);
  } catch {
    fail('service_certificate', 'the service certificate does not parse');
  }
  if (!isP256(service.x509.publicKey)) fail('service_certificate', 'the service key is not ECDSA P-256');
  return service;
}

function verifies(data: Buffer, key: KeyObject, encoding: 'der' | 'ieee-p1363', signature: Buffer): boolean {
  try {
    return verifySignature('sha256', data, { key, dsaEncoding: encoding }, signature);
  } catch {
    return false;
  }
}

interface LeafFields {
  txid: Txid;
  writeSet: Buffer;
  evidence: string;
  claims: Buffer;
}

function leafFields(r: Record<string, unknown>): LeafFields {
  const txid = parseTxid(r.txid, 'txid');
  const lc = record(r.leaf_components, 'leaf_components', 'leaf_components');
  const writeSet = hex32(lc.write_set_digest, 'leaf_components', 'write_set_digest');
  const claims = hex32(lc.claims_digest, 'leaf_components', 'claims_digest');
  const evidence = lc.commit_evidence;
  if (typeof evidence !== 'string' || !/^ce:[0-9.]+:[0-9a-f]{64}$/.test(evidence)) fail('commit_evidence', 'commit_evidence is not ce:<view>.<seqno>:<64 hex>');
  if (!evidence.startsWith(`ce:${txid.text}:`)) fail('commit_evidence', `commit_evidence names ${evidence.split(':')[1]}, the receipt is for ${txid.text}`);
  return { txid, writeSet, evidence, claims };
}

/**
 * Verify a ledger receipt against the trusted service certificate (PEM): FORMAT.md steps
 * 1–6 and the service signature (spec S2 step 7). Returns what it proves; throws
 * ReceiptVerificationError naming the check that fails.
 */
export function verifyLedgerReceipt(receipt: unknown, serviceCertPem: string, options: VerifyOptions = {}): ProvenLedgerReceipt {
  const now = options.now ?? new Date();
  if (Number.isNaN(now.getTime())) throw new TypeError('options.now is not a valid date');
  const r = record(receipt, 'receipt', 'the receipt');
  const service = parseServiceCertificate(serviceCertPem);
  const serviceKey = service.x509.publicKey;

  // Step 1: every field in its exact form.
  const { txid, writeSet, evidence, claims } = leafFields(r);
  const sigTxid = parseTxid(r.signature_txid, 'signature_txid');
  if (sigTxid.seqno <= txid.seqno) fail('signature_txid', `signature_txid ${sigTxid.text} does not follow txid ${txid.text}`);
  if (sigTxid.view < txid.view) fail('signature_txid', `signature_txid ${sigTxid.text} is in an earlier view than txid ${txid.text}`);
  if (!Array.isArray(r.proof)) fail('proof', 'proof is not a list');
  const proof = r.proof.map((step: unknown, i: number) => {
    if (typeof step !== 'object' || step === null || Object.keys(step).length !== 1) fail('proof', `proof[${i}] is not a single left/right step`);
    const side = Object.keys(step)[0]!;
    if (side !== 'left' && side !== 'right') fail('proof', `proof[${i}] is "${side}", not left or right`);
    return { side, sibling: hex32((step as Record<string, unknown>)[side], 'proof', `proof[${i}].${side}`) };
  });
  const signature = base64(r.signature, 'signature', 'signature');
  if (typeof r.cert !== 'string') fail('cert', 'cert is not a PEM string');
  let parsed: Certificate;
  try {
    parsed = certificate(r.cert);
  } catch {
    fail('cert', 'cert does not parse');
  }
  const cert = parsed.x509;
  if (cert.toString().trim() !== r.cert.trim()) fail('cert', 'cert is not the canonical PEM of its certificate');
  const ss = record(r.service_signature, 'service_signature', 'service_signature');
  const protectedHeader = base64(ss.protected, 'service_signature', 'service_signature.protected');
  const serviceSignature = base64(ss.signature, 'service_signature', 'service_signature.signature');
  if (serviceSignature.length !== 64) fail('service_signature', `service_signature.signature is ${serviceSignature.length} bytes, ES256 is 64 (r || s)`);
  // The protected header binds signature_txid (and says when the service signed).
  const signedAt = checkProtectedHeader(protectedHeader, service.keyId, sigTxid);

  // The proof has the shape of leaf seqno-1 in the tree of the sigSeqno-1 leaves signed.
  const shape = pathShape(txid.seqno - 1, sigTxid.seqno - 1);
  if (proof.length !== shape.length) fail('proof', `proof has ${proof.length} steps, the tree shape needs ${shape.length}`);
  proof.forEach(({ side }, i) => {
    if (side !== shape[i]) fail('proof', `proof[${i}] is "${side}", the tree shape needs "${shape[i]}"`);
  });

  // Steps 2 and 3: the leaf, then the root.
  let h = H(writeSet, H(Buffer.from(evidence, 'ascii')), claims);
  for (const { side, sibling } of proof) h = side === 'left' ? H(sibling, h) : H(h, sibling);
  const root = h;

  // Step 4: the node certificate is valid at `now`, issued and signed by the service.
  const why = notEndorsed(r.cert, serviceCertPem as string);
  if (why) fail('cert', why);
  if (cert.ca) fail('cert', 'cert is a CA certificate, not a node certificate');
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) fail('cert', `cert is not valid at ${now.toISOString()} (valid ${cert.validFrom} to ${cert.validTo})`);
  const nodeKey = cert.publicKey;
  if (!isP256(nodeKey)) fail('cert', 'cert key is not ECDSA P-256');

  // Step 5: node_id names the certificate's key.
  if (r.node_id !== parsed.keyId) fail('node_id', 'node_id is not the SHA-256 of the cert key (SPKI DER)');

  // Step 6: the node's ECDSA P-256 / SHA-256 signature over the 32 root bytes, DER.
  if (!verifies(root, nodeKey, 'der', signature)) fail('signature', 'signature does not verify over the root computed from leaf_components and proof');

  // Step 7: the service's COSE signature over the same root (detached payload).
  if (!verifies(sigStructure(protectedHeader, root), serviceKey, 'ieee-p1363', serviceSignature)) {
    fail('service_signature', 'service_signature does not verify over Sig_structure(protected, root) with the service key');
  }

  return {
    txid: txid.text,
    signatureTxid: sigTxid.text,
    signedAt,
    root: root.toString('hex'),
    nodeId: parsed.keyId,
    writeSetDigest: writeSet.toString('hex'),
    claimsDigest: claims.toString('hex'),
  };
}

/**
 * Bind a receipt to the transaction's ledger entry (FORMAT.md "Ledger entry"): the header
 * names its txid, `write_set_digest = H(entry[0, 26 + P + Q))`, and the trailer holds the
 * same claims digest and H(commit_evidence). Use it beside verifyLedgerReceipt.
 */
export function verifyReceiptEntry(receipt: unknown, entry: Uint8Array): void {
  const { txid, writeSet, evidence, claims } = leafFields(record(receipt, 'receipt', 'the receipt'));
  const bytes = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength);
  if (bytes.length < 90) fail('entry', 'ledger entry shorter than its fixed fields');
  if (bytes[0] !== 1) fail('entry', `ledger entry has format version ${bytes[0]}`);
  if (bytes[1] !== 0 && bytes[1] !== 1) fail('entry', `ledger entry has kind ${bytes[1]}`);
  const view = bytes.readBigUInt64BE(2);
  const seqno = bytes.readBigUInt64BE(10);
  const P = bytes.readUInt32BE(18);
  const Q = bytes.readUInt32BE(22);
  if (bytes.length !== 90 + P + Q) fail('entry', `ledger entry is ${bytes.length} bytes, its header says ${90 + P + Q}`);
  if (Q !== 0 && Q <= 16) fail('entry', `ledger entry private domain of ${Q} bytes`);
  if (view !== BigInt(txid.view) || seqno !== BigInt(txid.seqno)) fail('entry', `ledger entry is ${view}.${seqno}, the receipt is for ${txid.text}`);
  if (!H(bytes.subarray(0, 26 + P + Q)).equals(writeSet)) fail('entry', 'write_set_digest is not H(header || public || private) of the entry');
  if (!bytes.subarray(26 + P + Q, 58 + P + Q).equals(claims)) fail('entry', 'claims_digest differs from the entry trailer');
  if (!bytes.subarray(58 + P + Q, 90 + P + Q).equals(H(Buffer.from(evidence, 'ascii')))) fail('entry', 'H(commit_evidence) differs from the entry trailer');
}

// --- the Ethereum receipt (ccevm_getLedgerReceipt) -----------------------------------

const CLAIMS_TAG = Buffer.from('ccevm-eth-claims', 'ascii');
const CLAIMS_VERSION = 1;
const MAX_TOPICS = 4; // LOG0 .. LOG4
const QUANTITY = /^0x(0|[1-9a-f][0-9a-f]*)$/i;

/** `0x` hex of exactly `size` bytes (any size when undefined); either case. */
function hexBytes(value: unknown, size: number | undefined, check: ReceiptCheck, what: string): Buffer {
  if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value)) fail(check, `${what} is not 0x-prefixed hex bytes`);
  const bytes = Buffer.from(value.slice(2), 'hex');
  if (size !== undefined && bytes.length !== size) fail(check, `${what} is ${bytes.length} bytes, not ${size}`);
  return bytes;
}

function quantity(value: unknown, check: ReceiptCheck, what: string): bigint {
  if (typeof value !== 'string' || !QUANTITY.test(value)) fail(check, `${what} is not a 0x quantity`);
  return BigInt(value);
}

const hex0x = (b: Buffer) => `0x${b.toString('hex')}`;

interface ShownLog {
  index: number;
  address: Buffer;
  topics: Buffer[];
  data: Buffer;
}

interface Claims {
  transactionHash: Buffer;
  from: Buffer;
  success: boolean;
  gasUsed: bigint;
  contract: Buffer | null;
  shown: ShownLog[];
  leaves: Buffer[];
}

function exactKeys(o: Record<string, unknown>, keys: string[], check: ReceiptCheck, what: string): void {
  const found = Object.keys(o).sort();
  const wanted = [...keys].sort();
  if (found.length !== wanted.length || found.some((k, i) => k !== wanted[i])) fail(check, `${what} has fields ${found.join(', ')}, expected ${keys.join(', ')}`);
}

/** The claims (spec S5) parsed, each log's leaf computed (spec S4) or taken as given. */
function parseClaims(value: unknown): Claims {
  const c = record(value, 'claims', 'claims');
  if (c.version !== CLAIMS_VERSION) fail('claims', `claims.version is ${JSON.stringify(c.version)}, not ${CLAIMS_VERSION}`);
  const transactionHash = hexBytes(c.transactionHash, 32, 'claims', 'claims.transactionHash');
  const from = hexBytes(c.from, 20, 'claims', 'claims.from');
  if (c.status !== '0x1' && c.status !== '0x0') fail('claims', 'claims.status is neither 0x1 nor 0x0');
  const gasUsed = quantity(c.gasUsed, 'claims', 'claims.gasUsed');
  if (gasUsed >= 2n ** 256n) fail('claims', 'claims.gasUsed does not fit 256 bits');
  const contract = c.contractAddress === null ? null : hexBytes(c.contractAddress, 20, 'claims', 'claims.contractAddress');
  if (!Array.isArray(c.logs)) fail('claims', 'claims.logs is not a list');
  const shown: ShownLog[] = [];
  const leaves = c.logs.map((entry: unknown, index: number): Buffer => {
    const log = record(entry, 'claims', `claims.logs[${index}]`);
    if ('leaf' in log) {
      exactKeys(log, ['leaf'], 'claims', `claims.logs[${index}]`);
      return hexBytes(log.leaf, 32, 'claims', `claims.logs[${index}].leaf`);
    }
    exactKeys(log, ['salt', 'address', 'topics', 'data'], 'claims', `claims.logs[${index}]`);
    const salt = hexBytes(log.salt, 32, 'claims', `claims.logs[${index}].salt`);
    const address = hexBytes(log.address, 20, 'claims', `claims.logs[${index}].address`);
    if (!Array.isArray(log.topics) || log.topics.length > MAX_TOPICS) fail('claims', `claims.logs[${index}].topics is not a list of at most ${MAX_TOPICS}`);
    const topics = log.topics.map((t: unknown, j: number) => hexBytes(t, 32, 'claims', `claims.logs[${index}].topics[${j}]`));
    const data = hexBytes(log.data, undefined, 'claims', `claims.logs[${index}].data`);
    shown.push({ index, address, topics, data });
    return H(salt, address, Buffer.from([topics.length]), ...topics, data);
  });
  return { transactionHash, from, success: c.status === '0x1', gasUsed, contract, shown, leaves };
}

/** claims_digest = SHA-256 of the 155 claims bytes (spec S4). */
function claimsDigest(c: Claims): Buffer {
  const gas = Buffer.from(c.gasUsed.toString(16).padStart(64, '0'), 'hex');
  return H(
    CLAIMS_TAG,
    Buffer.from([CLAIMS_VERSION]),
    c.transactionHash,
    c.from,
    Buffer.from([c.success ? 1 : 0]),
    gas,
    Buffer.from([c.contract ? 1 : 0]),
    c.contract ?? Buffer.alloc(20),
    H(...c.leaves),
  );
}

function sameBytes(value: unknown, expected: Buffer, size: number | undefined, what: string): void {
  const got = hexBytes(value, size, 'ethereumReceipt', `ethereumReceipt.${what}`);
  if (!got.equals(expected)) fail('ethereumReceipt', `ethereumReceipt.${what} is ${hex0x(got)}, the proven claims say ${hex0x(expected)}`);
}

/** What the server says in the Ethereum receipt is what it proved in the claims. */
function checkEthereumReceipt(value: unknown, c: Claims, txid: string): void {
  const e = record(value, 'ethereumReceipt', 'ethereumReceipt');
  sameBytes(e.transactionHash, c.transactionHash, 32, 'transactionHash');
  sameBytes(e.from, c.from, 20, 'from');
  const status = quantity(e.status, 'ethereumReceipt', 'ethereumReceipt.status');
  if (status !== (c.success ? 1n : 0n)) fail('ethereumReceipt', `ethereumReceipt.status is ${e.status as string}, the proven claims say 0x${c.success ? 1 : 0}`);
  const gasUsed = quantity(e.gasUsed, 'ethereumReceipt', 'ethereumReceipt.gasUsed');
  if (gasUsed !== c.gasUsed) fail('ethereumReceipt', `ethereumReceipt.gasUsed is ${gasUsed}, the proven claims say ${c.gasUsed}`);
  if (c.contract === null) {
    if (e.contractAddress !== null) fail('ethereumReceipt', 'ethereumReceipt.contractAddress is set, the proven claims say no contract was created');
  } else {
    sameBytes(e.contractAddress, c.contract, 20, 'contractAddress');
  }
  if (e.ledgerTxid !== undefined && e.ledgerTxid !== txid) fail('ethereumReceipt', `ethereumReceipt.ledgerTxid is ${JSON.stringify(e.ledgerTxid)}, the receipt is for ${txid}`);
  if (!Array.isArray(e.logs)) fail('ethereumReceipt', 'ethereumReceipt.logs is not a list');
  if (e.logs.length !== c.shown.length) fail('ethereumReceipt', `ethereumReceipt shows ${e.logs.length} logs, the proven claims show ${c.shown.length}`);
  e.logs.forEach((entry: unknown, i: number) => {
    const log = record(entry, 'ethereumReceipt', `ethereumReceipt.logs[${i}]`);
    const proven = c.shown[i]!;
    sameBytes(log.address, proven.address, 20, `logs[${i}].address`);
    if (!Array.isArray(log.topics) || log.topics.length !== proven.topics.length) {
      fail('ethereumReceipt', `ethereumReceipt.logs[${i}].topics are not the ${proven.topics.length} of the proven claims`);
    }
    log.topics.forEach((t: unknown, j: number) => sameBytes(t, proven.topics[j]!, 32, `logs[${i}].topics[${j}]`));
    sameBytes(log.data, proven.data, undefined, `logs[${i}].data`);
  });
}

/**
 * Verify a ccevm_getLedgerReceipt answer (spec S5) against the trusted service certificate:
 * the ledger receipt, the claims it proves (recomputed from `claims`), and that the
 * Ethereum receipt beside them says the same. Returns what is proven.
 */
export function verifyEthereumReceipt(response: unknown, serviceCertPem: string, options: VerifyOptions = {}): ProvenEthereumReceipt {
  if (response === null) fail('response', 'the answer is null: the transaction is unknown, or not visible to this caller');
  const res = record(response, 'response', 'the answer');
  if (res.status !== 'committed') fail('status', `status is ${JSON.stringify(res.status)}: the transaction is not yet covered by a committed signature`);
  const transactionHash = hexBytes(res.transactionHash, 32, 'transactionHash', 'transactionHash');

  const proven = verifyLedgerReceipt(res.receipt, serviceCertPem, options);
  if (res.txid !== proven.txid) fail('txid', `txid is ${JSON.stringify(res.txid)}, the receipt proves ${proven.txid}`);

  const claims = parseClaims(res.claims);
  const digest = claimsDigest(claims).toString('hex');
  if (digest !== proven.claimsDigest) fail('claims_digest', `the claims hash to ${digest}, the receipt proves claims digest ${proven.claimsDigest}`);
  if (!claims.transactionHash.equals(transactionHash)) fail('transactionHash', `transactionHash is ${hex0x(transactionHash)}, the proven claims are for ${hex0x(claims.transactionHash)}`);
  checkEthereumReceipt(res.ethereumReceipt, claims, proven.txid);

  return {
    txid: proven.txid,
    signatureTxid: proven.signatureTxid,
    signedAt: proven.signedAt,
    transactionHash: hex0x(claims.transactionHash),
    from: hex0x(claims.from),
    status: claims.success ? 'success' : 'failed',
    gasUsed: claims.gasUsed,
    contractAddress: claims.contract ? hex0x(claims.contract) : null,
    logs: claims.shown.map(({ index, address, topics, data }) => ({ index, address: hex0x(address), topics: topics.map(hex0x), data: hex0x(data) })),
    withheldLogs: claims.leaves.length - claims.shown.length,
  };
}
