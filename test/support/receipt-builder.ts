// Receipts made in the test from the formats alone (core/ledger/FORMAT.md, issue 11 spec
// S1, S2, S4, S5): a Merkle tree of random leaves around the transaction, a node
// certificate endorsed by a service key (core makes the certificates; everything else is
// node:crypto here), the node's DER signature and the service's COSE signature of the
// root. Tests of the receipt verifier alter what these produce.
// (@peculiar/x509 needs the Reflect metadata polyfill first, as core/crypto/certificates.ts says)
import 'reflect-metadata';
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createNodeCertificate, createServiceCertificate } from '../../core/crypto/certificates.js';
import { exportPrivateKey, generateKeyPair, publicKeyDer, type KeyPair } from '../../core/crypto/keys.js';
import type { LedgerReceiptJson } from '../../evm-adapter/receipts/verify-receipt.js';

const H = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

// --- a CBOR writer for the protected header (and its variants) ---

export type Cbor = number | string | Buffer | { map: [number | string, Cbor][] };

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  if (n < 2 ** 32) {
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = (major << 5) | 27;
  b.writeBigUInt64BE(BigInt(n), 1);
  return b;
}

export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, text.length), text]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  return Buffer.concat([head(5, value.map.length), ...value.map.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

/** The protected header entries of spec S1, in its order. */
export function headerEntries(kid: string, iat: number, txid: string): [number | string, Cbor][] {
  return [
    [1, -7],
    [4, Buffer.from(kid, 'utf8')],
    [395, 2],
    [15, { map: [[6, iat]] }],
    ['ccf.v1', { map: [['txid', txid]] }],
  ];
}

export function sigStructure(protectedHeader: Buffer, root: Buffer): Buffer {
  // ["Signature1", protected, external_aad h'', payload root]
  return Buffer.concat([Buffer.from([0x84]), cbor('Signature1'), cbor(protectedHeader), cbor(Buffer.alloc(0)), cbor(root)]);
}

// --- the Merkle tree (FORMAT.md "Merkle tree") ---

function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return H(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** The inclusion proof of leaf `index`, leaf upwards. */
function inclusionProof(leaves: Buffer[], index: number): ({ left: string } | { right: string })[] {
  if (leaves.length === 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return index < k
    ? [...inclusionProof(leaves.slice(0, k), index), { right: mth(leaves.slice(k)).toString('hex') }]
    : [...inclusionProof(leaves.slice(k), index - k), { left: mth(leaves.slice(0, k)).toString('hex') }];
}

// --- the service and its node ---

export interface TestService {
  service: KeyPair;
  serviceCert: string;
  node: KeyPair;
  nodeCert: string;
  nodeId: string;
  kid: string;
}

export async function makeService(): Promise<TestService> {
  const service = generateKeyPair();
  const serviceCert = await createServiceCertificate(service);
  const node = generateKeyPair();
  const nodeId = H(node.publicKey.export({ type: 'spki', format: 'der' })).toString('hex');
  const nodeCert = await createNodeCertificate(node.publicKey, service, serviceCert, { nodeId });
  const kid = H(service.publicKey.export({ type: 'spki', format: 'der' })).toString('hex');
  return { service, serviceCert, node, nodeCert, nodeId, kid };
}

/**
 * A certificate core would never make: for `subject` (a key pair on any EC curve), naming
 * `issuerPem` as its issuer (with its key id) but signed by `signer`. Self-signed without `issuerPem`.
 */
export async function oddCertificate(subject: KeyPair, curve: 'P-256' | 'P-384', signer: KeyPair, issuerPem?: string): Promise<string> {
  const subtle = webcrypto.subtle;
  const importPair = async (pair: KeyPair, namedCurve: string) => ({
    privateKey: await subtle.importKey('pkcs8', exportPrivateKey(pair), { name: 'ECDSA', namedCurve }, false, ['sign']),
    publicKey: await subtle.importKey('spki', publicKeyDer(pair.publicKey), { name: 'ECDSA', namedCurve }, true, ['verify']),
  });
  const curveOf = (pair: KeyPair) => (pair.publicKey.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256');
  const own = await importPair(subject, curve);
  const signing = await importPair(signer, curveOf(signer));
  const issuer = issuerPem ? new X509Certificate(issuerPem) : undefined;
  const issuerKey = issuer ? await subtle.importKey('spki', publicKeyDer(issuer.publicKey), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']) : own.publicKey;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: issuer ? 'CN=odd node' : 'CN=ccevm service',
    issuer: issuer ? issuer.subject.split('\n').join(', ') : 'CN=ccevm service',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    publicKey: own.publicKey,
    signingKey: signing.privateKey,
    extensions: [new x509.BasicConstraintsExtension(!issuer, undefined, true), await x509.AuthorityKeyIdentifierExtension.create(issuerKey)],
  });
  return cert.toString('pem') + '\n';
}

export const p384KeyPair = (): KeyPair => generateKeyPairSync('ec', { namedCurve: 'P-384' });

export type LedgerReceipt = LedgerReceiptJson;

export interface BuiltReceipt {
  receipt: LedgerReceipt;
  root: Buffer;
  iat: number;
}

/** The service's COSE signature (spec S1) of `root` under the protected header `protectedHeader`. */
export function serviceSign(s: TestService, protectedHeader: Buffer, root: Buffer): LedgerReceipt['service_signature'] {
  const signature = sign('sha256', sigStructure(protectedHeader, root), { key: s.service.privateKey, dsaEncoding: 'ieee-p1363' });
  return { protected: protectedHeader.toString('base64'), signature: signature.toString('base64') };
}

/** A receipt of transaction `view.seqno` signed by the signature transaction `view.sigSeqno`. */
export function buildReceipt(s: TestService, opts: { view?: number; seqno?: number; sigSeqno?: number; claimsDigest?: Buffer; iat?: number } = {}): BuiltReceipt {
  const view = opts.view ?? 2;
  const seqno = opts.seqno ?? 11;
  const sigSeqno = opts.sigSeqno ?? 23;
  const txid = `${view}.${seqno}`;
  const writeSet = randomBytes(32);
  const evidence = `ce:${txid}:${randomBytes(32).toString('hex')}`;
  const claims = opts.claimsDigest ?? Buffer.alloc(32);
  const leaves = Array.from({ length: sigSeqno - 1 }, () => randomBytes(32));
  leaves[seqno - 1] = H(writeSet, H(Buffer.from(evidence, 'ascii')), claims);
  const root = mth(leaves);
  const iat = opts.iat ?? Math.floor(Date.now() / 1000);
  const protectedHeader = cbor({ map: headerEntries(s.kid, iat, `${view}.${sigSeqno}`) });
  const receipt: LedgerReceipt = {
    txid,
    leaf_components: { write_set_digest: writeSet.toString('hex'), commit_evidence: evidence, claims_digest: claims.toString('hex') },
    proof: inclusionProof(leaves, seqno - 1),
    signature_txid: `${view}.${sigSeqno}`,
    node_id: s.nodeId,
    signature: sign('sha256', root, { key: s.node.privateKey, dsaEncoding: 'der' }).toString('base64'),
    cert: s.nodeCert,
    service_signature: serviceSign(s, protectedHeader, root),
  };
  return { receipt, root, iat };
}

// --- Ethereum claims (spec S4) and the ccevm_getLedgerReceipt answer (spec S5) ---

export interface TestLog {
  address: string;
  topics: string[];
  data: string;
  /** shown to the caller (else given as its leaf only) */
  shown: boolean;
}

const bytes = (hex: string) => Buffer.from(hex.slice(2), 'hex');

export function logLeaf(salt: Buffer, log: Omit<TestLog, 'shown'>): Buffer {
  return H(salt, bytes(log.address), Buffer.from([log.topics.length]), ...log.topics.map(bytes), bytes(log.data));
}

export interface EthereumFacts {
  transactionHash: string;
  from: string;
  status: 0 | 1;
  gasUsed: bigint;
  contractAddress: string | null;
  logs: TestLog[];
}

export function claimsDigest(facts: EthereumFacts, salts: Buffer[]): Buffer {
  const leaves = facts.logs.map((log, i) => logLeaf(salts[i]!, log));
  return H(
    Buffer.from('ccevm-eth-claims', 'ascii'),
    Buffer.from([1]),
    bytes(facts.transactionHash),
    bytes(facts.from),
    Buffer.from([facts.status]),
    Buffer.from(facts.gasUsed.toString(16).padStart(64, '0'), 'hex'),
    Buffer.from([facts.contractAddress ? 1 : 0]),
    facts.contractAddress ? bytes(facts.contractAddress) : Buffer.alloc(20),
    H(...leaves),
  );
}

const hex0x = (b: Buffer) => `0x${b.toString('hex')}`;

export const SAMPLE_FACTS: EthereumFacts = {
  transactionHash: hex0x(H(Buffer.from('a signed raw transaction'))),
  from: '0x' + '11'.repeat(20),
  status: 1,
  gasUsed: 52_341n,
  contractAddress: '0x' + 'c0'.repeat(20),
  logs: [
    { address: '0x' + 'c0'.repeat(20), topics: [hex0x(H(Buffer.from('Transfer(address,address,uint256)'))), '0x' + '00'.repeat(12) + '11'.repeat(20)], data: '0x' + '00'.repeat(31) + '2a', shown: true },
    { address: '0x' + 'c0'.repeat(20), topics: [hex0x(H(Buffer.from('Secret(uint256)')))], data: '0x' + '00'.repeat(31) + '07', shown: false },
    { address: '0x' + 'd0'.repeat(20), topics: [], data: '0x', shown: true },
  ],
};

/** A committed ccevm_getLedgerReceipt answer for `facts`, proven by a receipt of `s`. */
export function buildEthereumResponse(s: TestService, facts: EthereumFacts = SAMPLE_FACTS, opts: { seqno?: number; sigSeqno?: number } = {}) {
  const logSalt = randomBytes(32);
  const salts = facts.logs.map((_, i) => {
    const index = Buffer.alloc(4);
    index.writeUInt32BE(i);
    return createHmac('sha256', logSalt).update(index).digest();
  });
  const built = buildReceipt(s, { ...opts, claimsDigest: claimsDigest(facts, salts) });
  const quantity = (n: bigint | number) => `0x${n.toString(16)}`;
  const response = {
    status: 'committed',
    transactionHash: facts.transactionHash,
    txid: built.receipt.txid,
    receipt: built.receipt,
    claims: {
      version: 1,
      transactionHash: facts.transactionHash,
      from: facts.from,
      status: quantity(facts.status),
      gasUsed: quantity(facts.gasUsed),
      contractAddress: facts.contractAddress,
      logs: facts.logs.map((log, i) =>
        log.shown ? { salt: hex0x(salts[i]!), address: log.address, topics: log.topics, data: log.data } : { leaf: hex0x(logLeaf(salts[i]!, log)) },
      ),
    },
    ethereumReceipt: {
      type: '0x2',
      transactionHash: facts.transactionHash,
      transactionIndex: '0x0',
      blockHash: hex0x(randomBytes(32)),
      blockNumber: '0x5',
      from: facts.from,
      to: facts.contractAddress ? null : '0x' + '22'.repeat(20),
      cumulativeGasUsed: quantity(facts.gasUsed),
      gasUsed: quantity(facts.gasUsed),
      contractAddress: facts.contractAddress,
      logs: facts.logs
        .filter((log) => log.shown)
        .map((log, i) => ({ removed: false, logIndex: quantity(i), transactionHash: facts.transactionHash, address: log.address, data: log.data, topics: log.topics })),
      logsBloom: '0x' + '00'.repeat(256),
      status: quantity(facts.status),
      effectiveGasPrice: '0x0',
      ledgerTxid: built.receipt.txid,
    },
  };
  return { response, built, salts };
}
