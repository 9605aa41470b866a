// State at past blocks through the eth_* methods, in process: balances, nonces, code and
// calls at a past block number, hash or tag are what they were then, and the read policy
// judges each caller by the state of that block, as it does at latest.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'mocha';
import { Wallet } from 'ethers';
import { sessionCaller, ANONYMOUS, type Caller } from '../../evm-adapter/access/caller.js';
import { EVM_POLICY } from '../../evm-adapter/policy.js';
import { ethMethods } from '../../rpc/methods/eth.js';
import { contractInterface, deployData, ensureContractsCompiled } from '../support/contracts.js';
import { signed, startEvmNode, type EvmNode } from './helpers.js';

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
const SUPPLY = 10n ** 24n;

describe('evm / state at past blocks', function () {
  this.timeout(60_000);
  let n: EvmNode;
  let alice: Wallet, bob: Wallet, carol: Wallet;
  let as: Record<'alice' | 'bob' | 'carol', Caller>;
  let methods: ReturnType<typeof ethMethods>;
  const rpc = (caller: Caller, method: string, ...params: unknown[]) => methods[method]!(params, caller) as Promise<any>;
  const token = contractInterface('PrivateToken');
  const recipient = Wallet.createRandom().address;
  let nonce = 0;
  /** after each of alice's transactions: its block, and what alice and the recipient then held */
  const seen: { block: string; hash: string; alice: string; recipient: string; nonce: string }[] = [];
  let privateToken: string;
  let deployBlock: number;

  async function send(request: { to?: string; data?: string; value?: bigint }): Promise<any> {
    const tx = await signed(alice, { nonce: nonce++, gasLimit: 3_000_000n, ...request });
    await n.send(tx.raw);
    const receipt = await rpc(as.alice, 'eth_getTransactionReceipt', hex(tx.hash));
    seen.push({
      block: receipt.blockNumber,
      hash: receipt.blockHash,
      alice: await rpc(as.alice, 'eth_getBalance', alice.address, 'latest'),
      recipient: await rpc(as.alice, 'eth_getBalance', recipient, 'latest'),
      nonce: await rpc(as.alice, 'eth_getTransactionCount', alice.address, 'latest'),
    });
    return receipt;
  }

  before(async () => {
    ensureContractsCompiled();
    n = await startEvmNode();
    methods = ethMethods(n.evm, n.send);
    [alice, bob, carol] = n.wallets as [Wallet, Wallet, Wallet];
    as = { alice: sessionCaller(alice.address), bob: sessionCaller(bob.address), carol: sessionCaller(carol.address) };
    for (let i = 1; i <= 3; i++) await send({ to: recipient, value: BigInt(i) * 1000n });
    const deployed = await send({ data: deployData('PrivateToken', ['Private', 'PRV', SUPPLY, alice.address]) });
    privateToken = deployed.contractAddress;
    deployBlock = Number(deployed.blockNumber);
    await send({ to: privateToken, data: token.encodeFunctionData('transfer', [bob.address, 5n]) });
    await send({ to: recipient, value: 1n });
  });

  after(async () => n?.stop());

  it('answers balances and nonces at each past block, by number, hash and EIP-1898 object, as they were', async () => {
    assert.ok(new Set(seen.map((s) => s.block)).size === seen.length, 'one block per transaction');
    for (const s of seen) {
      assert.equal(await rpc(as.alice, 'eth_getBalance', alice.address, s.block), s.alice, `alice at ${s.block}`);
      assert.equal(await rpc(as.alice, 'eth_getBalance', recipient, s.block), s.recipient, `recipient at ${s.block}`);
      assert.equal(await rpc(as.alice, 'eth_getTransactionCount', alice.address, s.block), s.nonce, `nonce at ${s.block}`);
      assert.equal(await rpc(as.alice, 'eth_getBalance', recipient, { blockHash: s.hash }), s.recipient, `by hash at ${s.block}`);
      assert.equal(await rpc(as.alice, 'eth_getBalance', recipient, { blockHash: s.hash, requireCanonical: true }), s.recipient);
      assert.equal(await rpc(as.alice, 'eth_getTransactionCount', alice.address, { blockNumber: s.block }), s.nonce);
    }
    assert.equal(await rpc(as.alice, 'eth_getBalance', recipient, 'earliest'), '0x0');
    assert.equal(await rpc(as.alice, 'eth_getTransactionCount', alice.address, 'earliest'), '0x0');
  });

  it('answers code and calls at past blocks: no code before the deployment, the balances of then after it', async () => {
    const before = `0x${(deployBlock - 1).toString(16)}`;
    const at = `0x${deployBlock.toString(16)}`;
    assert.equal(await rpc(as.alice, 'eth_getCode', privateToken, before), '0x');
    assert.equal(await rpc(as.alice, 'eth_getCode', privateToken, at), await rpc(as.alice, 'eth_getCode', privateToken, 'latest'));
    const balanceOf = { to: privateToken, data: token.encodeFunctionData('balanceOf', [bob.address]) };
    assert.equal(BigInt(await rpc(as.bob, 'eth_call', balanceOf, at)), 0n, 'bob held nothing when it was deployed');
    assert.equal(BigInt(await rpc(as.bob, 'eth_call', balanceOf, 'latest')), 5n);
    assert.equal(await rpc(as.bob, 'eth_call', balanceOf, before), '0x', 'a call to no code returns nothing');
    const gas = await rpc(as.bob, 'eth_estimateGas', balanceOf, at);
    assert.ok(BigInt(gas) > 21_000n);
  });

  it('refuses a non-party at a past block as at latest', async () => {
    const at = `0x${deployBlock.toString(16)}`;
    const balanceOf = { to: privateToken, data: token.encodeFunctionData('balanceOf', [bob.address]) };
    for (const tag of ['latest', at]) {
      await assert.rejects(rpc(as.carol, 'eth_call', balanceOf, tag), (e: { data?: string }) => token.decodeErrorResult('NotAuthorized', e.data!)[0] === carol.address, `carol at ${tag}`);
      assert.equal(await rpc(as.carol, 'eth_getBalance', alice.address, tag), '0x0', `carol reads no one else's balance at ${tag}`);
      assert.equal(await rpc(ANONYMOUS, 'eth_getCode', privateToken, tag), '0x', `code is for users at ${tag}`);
    }
  });

  it("judges the caller by the policy of that block: a later 'users' policy does not open earlier state", async () => {
    const past = seen[1]!;
    const { txid } = await n.node.transact((tx) => tx.map(EVM_POLICY).set(0, { ...tx.map(EVM_POLICY).get(0)!, balances: 'users' }));
    n.node.emitSignature();
    await n.node.waitCommitted(txid!);
    assert.equal(await rpc(as.carol, 'eth_getBalance', alice.address, 'latest'), await rpc(as.alice, 'eth_getBalance', alice.address, 'latest'), 'at latest she may');
    assert.equal(await rpc(as.carol, 'eth_getBalance', alice.address, past.block), '0x0', 'at a block before the vote she may not');
    await n.node.transact((tx) => tx.map(EVM_POLICY).set(0, { ...tx.map(EVM_POLICY).get(0)!, balances: 'own' })).then(({ txid: t }) => (n.node.emitSignature(), n.node.waitCommitted(t!)));
  });

  it('answers a block after the head, or an unknown hash, with the standard error', async () => {
    const head = Number(await rpc(as.alice, 'eth_blockNumber'));
    await assert.rejects(rpc(as.alice, 'eth_getBalance', alice.address, `0x${(head + 1).toString(16)}`), (e: { code?: number; message: string }) => e.code === -32602 && /block \d+ not found/.test(e.message));
    await assert.rejects(rpc(as.alice, 'eth_call', { to: recipient }, { blockHash: `0x${'ab'.repeat(32)}` }), (e: { code?: number; message: string }) => e.code === -32602 && /not found/.test(e.message));
  });

  it('builds the state of the next block from the one before it, reading one block of entries', async () => {
    const head = Number(await rpc(as.alice, 'eth_blockNumber'));
    await rpc(as.alice, 'eth_getBalance', alice.address, `0x${(head - 2).toString(16)}`);
    const usage = n.node.historyUsage;
    await rpc(as.alice, 'eth_getBalance', alice.address, `0x${(head - 1).toString(16)}`);
    assert.equal(n.node.historyUsage.states, usage.states, 'the same store, extended');
    assert.ok(n.node.historyUsage.bytes > usage.bytes);
  });

  it("and by today's standing: a policy closed since closes the blocks it had opened", async () => {
    const setBalances = async (balances: 'users' | 'own') => {
      const { txid } = await n.node.transact((tx) => tx.map(EVM_POLICY).set(0, { ...tx.map(EVM_POLICY).get(0)!, balances }));
      n.node.emitSignature();
      await n.node.waitCommitted(txid!);
    };
    await setBalances('users');
    const open = await rpc(as.alice, 'eth_blockNumber');
    assert.notEqual(await rpc(as.carol, 'eth_getBalance', alice.address, open), '0x0', 'while users may read balances, she may');
    await setBalances('own');
    assert.equal(await rpc(as.carol, 'eth_getBalance', alice.address, open), '0x0', 'once closed, closed at that block too');
  });
});
