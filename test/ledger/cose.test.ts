// The service's COSE signature over each signed root, and COSE receipts (CCF profile of
// the COSE receipts drafts): checked label by label with a plain CBOR decoder and a
// Sig_structure rebuilt by hand, so a mistake shared by encoder and verifier shows.
import { strict as assert } from 'node:assert';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { decode, encode } from 'cborg';
import { generateKeyPair, signDataP1363 } from '../../core/crypto/keys.js';
import { DataDir } from '../../core/host/data-dir.js';
import { virtualSealer } from '../../core/host/virtual-platform.js';
import { rawMap } from '../../core/kv/map-def.js';
import type { TxID } from '../../core/kv/txid.js';
import { decodeProtectedHeader, encodeProtectedHeader, sigStructure, signRoot } from '../../core/ledger/cose.js';
import { coseReceipt, verifyCoseReceipt } from '../../core/ledger/cose-receipt.js';
import { ReceiptError, verifyReceipt, type Receipt } from '../../core/ledger/receipt.js';
import { loadIdentity, type NodeIdentity } from '../../core/node/identity.js';
import { Node } from '../../core/node/node.js';
import { utf8 } from '../../core/util/bytes.js';
import { tempDirs } from '../support/tmpdir.js';

const records = rawMap('public:records');
const sha256 = (...parts: Uint8Array[]) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest());
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const clone = (r: Receipt): Receipt => JSON.parse(JSON.stringify(r)) as Receipt;
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** CBOR byte string head + bytes, written by hand (RFC 8949 major type 2). */
function bstr(b: Uint8Array): Buffer {
  const n = b.length;
  const head = n < 24 ? [0x40 + n] : n < 256 ? [0x58, n] : [0x59, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from(head), b]);
}

/** ["Signature1", protected, h'', root] as RFC 9052 §4.4 spells it, byte by byte. */
function sigStructureByHand(protectedHeader: Uint8Array, root: Uint8Array): Buffer {
  assert.equal(root.length, 32);
  return Buffer.concat([Buffer.from([0x84, 0x6a]), Buffer.from('Signature1', 'ascii'), bstr(protectedHeader), Buffer.from([0x40, 0x58, 0x20]), root]);
}

const plainDecode = (bytes: Uint8Array) =>
  decode(bytes, { useMaps: true, tags: Object.assign([], { 18: (inner: unknown) => ({ tag: 18, inner }) }) }) as unknown;

describe('ledger / COSE service signatures and receipts', function () {
  const dirs = tempDirs();
  let node: Node;
  let serviceCert: string;
  let otherServiceCert: string;
  let identity: NodeIdentity;
  const receipts: Receipt[] = [];

  before(async () => {
    const dataDir = await dirs.make('cose');
    node = await Node.create({ dataDir, signatures: { transactions: 5, milliseconds: 5 } });
    const txids: TxID[] = [];
    for (let i = 0; i < 23; i++) {
      const { txid } = await node.transact((tx) => {
        tx.map(records).set(utf8(`k${i}`), utf8(`v${i}`));
        if (i % 2) tx.setClaimsDigest(sha256(utf8(`claims ${i}`)));
      });
      txids.push(txid!);
    }
    await node.waitCommitted(txids.at(-1)!);
    for (const txid of txids) receipts.push((await node.receipt(txid))!);
    serviceCert = node.serviceCertificate;
    await node.stop();
    const dir = new DataDir(dataDir);
    identity = (await loadIdentity(dir, await virtualSealer(dir)))!;
    const other = await Node.create({ dataDir: await dirs.make('cose-other') });
    otherServiceCert = other.serviceCertificate;
    await other.stop();
  });

  after(() => dirs.cleanup());

  /** A receipt whose proof has siblings on both sides and claims set. */
  const sample = () => receipts.find((r) => r.proof.some((s) => 'left' in s) && r.proof.some((s) => 'right' in s) && !/^0+$/.test(r.leaf_components.claims_digest))!;

  describe('the protected header', () => {
    it('is exactly {1: -7, 4: kid, 395: 2, 15: {6: iat}, "ccf.v1": {"txid"}} in that order', () => {
      const servicePublic = new X509Certificate(serviceCert).publicKey;
      const kid = hex(sha256(servicePublic.export({ format: 'der', type: 'spki' })));
      for (const r of receipts) {
        const bytes = Buffer.from(r.service_signature.protected, 'base64');
        // map(5), 1: -7, 4: bstr(64) — the fixed start, byte for byte
        assert.deepEqual([...bytes.subarray(0, 5)], [0xa5, 0x01, 0x26, 0x04, 0x58]);
        const h = plainDecode(bytes) as Map<unknown, unknown>;
        assert.deepEqual([...h.keys()], [1, 4, 395, 15, 'ccf.v1']);
        assert.equal(h.get(1), -7);
        assert.equal(Buffer.from(h.get(4) as Uint8Array).toString('utf8'), kid);
        assert.equal(h.get(395), 2);
        const cwt = h.get(15) as Map<unknown, unknown>;
        assert.deepEqual([...cwt.keys()], [6]);
        const iat = cwt.get(6) as number;
        assert.ok(Number.isInteger(iat) && Math.abs(iat - Date.now() / 1000) < 600, `iat ${iat} is about now`);
        const ccf = h.get('ccf.v1') as Map<unknown, unknown>;
        assert.deepEqual([...ccf.entries()], [['txid', r.signature_txid]]);
        // ...and the encoder writes the same bytes back.
        assert.equal(hex(encodeProtectedHeader(decodeProtectedHeader(bytes))), hex(bytes));
      }
    });

    it('decoding refuses anything but that exact map in its one encoding', () => {
      const good = encodeProtectedHeader({ kid: 'ab'.repeat(32), iat: 1_700_000_000, txid: '2.15' });
      const kid = utf8('ab'.repeat(32));
      const build = (entries: [unknown, unknown][]) => encode(new Map(entries), { mapSorter: () => 0 });
      const parts = (): [unknown, unknown][] => [
        [1, -7],
        [4, kid],
        [395, 2],
        [15, new Map([[6, 1_700_000_000]])],
        ['ccf.v1', new Map([['txid', '2.15']])],
      ];
      assert.equal(hex(build(parts())), hex(good), 'the test builds the same bytes');
      // iat 1700000000 as a float64 (fb ...) decodes to the same number: only the
      // one-encoding rule refuses it.
      const iatAt = Buffer.from(good).indexOf(Buffer.from([0x0f, 0xa1, 0x06, 0x1a])) + 3;
      const float = Buffer.alloc(9);
      float[0] = 0xfb;
      float.writeDoubleBE(1_700_000_000, 1);
      const floatIat = Buffer.concat([good.subarray(0, iatAt), float, good.subarray(iatAt + 5)]);
      const cases: [string, Uint8Array, RegExp][] = [
        ['iat as an integral float64', floatIat, /not deterministically encoded/],
        ['RFC 8949 sorted order (15 before 395)', build([parts()[0]!, parts()[1]!, parts()[3]!, parts()[2]!, parts()[4]!]), /exactly the keys/],
        ['an extra key', build([...parts(), [33, new Uint8Array(0)]]), /exactly the keys/],
        ['a missing key', build(parts().slice(0, 4)), /exactly the keys/],
        ['alg ES384', build(parts().map(([k, v]) => [k, k === 1 ? -35 : v])), /alg is not ES256/],
        ['kid as text', build(parts().map(([k, v]) => [k, k === 4 ? 'ab'.repeat(32) : v])), /kid/],
        ['vds 1', build(parts().map(([k, v]) => [k, k === 395 ? 1 : v])), /verifiable data structure/],
        ['iat a float', build(parts().map(([k, v]) => [k, k === 15 ? new Map([[6, 1.5]]) : v])), /iat/],
        ['iat negative', build(parts().map(([k, v]) => [k, k === 15 ? new Map([[6, -1]]) : v])), /iat/],
        ['a CWT claim besides iat', build(parts().map(([k, v]) => [k, k === 15 ? new Map<number, unknown>([[6, 1], [1, 'issuer']]) : v])), /CWT claims must have exactly/],
        ['txid not view.seqno', build(parts().map(([k, v]) => [k, k === 'ccf.v1' ? new Map([['txid', '2-15']]) : v])), /txid is not view.seqno/],
        ['a non-shortest integer (alg as 0x38 0x06)', Buffer.concat([Buffer.from([0xa5, 0x01, 0x38, 0x06]), good.subarray(3)]), /not CBOR|not deterministically encoded/],
        ['a trailing byte', Buffer.concat([good, Buffer.from([0])]), /not CBOR/],
        ['not a map', encode([1, 2]), /not a map/],
        ['garbage', Buffer.from([0xff, 0x00]), /not CBOR/],
      ];
      for (const [what, bytes, reason] of cases) {
        assert.throws(() => decodeProtectedHeader(bytes), reason, what);
      }
    });
  });

  it('the service signature in a receipt verifies with node:crypto over a Sig_structure built by hand', () => {
    const key = new X509Certificate(serviceCert).publicKey;
    for (const r of receipts) {
      const root = verifyReceipt(r, serviceCert).root;
      const protectedHeader = Buffer.from(r.service_signature.protected, 'base64');
      const signature = Buffer.from(r.service_signature.signature, 'base64');
      assert.equal(signature.length, 64);
      const signed = sigStructureByHand(protectedHeader, root);
      assert.equal(hex(sigStructure(protectedHeader, root)), hex(signed));
      assert.ok(verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature), `receipt ${r.txid}`);
    }
  });

  describe('COSE receipt', () => {
    it('is a COSE_Sign1 (tag 18) of the shape the CCF profile gives, label by label', () => {
      for (const r of receipts) {
        const bytes = coseReceipt(r);
        assert.equal(bytes[0], 0xd2, 'tag 18');
        const { tag, inner } = plainDecode(bytes) as { tag: number; inner: unknown[] };
        assert.equal(tag, 18);
        assert.ok(Array.isArray(inner) && inner.length === 4);
        const [protectedHeader, unprotected, payload, signature] = inner as [Uint8Array, Map<unknown, unknown>, unknown, Uint8Array];
        assert.equal(b64(protectedHeader), r.service_signature.protected);
        assert.equal(payload, null, 'detached payload');
        assert.ok(signature instanceof Uint8Array && signature.length === 64);
        assert.equal(b64(signature), r.service_signature.signature);
        assert.deepEqual([...unprotected.keys()], [396]);
        const vdp = unprotected.get(396) as Map<unknown, unknown>;
        assert.deepEqual([...vdp.keys()], [-1]);
        const proofs = vdp.get(-1) as unknown[];
        assert.ok(Array.isArray(proofs) && proofs.length === 1 && proofs[0] instanceof Uint8Array);
        const proof = plainDecode(proofs[0] as Uint8Array) as Map<unknown, unknown>;
        assert.deepEqual([...proof.keys()], [1, 2]);
        const leaf = proof.get(1) as unknown[];
        assert.equal(leaf.length, 3);
        assert.ok(leaf[0] instanceof Uint8Array && leaf[0].length === 32);
        assert.equal(hex(leaf[0]), r.leaf_components.write_set_digest);
        assert.equal(leaf[1], r.leaf_components.commit_evidence);
        assert.ok(leaf[2] instanceof Uint8Array && leaf[2].length === 32);
        assert.equal(hex(leaf[2]), r.leaf_components.claims_digest);
        const path = proof.get(2) as [boolean, Uint8Array][];
        assert.equal(path.length, r.proof.length);
        path.forEach((step, i) => {
          assert.ok(Array.isArray(step) && step.length === 2 && typeof step[0] === 'boolean');
          assert.ok(step[1] instanceof Uint8Array && step[1].length === 32);
          const json = r.proof[i]!;
          assert.deepEqual(step[0] ? { left: hex(step[1]) } : { right: hex(step[1]) }, json);
        });
        // The draft's algorithm, by hand: root from the proof, then ES256 over Sig_structure.
        let h = sha256(leaf[0], sha256(utf8(leaf[1] as string)), leaf[2]);
        for (const [left, sibling] of path) h = left ? sha256(sibling, h) : sha256(h, sibling);
        const key = new X509Certificate(serviceCert).publicKey;
        assert.ok(verify('sha256', sigStructureByHand(protectedHeader, h), { key, dsaEncoding: 'ieee-p1363' }, signature));
      }
    });

    it('verifyCoseReceipt returns what it proves, the same as the JSON receipt', () => {
      for (const r of receipts) {
        const proven = verifyCoseReceipt(coseReceipt(r), serviceCert);
        assert.equal(proven.txid, r.txid);
        assert.equal(proven.signatureTxid, r.signature_txid);
        assert.equal(hex(proven.root), hex(verifyReceipt(r, serviceCert).root));
        assert.equal(hex(proven.claimsDigest), r.leaf_components.claims_digest);
      }
    });

    it('is refused when altered: header, signature, proof, another service key, a header naming another txid', () => {
      const r = sample();
      const refuse = (bytes: Uint8Array, reason: RegExp, what: string, cert = serviceCert) =>
        assert.throws(() => verifyCoseReceipt(bytes, cert), (e: unknown) => e instanceof ReceiptError && reason.test(e.message), what);

      const header = decodeProtectedHeader(Buffer.from(r.service_signature.protected, 'base64'));
      const otherIat = clone(r);
      otherIat.service_signature.protected = b64(encodeProtectedHeader({ ...header, iat: header.iat + 1 }));
      refuse(coseReceipt(otherIat), /service signature does not verify/, 'altered protected header');

      const sig = Buffer.from(r.service_signature.signature, 'base64');
      sig[3]! ^= 1;
      const badSig = clone(r);
      badSig.service_signature.signature = b64(sig);
      refuse(coseReceipt(badSig), /service signature does not verify/, 'altered signature');

      const badPath = clone(r);
      const step = badPath.proof[0]!;
      badPath.proof[0] = 'left' in step ? { right: step.left } : { left: step.right };
      refuse(coseReceipt(badPath), /service signature does not verify/, 'a proof step on the wrong side');

      const claims = clone(r);
      claims.leaf_components.claims_digest = '00'.repeat(32);
      refuse(coseReceipt(claims), /service signature does not verify/, 'other claims');

      refuse(coseReceipt(r), /kid is not the service key/, "checked against another service's certificate", otherServiceCert);

      const root = verifyReceipt(r, serviceCert).root;
      const [view, seqno] = r.signature_txid.split('.').map(Number) as [number, number];
      const later = signRoot(identity.serviceKey, `${view}.${seqno + 5}`, root);
      const renamed = clone(r);
      renamed.service_signature = { protected: b64(later.protectedHeader), signature: b64(later.signature) };
      // Validly signed by the service, but it is not what the ledger says: the JSON
      // receipt names the signature txid and refuses it...
      assert.throws(() => verifyReceipt(renamed, serviceCert), /COSE protected header names txid/);
      // ...the COSE receipt carries the txid in the header alone, so it proves that one.
      assert.equal(verifyCoseReceipt(coseReceipt(renamed), serviceCert).signatureTxid, `${view}.${seqno + 5}`);
      // A header naming a signature before the transaction is refused.
      const before = signRoot(identity.serviceKey, `${view}.${Number(r.txid.split('.')[1])}`, root);
      const early = clone(r);
      early.service_signature = { protected: b64(before.protectedHeader), signature: b64(before.signature) };
      refuse(coseReceipt(early), /is not before the signature/, 'signature txid not after the transaction');

      const protectedHeader = Buffer.from(r.service_signature.protected, 'base64');
      const foreign = clone(r);
      foreign.service_signature.signature = b64(signDataP1363(generateKeyPair(), sigStructure(protectedHeader, root)));
      refuse(coseReceipt(foreign), /service signature does not verify/, "another key's signature under this service's kid");
    });

    it('is refused when it is not exactly the specified structure', () => {
      const r = sample();
      const good = coseReceipt(r);
      const { inner } = plainDecode(good) as { inner: unknown[] };
      const [p, u, , s] = inner as [Uint8Array, Map<number, Map<number, Uint8Array[]>>, null, Uint8Array];
      const sign1 = (parts: unknown[]) => Buffer.concat([Buffer.from([0xd2]), encode(parts, { mapSorter: () => 0 })]);
      const proofBytes = u.get(396)!.get(-1)![0]!;
      const proof = plainDecode(proofBytes) as Map<number, unknown>;
      const withProof = (m: Map<number, unknown>) => new Map([[396, new Map([[-1, [encode(m, { mapSorter: () => 0 })]]])]]);
      assert.equal(hex(sign1([p, withProof(proof), null, s])), hex(good), 'the test rebuilds the same bytes');
      const cases: [string, Uint8Array, RegExp][] = [
        ['no tag', good.subarray(1), /tag 18/],
        ['tag 98 (COSE_Sign)', Buffer.concat([Buffer.from([0xd8, 0x62]), good.subarray(1)]), /tag 18/],
        ['attached payload', sign1([p, u, verifyReceipt(r, serviceCert).root, s]), /payload is not detached/],
        ['three elements', sign1([p, u, null]), /4-element array/],
        ['an extra unprotected label', sign1([p, new Map<number, unknown>([...u, [4, new Uint8Array(1)]]), null, s]), /unprotected header must have exactly/],
        ['two inclusion proofs', sign1([p, new Map([[396, new Map([[-1, [proofBytes, proofBytes]]])]]), null, s]), /list of one byte string/],
        ['a consistency proof label (-2)', sign1([p, new Map([[396, new Map([[-2, [proofBytes]]])]]), null, s]), /verifiable data proofs must have exactly/],
        ['proof keys swapped', sign1([p, withProof(new Map([[2, proof.get(2)], [1, proof.get(1)]])), null, s]), /inclusion proof must have exactly/],
        ['leaf digest 31 bytes', sign1([p, withProof(new Map([[1, [(proof.get(1) as Uint8Array[])[0]!.subarray(1), ...(proof.get(1) as unknown[]).slice(1)]], [2, proof.get(2)]])), null, s]), /leaf is not/],
        ['path step as a map', sign1([p, withProof(new Map([[1, proof.get(1)], [2, [new Map([[1, true]])]]])), null, s]), /path\[0\] is not/],
        ['path side as an integer', sign1([p, withProof(new Map([[1, proof.get(1)], [2, (proof.get(2) as [boolean, Uint8Array][]).map(([l, h]) => [l ? 1 : 0, h])]])), null, s]), /path\[0\] is not/],
        ['protected header as a map, not a bstr', sign1([plainDecode(p), u, null, s]), /not a byte string/],
        ['signature 63 bytes', sign1([p, u, null, s.subarray(1)]), /service signature does not verify/],
        ['a non-shortest array head', Buffer.concat([Buffer.from([0xd2, 0x98, 0x04]), good.subarray(2)]), /not deterministically encoded|not CBOR/],
        ['a trailing byte', Buffer.concat([good, Buffer.from([0])]), /not CBOR/],
        ['garbage', Buffer.from([0xd2, 0xff]), /not CBOR/],
      ];
      for (const [what, bytes, reason] of cases) {
        assert.throws(() => verifyCoseReceipt(bytes, serviceCert), (e: unknown) => e instanceof ReceiptError && reason.test(e.message), what);
      }
    });

    it('is not made from a malformed JSON receipt', () => {
      const r = sample();
      for (const bad of [{ ...r, proof: 'x' }, { ...r, service_signature: undefined }, { ...r, leaf_components: { ...r.leaf_components, claims_digest: 'zz' } }, null]) {
        assert.throws(() => coseReceipt(bad as unknown as Receipt), ReceiptError);
      }
    });
  });
});
