// What a DApp project runs, against a ccevm node process, with the project's own Hardhat
// config: a Hardhat test with the chai matchers changeTokenBalances / changeEtherBalances
// (they read balances at the block before the transaction's), and a Hardhat Ignition
// deployment with default settings (it reads nonces at past block tags and waits for
// confirmations). The deployment's journal is removed afterwards.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { contractInterface, ensureContractsCompiled, PROJECT_ROOT } from '../support/contracts.js';
import { runHardhat, type RunResult } from '../support/hardhat.js';
import { NodeProcess } from '../support/node-process.js';

const TIMEOUT_MS = 90_000;
const context = (run: RunResult) => `exit code ${run.code}, signal ${run.signal}\n--- stderr ---\n${run.stderr}\n--- stdout ---\n${run.stdout}`;

describe('e2e: DApp tools against a ccevm node (Hardhat chai matchers, Hardhat Ignition)', function () {
  this.timeout(3 * TIMEOUT_MS);
  let node: NodeProcess;
  const deploymentId = `e2e-${randomBytes(4).toString('hex')}`;

  before(async () => {
    ensureContractsCompiled();
    node = await NodeProcess.start();
  });

  after(async () => {
    await node?.dispose();
    const deployments = join(PROJECT_ROOT, 'ignition', 'deployments');
    rmSync(join(deployments, deploymentId), { recursive: true, force: true });
    if (existsSync(deployments) && readdirSync(deployments).length === 0) rmdirSync(deployments);
  });

  const env = () => ({ CCEVM_URL: node.url, CCEVM_CHAIN_ID: '1337' });

  it('a Hardhat test with changeTokenBalances and changeEtherBalances passes', async () => {
    const run = await runHardhat(['test', 'hardhat-tests/token-balances.cjs', '--network', 'ccevm'], env(), TIMEOUT_MS);
    assert.equal(run.code, 0, context(run));
    assert.match(run.stdout, /2 passing/, context(run));
  });

  it('an Ignition deployment with default settings deploys and calls', async () => {
    const run = await runHardhat(['ignition', 'deploy', 'ignition/modules/Token.cjs', '--network', 'ccevm', '--deployment-id', deploymentId], { ...env(), HARDHAT_IGNITION_CONFIRM_DEPLOYMENT: 'false' }, TIMEOUT_MS);
    assert.equal(run.code, 0, context(run));
    const address = /TokenModule#Token - (0x[0-9a-fA-F]{40})/.exec(run.stdout)?.[1];
    assert.ok(address, context(run));
    const token = contractInterface('Token');
    const out = await node.rpc('eth_call', [{ to: address, data: token.encodeFunctionData('balanceOf', ['0x70997970C51812dc3A010C7d01b50e0d17dc79C8']) }, 'latest']);
    assert.equal(token.decodeFunctionResult('balanceOf', out)[0], 1_000n, 'the module transferred 1,000 tokens');
  });
});
