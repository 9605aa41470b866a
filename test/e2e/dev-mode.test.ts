// A development node process (`ccevm start`, dev accounts): console.log from Solidity in
// its log under the transaction's hash, a Hardhat script using evm_mine, evm_increaseTime
// and hardhat_setBalance, and the balance it set still there after a restart (it is in
// the ledger); a production node (no dev accounts) refuses the methods.
import { strict as assert } from 'node:assert';
import { Wallet } from 'ethers';
import { deployData, ensureContractsCompiled } from '../support/contracts.js';
import { runHardhat, type RunResult } from '../support/hardhat.js';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';

const ACCOUNT_6 = '0x976EA74026E726554dB657fA54763abd0C3a0aa9';

describe('development mode (node process)', function () {
  this.timeout(120_000);
  let node: NodeProcess;
  /** the first process, whose data directory the restarted one reuses (removed last) */
  let first: NodeProcess | undefined;
  let run: RunResult;

  before(async () => {
    ensureContractsCompiled();
    node = await NodeProcess.start();
  });
  after(async () => {
    await node?.dispose();
    await first?.dispose();
  });

  it('prints console.log of a transaction in the node log, under its hash', async () => {
    const raw = await new Wallet(DEV_KEYS[0]!).signTransaction({ type: 2, chainId: 1337n, nonce: 0, gasLimit: 3_000_000n, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 0n, data: deployData('ConsoleGreeter', ['from a process']) });
    const hash = await node.rpc('eth_sendRawTransaction', [raw]);
    const deadline = Date.now() + 10_000;
    while (!node.output.includes(`console.log [${hash}] deployed with greeting from a process`)) {
      if (Date.now() > deadline) assert.fail(`no console.log line in the node log:\n${node.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('a Hardhat script mines, moves the clock and sets a balance', async () => {
    run = await runHardhat(['run', 'scripts/dev-tools.cjs', '--network', 'ccevm'], { CCEVM_URL: node.url, CCEVM_CHAIN_ID: '1337' }, 90_000);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    assert.equal(summary.blocksMined, 1);
    assert.ok(summary.secondsAdvanced >= 3600 && summary.secondsAdvanced < 3700, `advanced ${summary.secondsAdvanced} s`);
    assert.equal(summary.balance, '1234');
  });

  it('the balance set is in the ledger: a restarted node has it', async () => {
    assert.equal(await node.stop('SIGTERM'), 0);
    first = node;
    node = await NodeProcess.start({ dataDir: first.dataDir });
    assert.equal(BigInt(await node.rpc('eth_getBalance', [ACCOUNT_6, 'latest'])), 1234n);
  });

  it('a production node refuses the development methods', async () => {
    const production = await NodeProcess.start({ args: ['--dev-accounts', '0'] });
    try {
      await assert.rejects(production.rpc('evm_mine'), /evm_mine is a development method: this is a production service/);
      await assert.rejects(production.rpc('hardhat_setBalance', [ACCOUNT_6, '0x1']), /production service/);
    } finally {
      await production.dispose();
    }
  });
});
