// The block context of calls and estimates, in process with a clock the test moves: a
// `pending` call sees the block the next transaction lands in, an estimate holds in a block
// opened a second later, and block timestamps never decrease (but may repeat).
import { reads } from '../support/auditor-reads.js';
import { strict as assert } from 'node:assert';
import { Wallet } from 'ethers';
import { Node } from '../../core/node/node.js';
import { fromHex, toHex } from '../../core/util/bytes.js';
import { DEFAULT_EVM_CONFIG, type EvmConfig } from '../../evm-adapter/config.js';
import { EvmApplication } from '../../evm-adapter/application.js';
import type { EvmService } from '../../evm-adapter/service.js';
import { openServiceNow, usersGenesis } from '../support/open-service.js';
import { tempDirs } from '../support/tmpdir.js';

const sender = new Wallet('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');

/** Runtime code: TIMESTAMP PUSH1 0 SSTORE STOP (stores block.timestamp in slot 0). */
const STAMPER = '0x00000000000000000000000000000000005ea1ed';
const STAMPER_CODE = '0x4260005500';

/**
 * Runtime code: writes NUMBER, TIMESTAMP, BASEFEE, GASLIMIT, COINBASE, PREVRANDAO, CHAINID
 * and BLOCKHASH(NUMBER - 1) as eight words, logs them (LOG0) and returns them.
 */
const PROBE = '0x000000000000000000000000000000000000b10c';
const PROBE_CODE = '0x' + ['436000', '426020', '486040', '456060', '416080', '4460a0', '4660c0', '600143034060e0'].map((push) => `${push}52`).join('') + '6101006000a0' + '6101006000f3';

const BASE_FEE = 7n;
const T = 1_800_000_000;

describe('EVM block context (in process)', function () {
  this.timeout(30_000);
  const dirs = tempDirs();
  let node: Node;
  let evm: EvmService;
  let now = T;
  let nonce = 0;

  before(async () => {
    const config: EvmConfig = {
      ...DEFAULT_EVM_CONFIG,
      baseFeePerGas: BASE_FEE,
      genesis: {
        [sender.address]: { balance: 10n ** 24n },
        [STAMPER]: { balance: 0n, code: fromHex(STAMPER_CODE) },
        [PROBE]: { balance: 0n, code: fromHex(PROBE_CODE) },
      },
    };
    const app = new EvmApplication(config, () => now);
    node = await Node.create({ dataDir: await dirs.make('block-context'), application: app.hooks, governance: usersGenesis([sender.address]) });
    await openServiceNow(node);
    evm = await app.attach(node);
  });

  after(async () => {
    await node?.stop();
    await dirs.cleanup();
  });

  async function send(to: string, gasLimit = 100_000n) {
    const raw = await sender.signTransaction({ type: 2, chainId: DEFAULT_EVM_CONFIG.chainId, nonce: nonce++, to, gasLimit, maxFeePerGas: BASE_FEE, maxPriorityFeePerGas: 0n });
    const { hash, txid } = await evm.sendRawTransaction(fromHex(raw));
    await node!.waitCommitted(txid);
    const receipt = (await reads(evm).receipt(hash))!;
    return { receipt: receipt.receipt, block: (await reads(evm).block(receipt.record.block))! };
  }

  const request = (to: string) => ({ from: fromHex(sender.address), to: fromHex(to) });

  it('a pending call runs in the block the next transaction lands in; a latest call in the head', async () => {
    await send(STAMPER);
    now += 3;
    const pending = toHex((await reads(evm).call(request(PROBE), 'pending')));
    const latest = toHex((await reads(evm).call(request(PROBE), 'latest')));
    const head = (await reads(evm).block('latest'))!;
    const { receipt, block } = await send(PROBE);
    const logged = toHex(receipt.logs[0]![2]);
    assert.equal(pending, logged);
    const words = (hex: string) => hex.match(/[0-9a-f]{64}/g)!.map((w) => BigInt(`0x${w}`));
    const [number, timestamp, baseFee, gasLimit, coinbase, prevrandao, chainId, parentHash] = words(logged);
    assert.deepEqual(
      { number, timestamp, baseFee, gasLimit, coinbase, prevrandao, chainId, parentHash },
      { number: BigInt(block.number), timestamp: BigInt(now), baseFee: BASE_FEE, gasLimit: DEFAULT_EVM_CONFIG.blockGasLimit, coinbase: 0n, prevrandao: 0n, chainId: DEFAULT_EVM_CONFIG.chainId, parentHash: BigInt(`0x${toHex(block.parentHash)}`) },
    );
    const [latestNumber, latestTimestamp] = words(latest);
    assert.deepEqual([latestNumber, latestTimestamp], [BigInt(head.number), BigInt(head.timestamp)]);
  });

  for (const tag of ['pending', 'latest'] as const) {
    it(`an estimate (${tag}) holds when the transaction lands a second after the value it overwrites`, async () => {
      now += 10;
      const first = await send(STAMPER);
      assert.equal(first.block.timestamp, now);
      // Estimated in the second that the stamper's slot already holds: rewriting it costs
      // 100 gas there, changing it 2,900 in any later block.
      const estimate = (await reads(evm).estimateGas(request(STAMPER), tag));
      now += 1;
      const second = await send(STAMPER, estimate);
      assert.equal(second.block.timestamp, now);
      assert.equal(second.receipt.status, 1, `the transaction ran out of gas with the estimate ${estimate}`);
    });
  }

  it('block timestamps never decrease; blocks opened in the same second share it', async () => {
    now += 10;
    const a = await send(STAMPER);
    const b = await send(STAMPER);
    now -= 5; // the host's clock stepped back
    const c = await send(STAMPER);
    assert.deepEqual([a.block.timestamp, b.block.timestamp, c.block.timestamp], [now + 5, now + 5, now + 5]);
    assert.ok(a.block.number < b.block.number && b.block.number < c.block.number);
  });
});
