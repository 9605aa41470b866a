// What the read policy costs per call, in process (no RPC, no HTTP): a receipt read by
// its sender in blocks of 1, 10 and 100 public-token transfers, against the committed
// lookup underneath it; a balance read; and a private contract's receipt, which asks the
// contract's checkAccess. Prints figures only.
//
//   npx tsx bench/access.ts [--rounds N]
import { bytesToHex } from '@ethereumjs/util';
import { Wallet } from 'ethers';
import { ANONYMOUS, sessionCaller } from '../evm-adapter/access/caller.js';
import { signed, startEvmNode, type EvmNode } from '../test/evm/helpers.js';
import { TEST_AUDITOR } from '../test/support/auditor-reads.js';
import { contractInterface, deployData, ensureContractsCompiled } from '../test/support/contracts.js';
import { forEachFlag } from './lib/args.js';
import { median, now } from './lib/measure.js';

let rounds = 20;
forEachFlag(process.argv.slice(2), (flag, value) => {
  if (flag === '--rounds') rounds = Number(value());
  else throw new Error(`unknown flag ${flag}`);
});

const BLOCK_SIZES = [1, 10, 100];
const token = contractInterface('Token');

/** Median µs per call of `body` over `rounds` rounds of `calls` calls. */
async function perCall(calls: number, body: (i: number) => unknown): Promise<number> {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    for (let i = 0; i < calls; i++) await body(i);
    samples.push(((now() - t0) * 1000) / calls);
  }
  return median(samples);
}

async function deploy(n: EvmNode, wallet: Wallet, nonce: number, data: string): Promise<string> {
  const tx = await signed(wallet, { nonce, gasLimit: 3_000_000n, data });
  await n.send(tx.raw);
  return bytesToHex((await n.evm.receipt(tx.hash, sessionCaller(TEST_AUDITOR)))!.entry.receipt.contractAddress!);
}

async function main(): Promise<void> {
  ensureContractsCompiled();
  const senders = Array.from({ length: Math.max(...BLOCK_SIZES) }, () => new Wallet(Wallet.createRandom().privateKey));
  const n = await startEvmNode(Object.fromEntries(senders.map((w) => [w.address.toLowerCase(), { balance: 10n ** 20n }])), { config: { sends: 'anyone' } });
  try {
    const [deployer] = n.wallets as [Wallet];
    let nonce = 0;
    const publicToken = await deploy(n, deployer, nonce++, deployData('Token', ['T', 'T', 10n ** 24n]));
    const privateToken = await deploy(n, deployer, nonce++, deployData('PrivateToken', ['P', 'P', 10n ** 24n, TEST_AUDITOR]));
    const fund = (to: string, contract: string) => signed(deployer, { nonce: nonce++, to: contract, data: token.encodeFunctionData('transfer', [to, 10n ** 6n]) });
    await Promise.all((await Promise.all(senders.flatMap((w) => [fund(w.address, publicToken), fund(w.address, privateToken)]))).map((t) => n.send(t.raw)));
    const senderNonce = new Map<string, number>();
    const transfer = (w: Wallet, contract: string) => {
      const k = senderNonce.get(w.address) ?? 0;
      senderNonce.set(w.address, k + 1);
      return signed(w, { nonce: k, to: contract, data: token.encodeFunctionData('transfer', [deployer.address, 1n]) });
    };

    console.log(`read policy cost per call, in process, median of ${rounds} rounds (µs)`);
    console.log('\nreceipt of a public-token transfer, read by its sender (session) vs the committed lookup:');
    for (const size of BLOCK_SIZES) {
      // One block of `size` transfers (the node signs once its queue is empty).
      const txs = await Promise.all(senders.slice(0, size).map((w) => transfer(w, publicToken)));
      await Promise.all(txs.map((t) => n.send(t.raw)));
      const callers = senders.map((w) => sessionCaller(w.address));
      const policy = await perCall(size, (i) => n.evm.receipt(txs[i]!.hash, callers[i]!));
      const lookup = await perCall(size, (i) => n.evm.hasReceipt(txs[i]!.hash));
      console.log(`  block of ${String(size).padStart(3)}: per caller ${policy.toFixed(1)}, lookup ${lookup.toFixed(1)}, policy ${(policy - lookup).toFixed(1)}`);
    }

    const [alice] = senders as [Wallet];
    const own = await perCall(200, () => n.evm.balance(new Uint8Array(Buffer.from(alice.address.slice(2), 'hex')), 'latest', sessionCaller(alice.address)));
    const anonymous = await perCall(200, () => n.evm.balance(new Uint8Array(Buffer.from(alice.address.slice(2), 'hex')), 'latest', ANONYMOUS));
    console.log(`\neth_getBalance: own account ${own.toFixed(1)}, anonymous (refused: 0x0) ${anonymous.toFixed(1)}`);

    const privateTx = await transfer(alice, privateToken);
    await n.send(privateTx.raw);
    const stranger = sessionCaller(senders[1]!.address);
    const party = await perCall(50, () => n.evm.receipt(privateTx.hash, sessionCaller(alice.address)));
    const refused = await perCall(50, () => n.evm.receipt(privateTx.hash, stranger));
    const unknown = await perCall(50, () => n.evm.receipt(new Uint8Array(32).fill(7), stranger));
    console.log(`\nprivate-token receipt (block of 1): its sender ${party.toFixed(1)}, a non-party (asks checkAccess: null) ${refused.toFixed(1)}, an unknown hash ${unknown.toFixed(1)}`);
  } finally {
    await n.stop();
  }
}

await main();
