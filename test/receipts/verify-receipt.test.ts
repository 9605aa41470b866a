// The product's offline receipt verifier against receipts built in the test from the
// formats alone (test/support/receipt-builder.ts): a genuine one verifies and says what it
// proves; every field altered, and every way the Ethereum receipt can disagree with the
// proven claims, is rejected by the check that owns it.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes, sign } from 'node:crypto';
import { ReceiptVerificationError, verifyEthereumReceipt, verifyLedgerReceipt, verifyReceiptEntry, type ReceiptCheck } from '../../evm-adapter/receipts/verify-receipt.js';
import {
  buildEthereumResponse,
  buildReceipt,
  cbor,
  headerEntries,
  makeService,
  oddCertificate,
  p384KeyPair,
  SAMPLE_FACTS,
  serviceSign,
  type BuiltReceipt,
  type Cbor,
  type LedgerReceipt,
  type TestService,
} from '../support/receipt-builder.js';

const H = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
/** Flip the last hex digit. */
const flipHex = (h: string) => h.slice(0, -1) + (h.endsWith('0') ? '1' : '0');

function rejects(run: () => unknown, check: ReceiptCheck, message?: RegExp, what: string = check): void {
  assert.throws(
    run,
    (e: unknown) => {
      assert.ok(e instanceof ReceiptVerificationError, `${what}: not a ReceiptVerificationError: ${String(e)}`);
      assert.equal(e.check, check, `${what}: failed check ${e.check} (${e.message}), expected ${check}`);
      if (message) assert.match(e.message, message, what);
      return true;
    },
    `${what}: accepted`,
  );
}

describe('receipts / the offline verifier (evm-adapter/receipts/verify-receipt.ts)', () => {
  let s: TestService;
  let other: TestService;
  let built: BuiltReceipt;

  before(async () => {
    s = await makeService();
    other = await makeService();
    built = buildReceipt(s);
  });

  const ledger = (r: unknown, cert = s.serviceCert, now?: Date) => () => verifyLedgerReceipt(r, cert, now ? { now } : {});

  /** The receipt with its protected header replaced by `header`, re-signed by the service. */
  const withHeader = (header: Buffer): LedgerReceipt => ({ ...clone(built.receipt), service_signature: serviceSign(s, header, built.root) });
  const entries = () => headerEntries(s.kid, built.iat, built.receipt.signature_txid);

  describe('ledger receipts', () => {
    it('a genuine receipt verifies and says what it proves', () => {
      const proven = verifyLedgerReceipt(built.receipt, s.serviceCert);
      assert.deepEqual(proven, {
        txid: '2.11',
        signatureTxid: '2.23',
        signedAt: new Date(built.iat * 1000),
        root: built.root.toString('hex'),
        nodeId: s.nodeId,
        writeSetDigest: built.receipt.leaf_components.write_set_digest,
        claimsDigest: '00'.repeat(32),
      });
    });

    it('verifies at every position of trees of every size up to 20 (empty proof included)', () => {
      for (let sigSeqno = 2; sigSeqno <= 21; sigSeqno++) {
        for (let seqno = 1; seqno < sigSeqno; seqno++) {
          const { receipt } = buildReceipt(s, { view: 3, seqno, sigSeqno });
          assert.equal(verifyLedgerReceipt(receipt, s.serviceCert).txid, `3.${seqno}`);
        }
      }
    });

    it('every leaf component: its digest (the signed root no longer matches) and its form', () => {
      for (const field of ['write_set_digest', 'commit_evidence', 'claims_digest'] as const) {
        const r = clone(built.receipt);
        r.leaf_components[field] = flipHex(r.leaf_components[field]);
        rejects(ledger(r), 'signature', /root computed from leaf_components and proof/, field);
      }
      for (const field of ['write_set_digest', 'claims_digest'] as const) {
        for (const bad of [built.receipt.leaf_components[field].slice(0, -1) + 'A', built.receipt.leaf_components[field].slice(2), 42]) {
          const r = clone(built.receipt) as unknown as { leaf_components: Record<string, unknown> };
          r.leaf_components[field] = bad;
          rejects(ledger(r), 'leaf_components', new RegExp(field), `${field} = ${String(bad).slice(0, 8)}`);
        }
      }
      rejects(ledger({ ...built.receipt, leaf_components: null }), 'leaf_components');
    });

    it('commit_evidence must name the txid, and the txid is bound by it', () => {
      const renamed = clone(built.receipt);
      renamed.leaf_components.commit_evidence = renamed.leaf_components.commit_evidence.replace('ce:2.11:', 'ce:2.12:');
      rejects(ledger(renamed), 'commit_evidence', /names 2\.12, the receipt is for 2\.11/);
      const txid = clone(built.receipt);
      txid.txid = '2.12';
      rejects(ledger(txid), 'commit_evidence', /names 2\.11, the receipt is for 2\.12/);
      for (const bad of ['ce:2.11:' + 'A'.repeat(64), 'ce:2.11:' + 'a'.repeat(63), 'xx:2.11:' + 'a'.repeat(64)]) {
        const r = clone(built.receipt);
        r.leaf_components.commit_evidence = bad;
        rejects(ledger(r), 'commit_evidence', /not ce:/, bad);
      }
      for (const bad of ['2.x', '2', '02.11', '0.11', '2.0', 11, '9007199254740993.1']) rejects(ledger({ ...built.receipt, txid: bad }), 'txid', undefined, String(bad));
    });

    it('every proof step: its hash, its side, and dropping or adding a step', () => {
      assert.ok(built.receipt.proof.some((p) => 'left' in p) && built.receipt.proof.some((p) => 'right' in p), 'a two-sided proof');
      for (let i = 0; i < built.receipt.proof.length; i++) {
        const step = built.receipt.proof[i]!;
        const hash = clone(built.receipt);
        hash.proof[i] = 'left' in step ? { left: flipHex(step.left) } : { right: flipHex(step.right) };
        rejects(ledger(hash), 'signature', /root computed/, `proof[${i}] hash`);
        const side = clone(built.receipt);
        side.proof[i] = 'left' in step ? { right: step.left } : { left: step.right };
        rejects(ledger(side), 'proof', new RegExp(`proof\\[${i}\\] is "(left|right)", the tree shape needs`), `proof[${i}] side`);
      }
      const dropped = clone(built.receipt);
      dropped.proof.pop();
      rejects(ledger(dropped), 'proof', /steps, the tree shape needs/);
      const extra = clone(built.receipt);
      extra.proof.push({ right: '00'.repeat(32) });
      rejects(ledger(extra), 'proof', /steps, the tree shape needs/);
      rejects(ledger({ ...built.receipt, proof: [{ up: '00'.repeat(32) }, ...built.receipt.proof.slice(1)] }), 'proof', /proof\[0\] is "up", not left or right/);
      for (const bad of ['x', [{ left: 'zz' }], [{ left: '00'.repeat(32), right: '00'.repeat(32) }], [null]]) {
        rejects(ledger({ ...built.receipt, proof: bad }), 'proof', undefined, JSON.stringify(bad));
      }
    });

    it('the node signature: altered, over another root, empty or not canonical base64', () => {
      const sig = Buffer.from(built.receipt.signature, 'base64');
      for (const at of [0, 5, sig.length - 1]) {
        const bad = Buffer.from(sig);
        bad[at]! ^= 1;
        rejects(ledger({ ...built.receipt, signature: bad.toString('base64') }), 'signature', undefined, `signature byte ${at}`);
      }
      const otherRoot = sign('sha256', randomBytes(32), { key: s.node.privateKey, dsaEncoding: 'der' }).toString('base64');
      rejects(ledger({ ...built.receipt, signature: otherRoot }), 'signature', /does not verify/);
      rejects(ledger({ ...built.receipt, signature: '' }), 'signature', /not base64/);
      // The same bytes in a second text: base64 with a non-zero padding bit.
      const text = built.receipt.signature;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
      if (pad > 0) {
        const last = text.length - pad - 1;
        const twin = text.slice(0, last) + alphabet[alphabet.indexOf(text[last]!) + 1] + text.slice(last + 1);
        assert.deepEqual(Buffer.from(twin, 'base64'), sig);
        rejects(ledger({ ...built.receipt, signature: twin }), 'signature', /not canonical base64/);
      }
      rejects(ledger({ ...built.receipt, signature: text + '\n' }), 'signature', /not base64/);
    });

    it('the service signature: altered, wrong length, over another root, by another key, or missing', () => {
      const sig = Buffer.from(built.receipt.service_signature.signature, 'base64');
      for (const at of [0, 31, 32, 63]) {
        const bad = Buffer.from(sig);
        bad[at]! ^= 1;
        const r = clone(built.receipt);
        r.service_signature.signature = bad.toString('base64');
        rejects(ledger(r), 'service_signature', /does not verify over Sig_structure/, `service signature byte ${at}`);
      }
      const short = clone(built.receipt);
      short.service_signature.signature = sig.subarray(0, 63).toString('base64');
      rejects(ledger(short), 'service_signature', /63 bytes, ES256 is 64/);
      const header = Buffer.from(built.receipt.service_signature.protected, 'base64');
      const anotherRoot = clone(built.receipt);
      anotherRoot.service_signature = serviceSign(s, header, randomBytes(32));
      rejects(ledger(anotherRoot), 'service_signature', /does not verify/, 'over another root');
      const byNode = clone(built.receipt);
      byNode.service_signature = serviceSign({ ...s, service: s.node }, header, built.root);
      rejects(ledger(byNode), 'service_signature', /does not verify/, 'signed by the node key');
      const byOther = clone(built.receipt);
      byOther.service_signature = serviceSign(other, header, built.root);
      rejects(ledger(byOther), 'service_signature', /does not verify/, "another service's key");
      const der = clone(built.receipt);
      der.service_signature.signature = built.receipt.signature;
      rejects(ledger(der), 'service_signature', /ES256 is 64/, 'a DER signature');
      // The same 64 bytes in a second text: base64 with a non-zero padding bit.
      const text = built.receipt.service_signature.signature;
      assert.ok(text.endsWith('=='));
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const last = alphabet.indexOf(text[text.length - 3]!);
      const twin = clone(built.receipt);
      twin.service_signature.signature = text.slice(0, -3) + alphabet[last ^ 1] + '==';
      assert.deepEqual(Buffer.from(twin.service_signature.signature, 'base64'), sig);
      rejects(ledger(twin), 'service_signature', /signature is not canonical base64/);
      const { service_signature: _, ...without } = built.receipt;
      rejects(ledger(without), 'service_signature', /not an object/);
      rejects(ledger({ ...built.receipt, service_signature: { signature: built.receipt.service_signature.signature } }), 'service_signature', /protected is not base64/);
    });

    it('the protected header, altered without re-signing, fails the service signature', () => {
      const iat = cbor({ map: headerEntries(s.kid, built.iat + 1, built.receipt.signature_txid) });
      const r = clone(built.receipt);
      r.service_signature.protected = iat.toString('base64');
      rejects(ledger(r), 'service_signature', /does not verify/);
    });

    it('the protected header, each entry, even when the service signed it', () => {
      // Sanity: rebuilt by this test, the header verifies.
      assert.equal(verifyLedgerReceipt(withHeader(cbor({ map: entries() })), s.serviceCert).txid, '2.11');
      const replace = (index: number, value: Cbor) => cbor({ map: entries().map(([k, v], i) => [k, i === index ? value : v] as [number | string, Cbor]) });
      const cases: [string, Buffer, ReceiptCheck, RegExp][] = [
        ['alg ES384', replace(0, -35), 'protected_header', /alg \(1\) is -35, not -7/],
        ['alg as text', replace(0, 'ES256'), 'protected_header', /alg \(1\)/],
        ["kid of the node's key", replace(1, Buffer.from(s.nodeId, 'utf8')), 'protected_header', /kid \(4\)/],
        ['kid as raw bytes', replace(1, Buffer.from(s.kid, 'hex')), 'protected_header', /kid \(4\)/],
        ['kid as text', replace(1, s.kid), 'protected_header', /kid \(4\)/],
        ['vds 1', replace(2, 1), 'protected_header', /verifiable data structure \(395\) is 1/],
        ['no iat', replace(3, { map: [] }), 'protected_header', /CWT claims \(15\) has keys , the spec fixes 6/],
        ['an extra CWT claim', replace(3, { map: [[6, built.iat], [1, 'issuer']] }), 'protected_header', /CWT claims/],
        ['iat as text', replace(3, { map: [[6, String(built.iat)]] }), 'protected_header', /iat/],
        ['iat negative', replace(3, { map: [[6, -1]] }), 'protected_header', /iat/],
        ['iat beyond any date', replace(3, { map: [[6, 2 ** 50]] }), 'protected_header', /iat \(15\/6\) \d+ is beyond any date/],
        ['CWT claims not a map', replace(3, built.iat), 'protected_header', /CWT claims \(15\) is not a map/],
        ['ccf.v1.txid of another signature', replace(4, { map: [['txid', '2.24']] }), 'signature_txid', /signature_txid is 2\.23, the service signed "2\.24"/],
        ['ccf.v1 with an extra field', replace(4, { map: [['txid', '2.23'], ['x', 1]] }), 'protected_header', /ccf\.v1 has keys/],
        ['ccf.v1.txid not text', replace(4, { map: [['txid', 223]] }), 'protected_header', /ccf\.v1\.txid is not text/],
        ['an extra entry', cbor({ map: [...entries(), [3, 'application/json']] }), 'protected_header', /the spec fixes 1, 4, 395, 15, "ccf.v1"/],
        ['an entry missing', cbor({ map: entries().slice(0, 4) }), 'protected_header', /the spec fixes/],
        ['keys in sorted order (15 before 395)', cbor({ map: [entries()[0]!, entries()[1]!, entries()[3]!, entries()[2]!, entries()[4]!] }), 'protected_header', /has keys 1, 4, 15, 395, "ccf.v1"/],
        ['a duplicate key', cbor({ map: [...entries().slice(0, 4), [1, -7]] }), 'protected_header', /duplicate map key 1/],
        ['a map nested in ccf.v1', replace(4, { map: [['txid', { map: [] }]] }), 'protected_header', /nested too deep/],
        ['a byte-string key', Buffer.concat([cbor({ map: entries() }).subarray(0, 1), cbor(Buffer.from('k')), cbor(1)]), 'protected_header', /map key that is not an integer or text/],
      ];
      const good = cbor({ map: entries() });
      assert.equal(good[1], 0x01);
      assert.equal(good[2], 0x26, 'alg -7 is one byte');
      const raw: [string, Buffer, RegExp][] = [
        ['a byte after the map', Buffer.concat([good, Buffer.from([0x00])]), /1 bytes after the header map/],
        ['truncated', good.subarray(0, good.length - 1), /truncated/],
        ['alg -7 in a longer form than needed', Buffer.concat([good.subarray(0, 2), Buffer.from([0x38, 0x06]), good.subarray(3)]), /non-shortest/],
        ['the map as indefinite-length', Buffer.concat([Buffer.from([0xbf]), good.subarray(1), Buffer.from([0xff])]), /indefinite/],
        ['an array, not a map', Buffer.concat([Buffer.from([0x85]), good.subarray(1)]), /major type 4/],
        ['a tagged map (COSE_Sign1 tag 18)', Buffer.concat([Buffer.from([0xd2]), good]), /major type 6/],
        ['only the map head', Buffer.from([0xa5]), /truncated/],
      ];
      // An iat in the 8-byte form is read (the year 2242), one beyond 2^53 is not.
      const far = replace(3, { map: [[6, 2 ** 33]] });
      assert.equal(verifyLedgerReceipt(withHeader(far), s.serviceCert).signedAt.getTime(), 2 ** 33 * 1000);
      const at = far.indexOf(Buffer.from([0x1b, 0, 0, 0, 2, 0, 0, 0, 0]));
      assert.ok(at > 0);
      const huge = Buffer.from(far);
      huge[at + 2] = 0x40; // 2^54 + 2^33
      raw.push(['iat beyond 2^53', huge, /integer beyond 2\^53/]);
      const name = good.indexOf(Buffer.from('ccf.v1'));
      const notUtf8 = Buffer.from(good);
      notUtf8[name] = 0xff;
      raw.push(['text that is not UTF-8', notUtf8, /not the strict CBOR map of the spec/]);
      for (const [what, header, check, message] of cases) rejects(ledger(withHeader(header)), check, message, what);
      for (const [what, header, message] of raw) rejects(ledger(withHeader(header)), 'protected_header', message, what);
    });

    it("the node cert: another service's, the service's own, not canonical PEM, not valid at the time asked", () => {
      rejects(ledger({ ...built.receipt, cert: other.nodeCert }), 'cert', /not issued by the service certificate/);
      rejects(ledger({ ...built.receipt, cert: other.nodeCert, node_id: other.nodeId }), 'cert', /not issued/);
      rejects(ledger({ ...built.receipt, cert: s.serviceCert }), 'cert', /a CA certificate/);
      const lines = built.receipt.cert.trim().split('\n');
      rejects(ledger({ ...built.receipt, cert: lines.join('\r\n') }), 'cert', /canonical PEM/);
      rejects(ledger({ ...built.receipt, cert: lines.slice(1, -1).join('') }), 'cert', /does not parse/);
      rejects(ledger({ ...built.receipt, cert: 'x' }), 'cert', /does not parse/);
      rejects(ledger({ ...built.receipt, cert: 7 }), 'cert', /not a PEM string/);
      // Valid now, and at a given time within its validity; not before or after it.
      const year = 365 * 86_400_000;
      verifyLedgerReceipt(built.receipt, s.serviceCert, { now: new Date(Date.now() + year / 2) });
      rejects(ledger(built.receipt, s.serviceCert, new Date(Date.now() + 2 * year)), 'cert', /not valid at/);
      rejects(ledger(built.receipt, s.serviceCert, new Date(Date.now() - year)), 'cert', /not valid at/);
      assert.throws(ledger(built.receipt, s.serviceCert, new Date('never')), /options\.now is not a valid date/);
    });

    it('the node cert: signed by a key other than the one it names as issuer, or not a P-256 key', async () => {
      const forged = await oddCertificate(s.node, 'P-256', other.service, s.serviceCert);
      rejects(ledger({ ...built.receipt, cert: forged }), 'cert', /not signed by the service key/);
      const p384 = p384KeyPair();
      const wide = await oddCertificate(p384, 'P-384', s.service, s.serviceCert);
      rejects(ledger({ ...built.receipt, cert: wide }), 'cert', /cert key is not ECDSA P-256/);
    });

    it('node_id', () => {
      rejects(ledger({ ...built.receipt, node_id: flipHex(built.receipt.node_id) }), 'node_id');
      rejects(ledger({ ...built.receipt, node_id: other.nodeId }), 'node_id');
      rejects(ledger({ ...built.receipt, node_id: built.receipt.node_id.toUpperCase() }), 'node_id');
    });

    it('signature_txid is bound by the service signature and must follow txid', () => {
      rejects(ledger({ ...built.receipt, signature_txid: '2.24' }), 'signature_txid', /signature_txid is 2\.24, the service signed "2\.23"/);
      rejects(ledger({ ...built.receipt, signature_txid: '3.23' }), 'signature_txid', /the service signed/);
      rejects(ledger({ ...built.receipt, signature_txid: '2.11' }), 'signature_txid', /does not follow txid/);
      rejects(ledger({ ...built.receipt, signature_txid: '1.30' }), 'signature_txid', /earlier view/);
      rejects(ledger({ ...built.receipt, signature_txid: 'later' }), 'signature_txid', /not view\.seqno/);
      // A header that names another signature, with the receipt saying the same: the proof shape gives it away.
      const moved = withHeader(cbor({ map: headerEntries(s.kid, built.iat, '2.40') }));
      moved.signature_txid = '2.40';
      rejects(ledger(moved), 'proof', /tree shape needs/);
    });

    it('against the wrong service certificate, or none that parses', () => {
      rejects(ledger(built.receipt, other.serviceCert), 'protected_header', /kid/);
      rejects(ledger(built.receipt, 'not a certificate'), 'service_certificate', /does not parse/);
      rejects(() => verifyLedgerReceipt(built.receipt, undefined as unknown as string), 'service_certificate', /not a PEM string/);
    });

    it('a service certificate whose key is not P-256 is refused as such', async () => {
      const p384 = p384KeyPair();
      rejects(ledger(built.receipt, await oddCertificate(p384, 'P-384', p384)), 'service_certificate', /not ECDSA P-256/);
    });

    it('malformed receipts are rejected by a check, never crashed on', () => {
      for (const bad of [null, 42, 'receipt', [], {}]) {
        assert.throws(ledger(bad), ReceiptVerificationError, JSON.stringify(bad));
      }
      rejects(ledger(null), 'receipt');
      rejects(ledger({}), 'txid');
    });

    it('verifyReceiptEntry binds a receipt to its exact ledger entry', () => {
      // An entry laid out as FORMAT.md says, and a receipt of it.
      const entry = (view: number, seqno: number, claims: Buffer, evidence: string, privateBytes = 40) => {
        const pub = Buffer.from('a public domain');
        const priv = randomBytes(privateBytes);
        const header = Buffer.alloc(26);
        header[0] = 1;
        header.writeBigUInt64BE(BigInt(view), 2);
        header.writeBigUInt64BE(BigInt(seqno), 10);
        header.writeUInt32BE(pub.length, 18);
        header.writeUInt32BE(priv.length, 22);
        const body = Buffer.concat([header, pub, priv]);
        return { bytes: Buffer.concat([body, claims, H(Buffer.from(evidence, 'ascii'))]), writeSet: H(body) };
      };
      const r = clone(built.receipt);
      const claims = Buffer.from(r.leaf_components.claims_digest, 'hex');
      const e = entry(2, 11, claims, r.leaf_components.commit_evidence);
      r.leaf_components.write_set_digest = e.writeSet.toString('hex');
      verifyReceiptEntry(r, e.bytes);
      rejects(() => verifyReceiptEntry(r, entry(2, 12, claims, r.leaf_components.commit_evidence).bytes), 'entry', /ledger entry is 2\.12, the receipt is for 2\.11/);
      const altered = Buffer.from(e.bytes);
      altered[30]! ^= 1;
      rejects(() => verifyReceiptEntry(r, altered), 'entry', /write_set_digest/);
      const trailer = Buffer.from(e.bytes);
      trailer[trailer.length - 40]! ^= 1;
      rejects(() => verifyReceiptEntry(r, trailer), 'entry', /claims_digest/);
      const evidence = Buffer.from(e.bytes);
      evidence[evidence.length - 1]! ^= 1;
      rejects(() => verifyReceiptEntry(r, evidence), 'entry', /H\(commit_evidence\)/);
      rejects(() => verifyReceiptEntry(r, e.bytes.subarray(0, e.bytes.length - 1)), 'entry', /bytes, its header says/);
      rejects(() => verifyReceiptEntry(r, e.bytes.subarray(0, 50)), 'entry', /shorter/);
      const version = Buffer.from(e.bytes);
      version[0] = 2;
      rejects(() => verifyReceiptEntry(r, version), 'entry', /format version 2/);
      const kind = Buffer.from(e.bytes);
      kind[1] = 5;
      rejects(() => verifyReceiptEntry(r, kind), 'entry', /kind 5/);
      const tiny = entry(2, 11, claims, r.leaf_components.commit_evidence, 16);
      r.leaf_components.write_set_digest = tiny.writeSet.toString('hex');
      rejects(() => verifyReceiptEntry(r, tiny.bytes), 'entry', /private domain of 16 bytes/);
    });
  });

  describe('Ethereum receipts (ccevm_getLedgerReceipt)', () => {
    const eth = (res: unknown, cert = s.serviceCert) => () => verifyEthereumReceipt(res, cert);
    let made: ReturnType<typeof buildEthereumResponse>;
    before(() => {
      made = buildEthereumResponse(s);
    });
    const response = () => clone(made.response);

    it('a genuine answer verifies and says what it proves', () => {
      const proven = verifyEthereumReceipt(made.response, s.serviceCert);
      assert.deepEqual(proven, {
        txid: '2.11',
        signatureTxid: '2.23',
        signedAt: new Date(made.built.iat * 1000),
        transactionHash: SAMPLE_FACTS.transactionHash,
        from: SAMPLE_FACTS.from,
        status: 'success',
        gasUsed: 52_341n,
        contractAddress: SAMPLE_FACTS.contractAddress,
        logs: [
          { index: 0, ...SAMPLE_FACTS.logs[0]!, shown: undefined },
          { index: 2, ...SAMPLE_FACTS.logs[2]!, shown: undefined },
        ].map(({ shown: _, ...log }) => log),
        withheldLogs: 1,
      });
    });

    it('a failed call without logs or contract, and every log shown or none', () => {
      const failed = buildEthereumResponse(s, { ...SAMPLE_FACTS, status: 0, contractAddress: null, logs: [] }, { seqno: 1, sigSeqno: 2 });
      assert.deepEqual(failed.response.receipt.proof, []);
      const proven = verifyEthereumReceipt(failed.response, s.serviceCert);
      assert.equal(proven.status, 'failed');
      assert.equal(proven.contractAddress, null);
      assert.deepEqual([proven.logs, proven.withheldLogs], [[], 0]);
      const all = verifyEthereumReceipt(buildEthereumResponse(s, { ...SAMPLE_FACTS, logs: SAMPLE_FACTS.logs.map((l) => ({ ...l, shown: true })) }).response, s.serviceCert);
      assert.deepEqual([all.logs.map((l) => l.index), all.withheldLogs], [[0, 1, 2], 0]);
      const none = verifyEthereumReceipt(buildEthereumResponse(s, { ...SAMPLE_FACTS, logs: SAMPLE_FACTS.logs.map((l) => ({ ...l, shown: false })) }).response, s.serviceCert);
      assert.deepEqual([none.logs, none.withheldLogs], [[], 3]);
    });

    it('only a committed answer proves anything', () => {
      rejects(eth(null), 'response', /null/);
      rejects(eth({ status: 'pending', transactionHash: SAMPLE_FACTS.transactionHash, txid: '2.11' }), 'status', /"pending"/);
      rejects(eth({ ...response(), status: 'Committed' }), 'status');
      rejects(eth('committed'), 'response');
    });

    it('the ledger receipt inside is verified (a tampered one fails its own check)', () => {
      const r = response();
      r.receipt.leaf_components.claims_digest = flipHex(r.receipt.leaf_components.claims_digest);
      rejects(eth(r), 'signature');
      rejects(eth(made.response, other.serviceCert), 'protected_header');
      rejects(eth({ ...response(), receipt: undefined }), 'receipt');
    });

    it('txid and transactionHash of the answer are the proven ones', () => {
      rejects(eth({ ...response(), txid: '2.12' }), 'txid', /txid is "2\.12", the receipt proves 2\.11/);
      rejects(eth({ ...response(), transactionHash: '0x' + 'ab'.repeat(32) }), 'transactionHash', /the proven claims are for/);
      rejects(eth({ ...response(), transactionHash: 'ab'.repeat(32) }), 'transactionHash', /not 0x-prefixed/);
    });

    it('every claims field, altered, no longer hashes to the proven claims digest', () => {
      const alter = (change: (c: ReturnType<typeof response>['claims']) => void, what: string) => {
        const r = response();
        change(r.claims);
        rejects(eth(r), 'claims_digest', /the claims hash to [0-9a-f]{64}, the receipt proves claims digest/, what);
      };
      alter((c) => (c.transactionHash = '0x' + 'ab'.repeat(32)), 'transactionHash');
      alter((c) => (c.from = '0x' + '12'.repeat(20)), 'from');
      alter((c) => (c.status = '0x0'), 'status');
      alter((c) => (c.gasUsed = '0xcc76'), 'gasUsed');
      alter((c) => (c.contractAddress = '0x' + 'c1'.repeat(20)), 'contractAddress');
      alter((c) => (c.contractAddress = null), 'contractAddress null');
      type ShownLog = { salt: string; address: string; topics: string[]; data: string };
      for (const i of [0, 2]) {
        alter((c) => ((c.logs[i] as ShownLog).salt = flipHex((c.logs[i] as ShownLog).salt)), `logs[${i}].salt`);
        alter((c) => ((c.logs[i] as ShownLog).address = '0x' + 'c2'.repeat(20)), `logs[${i}].address`);
        alter((c) => (c.logs[i] as ShownLog).topics.push('0x' + '33'.repeat(32)), `logs[${i}] topic added`);
        alter((c) => ((c.logs[i] as ShownLog).data = (c.logs[i] as ShownLog).data + '00'), `logs[${i}].data`);
      }
      alter((c) => ((c.logs[0] as ShownLog).topics[1] = flipHex((c.logs[0] as ShownLog).topics[1]!)), 'logs[0].topics[1]');
      alter((c) => (c.logs[0] as ShownLog).topics.pop(), 'logs[0] topic dropped');
      alter((c) => ((c.logs[1] as { leaf: string }).leaf = flipHex((c.logs[1] as { leaf: string }).leaf)), 'hidden leaf');
      alter((c) => c.logs.pop(), 'a log dropped');
      alter((c) => c.logs.reverse(), 'logs reordered');
      alter((c) => (c.logs[0] = { leaf: '0x' + '44'.repeat(32) }), 'a shown log turned into a wrong leaf');
    });

    it('a shown log withheld (its true leaf) while the Ethereum receipt still shows it', () => {
      const r = response();
      r.claims.logs[0] = { leaf: '0x' + H(made.salts[0]!, ...[]).toString('hex') };
      const log = SAMPLE_FACTS.logs[0]!;
      const bytes = (hex: string) => Buffer.from(hex.slice(2), 'hex');
      r.claims.logs[0] = { leaf: '0x' + H(made.salts[0]!, bytes(log.address), Buffer.from([log.topics.length]), ...log.topics.map(bytes), bytes(log.data)).toString('hex') };
      rejects(eth(r), 'ethereumReceipt', /shows 2 logs, the proven claims show 1/);
      // ...and with the Ethereum receipt agreeing, it is a valid, more private, answer.
      r.ethereumReceipt.logs.shift();
      assert.equal(verifyEthereumReceipt(r, s.serviceCert).withheldLogs, 2);
    });

    it('malformed claims are named', () => {
      const cases: [string, (c: Record<string, unknown> & { logs: Record<string, unknown>[] }) => void, RegExp][] = [
        ['version 2', (c) => (c.version = 2), /claims\.version is 2/],
        ['version as text', (c) => (c.version = '1'), /claims\.version is "1"/],
        ['status 0x2', (c) => (c.status = '0x2'), /claims\.status/],
        ['status 0x01', (c) => (c.status = '0x01'), /claims\.status/],
        ['gasUsed with a leading zero', (c) => (c.gasUsed = '0x0cc75'), /claims\.gasUsed is not a 0x quantity/],
        ['gasUsed beyond 256 bits', (c) => (c.gasUsed = '0x1' + '0'.repeat(64)), /256 bits/],
        ['from of 19 bytes', (c) => (c.from = '0x' + '11'.repeat(19)), /claims\.from is 19 bytes, not 20/],
        ['transactionHash without 0x', (c) => (c.transactionHash = 'ab'.repeat(32)), /claims\.transactionHash is not 0x-prefixed/],
        ['contractAddress missing', (c) => delete c.contractAddress, /claims\.contractAddress/],
        ['logs not a list', (c) => (c.logs = {} as never), /claims\.logs is not a list/],
        ['a log with a leaf and content', (c) => (c.logs[0]!.leaf = '0x' + '44'.repeat(32)), /claims\.logs\[0\] has fields/],
        ['a log with an extra field', (c) => (c.logs[0]!.logIndex = '0x0'), /claims\.logs\[0\] has fields/],
        ['a log without salt', (c) => delete c.logs[0]!.salt, /claims\.logs\[0\] has fields/],
        ['five topics', (c) => (c.logs[0]!.topics = Array(5).fill('0x' + '00'.repeat(32))), /at most 4/],
        ['a topic of 31 bytes', (c) => ((c.logs[0]!.topics as string[])[0] = '0x' + '00'.repeat(31)), /topics\[0\] is 31 bytes/],
        ['odd-length data', (c) => (c.logs[0]!.data = '0x1'), /logs\[0\]\.data is not 0x-prefixed hex bytes/],
        ['a leaf of 31 bytes', (c) => (c.logs[1]!.leaf = '0x' + '00'.repeat(31)), /logs\[1\]\.leaf is 31 bytes/],
      ];
      for (const [what, change, message] of cases) {
        const r = response();
        change(r.claims as never);
        rejects(eth(r), 'claims', message, what);
      }
      rejects(eth({ ...response(), claims: null }), 'claims', /not an object/);
    });

    it('an Ethereum receipt that says something else than the proven claims is rejected', () => {
      type Eth = Record<string, unknown> & { logs: Record<string, unknown>[] };
      const cases: [string, (e: Eth) => void, RegExp][] = [
        ['transactionHash', (e) => (e.transactionHash = '0x' + 'ab'.repeat(32)), /ethereumReceipt\.transactionHash is 0xabab/],
        ['from', (e) => (e.from = '0x' + '12'.repeat(20)), /ethereumReceipt\.from/],
        ['status', (e) => (e.status = '0x0'), /ethereumReceipt\.status is 0x0, the proven claims say 0x1/],
        ['gasUsed', (e) => (e.gasUsed = '0x1'), /ethereumReceipt\.gasUsed is 1, the proven claims say 52341/],
        ['contractAddress', (e) => (e.contractAddress = '0x' + 'c1'.repeat(20)), /ethereumReceipt\.contractAddress/],
        ['contractAddress null', (e) => (e.contractAddress = null), /ethereumReceipt\.contractAddress/],
        ['ledgerTxid', (e) => (e.ledgerTxid = '2.12'), /ethereumReceipt\.ledgerTxid is "2\.12", the receipt is for 2\.11/],
        ['a log more', (e) => e.logs.push({ ...e.logs[0]! }), /shows 3 logs, the proven claims show 2/],
        ['a log fewer', (e) => e.logs.pop(), /shows 1 logs/],
        ['logs swapped', (e) => e.logs.reverse(), /logs\[0\]\.address/],
        ['a log address', (e) => (e.logs[1]!.address = '0x' + 'c0'.repeat(20)), /logs\[1\]\.address/],
        ['a log topic', (e) => ((e.logs[0]!.topics as string[])[0] = '0x' + '55'.repeat(32)), /logs\[0\]\.topics\[0\]/],
        ['a log topic more', (e) => (e.logs[1]!.topics = ['0x' + '55'.repeat(32)]), /logs\[1\]\.topics are not the 0/],
        ['a log data', (e) => (e.logs[0]!.data = '0x2b'), /logs\[0\]\.data/],
        ['logs missing', (e) => delete (e as Partial<Eth>).logs, /ethereumReceipt\.logs is not a list/],
        ['status missing', (e) => delete e.status, /ethereumReceipt\.status is not a 0x quantity/],
      ];
      for (const [what, change, message] of cases) {
        const r = response();
        change(r.ethereumReceipt as never);
        rejects(eth(r), 'ethereumReceipt', message, what);
      }
      rejects(eth({ ...response(), ethereumReceipt: null }), 'ethereumReceipt', /not an object/);
      // A contract the claims do not have.
      const none = buildEthereumResponse(s, { ...SAMPLE_FACTS, contractAddress: null });
      none.response.ethereumReceipt.contractAddress = '0x' + 'c0'.repeat(20);
      rejects(eth(none.response), 'ethereumReceipt', /contractAddress is set, the proven claims say no contract/);
      // Case is not content: an address in checksum case is the same address.
      const upper = response();
      upper.ethereumReceipt.from = '0x' + upper.ethereumReceipt.from.slice(2).toUpperCase();
      verifyEthereumReceipt(upper, s.serviceCert);
    });
  });
});
