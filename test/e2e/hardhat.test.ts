// Hardhat against a real ccevm node: `hardhat run scripts/deploy.cjs --network ccevm` deploys
// Token and Showcase, makes a token transfer and a counter increment through Hardhat's HTTP
// provider (local signing, eth_sendRawTransaction), and prints a JSON summary; everything it
// claims is then checked on the node over plain JSON-RPC.
import { strict as assert } from 'node:assert';
import { getAddress, keccak256, parseEther, parseUnits, Wallet } from 'ethers';
import { contractInterface, ensureContractsCompiled, loadArtifact } from '../support/contracts.js';
import { runHardhat, type RunResult } from '../support/hardhat.js';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';

/** The deploy script waits for four receipts: a few seconds normally. */
const SCRIPT_TIMEOUT_MS = 30_000;

interface Summary {
  network: string;
  chainId: number;
  deployer: string;
  recipient: string;
  token: { address: string; deployTx: string; block: number };
  showcase: { address: string; deployTx: string; block: number };
  transfer: { tx: string; block: number; amount: string; recipientBalance: string };
  increment: { tx: string; block: number; count: string };
}

describe('e2e: Hardhat deploy script against a ccevm node', function () {
  this.timeout(60_000);

  let node: NodeProcess;
  let run: RunResult;
  let summary: Summary;

  before(async () => {
    ensureContractsCompiled();
    node = await NodeProcess.start();
    run = await runHardhat(['run', 'scripts/deploy.cjs', '--network', 'ccevm'], { CCEVM_URL: node.url, CCEVM_CHAIN_ID: '1337' }, SCRIPT_TIMEOUT_MS);
  });

  after(async () => {
    await node?.dispose();
  });

  const call = async (address: string, contract: string, fn: string, args: unknown[] = []) => {
    const iface = contractInterface(contract);
    const out = await node.rpc('eth_call', [{ to: address, data: iface.encodeFunctionData(fn, args) }, 'latest']);
    return iface.decodeFunctionResult(fn, out);
  };

  it('hardhat run scripts/deploy.cjs --network ccevm exits 0 and prints a JSON summary', () => {
    const context = `exit code ${run.code}, signal ${run.signal}\n--- stderr ---\n${run.stderr}\n--- stdout ---\n${run.stdout}`;
    assert.equal(run.signal, null, `the deploy script did not finish within ${SCRIPT_TIMEOUT_MS} ms (killed): ${context}`);
    assert.equal(run.code, 0, context);
    const lines = run.stdout.trim().split('\n').filter((l) => l.trim().length > 0);
    assert.ok(lines.length > 0, `no output on stdout: ${context}`);
    summary = JSON.parse(lines.at(-1)!) as Summary;
    assert.equal(summary.network, 'ccevm');
    assert.equal(summary.chainId, 1337);
    assert.equal(getAddress(summary.deployer), getAddress('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'));
    assert.equal(getAddress(summary.recipient), getAddress('0x70997970C51812dc3A010C7d01b50e0d17dc79C8'));
  });

  it('the contracts have code on the node at the reported addresses', async function () {
    if (!summary) this.skip();
    const token = await node.rpc('eth_getCode', [summary.token.address, 'latest']);
    assert.equal(token, loadArtifact('Token').deployedBytecode.toLowerCase());
    const showcase: string = await node.rpc('eth_getCode', [summary.showcase.address, 'latest']);
    const expected = loadArtifact('Showcase').deployedBytecode.toLowerCase();
    // Showcase has an immutable (the deployer), filled in at deployment: same length, and the
    // deployer's address appears in the code.
    assert.equal(showcase.length, expected.length);
    assert.ok(showcase.includes(summary.deployer.slice(2).toLowerCase()), 'immutable deployer not in the runtime code');
    assert.notEqual(summary.token.address.toLowerCase(), summary.showcase.address.toLowerCase());
  });

  it('every transaction of the script has a successful receipt in the reported block', async function () {
    if (!summary) this.skip();
    const txs = [
      { hash: summary.token.deployTx, block: summary.token.block, created: summary.token.address, to: null },
      { hash: summary.showcase.deployTx, block: summary.showcase.block, created: summary.showcase.address, to: null },
      { hash: summary.transfer.tx, block: summary.transfer.block, created: null, to: summary.token.address },
      { hash: summary.increment.tx, block: summary.increment.block, created: null, to: summary.showcase.address },
    ];
    const head = Number(await node.rpc('eth_blockNumber'));
    let previousBlock = 0;
    for (const t of txs) {
      const receipt = await node.rpc('eth_getTransactionReceipt', [t.hash]);
      assert.ok(receipt, `no receipt for ${t.hash}`);
      assert.equal(receipt.status, '0x1');
      assert.equal(Number(receipt.blockNumber), t.block);
      assert.ok(t.block >= previousBlock && t.block <= head, `block ${t.block} out of order (head ${head})`);
      previousBlock = t.block;
      assert.equal(getAddress(receipt.from), getAddress(summary.deployer));
      if (t.created) {
        assert.equal(getAddress(receipt.contractAddress), getAddress(t.created));
        assert.equal(receipt.to, null);
      } else {
        assert.equal(receipt.contractAddress, null);
        assert.equal(getAddress(receipt.to), getAddress(t.to!));
      }
      const block = await node.rpc('eth_getBlockByNumber', [receipt.blockNumber, false]);
      assert.equal(block.hash, receipt.blockHash);
      assert.ok(block.transactions.includes(t.hash), `block ${t.block} does not list ${t.hash}`);
      const tx = await node.rpc('eth_getTransactionByHash', [t.hash]);
      assert.equal(tx.blockHash, receipt.blockHash);
      assert.equal(getAddress(tx.from), getAddress(summary.deployer));
    }
    // The deployer sent exactly these four transactions.
    assert.equal(await node.rpc('eth_getTransactionCount', [summary.deployer, 'latest']), '0x4');
  });

  it('the token transfer moved the reported amount and emitted Transfer', async function () {
    if (!summary) this.skip();
    const amount = parseUnits('1000', 18);
    assert.equal(summary.transfer.amount, amount.toString());
    assert.equal(summary.transfer.recipientBalance, amount.toString());
    const [recipientBalance] = await call(summary.token.address, 'Token', 'balanceOf', [summary.recipient]);
    const [deployerBalance] = await call(summary.token.address, 'Token', 'balanceOf', [summary.deployer]);
    const [supply] = await call(summary.token.address, 'Token', 'totalSupply');
    assert.equal(recipientBalance, amount);
    assert.equal(supply, parseUnits('1000000', 18));
    assert.equal(deployerBalance, supply - amount);
    const [name] = await call(summary.token.address, 'Token', 'name');
    assert.equal(name, 'ccevm Test Token');

    const receipt = await node.rpc('eth_getTransactionReceipt', [summary.transfer.tx]);
    const iface = contractInterface('Token');
    assert.equal(receipt.logs.length, 1);
    const log = iface.parseLog(receipt.logs[0]);
    assert.equal(log?.name, 'Transfer');
    assert.equal(getAddress(log!.args[0]), getAddress(summary.deployer));
    assert.equal(getAddress(log!.args[1]), getAddress(summary.recipient));
    assert.equal(log!.args[2], amount);
    // And eth_getLogs finds the same log.
    const logs = await node.rpc('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: summary.token.address, topics: [iface.getEvent('Transfer')!.topicHash] }]);
    assert.equal(logs.length, 2); // the mint in the constructor and the transfer
    assert.equal(logs[1].transactionHash, summary.transfer.tx);
  });

  it('the counter was incremented once', async function () {
    if (!summary) this.skip();
    assert.equal(summary.increment.count, '1');
    const [count] = await call(summary.showcase.address, 'Showcase', 'count');
    assert.equal(count, 1n);
    const [deployer] = await call(summary.showcase.address, 'Showcase', 'deployer');
    assert.equal(getAddress(deployer), getAddress(summary.deployer));
  });

  it("the deployer's ether balance went down by exactly the fees of its receipts", async function () {
    if (!summary) this.skip();
    let fees = 0n;
    for (const hash of [summary.token.deployTx, summary.showcase.deployTx, summary.transfer.tx, summary.increment.tx]) {
      const r = await node.rpc('eth_getTransactionReceipt', [hash]);
      fees += BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice);
    }
    assert.equal(BigInt(await node.rpc('eth_getBalance', [summary.deployer, 'latest'])), parseEther('10000') - fees);
    assert.equal(BigInt(await node.rpc('eth_getBalance', [summary.recipient, 'latest'])), parseEther('10000'));
  });
});

// ethers' `tx.wait()` (used by Hardhat scripts and most DApps) asks for the receipt once; if
// there is none yet, it waits for a *new block* and asks again. Hardhat's automine never
// shows that window (the block exists before the hash is returned), and Ethereum always has
// a next block. A ccevm node makes blocks only when there are transactions, so if a client
// sees "no receipt" and then reads a block number that already includes the transaction,
// it waits for a block that never comes. Seen in this suite before the signing latency was
// reduced: the deploy script hung forever after `eth_getTransactionReceipt` -> null,
// `eth_blockNumber` -> the block holding the transaction. A node is safe if either the
// receipt exists when eth_sendRawTransaction returns, or another block follows.
describe('e2e: a client waiting for a receipt on an idle chain', function () {
  this.timeout(60_000);

  let node: NodeProcess;
  before(async () => {
    node = await NodeProcess.start();
  });
  after(async () => {
    await node?.dispose();
  });

  it('never leaves a client that saw "no receipt yet" without a next block', async () => {
    const wallet = new Wallet(DEV_KEYS[3]!);
    let nonce = Number(await node.rpc('eth_getTransactionCount', [wallet.address, 'latest']));
    for (let attempt = 0; attempt < 10; attempt++) {
      const raw = await wallet.signTransaction({ type: 2, chainId: 1337n, nonce: nonce++, to: wallet.address, value: 1n, gasLimit: 21_000n, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 1n });
      const hash = await node.rpc('eth_sendRawTransaction', [raw]);
      assert.equal(hash, keccak256(raw));
      // What ethers does first:
      if (await node.rpc('eth_getTransactionReceipt', [hash])) continue; // fine: nothing to wait for
      // No receipt yet. The transaction commits; the client then reads the block number and
      // waits for a block after it before asking again.
      let receipt;
      while (!(receipt = await node.rpc('eth_getTransactionReceipt', [hash]))) await new Promise((r) => setTimeout(r, 5));
      const seen = Number(await node.rpc('eth_blockNumber'));
      assert.ok(seen >= Number(receipt.blockNumber));
      const deadline = Date.now() + 5_000;
      let next = seen;
      while (next === seen && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        next = Number(await node.rpc('eth_blockNumber'));
      }
      assert.ok(
        next > seen,
        `eth_sendRawTransaction returned ${hash} before its receipt existed, and no block followed block ${seen} ` +
          `(which holds it) within 5 s: ethers' tx.wait() and Hardhat scripts wait forever in this case`,
      );
      return;
    }
  });
});
