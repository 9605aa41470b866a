// contracts/ReceiptVerifier.sol on a reference EVM (Hardhat's in-process network, Osaka,
// which has P256VERIFY): ledger receipts built here from the issue-11 spec and FORMAT.md
// with node:crypto (a P-256 service key, a Merkle tree of many transactions, the COSE
// Sig_structure over its root, Ethereum claims with salted logs) go through the
// ccevm_getLedgerReceipt JSON shape and test/support/receipt-calldata.ts into `verify`.
// Valid receipts are accepted with their txid; every altered field is rejected.
import { strict as assert } from 'node:assert';
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { contractInterface, deployData } from '../support/contracts.js';
import {
  receiptCalldata,
  ReceiptCalldataError,
  type ClaimsStruct,
  type LedgerReceiptResponse,
  type ReceiptStruct,
} from '../support/receipt-calldata.js';
import { HardhatNetwork, hardhatProvider, type BoundContract, type Eip1193 } from './network.js';

const H = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}` as `0x${string}`;
const bytes = (h: string) => Buffer.from(h.replace(/^0x/, ''), 'hex');
/** The P-256 group order. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

// --- CBOR, by hand (only what a COSE protected header needs) ---------------------------

function cborHead(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
const cborInt = (n: number) => (n >= 0 ? cborHead(0, n) : cborHead(1, -1 - n));
const cborText = (s: string) => Buffer.concat([cborHead(3, Buffer.byteLength(s)), Buffer.from(s)]);
const cborBytes = (b: Uint8Array) => Buffer.concat([cborHead(2, b.length), b]);
const cborMap = (entries: [Buffer, Buffer][]) => Buffer.concat([cborHead(5, entries.length), ...entries.flat()]);

interface ServiceKey {
  privateKey: KeyObject;
  x: `0x${string}`;
  y: `0x${string}`;
  kid: string;
}

function serviceKey(): ServiceKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    privateKey,
    x: hex(Buffer.from(jwk.x!, 'base64url')),
    y: hex(Buffer.from(jwk.y!, 'base64url')),
    kid: H(publicKey.export({ format: 'der', type: 'spki' })).toString('hex'),
  };
}

/** The entries of the protected header (spec S1), in the spec's order. */
function headerEntries(kid: string, txid: string, iat = 1_764_600_000): [Buffer, Buffer][] {
  return [
    [cborInt(1), cborInt(-7)],
    [cborInt(4), cborBytes(Buffer.from(kid))],
    [cborInt(395), cborInt(2)],
    [cborInt(15), cborMap([[cborInt(6), cborInt(iat)]])],
    [cborText('ccf.v1'), cborMap([[cborText('txid'), cborText(txid)]])],
  ];
}

/** RFC 9052 Sig_structure ["Signature1", protected, h'', root]. */
function sigStructure(protectedHeader: Buffer, root: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x84]), cborText('Signature1'), cborBytes(protectedHeader), Buffer.from([0x40]), cborBytes(root)]);
}

const signRoot = (key: KeyObject, protectedHeader: Buffer, root: Buffer) =>
  sign('sha256', sigStructure(protectedHeader, root), { key, dsaEncoding: 'ieee-p1363' });

// --- Merkle tree (FORMAT.md "Merkle tree") ---------------------------------------------

function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPowerOfTwoBelow(leaves.length);
  return H(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The audit path of leaf `m`, from the leaf up. */
function auditPath(m: number, leaves: Buffer[]): ({ left: string } | { right: string })[] {
  if (leaves.length === 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return m < k
    ? [...auditPath(m, leaves.slice(0, k)), { right: mth(leaves.slice(k)).toString('hex') }]
    : [...auditPath(m - k, leaves.slice(k)), { left: mth(leaves.slice(0, k)).toString('hex') }];
}

// --- Ethereum claims (spec S4) ---------------------------------------------------------

interface EthLog {
  address: string;
  topics: string[];
  data: string;
  hidden?: boolean;
}
interface EthResult {
  transactionHash: string;
  from: string;
  success: boolean;
  gasUsed: bigint;
  contractAddress: string | null;
  logs: EthLog[];
}

const logLeaf = (salt: Buffer, log: EthLog) =>
  H(salt, bytes(log.address), Buffer.from([log.topics.length]), ...log.topics.map(bytes), bytes(log.data));

function ethClaims(result: EthResult) {
  const logSalt = randomBytes(32);
  const salts = result.logs.map((_, i) => {
    const index = Buffer.alloc(4);
    index.writeUInt32BE(i);
    return createHmac('sha256', logSalt).update(index).digest();
  });
  const leaves = result.logs.map((log, i) => logLeaf(salts[i]!, log));
  const gasUsed = Buffer.from(result.gasUsed.toString(16).padStart(64, '0'), 'hex');
  const claims = Buffer.concat([
    Buffer.from('ccevm-eth-claims'),
    Buffer.from([1]),
    bytes(result.transactionHash),
    bytes(result.from),
    Buffer.from([result.success ? 1 : 0]),
    gasUsed,
    Buffer.from([result.contractAddress ? 1 : 0]),
    result.contractAddress ? bytes(result.contractAddress) : Buffer.alloc(20),
    H(...leaves),
  ]);
  assert.equal(claims.length, 155);
  return {
    digest: H(claims),
    json: {
      version: 1,
      transactionHash: result.transactionHash,
      from: result.from,
      status: result.success ? '0x1' : '0x0',
      gasUsed: `0x${result.gasUsed.toString(16)}`,
      contractAddress: result.contractAddress,
      logs: result.logs.map((log, i) =>
        log.hidden
          ? { leaf: hex(leaves[i]!) }
          : { salt: hex(salts[i]!), address: log.address, topics: log.topics, data: log.data },
      ),
    },
  };
}

// --- A ledger, its signature and a receipt (FORMAT.md, spec S2 and S5) -----------------

const VIEW = 2;
const commitSecret = randomBytes(32);
const commitEvidence = (seqno: number) =>
  `ce:${VIEW}.${seqno}:${createHmac('sha256', commitSecret).update(`${VIEW}.${seqno}`).digest('hex')}`;

interface LedgerOptions {
  /** Transactions in the signed tree (seqno 1 .. size). */
  size: number;
  /** Seqno of the Ethereum transaction the receipt is for. */
  seqno: number;
  result: EthResult;
  key: ServiceKey;
  /** Overrides the commit evidence of the receipt's transaction. */
  commitEvidence?: string;
  /** Overrides the protected header's entries. */
  header?: [Buffer, Buffer][];
}

/** A committed ccevm_getLedgerReceipt answer for one transaction of a fresh ledger. */
function ledgerReceipt(o: LedgerOptions): LedgerReceiptResponse {
  const claims = ethClaims(o.result);
  const evidence = o.commitEvidence ?? commitEvidence(o.seqno);
  const writeSetDigest = randomBytes(32);
  const leaves = Array.from({ length: o.size }, (_, i) =>
    i === o.seqno - 1 ? H(writeSetDigest, H(Buffer.from(evidence)), claims.digest) : randomBytes(32),
  );
  const root = mth(leaves);
  const signatureTxid = `${VIEW}.${o.size + 1}`;
  const protectedHeader = cborMap(o.header ?? headerEntries(o.key.kid, signatureTxid));
  return {
    status: 'committed',
    receipt: {
      leaf_components: {
        write_set_digest: writeSetDigest.toString('hex'),
        commit_evidence: evidence,
        claims_digest: claims.digest.toString('hex'),
      },
      proof: auditPath(o.seqno - 1, leaves),
      service_signature: {
        protected: protectedHeader.toString('base64'),
        signature: signRoot(o.key.privateKey, protectedHeader, root).toString('base64'),
      },
    },
    claims: claims.json,
  } as LedgerReceiptResponse;
}

const address = () => hex(randomBytes(20));
const word = () => hex(randomBytes(32));
const ethResult = (logs: EthLog[], extra: Partial<EthResult> = {}): EthResult => ({
  transactionHash: word(),
  from: address(),
  success: true,
  gasUsed: 51_234n,
  contractAddress: null,
  logs,
  ...extra,
});
const transferLog = (hidden = false): EthLog => ({
  address: address(),
  topics: [word(), word(), word()],
  data: hex(randomBytes(32)),
  hidden,
});

// --------------------------------------------------------------------------------------

describe('ReceiptVerifier on a reference EVM (Hardhat network)', function () {
  this.timeout(120_000);
  const iface = contractInterface('ReceiptVerifier');
  const key = serviceKey();
  let provider: Eip1193;
  let network: HardhatNetwork;
  let verifier: BoundContract;

  const error = (name: string, args: unknown[] = []) => iface.encodeErrorResult(name, args);
  const verify = async (r: ReceiptStruct, c: ClaimsStruct) => {
    const [txView, txSeqno] = await verifier.call('verify', [r, c]);
    return `${txView}.${txSeqno}`;
  };
  const rejection = (r: ReceiptStruct, c: ClaimsStruct) => verifier.revertData('verify', [r, c]);

  before(async () => {
    provider = hardhatProvider();
    const [from] = (await provider.request({ method: 'eth_accounts' })) as string[];
    network = new HardhatNetwork(provider, from!);
    const { address: at } = await network.deploy('ReceiptVerifier', [key.x, key.y]);
    verifier = network.bind(iface, at);
  });

  it('pins the service key given at deployment', async () => {
    assert.equal((await verifier.call('serviceKeyX'))[0], key.x);
    assert.equal((await verifier.call('serviceKeyY'))[0], key.y);
  });

  it('accepts receipts and returns the transaction id from the commit evidence', async () => {
    const cases: [number, number, EthLog[]][] = [
      [1, 1, []], // a one-leaf tree: the leaf is the root, no proof
      [2, 1, [transferLog()]],
      [11, 6, [transferLog(), transferLog(true)]],
      [11, 11, [transferLog(true), transferLog(true)]],
      [1000, 733, [transferLog(), { address: address(), topics: [], data: '0x' }]],
    ];
    for (const [size, seqno, logs] of cases) {
      const { receipt, claims } = receiptCalldata(ledgerReceipt({ size, seqno, key, result: ethResult(logs) }));
      assert.equal(await verify(receipt, claims), `${VIEW}.${seqno}`, `seqno ${seqno} of ${size}`);
    }
  });

  it('accepts a failed transaction and a contract creation', async () => {
    for (const extra of [{ success: false, gasUsed: 21_000n }, { contractAddress: address() }]) {
      const { receipt, claims } = receiptCalldata(ledgerReceipt({ size: 5, seqno: 3, key, result: ethResult([], extra) }));
      assert.equal(await verify(receipt, claims), `${VIEW}.3`);
    }
  });

  it('claimsDigest is the SHA-256 of the 155-byte claims', async () => {
    const response = ledgerReceipt({ size: 3, seqno: 2, key, result: ethResult([transferLog(), transferLog(true)], { contractAddress: address() }) });
    const { claims } = receiptCalldata(response);
    assert.equal((await verifier.call('claimsDigest', [claims]))[0], `0x${response.receipt.leaf_components.claims_digest}`);
  });

  it('accepts a protected header whose entries come in another order (CBOR length-first)', async () => {
    const [alg, kid, vds, cwt, ccf] = headerEntries(key.kid, `${VIEW}.8`);
    const header = [alg!, kid!, cwt!, vds!, ccf!];
    const { receipt, claims } = receiptCalldata(ledgerReceipt({ size: 7, seqno: 4, key, result: ethResult([]), header }));
    assert.equal(await verify(receipt, claims), `${VIEW}.4`);
  });

  it('accepts the high-s twin of a signature (P256VERIFY has no low-s rule)', async () => {
    const { receipt, claims } = receiptCalldata(ledgerReceipt({ size: 7, seqno: 4, key, result: ethResult([]) }));
    const twin = { ...receipt, s: `0x${(N - BigInt(receipt.s)).toString(16).padStart(64, '0')}` as const };
    assert.equal(await verify(twin, claims), `${VIEW}.4`);
  });

  it('accepts a shown log that the receipt hides (its leaf in place of its fields)', async () => {
    const { receipt, claims } = receiptCalldata(ledgerReceipt({ size: 9, seqno: 5, key, result: ethResult([transferLog(), transferLog()]) }));
    const shown = claims.logs[0]!;
    const salt = bytes(shown.salt);
    const leaf = hex(logLeaf(salt, { address: shown.emitter, topics: shown.topics, data: shown.data }));
    const hidden = { salt: hex(Buffer.alloc(32)), emitter: hex(Buffer.alloc(20)), topics: [], data: '0x' as const, hidden: true, leaf };
    assert.equal(await verify(receipt, { ...claims, logs: [hidden, claims.logs[1]!] }), `${VIEW}.5`);
  });

  describe('rejects every altered field', () => {
    let receipt: ReceiptStruct;
    let claims: ClaimsStruct;
    const flip = (h: `0x${string}`, at = -1): `0x${string}` => {
      const b = bytes(h);
      b[at < 0 ? b.length + at : at]! ^= 0x01;
      return hex(b);
    };
    const rejects = async (what: string, r: ReceiptStruct, c: ClaimsStruct, expected: string) =>
      assert.equal(await rejection(r, c), expected, what);
    const BAD_SIGNATURE = iface.encodeErrorResult('BadSignature', []);

    before(() => {
      // Leaf 700 of 1000: ten proof steps, both sides; a shown and a hidden log.
      ({ receipt, claims } = receiptCalldata(
        ledgerReceipt({ size: 1000, seqno: 701, key, result: ethResult([transferLog(), transferLog(true)], { contractAddress: address() }) }),
      ));
      assert.equal(receipt.proof.length, 10);
      assert.notEqual(receipt.leftBits, 0n);
      assert.notEqual(receipt.leftBits, (1n << 10n) - 1n);
    });

    it('the original is accepted', async () => {
      assert.equal(await verify(receipt, claims), `${VIEW}.701`);
    });

    it('receipt fields', async () => {
      const ce = bytes(receipt.commitEvidence);
      const evidence = (s: string) => hex(Buffer.from(s));
      const cases: [string, Partial<ReceiptStruct>][] = [
        ['writeSetDigest', { writeSetDigest: flip(receipt.writeSetDigest) }],
        ['commit evidence secret', { commitEvidence: flip(receipt.commitEvidence) }],
        ['commit evidence seqno', { commitEvidence: evidence(ce.toString().replace(':2.701:', ':2.700:')) }],
        ['commit evidence view', { commitEvidence: evidence(ce.toString().replace(':2.701:', ':3.701:')) }],
        ['coseProtected (iat)', { coseProtected: flip(receipt.coseProtected, 80) }],
        ['coseProtected (txid)', { coseProtected: flip(receipt.coseProtected) }],
        ['r', { r: flip(receipt.r) }],
        ['s', { s: flip(receipt.s) }],
        ['r and s swapped', { r: receipt.s, s: receipt.r }],
        ['r = 0', { r: hex(Buffer.alloc(32)) }],
        ['s = 0', { s: hex(Buffer.alloc(32)) }],
        ['s = n', { s: `0x${N.toString(16)}` }],
        ['a step removed', { proof: receipt.proof.slice(1), leftBits: receipt.leftBits >> 1n }],
        ['a step added', { proof: [...receipt.proof, word()] }],
      ];
      for (let i = 0; i < receipt.proof.length; i++) {
        cases.push([`proof[${i}]`, { proof: receipt.proof.map((p, j) => (j === i ? flip(p) : p)) }]);
        cases.push([`left bit ${i}`, { leftBits: receipt.leftBits ^ (1n << BigInt(i)) }]);
      }
      for (const [what, change] of cases) await rejects(what, { ...receipt, ...change }, claims, BAD_SIGNATURE);
    });

    it('a signature by another key', async () => {
      const other = serviceKey();
      const forged = receiptCalldata(ledgerReceipt({ size: 3, seqno: 2, key: other, result: ethResult([]) }));
      await rejects('other key', forged.receipt, forged.claims, BAD_SIGNATURE);
    });

    it('claims fields', async () => {
      const cases: [string, Partial<ClaimsStruct>][] = [
        ['txHash', { txHash: flip(claims.txHash) }],
        ['from', { from: flip(claims.from) }],
        ['success', { success: false }],
        ['gasUsed', { gasUsed: claims.gasUsed + 1n }],
        ['contractAddress', { contractAddress: flip(claims.contractAddress) }],
        ['contractAddress none', { contractAddress: hex(Buffer.alloc(20)) }],
        ['a log removed', { logs: claims.logs.slice(1) }],
        ['logs swapped', { logs: [claims.logs[1]!, claims.logs[0]!] }],
        ['a log added', { logs: [...claims.logs, claims.logs[1]!] }],
      ];
      for (const [what, change] of cases) await rejects(what, receipt, { ...claims, ...change }, BAD_SIGNATURE);
    });

    it('log fields, and a hidden log with a wrong leaf', async () => {
      const [shown, hidden] = claims.logs as [ClaimsStruct['logs'][0], ClaimsStruct['logs'][0]];
      const cases: [string, Partial<typeof shown>, number][] = [
        ['salt', { salt: flip(shown.salt) }, 0],
        ['emitter', { emitter: flip(shown.emitter) }, 0],
        ['data', { data: flip(shown.data) }, 0],
        ['data extended', { data: `${shown.data}00` }, 0],
        ['a topic removed', { topics: shown.topics.slice(0, 2) }, 0],
        ['a topic added', { topics: [...shown.topics, word()] }, 0],
        ['hidden leaf', { leaf: flip(hidden.leaf) }, 1],
      ];
      for (let i = 0; i < shown.topics.length; i++) {
        cases.push([`topic ${i}`, { topics: shown.topics.map((t, j) => (j === i ? flip(t) : t)) }, 0]);
      }
      for (const [what, change, index] of cases) {
        const logs = claims.logs.map((l, j) => (j === index ? { ...l, ...change } : l));
        await rejects(what, receipt, { ...claims, logs }, BAD_SIGNATURE);
      }
    });

    it('a log that is not well-formed: fields beside a hidden leaf, a leaf beside shown fields, 5 topics', async () => {
      const [shown, hidden] = claims.logs as [ClaimsStruct['logs'][0], ClaimsStruct['logs'][0]];
      const cases: [string, Partial<typeof shown>, number][] = [
        ['hidden with a salt', { salt: word() }, 1],
        ['hidden with an emitter', { emitter: address() }, 1],
        ['hidden with a topic', { topics: [word()] }, 1],
        ['hidden with data', { data: '0x00' }, 1],
        ['shown with a leaf', { leaf: word() }, 0],
        ['five topics', { topics: [...shown.topics, word(), word()] }, 0],
      ];
      assert.equal(hidden.hidden, true);
      for (const [what, change, index] of cases) {
        const logs = claims.logs.map((l, j) => (j === index ? { ...l, ...change } : l));
        await rejects(what, receipt, { ...claims, logs }, error('BadLog', [index]));
      }
    });

    it('a left bit beyond the proof', async () => {
      await rejects('bit 10', { ...receipt, leftBits: receipt.leftBits | (1n << 10n) }, claims, error('BadProof'));
      await rejects('bit 255', { ...receipt, leftBits: receipt.leftBits | (1n << 255n) }, claims, error('BadProof'));
      const long = { ...receipt, proof: Array.from({ length: 257 }, word) };
      await rejects('257 steps', long, claims, error('BadProof'));
    });
  });

  describe('checks the form of what the service key signed', () => {
    /** A receipt whose signature is good, so that only the form check can reject it. */
    const signed = (o: Partial<LedgerOptions>) =>
      receiptCalldata(ledgerReceipt({ size: 6, seqno: 3, key, result: ethResult([]), ...o }));

    it('commit evidence ce:<view>.<seqno>:<64 characters>', async () => {
      const secret = 'a'.repeat(64);
      for (const good of [`ce:0.1:${secret}`, `ce:18446744073709551615.3:${secret}`]) {
        const { receipt, claims } = signed({ commitEvidence: good });
        assert.equal(await verify(receipt, claims), good.split(':')[1]);
      }
      for (const bad of [
        `ec:2.3:${secret}`,
        `ce:2,3:${secret}`,
        `ce:2.3;${secret}`,
        `ce:.3:${secret}`,
        `ce:2.:${secret}`,
        `ce:02.3:${secret}`,
        `ce:2.03:${secret}`,
        `ce:2.3:${secret}0`,
        `ce:2.3:${secret.slice(1)}`,
        `ce:2.3`,
        `ce:2`,
        `ce:`,
        'c',
        '',
        `ce:18446744073709551616.3:${secret}`,
        `ce:2.3.4:${secret}`,
      ]) {
        const { receipt, claims } = signed({ commitEvidence: bad });
        assert.equal(await rejection(receipt, claims), error('BadCommitEvidence'), bad);
      }
    });

    it('protected header: a CBOR map with alg ES256 and vds CCF_LEDGER_SHA256, each once, nothing after', async () => {
      const entries = headerEntries(key.kid, `${VIEW}.7`);
      const [alg, kid, vds, cwt, ccf] = entries;
      const badHeaders: [string, Buffer][] = [
        ['no alg', cborMap([kid!, vds!, cwt!, ccf!])],
        ['no vds', cborMap([alg!, kid!, cwt!, ccf!])],
        ['alg ES384', cborMap([[cborInt(1), cborInt(-35)], kid!, vds!, cwt!, ccf!])],
        ['alg +7', cborMap([[cborInt(1), cborInt(7)], kid!, vds!, cwt!, ccf!])],
        ['vds 1', cborMap([alg!, kid!, [cborInt(395), cborInt(1)], cwt!, ccf!])],
        ['vds -3', cborMap([alg!, kid!, [cborInt(395), cborInt(-3)], cwt!, ccf!])],
        ['alg twice', cborMap([alg!, kid!, vds!, alg!, ccf!])],
        ['vds twice', cborMap([alg!, kid!, vds!, vds!, ccf!])],
        ['a byte after the map', Buffer.concat([cborMap(entries), Buffer.from([0])])],
        ['cut short', cborMap(entries).subarray(0, -3)],
        ['an array', Buffer.concat([cborHead(4, 2), ...alg!, ...vds!])],
        ['reserved head encoding', Buffer.concat([Buffer.from([0xbc]), Buffer.alloc(15), Buffer.from([2]), ...alg!, ...vds!])],
        ['a head cut short', Buffer.concat([cborHead(5, 3), ...alg!, ...vds!, Buffer.from([0x19, 0x01])])],
        ['empty', Buffer.alloc(0)],
        ['a map key', cborMap([alg!, vds!, [cborMap([]), cborInt(0)]])],
        ['indefinite length', Buffer.concat([Buffer.from([0xbf]), ...entries.flat(), Buffer.from([0xff])])],
        ['string longer than the header', cborMap([alg!, vds!, [cborInt(4), cborHead(2, 300)]])],
      ];
      for (const [what, header] of badHeaders) {
        const { receipt, claims } = signed({});
        const signature = signRoot(key.privateKey, header, rootOf(receipt, claims));
        const r = { ...receipt, coseProtected: hex(header), r: hex(signature.subarray(0, 32)), s: hex(signature.subarray(32)) };
        assert.equal(await rejection(r, claims), error('BadProtectedHeader'), what);
      }
      // The walk never reads a head past the header's end, where the next argument's bytes
      // are: here a value missing at the end, before claims that read as an array of 2^64 - 1
      // items followed by zeros (2^64 one-byte items, out of gas, if the walk went on).
      {
        const { receipt } = signed({});
        const header = Buffer.concat([cborHead(5, 4), ...alg!, ...vds!, cborText('x'.repeat(22)), cborInt(0), cborInt(7)]);
        assert.equal(header.length, 32);
        const txHash = hex(Buffer.concat([Buffer.from([0x9b]), Buffer.alloc(8, 0xff), Buffer.alloc(23)]));
        const zeroClaims = { txHash, from: hex(Buffer.alloc(20)), success: false, gasUsed: 0n, contractAddress: hex(Buffer.alloc(20)), logs: [] };
        const r = { ...receipt, coseProtected: hex(header) };
        assert.equal(await rejection(r, zeroClaims), error('BadProtectedHeader'), 'a head past the end');
      }
      // Headers of every bstr head length in the Sig_structure: < 24, < 256, < 65536 bytes.
      const padding = (n: number): [Buffer, Buffer] => [cborText('pad'), cborBytes(Buffer.alloc(n))];
      for (const header of [[alg!, vds!], [...entries, padding(200)], [...entries, padding(1000)]]) {
        const { receipt, claims } = signed({ header });
        assert.equal(await verify(receipt, claims), `${VIEW}.3`, `header of ${cborMap(header).length} bytes`);
      }
      const huge = signed({ header: [...entries, padding(65_536)] });
      assert.equal(await rejection(huge.receipt, huge.claims), error('BadProtectedHeader'), 'a header of 64 KiB');
      // Extra entries of any type and nesting are skipped (an alg or vds nested in them is not
      // the header's).
      const nested = Buffer.concat([Buffer.alloc(20, 0x81), cborMap([alg!, vds!])]);
      const extras: [Buffer, Buffer][] = [
        [cborText('x'), Buffer.concat([cborHead(4, 4), cborMap([]), Buffer.from([0xc1, 0x1a, 0, 0, 0, 1, 0xf5]), nested])],
        [cborInt(-1), cborBytes(Buffer.from('bytes'))],
      ];
      const { receipt, claims } = signed({ header: [...entries, ...extras] });
      assert.equal(await verify(receipt, claims), `${VIEW}.3`);
      const onlyNested = signed({ header: [kid!, [cborInt(9), nested]] });
      assert.equal(await rejection(onlyNested.receipt, onlyNested.claims), error('BadProtectedHeader'), 'alg and vds nested only');
    });
  });

  it('refuses to deploy on a chain without P256VERIFY (Prague)', async () => {
    const prague = await praguePrecompileless();
    const [from] = (await prague.request({ method: 'eth_accounts' })) as string[];
    await assert.rejects(
      prague.request({ method: 'eth_call', params: [{ from, data: deployData('ReceiptVerifier', [key.x, key.y]) }, 'latest'] }),
      (e: { data?: string }) => e.data === error('P256VerifyUnavailable'),
    );
  });

  it('refuses to deploy where 0x100 is not P256VERIFY (a contract answering 0, or reverting with 1)', async () => {
    const prague = await praguePrecompileless();
    const [from] = (await prague.request({ method: 'eth_accounts' })) as string[];
    // PUSH1 0x20 PUSH1 0 RETURN: 32 zero bytes. PUSH1 1 PUSH1 0 MSTORE PUSH1 0x20 PUSH1 0 REVERT.
    for (const code of ['0x60206000f3', '0x600160005260206000fd']) {
      await prague.request({ method: 'hardhat_setCode', params: [P256VERIFY, code] });
      await assert.rejects(
        prague.request({ method: 'eth_call', params: [{ from, data: deployData('ReceiptVerifier', [key.x, key.y]) }, 'latest'] }),
        (e: { data?: string }) => e.data === error('P256VerifyUnavailable'),
        code,
      );
    }
  });

  it('measures the gas of verify (proof of 10 steps)', async () => {
    // The gas a transaction calling verify uses, and what of it is not the intrinsic cost
    // (21000 and 4/16 per zero/non-zero calldata byte): the contract's execution.
    const gas = async (logs: EthLog[]) => {
      const { receipt, claims } = receiptCalldata(ledgerReceipt({ size: 1000, seqno: 701, key, result: ethResult(logs) }));
      const data = iface.encodeFunctionData('verify', [receipt, claims]);
      const sent = (await verifier.send('verify', [receipt, claims])) as unknown as { status: string; gasUsed: string };
      assert.equal(sent.status, '0x1');
      const used = BigInt(sent.gasUsed);
      const intrinsic = 21_000n + [...bytes(data)].reduce((sum, b) => sum + (b === 0 ? 4n : 16n), 0n);
      assert.ok(used > intrinsic + 6_900n && used < 200_000n, `${used}`);
      return `${used} (${bytes(data).length} calldata bytes, execution ${used - intrinsic})`;
    };
    console.log(`      verify gas, proof of 10 steps: no logs ${await gas([])}`);
    console.log(`      2 logs (3 topics, 32 bytes of data each) ${await gas([transferLog(), transferLog()])}`);
    console.log(`      1 shown + 1 hidden log ${await gas([transferLog(), transferLog(true)])}`);
  });

  describe('receipt-calldata.ts', () => {
    const good = () => ledgerReceipt({ size: 4, seqno: 2, key, result: ethResult([transferLog(), transferLog(true)]) });

    it('maps the JSON onto the structs', () => {
      const response = good();
      const { receipt, claims } = receiptCalldata(response);
      const json = response.receipt;
      assert.equal(receipt.writeSetDigest, `0x${json.leaf_components.write_set_digest}`);
      assert.equal(Buffer.from(receipt.commitEvidence.slice(2), 'hex').toString(), json.leaf_components.commit_evidence);
      assert.deepEqual(receipt.proof, json.proof.map((p) => `0x${Object.values(p)[0]}`));
      assert.equal(receipt.leftBits, BigInt(json.proof.reduce((bits, p, i) => bits | ('left' in p ? 1 << i : 0), 0)));
      assert.equal(Buffer.from(receipt.coseProtected.slice(2), 'hex').toString('base64'), json.service_signature.protected);
      assert.equal(Buffer.concat([bytes(receipt.r), bytes(receipt.s)]).toString('base64'), json.service_signature.signature);
      assert.equal(claims.txHash, response.claims.transactionHash);
      assert.equal(claims.contractAddress, `0x${'00'.repeat(20)}`);
      assert.equal(claims.logs[0]!.hidden, false);
      assert.deepEqual(claims.logs[1], {
        salt: `0x${'00'.repeat(32)}`,
        emitter: `0x${'00'.repeat(20)}`,
        topics: [],
        data: '0x',
        hidden: true,
        leaf: (response.claims.logs[1] as { leaf: string }).leaf,
      });
    });

    it('names the malformed field', () => {
      const cases: [string, (r: any) => void, RegExp][] = [
        ['pending', (r) => (r.status = 'pending'), /status is "pending"/],
        ['digest', (r) => (r.receipt.leaf_components.write_set_digest = 'xy'), /write_set_digest is not 64/],
        ['evidence', (r) => (r.receipt.leaf_components.commit_evidence = 'ce:é'), /commit_evidence is not an ASCII/],
        ['step', (r) => (r.receipt.proof[0] = { up: 'aa' }), /proof\[0\] is not/],
        ['signature', (r) => (r.receipt.service_signature.signature = 'AAAA'), /signature is 3 bytes, not 64/],
        ['base64', (r) => (r.receipt.service_signature.protected = 'a b'), /protected is not canonical base64/],
        ['version', (r) => (r.claims.version = 2), /claims.version is 2/],
        ['status', (r) => (r.claims.status = '0x2'), /claims.status/],
        ['gasUsed', (r) => (r.claims.gasUsed = '12'), /claims.gasUsed is not a hex quantity/],
        ['from', (r) => (r.claims.from = '0x12'), /claims.from is not 20 bytes/],
        ['topic', (r) => (r.claims.logs[0].topics[0] = '0x'), /claims.logs\[0\].topics\[0\]/],
        ['hidden', (r) => (r.claims.logs[1].salt = '0x'), /claims.logs\[1\] has a leaf and other fields/],
        ['long proof', (r) => (r.receipt.proof = Array(257).fill({ right: 'aa'.repeat(32) })), /257 steps; the contract takes at most 256/],
      ];
      for (const [what, change, message] of cases) {
        const response = good();
        change(response);
        assert.throws(() => receiptCalldata(response), (e: Error) => e instanceof ReceiptCalldataError && message.test(e.message), what);
      }
    });
  });
});

const P256VERIFY = '0x0000000000000000000000000000000000000100';

/** Hardhat's in-process network as configured here, but at Prague: no P256VERIFY. */
async function praguePrecompileless(): Promise<Eip1193> {
  hardhatProvider(); // loads Hardhat with this repository's config
  const require = createRequire(import.meta.url);
  const hre = require('hardhat') as { config: { networks: Record<string, object> } };
  const { createProvider } = require('hardhat/internal/core/providers/construction') as {
    createProvider(config: unknown, network: string): Promise<Eip1193>;
  };
  const networks = hre.config.networks;
  return createProvider({ ...hre.config, networks: { ...networks, hardhat: { ...networks.hardhat, hardfork: 'prague' } } }, 'hardhat');
}

/** The root a receipt without logs leads to (to sign headers of other forms over it). */
function rootOf(r: ReceiptStruct, c: ClaimsStruct): Buffer {
  assert.equal(c.logs.length, 0);
  const claimsDigest = H(
    Buffer.from('ccevm-eth-claims'),
    Buffer.from([1]),
    bytes(c.txHash),
    bytes(c.from),
    Buffer.from([c.success ? 1 : 0]),
    Buffer.from(c.gasUsed.toString(16).padStart(64, '0'), 'hex'),
    Buffer.from([BigInt(c.contractAddress) === 0n ? 0 : 1]),
    bytes(c.contractAddress),
    H(),
  );
  let h = H(bytes(r.writeSetDigest), H(bytes(r.commitEvidence)), claimsDigest);
  r.proof.forEach((p, i) => (h = (r.leftBits >> BigInt(i)) & 1n ? H(bytes(p), h) : H(h, bytes(p))));
  return h;
}
