// Issue 11's "done when", against a real node process: receipts for 1,000 Ethereum
// transactions fetched over JSON-RPC verify offline (the node:crypto-only verifier, and
// the COSE form through core's verifier) and on another EVM (contracts/ReceiptVerifier.sol
// on Hardhat's in-process Osaka network, which has P256VERIFY); a non-party cannot fetch a
// private transaction's receipt (it looks unknown); the exported ledger audits with the
// ledger secrets, every Ethereum transaction's claims re-derived; `ccevm verify-receipt`
// proves a fetched answer. Rates are printed by `npm run bench:receipts`, not asserted.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interface, Wallet } from 'ethers';
import { signIn } from '../../cli/sign-in.js';
import { verifyCoseReceipt } from '../../core/ledger/cose-receipt.js';
import { toHex } from '../../core/util/bytes.js';
import { verifyEthereumReceipt } from '../../evm-adapter/receipts/verify-receipt.js';
import { HardhatNetwork, hardhatProvider, type BoundContract } from '../hardhat/network.js';
import { runCli } from '../support/cli.js';
import { contractInterface, deployData, ensureContractsCompiled, loadArtifact } from '../support/contracts.js';
import { voteUserIn } from '../support/dev-member.js';
import { ledgerSecretsFile, unsealLedgerSecrets } from '../support/ledger-secrets.js';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';
import { receiptCalldata } from '../support/receipt-calldata.js';
import { CHAIN_ID } from './helpers.js';

const TRANSACTIONS = 1_000;
const BATCH = 100;
const token = contractInterface('Token');

describe('e2e: verifiable history — 1,000 ledger receipts verified offline and on another chain', function () {
  this.timeout(240_000);
  let node: NodeProcess;
  let serviceCert: string;
  const work = mkdtempSync(join(tmpdir(), 'ccevm-history-'));
  const [deployer, poor] = DEV_KEYS.map((k) => new Wallet(k)) as [Wallet, Wallet];
  const hashes: string[] = [];
  const answers: any[] = [];
  let privateTransfer: string;

  async function batch(calls: [string, unknown[]][], url = node.url): Promise<any[]> {
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(calls.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params }))) });
    const replies = (await res.json()) as { id: number; result?: unknown; error?: { message: string } }[];
    return replies.sort((a, b) => a.id - b.id).map((r) => {
      if (r.error) throw new Error(`${calls[r.id]![0]}: ${r.error.message}`);
      return r.result;
    });
  }

  const sign = (wallet: Wallet, nonce: number, request: object) =>
    wallet.signTransaction({ type: 2, chainId: CHAIN_ID, nonce, gasLimit: 3_000_000, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 0n, ...request });

  async function deploy(wallet: Wallet, nonce: number, data: string): Promise<string> {
    const [hash] = await batch([['eth_sendRawTransaction', [await sign(wallet, nonce, { data })]]]);
    return (await node.rpc('eth_getTransactionReceipt', [hash])).contractAddress;
  }

  before(async () => {
    ensureContractsCompiled();
    node = await NodeProcess.start();
    serviceCert = readFileSync(join(node.dataDir, 'service_cert.pem'), 'utf8');
    const tokenAddress = await deploy(deployer, 0, deployData('Token', ['T', 'T', 10n ** 24n]));
    // 990 transfers that succeed (one Transfer log each) and 10 that revert (no logs, status 0).
    const raws: string[] = [];
    for (let i = 0; i < TRANSACTIONS - 10; i++) raws.push(await sign(deployer, i + 1, { to: tokenAddress, data: token.encodeFunctionData('transfer', [poor.address, 1n]) }));
    for (let i = 0; i < 10; i++) raws.push(await sign(poor, i, { to: tokenAddress, data: token.encodeFunctionData('transfer', [deployer.address, 10n ** 30n]) }));
    for (let i = 0; i < raws.length; i += BATCH) hashes.push(...(await batch(raws.slice(i, i + BATCH).map((raw) => ['eth_sendRawTransaction', [raw]]))));
    for (let i = 0; i < hashes.length; i += BATCH) answers.push(...(await batch(hashes.slice(i, i + BATCH).map((h) => ['ccevm_getLedgerReceipt', [h]]))));
    const privateToken = await deploy(deployer, TRANSACTIONS - 9, deployData('PrivateToken', ['P', 'P', 10n ** 24n, deployer.address]));
    [privateTransfer] = await batch([['eth_sendRawTransaction', [await sign(deployer, TRANSACTIONS - 8, { to: privateToken, data: token.encodeFunctionData('transfer', [poor.address, 5n]) })]]]);
  });

  after(async () => {
    await node?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('every receipt is committed and verifies offline under the service certificate: the claims are the Ethereum receipt', () => {
    assert.equal(answers.length, TRANSACTIONS);
    let failed = 0;
    answers.forEach((answer, i) => {
      assert.equal(answer.status, 'committed', hashes[i]);
      const proven = verifyEthereumReceipt(answer, serviceCert);
      assert.equal(proven.transactionHash, hashes[i]);
      assert.equal(proven.txid, answer.ethereumReceipt.ledgerTxid);
      assert.equal(proven.logs.length + proven.withheldLogs, proven.status === 'success' ? 1 : 0);
      if (proven.status === 'failed') failed++;
      const cose = verifyCoseReceipt(Buffer.from(answer.cose, 'base64'), serviceCert);
      assert.equal(cose.txid, proven.txid);
      assert.equal(toHex(cose.claimsDigest), answer.receipt.leaf_components.claims_digest);
    });
    assert.equal(failed, 10, 'the reverted transfers are proven as failed');
  });

  it('every receipt verifies through ReceiptVerifier.sol on a Hardhat network, under the key ccevm_getServiceIdentity gives', async () => {
    const identity = await node.rpc('ccevm_getServiceIdentity');
    assert.equal(identity.cert, serviceCert);
    const provider = hardhatProvider();
    const [from] = (await provider.request({ method: 'eth_accounts', params: [] })) as string[];
    const network = new HardhatNetwork(provider, from!);
    const { address } = await network.deploy('ReceiptVerifier', [identity.publicKey.x, identity.publicKey.y]);
    const verifier: BoundContract = network.bind(new Interface(loadArtifact('ReceiptVerifier').abi), address);
    for (const answer of answers) {
      const { receipt, claims } = receiptCalldata(answer);
      const [view, seqno] = await verifier.call('verify', [receipt, claims]);
      assert.equal(`${view}.${seqno}`, answer.txid);
    }
    // The same receipt with the result changed does not verify on chain.
    const { receipt, claims } = receiptCalldata(answers[0]);
    await verifier.revertData('verify', [receipt, { ...claims, success: !claims.success }]);
  });

  it("a non-party cannot fetch a private transaction's receipt: it looks exactly like an unknown one", async () => {
    const stranger = Wallet.createRandom();
    await voteUserIn(node.url, node.dataDir, stranger.address, []);
    const session = await signIn(node.url, stranger);
    const unknown = `0x${'ab'.repeat(32)}`;
    const [refused, missing] = await batch([['ccevm_getLedgerReceipt', [privateTransfer]], ['ccevm_getLedgerReceipt', [unknown]]], session.url);
    assert.equal(refused, null);
    assert.equal(missing, null);
    // The sender (a dev account: the development service reads anonymous calls as the dev accounts) gets it.
    const party = await node.rpc('ccevm_getLedgerReceipt', [privateTransfer]);
    assert.equal(verifyEthereumReceipt(party, serviceCert).status, 'success');
  });

  it('`ccevm verify-receipt` proves a fetched answer and rejects it altered', async () => {
    const file = join(work, 'answer.json');
    writeFileSync(file, JSON.stringify(answers[1]));
    const ok = await runCli(['verify-receipt', file, '--service-cert', join(node.dataDir, 'service_cert.pem')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(ok.stdout.includes(hashes[1]!), ok.stdout);
    writeFileSync(file, JSON.stringify({ ...answers[1], claims: { ...answers[1].claims, gasUsed: '0x1' } }));
    const bad = await runCli(['verify-receipt', file, '--service-cert', join(node.dataDir, 'service_cert.pem')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /receipt rejected/);
  });

  it('the exported ledger audits, with the ledger secrets re-deriving every Ethereum transaction\'s claims', async () => {
    await node.stop();
    const out = join(work, 'export');
    const exported = await runCli(['export', '--data-dir', node.dataDir, '--out', out]);
    assert.equal(exported.code, 0, exported.stderr);
    const secrets = join(work, 'secrets.json');
    writeFileSync(secrets, ledgerSecretsFile(await unsealLedgerSecrets(node.dataDir)));
    const audited = await runCli(['audit', out, '--service-cert', join(node.dataDir, 'service_cert.pem'), '--ledger-secrets', secrets, '--json']);
    assert.equal(audited.code, 0, audited.stderr);
    const checked = JSON.parse(audited.stdout).ledger.ethereumTransactionsChecked as number;
    // the Token deployment, the 1,000 transfers, the PrivateToken deployment and its transfer
    assert.equal(checked, TRANSACTIONS + 3);
  });
});
