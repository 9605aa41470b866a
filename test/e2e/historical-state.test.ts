// State at past blocks from DApp libraries against a real node process: ethers'
// provider.getBalance(address, blockTag) and viem's getBalance({ blockNumber }) and
// getTransactionCount({ blockNumber }) answer what the account held at that block.
import { strict as assert } from 'node:assert';
import { JsonRpcProvider, Wallet } from 'ethers';
import { createPublicClient, http, type Address } from 'viem';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';
import { CHAIN_ID } from './helpers.js';

describe('e2e / state at past blocks, through ethers and viem', function () {
  this.timeout(120_000);
  let node: NodeProcess;
  let provider: JsonRpcProvider;

  before(async () => {
    node = await NodeProcess.start();
    provider = new JsonRpcProvider(node.url, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  });

  after(async () => {
    provider?.destroy();
    await node?.dispose();
  });

  it('answers balances and nonces at every past block as they were', async () => {
    const [sender, receiver] = DEV_KEYS.slice(0, 2).map((k) => new Wallet(k, provider)) as [Wallet, Wallet];
    const history: { block: number; sender: bigint; receiver: bigint; nonce: number }[] = [];
    for (let i = 1; i <= 4; i++) {
      const tx = await sender.sendTransaction({ to: receiver.address, value: BigInt(i) * 10n ** 15n });
      const receipt = (await tx.wait())!;
      history.push({ block: receipt.blockNumber, sender: await provider.getBalance(sender.address), receiver: await provider.getBalance(receiver.address), nonce: await provider.getTransactionCount(sender.address) });
    }
    assert.equal(new Set(history.map((h) => h.block)).size, history.length, 'one block each');
    const client = createPublicClient({ transport: http(node.url) });
    for (const h of history) {
      assert.equal(await provider.getBalance(receiver.address, h.block), h.receiver, `ethers: receiver at ${h.block}`);
      assert.equal(await provider.getBalance(sender.address, h.block), h.sender, `ethers: sender at ${h.block}`);
      assert.equal(await provider.getTransactionCount(sender.address, h.block), h.nonce);
      assert.equal(await client.getBalance({ address: receiver.address as Address, blockNumber: BigInt(h.block) }), h.receiver, `viem: receiver at ${h.block}`);
      assert.equal(await client.getTransactionCount({ address: sender.address as Address, blockNumber: BigInt(h.block) }), h.nonce);
    }
    const block = await provider.getBlock(history[0]!.block);
    assert.equal(await provider.send('eth_getBalance', [receiver.address, { blockHash: block!.hash }]), `0x${history[0]!.receiver.toString(16)}`, 'EIP-1898 by hash');
    const head = await provider.getBlockNumber();
    await assert.rejects(client.getBalance({ address: receiver.address as Address, blockNumber: BigInt(head + 10) }), /block \d+ not found/);
  });
});
