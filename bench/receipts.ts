// Ledger receipts of Ethereum transactions: how fast they are fetched over JSON-RPC, how
// fast they verify offline, and what verifying one costs on another EVM chain. A ccevm
// node process (fresh data directory, fsync) gets N token transfers; then:
//
//   fetch    ccevm_getLedgerReceipt one call at a time and in batches of 100, beside
//            eth_getTransactionReceipt fetched the same way (the receipt without a proof)
//   offline  verifyEthereumReceipt (evm-adapter/receipts/verify-receipt.ts, node:crypto
//            only) and core's COSE receipt verifier, per receipt, on this one core
//   on chain gas of ReceiptVerifier.verify in a transaction on Hardhat's in-process Osaka
//            network (P256VERIFY at 0x100: 6,900 gas under EIP-7951), and its calldata size
//
// Figures only.
//
//   npx tsx bench/receipts.ts [--transactions N]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Interface, Wallet } from 'ethers';
import { verifyCoseReceipt } from '../core/ledger/cose-receipt.js';
import { verifyEthereumReceipt } from '../evm-adapter/receipts/verify-receipt.js';
import { HardhatNetwork, hardhatProvider } from '../test/hardhat/network.js';
import { contractInterface, deployData, ensureContractsCompiled, loadArtifact } from '../test/support/contracts.js';
import { DEV_KEYS, NodeProcess } from '../test/support/node-process.js';
import { receiptCalldata } from '../test/support/receipt-calldata.js';
import { forEachFlag } from './lib/args.js';
import { fmt, machineInfo, median, now, percentile } from './lib/measure.js';

let transactions = 1_000;
forEachFlag(process.argv.slice(2), (flag, value) => {
  if (flag === '--transactions') transactions = Number(value());
  else throw new Error(`unknown flag ${flag}`);
});

const BATCH = 100;
const token = contractInterface('Token');

async function main(): Promise<void> {
  ensureContractsCompiled();
  console.log(machineInfo().join('\n'));
  const node = await NodeProcess.start();
  try {
    const batch = async (calls: [string, unknown[]][]): Promise<any[]> => {
      const res = await fetch(node.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(calls.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params }))) });
      return ((await res.json()) as { id: number; result: unknown }[]).sort((a, b) => a.id - b.id).map((r) => r.result);
    };
    const wallet = new Wallet(DEV_KEYS[0]!);
    const sign = (nonce: number, request: object) => wallet.signTransaction({ type: 2, chainId: 1337, nonce, gasLimit: 3_000_000, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 0n, ...request });
    const [deployHash] = await batch([['eth_sendRawTransaction', [await sign(0, { data: deployData('Token', ['T', 'T', 10n ** 24n]) })]]]);
    const tokenAddress = (await node.rpc('eth_getTransactionReceipt', [deployHash])).contractAddress;
    const raws = await Promise.all(Array.from({ length: transactions }, (_, i) => sign(i + 1, { to: tokenAddress, data: token.encodeFunctionData('transfer', [Wallet.createRandom().address, 1n]) })));
    const hashes: string[] = [];
    for (let i = 0; i < raws.length; i += BATCH) hashes.push(...(await batch(raws.slice(i, i + BATCH).map((r) => ['eth_sendRawTransaction', [r]]))));
    console.log(`\n${transactions} ERC-20 transfers committed; receipts fetched over HTTP JSON-RPC from one node`);

    console.log('\nfetch (receipts/s; per call p50 / p99 ms)');
    let answers: any[] = [];
    for (const method of ['eth_getTransactionReceipt', 'ccevm_getLedgerReceipt']) {
      const latencies: number[] = [];
      const t0 = now();
      const results = [];
      for (const h of hashes) {
        const t = now();
        results.push(await node.rpc(method, [h]));
        latencies.push(now() - t);
      }
      const one = (hashes.length * 1000) / (now() - t0);
      const t1 = now();
      for (let i = 0; i < hashes.length; i += BATCH) await batch(hashes.slice(i, i + BATCH).map((h) => [method, [h]]));
      const batched = (hashes.length * 1000) / (now() - t1);
      console.log(`  ${method.padEnd(26)} one at a time ${fmt(one).padStart(6)}/s (${fmt(median(latencies))} / ${fmt(percentile(latencies, 0.99))} ms)   batches of ${BATCH} ${fmt(batched).padStart(6)}/s`);
      if (method === 'ccevm_getLedgerReceipt') answers = results;
    }
    const bytes = answers.map((a) => JSON.stringify(a).length);
    console.log(`  a ledger receipt answer is ${fmt(median(bytes))} bytes of JSON (median), its COSE form ${fmt(median(answers.map((a) => Buffer.from(a.cose, 'base64').length)))} bytes`);

    const cert = readFileSync(join(node.dataDir, 'service_cert.pem'), 'utf8');
    console.log('\noffline verification, one core (receipts/s; µs each)');
    for (const [name, verify] of [
      ['verifyEthereumReceipt (JSON)', (a: any) => verifyEthereumReceipt(a, cert)],
      ['verifyCoseReceipt (core)', (a: any) => verifyCoseReceipt(Buffer.from(a.cose, 'base64'), cert)],
    ] as const) {
      const t0 = now();
      for (const a of answers) verify(a);
      const ms = now() - t0;
      console.log(`  ${name.padEnd(30)} ${fmt((answers.length * 1000) / ms).padStart(6)}/s  ${fmt((ms * 1000) / answers.length).padStart(7)} µs`);
    }

    const identity = await node.rpc('ccevm_getServiceIdentity');
    const provider = hardhatProvider();
    const [from] = (await provider.request({ method: 'eth_accounts', params: [] })) as string[];
    const network = new HardhatNetwork(provider, from!);
    const { address } = await network.deploy('ReceiptVerifier', [identity.publicKey.x, identity.publicKey.y]);
    const verifier = network.bind(new Interface(loadArtifact('ReceiptVerifier').abi), address);
    const iface = new Interface(loadArtifact('ReceiptVerifier').abi);
    const gas: number[] = [];
    const sizes: number[] = [];
    const proofs: number[] = [];
    for (const a of answers.filter((_, i) => i % Math.max(1, Math.floor(answers.length / 50)) === 0)) {
      const { receipt, claims } = receiptCalldata(a);
      const sent = (await verifier.send('verify', [receipt, claims])) as unknown as { gasUsed: string; status: string };
      if (sent.status !== '0x1') throw new Error(`receipt ${a.transactionHash} did not verify on chain`);
      gas.push(Number(sent.gasUsed));
      sizes.push((iface.encodeFunctionData('verify', [receipt, claims]).length - 2) / 2);
      proofs.push(a.receipt.proof.length);
    }
    console.log(`\non chain (ReceiptVerifier.verify in a transaction, Hardhat Osaka; ${gas.length} receipts, proofs of ${Math.min(...proofs)}–${Math.max(...proofs)} steps, one Transfer log each)`);
    console.log(`  gas used: median ${fmt(median(gas))}, min ${fmt(Math.min(...gas))}, max ${fmt(Math.max(...gas))} (including 21,000 intrinsic and calldata); calldata ${fmt(median(sizes))} bytes`);
  } finally {
    await node.dispose();
  }
}

await main();
