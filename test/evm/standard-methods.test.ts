// The standard methods of issue 12, in process, per caller: eth_getBlockReceipts,
// eth_createAccessList, eth_newPendingTransactionFilter, Multicall3 in genesis, and the
// methods refused with their reason. Parties and private contracts as in
// test/access/read-policy.test.ts.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'mocha';
import { Wallet, id as eventTopic } from 'ethers';
import { decodeFunctionResult, encodeFunctionData, multicall3Abi } from 'viem';
import { ANONYMOUS, sessionCaller, type Caller } from '../../evm-adapter/access/caller.js';
import { EventRule } from '../../evm-adapter/access/event-rules.js';
import { EVENT_VISIBILITY, eventVisibilityKey } from '../../evm-adapter/access/tables.js';
import { ErrorCode } from '../../evm-adapter/errors.js';
import { MULTICALL3_ADDRESS, MULTICALL3_RUNTIME } from '../../evm-adapter/multicall3.js';
import { accessListMethods } from '../../rpc/methods/access-list.js';
import { blockReceiptMethods } from '../../rpc/methods/block-receipts.js';
import { debugMethods } from '../../rpc/methods/debug.js';
import { ethMethods, type Method } from '../../rpc/methods/eth.js';
import { unsupportedMethods } from '../../rpc/methods/unsupported.js';
import { TEST_AUDITOR } from '../support/auditor-reads.js';
import { contractInterface, deployData, ensureContractsCompiled } from '../support/contracts.js';
import { compileMulticall3Runtime } from '../support/multicall3-build.js';
import { signed, startEvmNode, type EvmNode } from './helpers.js';

const SUPPLY = 10n ** 24n;
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

describe('evm / standard methods (issue 12), per caller', function () {
  this.timeout(60_000);
  let n: EvmNode;
  let alice: Wallet, bob: Wallet, carol: Wallet;
  let as: Record<'anonymous' | 'alice' | 'bob' | 'carol' | 'auditor', Caller>;
  let privateToken: string, publicToken: string;
  let privateTransfer: string, publicTransfer: string, etherTransfer: string;
  let block: string;
  const nonces = new Map<string, number>();
  const token = contractInterface('PrivateToken');
  let methods: Record<string, Method>;
  const rpc = async (caller: Caller, method: string, ...params: unknown[]) => methods[method]!(params, caller) as Promise<any>;

  async function send(wallet: Wallet, request: { to?: string; data?: string; value?: bigint }): Promise<string> {
    const nonce = nonces.get(wallet.address) ?? 0;
    nonces.set(wallet.address, nonce + 1);
    const tx = await signed(wallet, { nonce, gasLimit: 3_000_000n, ...request });
    await n.send(tx.raw);
    return hex(tx.hash);
  }

  before(async () => {
    ensureContractsCompiled();
    n = await startEvmNode();
    methods = { ...ethMethods(n.evm, n.send), ...blockReceiptMethods(n.evm), ...accessListMethods(n.evm), ...debugMethods(n.evm), ...unsupportedMethods() };
    [alice, bob, carol] = n.wallets as [Wallet, Wallet, Wallet];
    as = { anonymous: ANONYMOUS, alice: sessionCaller(alice.address), bob: sessionCaller(bob.address), carol: sessionCaller(carol.address), auditor: sessionCaller(TEST_AUDITOR) };
    const deployPrivate = await send(alice, { data: deployData('PrivateToken', ['Private', 'PRV', SUPPLY, TEST_AUDITOR]) });
    const deployPublic = await send(alice, { data: deployData('Token', ['Public', 'PUB', SUPPLY]) });
    privateToken = (await rpc(as.auditor, 'eth_getTransactionReceipt', deployPrivate)).contractAddress;
    publicToken = (await rpc(as.auditor, 'eth_getTransactionReceipt', deployPublic)).contractAddress;
    // One block: a private transfer to bob, a public one to carol, an ether transfer.
    [privateTransfer, publicTransfer, etherTransfer] = await Promise.all([
      send(alice, { to: privateToken, data: token.encodeFunctionData('transfer', [bob.address, 5n]) }),
      send(alice, { to: publicToken, data: token.encodeFunctionData('transfer', [carol.address, 3n]) }),
      send(alice, { to: Wallet.createRandom().address, value: 7n }),
    ]);
    block = (await rpc(as.auditor, 'eth_getTransactionReceipt', privateTransfer)).blockNumber;
  });

  after(async () => n?.stop());

  describe('eth_getBlockReceipts', () => {
    it("answers the receipts of the caller's view of the block, each as eth_getTransactionReceipt answers it", async () => {
      const seen: Record<string, string[]> = { auditor: [privateTransfer, publicTransfer, etherTransfer], alice: [privateTransfer, publicTransfer, etherTransfer], bob: [privateTransfer, publicTransfer], carol: [publicTransfer], anonymous: [] };
      for (const [who, hashes] of Object.entries(seen)) {
        const caller = as[who as keyof typeof as];
        const receipts = await rpc(caller, 'eth_getBlockReceipts', block);
        assert.deepEqual(receipts.map((r: { transactionHash: string }) => r.transactionHash), hashes, `${who} sees its transactions`);
        for (const r of receipts) assert.deepEqual(r, await rpc(caller, 'eth_getTransactionReceipt', r.transactionHash), `${who}: as its receipt`);
      }
      const [carols] = await rpc(as.carol, 'eth_getBlockReceipts', block);
      assert.equal(carols.transactionIndex, '0x0', "numbered in carol's view");
      assert.equal(carols.cumulativeGasUsed, carols.gasUsed, 'no one else gas in it');
      assert.equal(carols.logs[0].logIndex, '0x0');
    });

    it('takes a tag, a hash or an EIP-1898 object; an unknown block is null, bad input an error', async () => {
      const { hash } = await rpc(as.auditor, 'eth_getBlockByNumber', block, false);
      const byNumber = await rpc(as.bob, 'eth_getBlockReceipts', block);
      assert.deepEqual(await rpc(as.bob, 'eth_getBlockReceipts', hash), byNumber);
      assert.deepEqual(await rpc(as.bob, 'eth_getBlockReceipts', { blockHash: hash }), byNumber);
      assert.ok(Array.isArray(await rpc(as.bob, 'eth_getBlockReceipts', 'latest')));
      assert.equal(await rpc(as.bob, 'eth_getBlockReceipts', '0xffffff'), null);
      assert.equal(await rpc(as.bob, 'eth_getBlockReceipts', `0x${'ab'.repeat(32)}`), null);
      await assert.rejects(rpc(as.bob, 'eth_getBlockReceipts', 'soon'), { code: ErrorCode.InvalidParams });
      await assert.rejects(rpc(as.bob, 'eth_getBlockReceipts'), { code: ErrorCode.InvalidParams });
    });
  });

  describe('eth_createAccessList', () => {
    const transfer = (to: string) => token.encodeFunctionData('transfer', [to, 1n]);

    it("lists what a call touches, with the gas it uses with that list, run as its caller", async () => {
      const result = await rpc(as.alice, 'eth_createAccessList', { to: publicToken, data: transfer(bob.address) });
      const entry = result.accessList.find((e: { address: string }) => e.address === publicToken);
      assert.ok(entry, 'the token, for its slots');
      assert.equal(entry.storageKeys.length, 2, "the sender's and the recipient's balance slots");
      assert.equal(result.error, undefined);
      // What a transaction with the list uses: eth_estimateGas with the same list warm
      // differs by the list's cost minus the cold accesses it saves.
      const estimate = BigInt(await rpc(as.alice, 'eth_estimateGas', { to: publicToken, data: transfer(bob.address) }));
      const gas = BigInt(result.gasUsed);
      assert.ok(gas > 21_000n && gas < estimate + 5_000n, `gasUsed ${gas} near the estimate ${estimate}`);
      assert.ok(!result.accessList.some((e: { address: string }) => e.address === alice.address.toLowerCase()), 'not the sender');
    });

    it('reports a revert as error beside the list; another from is refused as for eth_call', async () => {
      const result = await rpc(as.carol, 'eth_createAccessList', { to: publicToken, data: token.encodeFunctionData('transfer', [bob.address, SUPPLY]) });
      assert.match(result.error, /execution reverted/);
      await assert.rejects(rpc(as.carol, 'eth_createAccessList', { from: bob.address, to: publicToken, data: transfer(bob.address) }), /not the signed-in address/);
      await assert.rejects(rpc(as.carol, 'eth_createAccessList', 'x'), { code: ErrorCode.InvalidParams });
    });

    it("lists a contract's storage slots only to a caller who may read the contract", async () => {
      const slotsOf = async (caller: Caller, to: string) => {
        const result = await rpc(caller, 'eth_createAccessList', { to, data: transfer(bob.address) });
        return result.accessList.find((e: { address: string }) => e.address === to)?.storageKeys.length ?? 0;
      };
      assert.equal(await slotsOf(as.alice, privateToken), 0, 'a private token: alice, no reader by its checkAccess, gets no slots');
      assert.ok((await slotsOf(as.auditor, privateToken)) > 0, 'its auditor does');
      assert.equal(await slotsOf(as.anonymous, publicToken), 0, 'a public contract: users only');
      assert.equal(await slotsOf(as.carol, publicToken), 2);
    });
  });

  describe('eth_newPendingTransactionFilter', () => {
    it('reports the hashes of the transactions the caller may see, once each, as they execute', async () => {
      const ids = Object.fromEntries(await Promise.all(Object.entries(as).map(async ([who, c]) => [who, await rpc(c, 'eth_newPendingTransactionFilter')] as const)));
      n.storage.hold(); // executed, not committed
      const privateSend = n.evm.sendRawTransaction((await signed(alice, { nonce: nonces.get(alice.address)!, to: privateToken, data: token.encodeFunctionData('transfer', [bob.address, 1n]) })).raw);
      nonces.set(alice.address, nonces.get(alice.address)! + 1);
      const { hash } = await privateSend;
      const shown = async (who: keyof typeof as) => rpc(as[who], 'eth_getFilterChanges', ids[who]);
      assert.deepEqual(await shown('bob'), [hex(hash)], 'bob, its recipient, before it commits');
      assert.deepEqual(await shown('bob'), [], 'once');
      assert.deepEqual(await shown('carol'), [], 'carol may not see it');
      assert.deepEqual(await shown('anonymous'), []);
      n.storage.release();
      await n.node.waitCommitted((await privateSend).txid);
      assert.deepEqual(await shown('auditor'), [hex(hash)]);
      const later = await send(alice, { to: publicToken, data: token.encodeFunctionData('transfer', [carol.address, 1n]) });
      assert.deepEqual(await shown('carol'), [later], 'after a sealed block too');
      assert.deepEqual(await shown('alice'), [hex(hash), later]);
      await assert.rejects(rpc(as.carol, 'eth_getFilterChanges', ids.bob), /filter not found/);
      await assert.rejects(rpc(as.bob, 'eth_getFilterLogs', ids.bob), /not a log filter/);
    });
  });

  describe('Multicall3', () => {
    it('is in genesis at its canonical address: the vendored source compiled', async () => {
      assert.equal(MULTICALL3_ADDRESS, '0xcA11bde05977b3631167028862bE2a173976CA11'.toLowerCase());
      assert.equal(await rpc(as.carol, 'eth_getCode', MULTICALL3_ADDRESS, 'latest'), hex(MULTICALL3_RUNTIME));
      assert.equal(hex(MULTICALL3_RUNTIME), compileMulticall3Runtime(), 'evm-adapter/multicall3.ts is contracts/Multicall3.sol compiled');
    });

    it('aggregates reads in one eth_call, each as Multicall3 (never as its caller)', async () => {
      const balanceOf = (of: string) => ({ target: publicToken as `0x${string}`, allowFailure: true, callData: token.encodeFunctionData('balanceOf', [of]) as `0x${string}` });
      const data = encodeFunctionData({ abi: multicall3Abi, functionName: 'aggregate3', args: [[balanceOf(carol.address), balanceOf(bob.address), { ...balanceOf(carol.address), target: privateToken as `0x${string}` }]] });
      const out = decodeFunctionResult({ abi: multicall3Abi, functionName: 'aggregate3', data: await rpc(as.carol, 'eth_call', { to: MULTICALL3_ADDRESS, data }, 'latest') });
      const direct = await rpc(as.carol, 'eth_call', { to: publicToken, data: token.encodeFunctionData('balanceOf', [carol.address]) }, 'latest');
      assert.equal(out[0]!.returnData, direct, "carol's public balance");
      assert.ok(BigInt(direct) >= 3n);
      assert.equal(BigInt(out[1]!.returnData), 0n);
      assert.equal(out[2]!.success, false, 'the private token refuses Multicall3 as reader');
    });
  });

  describe('debug_traceCall and debug_traceTransaction', () => {
    // A public contract (Multicall3) calling a public token and a private one.
    const batch = () => {
      const call = (target: string, of: string) => ({ target: target as `0x${string}`, allowFailure: true, callData: token.encodeFunctionData('balanceOf', [of]) as `0x${string}` });
      return { to: MULTICALL3_ADDRESS, data: encodeFunctionData({ abi: multicall3Abi, functionName: 'aggregate3', args: [[call(publicToken, carol.address), call(privateToken, carol.address)]] }) };
    };

    it("callTracer: the tree of calls; a private contract's frame, to whoever may not read it, without input, output or sub-calls", async () => {
      const full = await rpc(as.auditor, 'debug_traceCall', batch(), 'latest', { tracer: 'callTracer' });
      assert.equal(full.type, 'CALL');
      assert.equal(full.to, MULTICALL3_ADDRESS);
      assert.equal(full.input, batch().data);
      assert.equal(full.output, await rpc(as.auditor, 'eth_call', batch(), 'latest'), 'the top frame answers as eth_call');
      assert.deepEqual(full.calls.map((c: { type: string; to: string }) => [c.type, c.to]), [['CALL', publicToken], ['CALL', privateToken]]);
      assert.ok(full.calls[1].input && !full.calls[1].redacted, 'the auditor reads the private token: its frame whole');
      const carols = await rpc(as.carol, 'debug_traceCall', batch(), 'latest', { tracer: 'callTracer' });
      assert.deepEqual(carols.calls[0], full.calls[0], 'carol reads the public token: its frame whole');
      const hidden = carols.calls[1];
      assert.equal(hidden.to, privateToken);
      assert.equal(hidden.redacted, true);
      for (const field of ['input', 'output', 'value', 'error', 'calls']) assert.equal(hidden[field], undefined, `no ${field}`);
      const top = await rpc(as.carol, 'debug_traceCall', batch(), 'latest', { tracer: 'callTracer', tracerConfig: { onlyTopCall: true } });
      assert.equal(top.calls, undefined);
    });

    it("struct logger: the opcode steps, none of them inside a contract the caller may not read", async () => {
      const full = await rpc(as.auditor, 'debug_traceCall', batch(), 'latest');
      assert.equal(full.failed, false);
      assert.ok(full.structLogs.length > 100);
      const first = full.structLogs[0];
      assert.deepEqual([first.pc, first.op, first.depth], [0, 'PUSH1', 1]);
      assert.ok(Array.isArray(first.stack) && first.memory === undefined);
      const depth2 = (t: { structLogs: { depth: number }[] }) => t.structLogs.filter((s) => s.depth === 2).length;
      const carols = await rpc(as.carol, 'debug_traceCall', batch(), 'latest');
      assert.ok(depth2(carols) > 0, 'the public token steps');
      assert.ok(depth2(carols) < depth2(full), 'not the private token steps');
      assert.equal(carols.structLogs.filter((s: { depth: number }) => s.depth === 1).length, full.structLogs.filter((s: { depth: number }) => s.depth === 1).length, "Multicall3's own steps, all");
      const bare = await rpc(as.carol, 'debug_traceCall', batch(), 'latest', { disableStack: true, enableMemory: true });
      assert.ok(bare.structLogs[0].stack === undefined && Array.isArray(bare.structLogs[5].memory));
    });

    it('runs as eth_call runs (as its caller); bad tracers and configs are refused', async () => {
      await assert.rejects(rpc(as.carol, 'debug_traceCall', { ...batch(), from: bob.address }, 'latest'), /not the signed-in address/);
      await assert.rejects(rpc(as.carol, 'debug_traceCall', batch(), 'latest', { tracer: 'prestateTracer' }), /not supported here/);
      await assert.rejects(rpc(as.carol, 'debug_traceCall', batch(), 'latest', { disableStack: 'yes' }), { code: ErrorCode.InvalidParams });
    });

    it('traceTransaction: to who may see the transaction, its calls re-executed on the state before it; to others, as an unknown one', async () => {
      const trace = await rpc(as.bob, 'debug_traceTransaction', privateTransfer, { tracer: 'callTracer' });
      const receipt = await rpc(as.bob, 'eth_getTransactionReceipt', privateTransfer);
      assert.equal(trace.type, 'CALL');
      assert.equal(trace.to, privateToken.toLowerCase());
      assert.equal(trace.from, receipt.from);
      assert.equal(trace.error, undefined, 'it succeeded, as it did');
      assert.equal(trace.gasUsed, receipt.gasUsed, 'the gas it used then');
      const steps = await rpc(as.auditor, 'debug_traceTransaction', privateTransfer);
      assert.ok(steps.structLogs.some((s: { op: string }) => s.op === 'SSTORE'), 'a transfer writes balances (the auditor reads the private token)');
      await assert.rejects(rpc(as.carol, 'debug_traceTransaction', privateTransfer), { message: 'transaction not found' });
      await assert.rejects(rpc(as.carol, 'debug_traceTransaction', `0x${'ab'.repeat(32)}`), { message: 'transaction not found' });
    });
  });

  // Last: the members' mark below changes who sees the private token's events.
  describe('eth_getBlockReceipts, a transaction of which the caller sees only a log', () => {
    it('is left out: its receipt is not the caller\'s', async () => {
      const { txid } = await n.node.transact((tx) => tx.map(EVENT_VISIBILITY).set(eventVisibilityKey(privateToken, eventTopic('Transfer(address,address,uint256)')), EventRule.Everyone));
      n.node.emitSignature();
      await n.node.waitCommitted(txid!);
      const later = await send(alice, { to: privateToken, data: token.encodeFunctionData('transfer', [bob.address, 1n]) });
      const number = (await rpc(as.auditor, 'eth_getTransactionReceipt', later)).blockNumber;
      assert.equal((await rpc(as.carol, 'eth_getLogs', { fromBlock: number, toBlock: number })).length, 1, 'carol sees the now public Transfer');
      assert.deepEqual(await rpc(as.carol, 'eth_getBlockReceipts', number), [], 'not its receipt');
      assert.equal((await rpc(as.alice, 'eth_getBlockReceipts', number))[0].transactionHash, later, 'its sender\'s');
    });
  });

  it('refuses the methods that make no sense here with -32004 and the reason', async () => {
    const reasons: Record<string, RegExp> = { eth_getProof: /no state trie/, eth_sendTransaction: /no user keys/, eth_sign: /no user keys/, eth_signTransaction: /no user keys/, eth_mining: /no mining/, eth_hashrate: /no mining/, eth_coinbase: /no coinbase/, eth_fillTransaction: /no user keys/ };
    for (const [method, reason] of Object.entries(reasons)) {
      await assert.rejects(rpc(as.alice, method, {}), (e: { code: number; message: string }) => {
        assert.equal(e.code, -32004, method);
        assert.match(e.message, new RegExp(`^${method} is not supported here: .*${reason.source}`));
        return true;
      });
    }
  });
});
