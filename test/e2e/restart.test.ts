// Restarting a node on its data directory: after a clean stop (SIGINT, SIGTERM) everything a
// client could see before is there again, unchanged, and new transactions extend the same
// chain; after SIGKILL every transaction whose receipt a client received is still there.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCreateAddress, Wallet, type TransactionRequest } from 'ethers';
import { contractInterface, deployData, ensureContractsCompiled } from '../support/contracts.js';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';

const CHAIN_ID = 1337n;
const GWEI = 10n ** 9n;
const token = contractInterface('Token');

/** A dev account that signs locally and keeps its own nonce. */
class Sender {
  readonly wallet: Wallet;
  nonce = 0;
  constructor(key: string) {
    this.wallet = new Wallet(key);
  }
  get address(): string {
    return this.wallet.address;
  }
  async sign(tx: TransactionRequest): Promise<string> {
    return this.wallet.signTransaction({
      type: 2,
      chainId: CHAIN_ID,
      nonce: this.nonce++,
      gasLimit: 1_000_000n,
      maxFeePerGas: 2n * GWEI,
      maxPriorityFeePerGas: GWEI,
      value: 0n,
      ...tx,
    });
  }
}

async function send(node: NodeProcess, raw: string): Promise<string> {
  return node.rpc('eth_sendRawTransaction', [raw]);
}

async function waitReceipt(node: NodeProcess, hash: string, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await node.rpc('eth_getTransactionReceipt', [hash]);
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function sendAndWait(node: NodeProcess, raw: string): Promise<any> {
  const receipt = await waitReceipt(node, await send(node, raw));
  assert.equal(receipt.status, '0x1', `transaction ${receipt.transactionHash} failed`);
  return receipt;
}

async function tokenBalance(node: NodeProcess, tokenAddress: string, holder: string): Promise<bigint> {
  const out = await node.rpc('eth_call', [{ to: tokenAddress, data: token.encodeFunctionData('balanceOf', [holder]) }, 'latest']);
  return token.decodeFunctionResult('balanceOf', out)[0] as bigint;
}

/** Everything a client can read about the chain, the accounts and the transactions given. */
async function observe(node: NodeProcess, accounts: string[], txHashes: string[], tokenAddress: string | undefined) {
  const head = Number(await node.rpc('eth_blockNumber'));
  const blocks = [];
  for (let n = 0; n <= head; n++) blocks.push(await node.rpc('eth_getBlockByNumber', [`0x${n.toString(16)}`, true]));
  const state: Record<string, unknown> = {};
  for (const a of accounts) {
    state[a] = {
      balance: await node.rpc('eth_getBalance', [a, 'latest']),
      nonce: await node.rpc('eth_getTransactionCount', [a, 'latest']),
      code: await node.rpc('eth_getCode', [a, 'latest']),
      token: tokenAddress ? (await tokenBalance(node, tokenAddress, a)).toString() : undefined,
    };
  }
  const receipts: Record<string, unknown> = {};
  const transactions: Record<string, unknown> = {};
  for (const h of txHashes) {
    receipts[h] = await node.rpc('eth_getTransactionReceipt', [h]);
    transactions[h] = await node.rpc('eth_getTransactionByHash', [h]);
  }
  const logs = await node.rpc('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }]);
  const tokenCode = tokenAddress ? await node.rpc('eth_getCode', [tokenAddress, 'latest']) : undefined;
  return { head, blocks, state, receipts, transactions, logs, tokenCode };
}

const seqnoOf = (txid: string) => Number(txid.split('.')[1]);

describe('e2e: restart on the same data directory', function () {
  this.timeout(120_000);

  let dataDir: string;
  let node: NodeProcess | undefined;
  const alice = new Sender(DEV_KEYS[0]!);
  const bob = new Sender(DEV_KEYS[1]!);
  const carol = new Sender(DEV_KEYS[2]!);
  const recipients = [Wallet.createRandom().address, Wallet.createRandom().address];
  const accounts = [alice.address, bob.address, carol.address, ...recipients];
  const hashes: string[] = [];
  let tokenAddress = '';

  before(async () => {
    ensureContractsCompiled();
    dataDir = mkdtempSync(join(tmpdir(), 'ccevm-restart-'));
    node = await NodeProcess.start({ dataDir });
  });

  after(async () => {
    await node?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function restart(signal: NodeJS.Signals): Promise<number | null> {
    const code = await node!.stop(signal);
    node = await NodeProcess.start({ dataDir });
    return code;
  }

  it('commits ether transfers, a token deployment and token transfers', async () => {
    const receipts = [];
    receipts.push(await sendAndWait(node!, await alice.sign({ to: recipients[0], value: 10n ** 18n })));
    receipts.push(await sendAndWait(node!, await alice.sign({ to: recipients[1], value: 2n * 10n ** 18n })));
    const deploy = await sendAndWait(node!, await bob.sign({ data: deployData('Token', ['Restart Token', 'RST', 10n ** 24n]) }));
    tokenAddress = deploy.contractAddress;
    assert.equal(tokenAddress.toLowerCase(), getCreateAddress({ from: bob.address, nonce: 0 }).toLowerCase());
    receipts.push(deploy);
    receipts.push(await sendAndWait(node!, await bob.sign({ to: tokenAddress, data: token.encodeFunctionData('transfer', [recipients[0], 1234n]) })));
    receipts.push(await sendAndWait(node!, await bob.sign({ to: tokenAddress, data: token.encodeFunctionData('transfer', [alice.address, 5678n]) })));
    // A burst in one block or a few: several transactions sent without waiting in between.
    const burst = await Promise.all([0, 1, 2].map(async () => send(node!, await carol.sign({ to: recipients[1], value: 1000n }))));
    for (const h of burst) receipts.push(await waitReceipt(node!, h));
    hashes.push(...receipts.map((r) => r.transactionHash));
    assert.equal(await tokenBalance(node!, tokenAddress, recipients[0]!), 1234n);
    assert.equal(await tokenBalance(node!, tokenAddress, alice.address), 5678n);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    describe(`stopped with ${signal}`, () => {
      let prior: Awaited<ReturnType<typeof observe>>;
      let infoBefore: any;
      let certBefore: string;

      it(`exits with code 0 on ${signal} and starts again on the same data directory`, async () => {
        prior = await observe(node!, accounts, hashes, tokenAddress);
        infoBefore = await node!.rpc('ccevm_nodeInfo');
        certBefore = readFileSync(join(dataDir, 'service_cert.pem'), 'utf8');
        assert.ok(prior.head > 0);
        const code = await restart(signal);
        assert.equal(code, 0, `exit code after ${signal}`);
      });

      it('serves the same blocks, state, receipts, transactions and logs', async () => {
        const afterRestart = await observe(node!, accounts, hashes, tokenAddress);
        // A clean stop may seal one more (empty) block: the history before is unchanged.
        assert.ok(afterRestart.head >= prior.head, `block number went back from ${prior.head} to ${afterRestart.head}`);
        assert.deepEqual(afterRestart.blocks.slice(0, prior.head + 1), prior.blocks);
        for (const extra of afterRestart.blocks.slice(prior.head + 1)) assert.deepEqual(extra.transactions, [], 'a block appeared with transactions nobody sent');
        assert.deepEqual(afterRestart.state, prior.state);
        assert.deepEqual(afterRestart.receipts, prior.receipts);
        assert.deepEqual(afterRestart.transactions, prior.transactions);
        assert.deepEqual(afterRestart.logs, prior.logs);
        assert.equal(afterRestart.tokenCode, prior.tokenCode);
        for (const h of hashes) {
          const r = afterRestart.receipts[h] as any;
          assert.ok(r, `receipt of ${h} lost`);
          const block = afterRestart.blocks[Number(r.blockNumber)] as any;
          assert.equal(block.hash, r.blockHash);
          assert.ok(block.transactions.some((t: any) => t.hash === h));
        }
      });

      it('ccevm_nodeInfo names the same node and service, and nothing committed went back', async () => {
        const info = await node!.rpc('ccevm_nodeInfo');
        assert.equal(info.nodeId, infoBefore.nodeId);
        assert.equal(info.serviceCertificate, infoBefore.serviceCertificate);
        assert.equal(info.version, infoBefore.version);
        assert.ok(info.view >= infoBefore.view, `view went back: ${infoBefore.view} -> ${info.view}`);
        assert.ok(seqnoOf(info.lastCommitted) >= seqnoOf(infoBefore.lastCommitted), `${infoBefore.lastCommitted} -> ${info.lastCommitted}`);
        assert.equal(readFileSync(join(dataDir, 'service_cert.pem'), 'utf8'), certBefore);
        assert.equal(info.serviceCertificate.trim(), certBefore.trim());
      });

      it('new transactions continue the chain from the last block before the restart', async () => {
        const lastBefore = prior.blocks[prior.head] as any;
        const receipt = await sendAndWait(node!, await alice.sign({ to: recipients[0], value: 1n }));
        const tokenReceipt = await sendAndWait(node!, await bob.sign({ to: tokenAddress, data: token.encodeFunctionData('transfer', [recipients[1], 1n]) }));
        hashes.push(receipt.transactionHash, tokenReceipt.transactionHash);
        const number = Number(receipt.blockNumber);
        assert.ok(number > prior.head, `new transaction in block ${number}, not after ${prior.head}`);
        assert.ok(Number(tokenReceipt.blockNumber) >= number);
        // Walk back from the new block: parent hashes lead to the last block before the restart.
        let block = await node!.rpc('eth_getBlockByHash', [receipt.blockHash, false]);
        assert.equal(block.number, receipt.blockNumber);
        while (Number(block.number) > prior.head) {
          const parent = await node!.rpc('eth_getBlockByNumber', [`0x${(Number(block.number) - 1).toString(16)}`, false]);
          assert.equal(block.parentHash, parent.hash, `block ${block.number} does not link to block ${parent.number}`);
          block = parent;
        }
        assert.equal(block.hash, lastBefore.hash);
        const newBlock = await node!.rpc('eth_getBlockByHash', [receipt.blockHash, false]);
        assert.ok(Number(newBlock.timestamp) >= Number(lastBefore.timestamp), 'block timestamps went back after the restart');
        assert.ok(Number(receipt.blockNumber) <= Number(await node!.rpc('eth_blockNumber')));
        // Nonces continue where they were.
        assert.equal(Number(await node!.rpc('eth_getTransactionCount', [alice.address, 'latest'])), alice.nonce);
        assert.equal(Number(await node!.rpc('eth_getTransactionCount', [bob.address, 'latest'])), bob.nonce);
        // A reused nonce from before the restart is still refused.
        // (the same fields and key sign to the same bytes: this is alice's first transaction)
        const first = await new Sender(DEV_KEYS[0]!).sign({ to: recipients[0], value: 10n ** 18n });
        const replay = await node!.rpcRaw({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [first] });
        assert.ok(replay.error, 'a transaction with nonce 0 of alice was accepted again after restart');
        assert.match(replay.error.message, /nonce too low|already known/);
      });
    });
  }

  describe('killed with SIGKILL', () => {
    it('after SIGKILL, every transaction whose receipt was received is still there', async () => {
      const dave = new Sender(DEV_KEYS[3]!);
      const erin = new Sender(DEV_KEYS[4]!);
      dave.nonce = Number(await node!.rpc('eth_getTransactionCount', [dave.address, 'latest']));
      erin.nonce = Number(await node!.rpc('eth_getTransactionCount', [erin.address, 'latest']));
      const received = new Map<string, any>();
      const track = async (raw: string) => {
        const hash = await send(node!, raw);
        received.set(hash, await waitReceipt(node!, hash));
      };
      // Burst A: wait for all receipts.
      await Promise.all(Array.from({ length: 8 }, async (_, i) => track(await (i % 2 ? dave : erin).sign({ to: recipients[i % 2]!, value: BigInt(i + 1) }))));
      // Burst B: send without waiting; kill the node the moment the first receipt of B is in
      // hand, with the rest of B still in flight.
      const signed = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? dave : erin).sign({ to: recipients[0]!, value: 100n + BigInt(i) })));
      const inFlight = signed.map((raw) => track(raw));
      await Promise.race(inFlight);
      const seen = new Map(received);
      const code = await node!.stop('SIGKILL');
      assert.equal(code, null, 'killed by a signal, no exit code');
      await Promise.allSettled(inFlight);
      assert.ok(seen.size >= 9);

      node = await NodeProcess.start({ dataDir });
      for (const [hash, receipt] of seen) {
        const after = await node.rpc('eth_getTransactionReceipt', [hash]);
        assert.deepEqual(after, receipt, `receipt of ${hash} (block ${receipt.blockNumber}) lost or changed after SIGKILL`);
        const block = await node.rpc('eth_getBlockByNumber', [receipt.blockNumber, false]);
        assert.equal(block.hash, receipt.blockHash);
        assert.ok(block.transactions.includes(hash));
      }
      // Nonces on the node are at least those of the transactions whose receipts were seen, and
      // the chain continues.
      for (const s of [dave, erin]) {
        const nonce = Number(await node.rpc('eth_getTransactionCount', [s.address, 'latest']));
        const mine = [...seen.values()].filter((r) => r.from.toLowerCase() === s.address.toLowerCase()).length;
        assert.ok(nonce >= mine, `${s.address}: nonce ${nonce} after restart, but ${mine} of its receipts were received`);
        s.nonce = nonce;
      }
      const head = Number(await node.rpc('eth_blockNumber'));
      const receipt = await sendAndWait(node, await dave.sign({ to: recipients[1], value: 7n }));
      assert.ok(Number(receipt.blockNumber) > head);
      const parent = await node.rpc('eth_getBlockByNumber', [`0x${(Number(receipt.blockNumber) - 1).toString(16)}`, false]);
      const block = await node.rpc('eth_getBlockByHash', [receipt.blockHash, false]);
      assert.equal(block.parentHash, parent.hash);
    });
  });
});
