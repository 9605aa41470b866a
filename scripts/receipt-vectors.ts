// Writes real ledger receipts of Ethereum transactions, as ccevm_getLedgerReceipt answers
// them, from a fresh one-node service in this process (evm-adapter/FORMAT.md documents
// the JSON):
//
//   npx tsx scripts/receipt-vectors.ts > test/fixtures/receipt-vectors.json
//
// Each vector holds the answer, the caller it was given to and what a verifier must find
// proven; `verifiedAt` is when they were made (the node certificate is valid for a year
// from then, so verifiers are told that time). test/receipts/vectors.test.ts checks them
// with evm-adapter/receipts/verify-receipt.ts, core's COSE verifier and ReceiptVerifier.sol.
import { Wallet } from 'ethers';
import { sessionCaller, type Caller } from '../evm-adapter/access/caller.js';
import { receiptMethods } from '../rpc/methods/receipts.js';
import { contractInterface, deployData, ensureContractsCompiled } from '../test/support/contracts.js';
import { TEST_AUDITOR } from '../test/support/auditor-reads.js';
import { signed, startEvmNode } from '../test/evm/helpers.js';

ensureContractsCompiled();
const n = await startEvmNode();
try {
  const [alice, bob, carol] = n.wallets as [Wallet, Wallet, Wallet];
  const token = contractInterface('PrivateToken');
  const nonces = new Map<string, number>();
  const send = async (wallet: Wallet, request: { to?: string; data?: string; value?: bigint; gasLimit?: bigint }) => {
    const nonce = nonces.get(wallet.address) ?? 0;
    nonces.set(wallet.address, nonce + 1);
    const tx = await signed(wallet, { nonce, gasLimit: 3_000_000n, ...request });
    await n.send(tx.raw);
    return `0x${Buffer.from(tx.hash).toString('hex')}`;
  };
  const methods = receiptMethods(n.node, n.evm);
  const answer = (hash: string, caller: Caller) => Promise.resolve(methods.ccevm_getLedgerReceipt!([hash], caller)) as Promise<any>;

  const deploy = await send(alice, { data: deployData('PrivateToken', ['Private', 'PRV', 10n ** 24n, TEST_AUDITOR]) });
  const tokenAddress = (await answer(deploy, sessionCaller(alice.address))).claims.contractAddress as string;
  const transfer = await send(alice, { to: tokenAddress, data: token.encodeFunctionData('transfer', [bob.address, 5n]) });
  await send(alice, { to: tokenAddress, data: token.encodeFunctionData('approve', [carol.address, 10n]) });
  const spent = await send(carol, { to: tokenAddress, data: token.encodeFunctionData('transferFrom', [alice.address, bob.address, 2n]) });
  const reverted = await send(bob, { to: tokenAddress, data: token.encodeFunctionData('transfer', [carol.address, 10n ** 30n]) });
  const ether = await send(bob, { to: carol.address, value: 7n });

  // What a verifier must find proven, stated here rather than taken from a verifier.
  type Expected = { status: 'success' | 'failed'; createsContract: boolean; logsShown: number; logsWithheld: number };
  const cases: [string, string, string, Wallet, Expected][] = [
    ['contract creation', 'PrivateToken deployed by its sender', deploy, alice, { status: 'success', createsContract: true, logsShown: 1, logsWithheld: 0 }],
    ['transfer, its log shown', 'a PrivateToken transfer read by its sender, who may see its Transfer log', transfer, alice, { status: 'success', createsContract: false, logsShown: 1, logsWithheld: 0 }],
    ['transfer, its log withheld', 'a transferFrom read by the spender who sent it: the Transfer log names the owner and the recipient only, so it is given as its leaf', spent, carol, { status: 'success', createsContract: false, logsShown: 0, logsWithheld: 1 }],
    ['the same transfer, its log shown', 'the transferFrom above read by the recipient, who may see the log: the same claims digest', spent, bob, { status: 'success', createsContract: false, logsShown: 1, logsWithheld: 0 }],
    ['reverted', 'a transfer beyond the balance: status 0, no logs', reverted, bob, { status: 'failed', createsContract: false, logsShown: 0, logsWithheld: 0 }],
    ['ether transfer', 'value to an account: no logs', ether, bob, { status: 'success', createsContract: false, logsShown: 0, logsWithheld: 0 }],
  ];
  const vectors = [];
  for (const [name, description, hash, reader, expected] of cases) {
    vectors.push({ name, description, caller: reader.address, expected, answer: await answer(hash, sessionCaller(reader.address)) });
  }
  process.stdout.write(`${JSON.stringify({ generatedBy: 'npx tsx scripts/receipt-vectors.ts', verifiedAt: new Date().toISOString(), serviceCert: n.node.serviceCertificate, vectors }, null, 2)}\n`);
} finally {
  await n.stop();
}
