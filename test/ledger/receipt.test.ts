// Receipts from a running node, checked by core's verifier and by the product's offline
// verifier (evm-adapter/receipts/verify-receipt.ts, written from FORMAT.md alone); every
// field is bound, and only committed transactions get one.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { rawMap } from '../../core/kv/map-def.js';
import type { TxID } from '../../core/kv/txid.js';
import { ReceiptError, verifyReceipt, type Receipt } from '../../core/ledger/receipt.js';
import { Node } from '../../core/node/node.js';
import { utf8 } from '../../core/util/bytes.js';
import { verifyLedgerReceipt, verifyReceiptEntry } from '../../evm-adapter/receipts/verify-receipt.js';
import { tempDirs } from '../support/tmpdir.js';

const accounts = rawMap('accounts'); // private: encrypted in the ledger
const records = rawMap('public:records'); // public: in clear
const sha256 = (text: string) => new Uint8Array(createHash('sha256').update(text).digest());
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const txidString = (t: TxID) => `${t.view}.${t.seqno}`;

/** Flip the last hex digit of a 64-hex string. */
const flipHex = (h: string) => h.slice(0, -1) + (h.endsWith('0') ? '1' : '0');

function coreRejects(r: unknown, serviceCert: string): boolean {
  try {
    verifyReceipt(r as Receipt, serviceCert);
    return false;
  } catch {
    return true;
  }
}

function offlineRejects(r: unknown, serviceCert: string): boolean {
  try {
    verifyLedgerReceipt(r, serviceCert);
    return false;
  } catch {
    return true;
  }
}

function assertBothReject(r: unknown, serviceCert: string, what: string): void {
  assert.ok(coreRejects(r, serviceCert), `core verifyReceipt accepted: ${what}`);
  assert.ok(offlineRejects(r, serviceCert), `offline verifier accepted: ${what}`);
}

const clone = (r: Receipt): Receipt => JSON.parse(JSON.stringify(r)) as Receipt;

describe('ledger / receipts', function () {
  const dirs = tempDirs();
  let node: Node;
  let other: Node;
  /** txid -> claims digest it set, if any */
  const txs: { txid: TxID; claims?: Uint8Array }[] = [];

  before(async () => {
    node = await Node.create({ dataDir: await dirs.make('receipts'), signatures: { transactions: 10, milliseconds: 5 } });
    other = await Node.create({ dataDir: await dirs.make('receipts-other'), signatures: { transactions: 10, milliseconds: 5 } });
    for (let i = 0; i < 120; i++) {
      const claims = i % 4 === 3 ? sha256(`claims ${i}`) : undefined;
      const { txid } = await node.transact((tx) => {
        if (i % 3 !== 1) tx.map(accounts).set(utf8(`acct ${i}`), utf8(`balance ${i}`));
        if (i % 3 !== 0) tx.map(records).set(utf8(`rec ${i}`), utf8(`value ${i}`));
        if (claims) tx.setClaimsDigest(claims);
      });
      txs.push({ txid: txid!, claims });
    }
    await node.waitCommitted(txs[txs.length - 1]!.txid);
  });

  after(async () => {
    await node?.stop();
    await other?.stop();
    await dirs.cleanup();
  });

  it('every committed transaction, signatures included, has a receipt both verifiers accept', async () => {
    assert.ok(node.lastSigned > txs[txs.length - 1]!.txid.seqno);
    let checked = 0;
    for (let seqno = 1; seqno < node.lastSigned; seqno++) {
      const txid = node.txidAt(seqno)!;
      const receipt = await node.receipt(txid);
      assert.ok(receipt, `receipt for ${txidString(txid)}`);
      const entry = await node.readEntry(seqno);
      const byCore = verifyReceipt(receipt, node.serviceCertificate);
      const offline = verifyLedgerReceipt(receipt, node.serviceCertificate);
      verifyReceiptEntry(receipt, entry.bytes);
      assert.equal(byCore.txid, txidString(txid));
      assert.equal(offline.txid, txidString(txid));
      assert.equal(offline.root, hex(byCore.root));
      // The root is the one the covering signature transaction signed.
      const sigSeqno = Number(receipt.signature_txid.split('.')[1]);
      assert.ok(sigSeqno > seqno);
      assert.equal(hex(byCore.root), hex(node.ledgerRoot(sigSeqno - 1)));
      assert.equal(receipt.node_id, node.nodeId);
      assert.equal(receipt.cert, node.nodeCertificate);
      checked++;
    }
    assert.ok(checked > 120);
  });

  it('binds the claims digest the transaction set (zero when none)', async () => {
    for (const { txid, claims } of txs) {
      const receipt = (await node.receipt(txid))!;
      assert.equal(receipt.leaf_components.claims_digest, claims ? hex(claims) : '00'.repeat(32), txidString(txid));
      assert.ok(receipt.leaf_components.commit_evidence.startsWith(`ce:${txidString(txid)}:`));
    }
  });

  it('the offline verifier binds a receipt to its exact ledger entry', async () => {
    const { txid } = txs[40]!;
    const receipt = (await node.receipt(txid))!;
    const entry = (await node.readEntry(txid.seqno)).bytes;
    verifyLedgerReceipt(receipt, node.serviceCertificate);
    verifyReceiptEntry(receipt, entry);
    const neighbour = (await node.readEntry(txid.seqno + 1)).bytes;
    assert.throws(() => verifyReceiptEntry(receipt, neighbour), /ledger entry is/);
    const altered = new Uint8Array(entry);
    altered[30]! ^= 1; // inside the public or private domain
    assert.throws(() => verifyReceiptEntry(receipt, altered), /write_set_digest/);
    const trailer = new Uint8Array(entry);
    trailer[trailer.length - 40]! ^= 1; // claims digest
    assert.throws(() => verifyReceiptEntry(receipt, trailer), /claims_digest/);
  });

  describe('tampering', () => {
    let receipt: Receipt;
    before(async () => {
      // Pick a receipt whose proof is long and has siblings on both sides.
      for (const { txid } of txs) {
        const r = (await node.receipt(txid))!;
        if (r.proof.length >= 5 && r.proof.some((s) => 'left' in s) && r.proof.some((s) => 'right' in s)) {
          receipt = r;
          break;
        }
      }
      assert.ok(receipt, 'a receipt with a long two-sided proof');
      verifyReceipt(receipt, node.serviceCertificate);
      verifyLedgerReceipt(receipt, node.serviceCertificate);
    });

    it('write_set_digest', () => {
      const r = clone(receipt);
      r.leaf_components.write_set_digest = flipHex(r.leaf_components.write_set_digest);
      assertBothReject(r, node.serviceCertificate, 'write_set_digest');
    });

    it('commit_evidence (its secret part, and the txid it names)', () => {
      const r = clone(receipt);
      r.leaf_components.commit_evidence = flipHex(r.leaf_components.commit_evidence);
      assertBothReject(r, node.serviceCertificate, 'commit_evidence hex');
      const [view, seqno] = receipt.txid.split('.').map(Number) as [number, number];
      const renamed = clone(receipt);
      renamed.leaf_components.commit_evidence = renamed.leaf_components.commit_evidence.replace(`ce:${view}.${seqno}:`, `ce:${view}.${seqno + 1}:`);
      assertBothReject(renamed, node.serviceCertificate, 'commit_evidence naming another txid');
      const txid = clone(receipt);
      txid.txid = `${view}.${seqno + 1}`;
      assertBothReject(txid, node.serviceCertificate, 'txid');
    });

    it('claims_digest', () => {
      const r = clone(receipt);
      r.leaf_components.claims_digest = flipHex(r.leaf_components.claims_digest);
      assertBothReject(r, node.serviceCertificate, 'claims_digest');
    });

    it('every proof step: its hash, its side, and dropping or adding a step', () => {
      for (let i = 0; i < receipt.proof.length; i++) {
        const step = receipt.proof[i]!;
        const r = clone(receipt);
        r.proof[i] = 'left' in step ? { left: flipHex(step.left) } : { right: flipHex(step.right) };
        assertBothReject(r, node.serviceCertificate, `proof[${i}] hash`);
        const s = clone(receipt);
        s.proof[i] = 'left' in step ? { right: step.left } : { left: step.right };
        assertBothReject(s, node.serviceCertificate, `proof[${i}] side`);
      }
      const dropped = clone(receipt);
      dropped.proof.pop();
      assertBothReject(dropped, node.serviceCertificate, 'dropped step');
      const extra = clone(receipt);
      extra.proof.push({ right: '00'.repeat(32) });
      assertBothReject(extra, node.serviceCertificate, 'extra step');
    });

    it('signature (altered, or a valid signature over another root)', async () => {
      const sig = Buffer.from(receipt.signature, 'base64');
      for (const at of [0, 5, sig.length - 1]) {
        const bad = Buffer.from(sig);
        bad[at]! ^= 1;
        const r = clone(receipt);
        r.signature = bad.toString('base64');
        assertBothReject(r, node.serviceCertificate, `signature byte ${at}`);
      }
      const earlier = (await node.receipt(txs[5]!.txid))!;
      assert.notEqual(earlier.signature_txid, receipt.signature_txid);
      const r = clone(receipt);
      r.signature = earlier.signature;
      assertBothReject(r, node.serviceCertificate, 'signature over another root');
      const empty = clone(receipt);
      empty.signature = '';
      assertBothReject(empty, node.serviceCertificate, 'empty signature');
    });

    it("cert swapped for another service's node cert (with or without its node_id)", () => {
      const r = clone(receipt);
      r.cert = other.nodeCertificate;
      assertBothReject(r, node.serviceCertificate, 'cert swapped');
      r.node_id = other.nodeId;
      assertBothReject(r, node.serviceCertificate, 'cert and node_id swapped');
      const service = clone(receipt);
      service.cert = node.serviceCertificate;
      assertBothReject(service, node.serviceCertificate, 'service certificate as node cert');
    });

    it('node_id', () => {
      const r = clone(receipt);
      r.node_id = flipHex(r.node_id);
      assertBothReject(r, node.serviceCertificate, 'node_id');
      const o = clone(receipt);
      o.node_id = other.nodeId;
      assertBothReject(o, node.serviceCertificate, "another node's id");
    });

    // Step 7 (the service signature) is checked by core alone here: the independent
    // verifier in test/support predates it.
    const coreRefuses = (r: Receipt, reason: RegExp, what: string) =>
      assert.throws(() => verifyReceipt(r, node.serviceCertificate), (e: unknown) => e instanceof ReceiptError && reason.test(e.message), what);

    it('service_signature: missing, not canonical base64, altered, or from another receipt', async () => {
      const missing = clone(receipt);
      delete (missing as Partial<Receipt>).service_signature;
      coreRefuses(missing, /service_signature missing/, 'missing');
      const padded = clone(receipt);
      padded.service_signature.signature += '=';
      coreRefuses(padded, /not canonical base64/, 'non-canonical base64');
      const header = Buffer.from(receipt.service_signature.protected, 'base64');
      for (const at of [1, 20, header.length - 1]) {
        const bad = Buffer.from(header);
        bad[at]! ^= 1;
        const r = clone(receipt);
        r.service_signature.protected = bad.toString('base64');
        coreRefuses(r, /COSE protected header|service signature does not verify/, `protected header byte ${at}`);
      }
      const sig = Buffer.from(receipt.service_signature.signature, 'base64');
      for (const at of [0, 40, sig.length - 1]) {
        const bad = Buffer.from(sig);
        bad[at]! ^= 1;
        const r = clone(receipt);
        r.service_signature.signature = bad.toString('base64');
        coreRefuses(r, /service signature does not verify/, `service signature byte ${at}`);
      }
      // Another (later) signature's service signature fails, with or without its signature_txid.
      const later = (await node.receipt(txs[txs.length - 1]!.txid))!;
      assert.notEqual(later.signature_txid, receipt.signature_txid);
      const swapped = clone(receipt);
      swapped.service_signature = later.service_signature;
      coreRefuses(swapped, /COSE protected header names txid/, "another signature's service signature");
      swapped.signature_txid = later.signature_txid;
      coreRefuses(swapped, /service signature does not verify/, "another signature's service signature and txid");
    });

    it('signature_txid is bound: the service signature names it', () => {
      const [view, seqno] = receipt.signature_txid.split('.').map(Number) as [number, number];
      const r = clone(receipt);
      r.signature_txid = `${view}.${seqno + 1}`;
      coreRefuses(r, new RegExp(`COSE protected header names txid ${view}\\.${seqno}, not the signature's ${view}\\.${seqno + 1}`), 'later signature_txid');
    });

    it('malformed receipts are rejected, not crashed on', () => {
      for (const bad of [null, 42, 'receipt', {}, { ...receipt, proof: 'x' }, { ...receipt, leaf_components: null }, { ...receipt, txid: 'x.y' }]) {
        assertBothReject(bad, node.serviceCertificate, JSON.stringify(bad)?.slice(0, 40) ?? String(bad));
      }
    });
  });

  it("a receipt checked against another service's certificate is rejected", async () => {
    const receipt = (await node.receipt(txs[10]!.txid))!;
    assertBothReject(receipt, other.serviceCertificate, 'other service');
    // ...and a genuine receipt of the other service is not accepted for this one.
    const { txid } = await other.transact((tx) => tx.map(accounts).set(utf8('x'), utf8('y')));
    await other.waitCommitted(txid!);
    const theirs = (await other.receipt(txid!))!;
    verifyReceipt(theirs, other.serviceCertificate);
    verifyLedgerReceipt(theirs, other.serviceCertificate);
    assertBothReject(theirs, node.serviceCertificate, "other service's receipt");
    // ...not even with this service's node signature: the service signature is the other's.
    const mixed = clone(receipt);
    mixed.service_signature = theirs.service_signature;
    assert.throws(() => verifyReceipt(mixed, node.serviceCertificate), /COSE protected header/);
  });

  it('there is no receipt for an unknown or uncommitted transaction', async () => {
    assert.equal(await node.receipt({ view: 1, seqno: 1_000_000 }), undefined);
    const known = txs[3]!.txid;
    assert.equal(await node.receipt({ view: known.view + 1, seqno: known.seqno }), undefined, 'right seqno, wrong view');
    // Right after commit nothing is durable yet: the node decides synchronously, before any I/O.
    const { txid } = await node.transact((tx) => tx.map(accounts).set(utf8('late'), utf8('1')));
    assert.equal(node.status(txid!), 'Pending');
    assert.equal(await node.receipt(txid!), undefined);
    await node.waitCommitted(txid!);
    assert.equal(node.status(txid!), 'Committed');
    const receipt = await node.receipt(txid!);
    assert.ok(receipt);
    verifyReceipt(receipt, node.serviceCertificate);
    verifyLedgerReceipt(receipt, node.serviceCertificate);
    verifyReceiptEntry(receipt, (await node.readEntry(txid!.seqno)).bytes);
  });
});
