// ccevm_getLedgerReceipt and ccevm_getServiceIdentity on one in-process node: a ledger
// receipt proves an EVM transaction's Ethereum claims under the service certificate, is
// refused exactly as an unknown hash to who may not see the transaction, shows the logs the
// caller may not see as leaves alone, and says `pending` before a signature covers it.
import { strict as assert } from 'node:assert';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { Wallet } from 'ethers';
import { verifyCoseReceipt } from '../../core/ledger/cose-receipt.js';
import { toHex } from '../../core/util/bytes.js';
import { verifyReceipt, type Receipt } from '../../core/ledger/receipt.js';
import { ANONYMOUS, sessionCaller, type Caller } from '../../evm-adapter/access/caller.js';
import { claimsDigest, logLeaf, logsHash, CLAIMS_VERSION } from '../../evm-adapter/receipts/claims.js';
import { RECEIPTS } from '../../evm-adapter/tables.js';
import { ethMethods } from '../../rpc/methods/eth.js';
import { receiptMethods } from '../../rpc/methods/receipts.js';
import { TEST_AUDITOR } from '../support/auditor-reads.js';
import { contractInterface, deployData, ensureContractsCompiled } from '../support/contracts.js';
import { until } from '../node/helpers.js';
import { signed, startEvmNode, type EvmNode } from './helpers.js';

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex.slice(2), 'hex'));
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

type ClaimsLog = { salt: string; address: string; topics: string[]; data: string } | { leaf: string };

/** The claims digest a verifier recomputes from the claims of a ccevm_getLedgerReceipt answer. */
function recomputedDigest(claims: any): string {
  const leaves = (claims.logs as ClaimsLog[]).map((l) =>
    'leaf' in l ? bytes(l.leaf) : logLeaf(bytes(l.salt), [bytes(l.address), l.topics.map(bytes), bytes(l.data)]),
  );
  return hex(
    claimsDigest({
      transactionHash: bytes(claims.transactionHash),
      from: bytes(claims.from),
      status: Number(claims.status) as 0 | 1,
      gasUsed: BigInt(claims.gasUsed),
      contractAddress: claims.contractAddress === null ? null : bytes(claims.contractAddress),
      logsHash: logsHash(leaves),
    }),
  ).slice(2);
}

describe('evm / ledger receipts of Ethereum transactions (one node, in process)', function () {
  this.timeout(60_000);
  let n: EvmNode;
  let alice: Wallet, bob: Wallet, carol: Wallet;
  let as: Record<'anonymous' | 'alice' | 'bob' | 'carol' | 'auditor', Caller>;
  let methods: Record<string, (params: unknown, caller: Caller) => unknown>;
  let deploy: string, privateTransfer: string, spenderTransfer: string, etherTransfer: string;
  const nonces = new Map<string, number>();
  const token = contractInterface('PrivateToken');
  const rpc = (caller: Caller, method: string, ...params: unknown[]) => Promise.resolve(methods[method]!(params, caller)) as Promise<any>;

  async function sign(wallet: Wallet, request: { to?: string; data?: string; value?: bigint }) {
    const nonce = nonces.get(wallet.address) ?? 0;
    nonces.set(wallet.address, nonce + 1);
    return signed(wallet, { nonce, gasLimit: 3_000_000n, ...request });
  }

  async function send(wallet: Wallet, request: { to?: string; data?: string; value?: bigint }): Promise<string> {
    const tx = await sign(wallet, request);
    await n.send(tx.raw);
    return hex(tx.hash);
  }

  before(async () => {
    ensureContractsCompiled();
    n = await startEvmNode();
    methods = { ...ethMethods(n.evm, n.send), ...receiptMethods(n.node, n.evm) };
    [alice, bob, carol] = n.wallets as [Wallet, Wallet, Wallet];
    as = { anonymous: ANONYMOUS, alice: sessionCaller(alice.address), bob: sessionCaller(bob.address), carol: sessionCaller(carol.address), auditor: sessionCaller(TEST_AUDITOR) };
    deploy = await send(alice, { data: deployData('PrivateToken', ['Private', 'PRV', 10n ** 24n, TEST_AUDITOR]) });
    const privateToken = (await rpc(as.auditor, 'eth_getTransactionReceipt', deploy)).contractAddress;
    privateTransfer = await send(alice, { to: privateToken, data: token.encodeFunctionData('transfer', [bob.address, 5n]) });
    await send(alice, { to: privateToken, data: token.encodeFunctionData('approve', [carol.address, 10n]) });
    // carol, the spender, sends it (and sees it); its Transfer log names alice and bob only.
    spenderTransfer = await send(carol, { to: privateToken, data: token.encodeFunctionData('transferFrom', [alice.address, bob.address, 2n]) });
    etherTransfer = await send(bob, { to: carol.address, value: 7n });
  });

  after(async () => n?.stop());

  it("proves a transaction's claims: the receipt verifies under the service certificate and commits to the claims shown", async () => {
    for (const hash of [deploy, privateTransfer, etherTransfer]) {
      const caller = hash === etherTransfer ? as.bob : as.alice;
      const answer = await rpc(caller, 'ccevm_getLedgerReceipt', hash);
      assert.equal(answer.status, 'committed');
      assert.equal(answer.transactionHash, hash);
      const receipt = answer.receipt as Receipt;
      assert.equal(verifyReceipt(receipt, n.node.serviceCertificate).txid, answer.txid);
      assert.equal(receipt.txid, answer.txid);
      const cose = verifyCoseReceipt(Buffer.from(answer.cose, 'base64'), n.node.serviceCertificate);
      assert.deepEqual([cose.txid, cose.signatureTxid, toHex(cose.claimsDigest)], [answer.txid, receipt.signature_txid, receipt.leaf_components.claims_digest], 'the COSE receipt proves the same');
      assert.equal(answer.claims.version, CLAIMS_VERSION);
      assert.equal(answer.claims.transactionHash, hash);
      assert.equal(recomputedDigest(answer.claims), receipt.leaf_components.claims_digest, `${hash}: the claims digest is the claims'`);
      const ethereum = await rpc(caller, 'eth_getTransactionReceipt', hash);
      assert.deepEqual(answer.ethereumReceipt, ethereum, 'the Ethereum receipt is eth_getTransactionReceipt');
      assert.equal(ethereum.ledgerTxid, answer.txid, 'eth_getTransactionReceipt names the ledger transaction');
      assert.equal(answer.claims.from, ethereum.from);
      assert.equal(answer.claims.status, ethereum.status);
      assert.equal(answer.claims.gasUsed, ethereum.gasUsed);
      assert.equal(answer.claims.contractAddress, ethereum.contractAddress);
    }
    const creation = await rpc(as.alice, 'ccevm_getLedgerReceipt', deploy);
    assert.match(creation.claims.contractAddress, /^0x[0-9a-f]{40}$/);
    const transfer = await rpc(as.alice, 'ccevm_getLedgerReceipt', privateTransfer);
    assert.equal(transfer.claims.logs.length, 1);
    assert.match(transfer.claims.logs[0].salt, /^0x[0-9a-f]{64}$/);
    assert.deepEqual(transfer.claims.logs[0].topics, transfer.ethereumReceipt.logs[0].topics);
    assert.deepEqual((await rpc(as.bob, 'ccevm_getLedgerReceipt', etherTransfer)).claims.logs, []);
  });

  it('draws a log salt only for a transaction with logs', () => {
    const salts = n.evm.committed((tx) => [privateTransfer, spenderTransfer, etherTransfer].map((h) => tx.map(RECEIPTS).get(bytes(h))!.logSalt));
    assert.equal(salts[0]!.length, 32);
    assert.notDeepEqual(salts[0], salts[1], 'one per transaction');
    assert.equal(salts[2], undefined, 'no logs, no salt');
  });

  it('answers null, as for an unknown hash, to a caller who may not see the transaction', async () => {
    const unknown = `0x${'ab'.repeat(32)}`;
    assert.equal(await rpc(as.alice, 'ccevm_getLedgerReceipt', unknown), null);
    for (const who of ['carol', 'anonymous'] as const) {
      assert.equal(await rpc(as[who], 'ccevm_getLedgerReceipt', privateTransfer), null, `${who}: not a party`);
      assert.equal(await rpc(as[who], 'eth_getTransactionReceipt', privateTransfer), null, `${who}: as eth_getTransactionReceipt`);
    }
    assert.ok(await rpc(as.bob, 'ccevm_getLedgerReceipt', privateTransfer), 'the recipient may see it');
    assert.ok(await rpc(as.auditor, 'ccevm_getLedgerReceipt', privateTransfer), 'the auditor may see it');
  });

  it('shows a log the caller may not see as its leaf alone, the same claims digest still proven', async () => {
    const spender = await rpc(as.carol, 'ccevm_getLedgerReceipt', spenderTransfer);
    assert.equal(spender.ethereumReceipt.logs.length, 0, 'the Transfer does not name carol');
    assert.deepEqual(Object.keys(spender.claims.logs[0]), ['leaf']);
    const recipient = await rpc(as.bob, 'ccevm_getLedgerReceipt', spenderTransfer);
    assert.equal(recipient.ethereumReceipt.logs.length, 1, 'it names bob');
    const whole = recipient.claims.logs[0];
    assert.equal(hex(logLeaf(bytes(whole.salt), [bytes(whole.address), whole.topics.map(bytes), bytes(whole.data)])), spender.claims.logs[0].leaf);
    for (const answer of [spender, recipient]) {
      assert.equal(recomputedDigest(answer.claims), answer.receipt.leaf_components.claims_digest);
      verifyReceipt(answer.receipt, n.node.serviceCertificate);
    }
  });

  it('says pending, with the ledger txid, until a committed signature covers the transaction', async () => {
    const tx = await sign(alice, { to: carol.address, value: 1n });
    const signedBefore = n.node.lastSigned;
    n.storage.hold();
    const sent = n.send(tx.raw);
    try {
      await until(() => n.node.lastSigned > signedBefore && n.storage.heldUpTo >= n.node.lastSigned, 'the transaction to execute and its signature to be written');
      const pending = await rpc(as.alice, 'ccevm_getLedgerReceipt', hex(tx.hash));
      assert.deepEqual(Object.keys(pending), ['status', 'transactionHash', 'txid']);
      assert.equal(pending.status, 'pending');
      assert.equal(pending.transactionHash, hex(tx.hash));
      assert.equal(await rpc(as.bob, 'ccevm_getLedgerReceipt', hex(tx.hash)), null, 'a third party: as unknown, pending or not');
      n.storage.release();
      await sent;
      const committed = await rpc(as.alice, 'ccevm_getLedgerReceipt', hex(tx.hash));
      assert.equal(committed.status, 'committed');
      assert.equal(committed.txid, pending.txid);
    } finally {
      n.storage.release();
    }
  });

  it('refuses a parameter that is not a 32-byte hash as invalid params', async () => {
    for (const params of [['0x1234'], [42], [], [`0x${'ab'.repeat(32)}`, 'extra']]) {
      await assert.rejects(Promise.resolve().then(() => methods.ccevm_getLedgerReceipt!(params, as.alice)), { code: -32602 }, JSON.stringify(params));
    }
  });

  it('gives the service identity receipts verify under, to anyone', async () => {
    const identity = await rpc(as.anonymous, 'ccevm_getServiceIdentity');
    assert.equal(identity.cert, n.node.serviceCertificate);
    const key = new X509Certificate(n.node.serviceCertificate).publicKey;
    const spki = key.export({ format: 'der', type: 'spki' });
    assert.equal(identity.kid, createHash('sha256').update(spki).digest('hex'));
    assert.match(identity.publicKey.x, /^0x[0-9a-f]{64}$/);
    assert.match(identity.publicKey.y, /^0x[0-9a-f]{64}$/);
    const b64url = (h: string) => Buffer.from(h.slice(2), 'hex').toString('base64url');
    const rebuilt = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(identity.publicKey.x), y: b64url(identity.publicKey.y) }, format: 'jwk' });
    assert.deepEqual(rebuilt.export({ format: 'der', type: 'spki' }), spki, 'x and y are the certificate key');
    assert.deepEqual(identity.previous, []);
    await assert.rejects(Promise.resolve().then(() => methods.ccevm_getServiceIdentity!(['x'], as.anonymous)), { code: -32602 });
  });
});
