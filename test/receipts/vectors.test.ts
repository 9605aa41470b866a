// The checked-in receipt vectors (test/fixtures/receipt-vectors.json, real answers of
// ccevm_getLedgerReceipt written by scripts/receipt-vectors.ts) verify with the
// node:crypto-only verifier at the time they were made, as COSE receipts through core, and
// on chain through ReceiptVerifier.sol; what they prove is what the script states.
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Interface } from 'ethers';
import { verifyCoseReceipt } from '../../core/ledger/cose-receipt.js';
import { toHex } from '../../core/util/bytes.js';
import { verifyEthereumReceipt } from '../../evm-adapter/receipts/verify-receipt.js';
import { HardhatNetwork, hardhatProvider } from '../hardhat/network.js';
import { ensureContractsCompiled, loadArtifact } from '../support/contracts.js';
import { receiptCalldata } from '../support/receipt-calldata.js';

interface Vector {
  name: string;
  caller: string;
  expected: { status: 'success' | 'failed'; createsContract: boolean; logsShown: number; logsWithheld: number };
  answer: any;
}
const file = JSON.parse(readFileSync(new URL('../fixtures/receipt-vectors.json', import.meta.url), 'utf8')) as { verifiedAt: string; serviceCert: string; vectors: Vector[] };
const now = new Date(file.verifiedAt);

describe('receipts / checked-in vectors of real ledger receipts', function () {
  this.timeout(60_000);

  for (const v of file.vectors) {
    it(`${v.name}: proves what it states, offline and as COSE`, () => {
      const proven = verifyEthereumReceipt(v.answer, file.serviceCert, { now });
      assert.deepEqual(
        { status: proven.status, createsContract: proven.contractAddress !== null, logsShown: proven.logs.length, logsWithheld: proven.withheldLogs },
        v.expected,
      );
      assert.equal(proven.transactionHash, v.answer.transactionHash);
      const cose = verifyCoseReceipt(Buffer.from(v.answer.cose, 'base64'), file.serviceCert);
      assert.equal(cose.txid, proven.txid);
      assert.equal(toHex(cose.claimsDigest), v.answer.receipt.leaf_components.claims_digest);
    });
  }

  it('a shown and a withheld view of one transaction commit to the same claims', () => {
    const [withheld, shown] = ['transfer, its log withheld', 'the same transfer, its log shown'].map((name) => file.vectors.find((v) => v.name === name)!.answer);
    assert.equal(withheld.receipt.leaf_components.claims_digest, shown.receipt.leaf_components.claims_digest);
    assert.deepEqual(Object.keys(withheld.claims.logs[0]), ['leaf']);
  });

  it('verifies on chain through ReceiptVerifier.sol (Hardhat, Osaka: P256VERIFY)', async () => {
    ensureContractsCompiled();
    const jwk = new X509Certificate(file.serviceCert).publicKey.export({ format: 'jwk' });
    const [x, y] = [jwk.x!, jwk.y!].map((c) => `0x${Buffer.from(c, 'base64url').toString('hex')}`);
    const provider = hardhatProvider();
    const [from] = (await provider.request({ method: 'eth_accounts', params: [] })) as string[];
    const network = new HardhatNetwork(provider, from!);
    const { address } = await network.deploy('ReceiptVerifier', [x, y]);
    const verifier = network.bind(new Interface(loadArtifact('ReceiptVerifier').abi), address);
    for (const v of file.vectors) {
      const { receipt, claims } = receiptCalldata(v.answer);
      const [view, seqno] = await verifier.call('verify', [receipt, claims]);
      assert.equal(`${view}.${seqno}`, v.answer.txid, v.name);
    }
  });
});
