// The read policy through the eth_* methods, in process: each caller (anonymous, a party,
// an authenticated non-party, the auditor) gets exactly its view, and what it may not see
// is answered as what does not exist. Governance marks are written as their actions would.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'mocha';
import { Wallet, id as eventTopic } from 'ethers';
import { hexToBytes } from '@ethereumjs/util';
import { RLP } from '@ethereumjs/rlp';
import { encodeReceiptRecord } from '../../evm-adapter/blocks.js';
import { keccak256 } from '../../evm-adapter/common.js';
import { RECEIPTS } from '../../evm-adapter/tables.js';
import { USERS_INFO } from '../../core/governance/tables.js';
import { ANONYMOUS, sessionCaller, type Caller } from '../../evm-adapter/access/caller.js';
import { EventRule } from '../../evm-adapter/access/event-rules.js';
import { CONTRACT_VISIBILITY, EVENT_VISIBILITY, eventVisibilityKey } from '../../evm-adapter/access/tables.js';
import { decodeHeader, HeaderField } from '../../evm-adapter/header.js';
import { EVM_POLICY } from '../../evm-adapter/policy.js';
import { ethMethods } from '../../rpc/methods/eth.js';
import { TEST_AUDITOR } from '../support/auditor-reads.js';
import { contractInterface, deployData, ensureContractsCompiled } from '../support/contracts.js';
import { signed, startEvmNode, type EvmNode } from '../evm/helpers.js';

const TRANSFER = eventTopic('Transfer(address,address,uint256)');
const SUPPLY = 10n ** 24n;
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

describe('access / the read policy per caller (one node, in process)', function () {
  this.timeout(60_000);
  let n: EvmNode;
  let alice: Wallet, bob: Wallet, carol: Wallet;
  let as: Record<'anonymous' | 'alice' | 'bob' | 'carol' | 'auditor', Caller>;
  let privateToken: string, publicToken: string;
  let privateTransfer: string, publicTransfer: string, etherTransfer: string;
  const nonces = new Map<string, number>();
  const token = contractInterface('PrivateToken');
  let methods: ReturnType<typeof ethMethods>;
  const rpc = (caller: Caller, method: string, ...params: unknown[]) => methods[method]!(params, caller) as Promise<any>;

  async function send(wallet: Wallet, request: { to?: string; data?: string; value?: bigint }): Promise<string> {
    const nonce = nonces.get(wallet.address) ?? 0;
    nonces.set(wallet.address, nonce + 1);
    const tx = await signed(wallet, { nonce, gasLimit: 3_000_000n, ...request });
    await n.send(tx.raw);
    return hex(tx.hash);
  }

  async function govern(write: Parameters<EvmNode['node']['transact']>[0]): Promise<void> {
    const { txid } = await n.node.transact(write);
    n.node.emitSignature();
    await n.node.waitCommitted(txid!);
  }

  before(async () => {
    ensureContractsCompiled();
    n = await startEvmNode();
    methods = ethMethods(n.evm, n.send);
    [alice, bob, carol] = n.wallets as [Wallet, Wallet, Wallet];
    as = {
      anonymous: ANONYMOUS,
      alice: sessionCaller(alice.address),
      bob: sessionCaller(bob.address),
      carol: sessionCaller(carol.address),
      auditor: sessionCaller(TEST_AUDITOR),
    };
    const deployPrivate = await send(alice, { data: deployData('PrivateToken', ['Private', 'PRV', SUPPLY, TEST_AUDITOR]) });
    const deployPublic = await send(alice, { data: deployData('Token', ['Public', 'PUB', SUPPLY]) });
    privateToken = (await rpc(as.auditor, 'eth_getTransactionReceipt', deployPrivate)).contractAddress;
    publicToken = (await rpc(as.auditor, 'eth_getTransactionReceipt', deployPublic)).contractAddress;
    // Three transactions in one block: a private transfer, a public one and an ether transfer.
    [privateTransfer, publicTransfer, etherTransfer] = await Promise.all([
      send(alice, { to: privateToken, data: token.encodeFunctionData('transfer', [bob.address, 5n]) }),
      send(alice, { to: publicToken, data: token.encodeFunctionData('transfer', [carol.address, 3n]) }),
      send(alice, { to: Wallet.createRandom().address, value: 7n }),
    ]);
  });

  after(async () => n?.stop());

  it('shows a private transfer to its sender, its recipient and the auditor; to no one else, as if it did not exist', async () => {
    for (const who of ['alice', 'bob', 'auditor'] as const) {
      const tx = await rpc(as[who], 'eth_getTransactionByHash', privateTransfer);
      assert.equal(tx?.hash, privateTransfer, `${who} sees the transaction`);
      const receipt = await rpc(as[who], 'eth_getTransactionReceipt', privateTransfer);
      assert.equal(receipt.logs.length, 1, `${who} sees its Transfer log`);
    }
    const unknown = `0x${'ab'.repeat(32)}`;
    for (const who of ['carol', 'anonymous'] as const) {
      assert.equal(await rpc(as[who], 'eth_getTransactionByHash', privateTransfer), null, `${who}: no transaction`);
      assert.equal(await rpc(as[who], 'eth_getTransactionReceipt', privateTransfer), null, `${who}: no receipt`);
      assert.deepEqual(await rpc(as[who], 'eth_getLogs', { fromBlock: '0x0', address: privateToken }), [], `${who}: no logs`);
      assert.deepEqual(await rpc(as[who], 'eth_getTransactionByHash', privateTransfer), await rpc(as[who], 'eth_getTransactionByHash', unknown));
    }
  });

  it('shows a public contract to every user and to no anonymous caller; an ether transfer to its two parties', async () => {
    assert.ok(await rpc(as.carol, 'eth_getTransactionReceipt', publicTransfer), 'carol, a user, sees the public token');
    assert.equal(await rpc(as.anonymous, 'eth_getTransactionReceipt', publicTransfer), null, 'anonymous does not');
    assert.ok(await rpc(as.alice, 'eth_getTransactionByHash', etherTransfer), 'the sender sees its ether transfer');
    assert.equal(await rpc(as.bob, 'eth_getTransactionByHash', etherTransfer), null, 'a third user does not');
  });

  it("numbers a block's transactions, logs and gas in the caller's view, and the header tells nothing", async () => {
    const number = (await rpc(as.auditor, 'eth_getTransactionReceipt', privateTransfer)).blockNumber;
    const full = await rpc(as.auditor, 'eth_getBlockByNumber', number, false);
    assert.equal(full.transactions.length, 3, 'the auditor sees all three');
    const carolsBlock = await rpc(as.carol, 'eth_getBlockByNumber', number, false);
    assert.deepEqual(carolsBlock.transactions, [publicTransfer], 'carol sees only the public transfer');
    const carolsReceipt = await rpc(as.carol, 'eth_getTransactionReceipt', publicTransfer);
    assert.equal(carolsReceipt.transactionIndex, '0x0', 'first in her view');
    assert.equal(carolsReceipt.cumulativeGasUsed, carolsReceipt.gasUsed, 'no one else gas in her view');
    assert.equal(carolsReceipt.logs[0].logIndex, '0x0');
    assert.equal(carolsBlock.gasUsed, carolsReceipt.gasUsed, "the block's gas is her view's");
    assert.equal(await rpc(as.carol, 'eth_getBlockTransactionCountByNumber', number), '0x1');
    assert.equal((await rpc(as.carol, 'eth_getTransactionByBlockNumberAndIndex', number, '0x0')).hash, publicTransfer);
    assert.equal(await rpc(as.carol, 'eth_getTransactionByBlockNumberAndIndex', number, '0x1'), null);
    assert.equal((await rpc(as.anonymous, 'eth_getBlockByNumber', number, false)).transactions.length, 0);
    // The header, which everyone sees, has no gas figure and a bloom of public logs only.
    const record = (await n.evm.block(Number(number), as.auditor))!.block;
    assert.equal(decodeHeader(record.header)[HeaderField.GasUsed]!.length, 0, 'header gasUsed is 0');
    assert.equal(full.logsBloom, `0x${'00'.repeat(256)}`, 'no public log, an empty bloom');
    // Each receipt enters the receipts root beside its transaction's hash: no guess of a
    // receipt (status, gas, a transfer's amount) can be checked against it without the hash.
    const pairs = n.evm.committed((tx) => full.transactions.map((h: string) => [hexToBytes(h as `0x${string}`), encodeReceiptRecord(tx.map(RECEIPTS).get(hexToBytes(h as `0x${string}`))!, n.evm.common)]));
    assert.equal(full.receiptsRoot, hex(keccak256(RLP.encode(pairs))));
  });

  it('numbers a receipt as the caller\'s block view does, whichever caller', async () => {
    const number = (await rpc(as.auditor, 'eth_getTransactionReceipt', privateTransfer)).blockNumber;
    for (const [who, caller] of Object.entries(as)) {
      const block = await rpc(caller, 'eth_getBlockByNumber', number, true);
      let gas = 0n;
      for (const tx of block.transactions) {
        const receipt = await rpc(caller, 'eth_getTransactionReceipt', tx.hash);
        gas += BigInt(receipt.gasUsed);
        assert.equal(receipt.transactionIndex, tx.transactionIndex, `${who}: index of ${tx.hash}`);
        assert.equal(BigInt(receipt.cumulativeGasUsed), gas, `${who}: cumulative gas of ${tx.hash}`);
      }
      const logs = await rpc(caller, 'eth_getLogs', { fromBlock: number, toBlock: number });
      const receipts = await Promise.all(block.transactions.map((t: { hash: string }) => rpc(caller, 'eth_getTransactionReceipt', t.hash)));
      const inReceipts = receipts.flatMap((r) => r.logs.map((l: { logIndex: string; transactionIndex: string }) => `${l.transactionIndex}/${l.logIndex}`));
      for (const id of inReceipts) assert.ok(logs.some((l: { logIndex: string; transactionIndex: string }) => `${l.transactionIndex}/${l.logIndex}` === id), `${who}: receipt log ${id} is in eth_getLogs`);
    }
  });

  it("reads one's own balance and nonce only, unless the policy lets users read any; the auditor reads all", async () => {
    const balance = (who: Caller, of: string) => rpc(who, 'eth_getBalance', of, 'latest');
    assert.notEqual(await balance(as.alice, alice.address), '0x0');
    assert.equal(await balance(as.carol, alice.address), '0x0', "carol reads no one else's balance");
    assert.equal(await rpc(as.carol, 'eth_getTransactionCount', alice.address, 'latest'), '0x0');
    assert.equal(await balance(as.anonymous, alice.address), '0x0');
    assert.equal(await balance(as.auditor, alice.address), await balance(as.alice, alice.address));
    assert.equal(await rpc(as.anonymous, 'eth_getCode', privateToken, 'latest'), '0x', 'code: users only');
    assert.notEqual(await rpc(as.carol, 'eth_getCode', privateToken, 'latest'), '0x');
    await govern((tx) => tx.map(EVM_POLICY).set(0, { ...tx.map(EVM_POLICY).get(0)!, balances: 'users', code: 'anyone' }));
    assert.equal(await balance(as.carol, alice.address), await balance(as.alice, alice.address), "under 'users' she does");
    assert.equal(await balance(as.anonymous, alice.address), '0x0', 'anonymous still does not');
    assert.notEqual(await rpc(as.anonymous, 'eth_getCode', privateToken, 'latest'), '0x', "code: 'anyone'");
    await govern((tx) => tx.map(EVM_POLICY).set(0, { ...tx.map(EVM_POLICY).get(0)!, balances: 'own', code: 'users' }));
  });

  it('runs a call as the session: another from is refused; an anonymous call runs as the zero address', async () => {
    const balanceOf = (of: string) => ({ to: privateToken, data: token.encodeFunctionData('balanceOf', [of]) });
    const own = await rpc(as.bob, 'eth_call', balanceOf(bob.address), 'latest');
    assert.equal(BigInt(own), 5n, 'bob reads his own balance (from absent: the session)');
    await assert.rejects(rpc(as.carol, 'eth_call', { ...balanceOf(bob.address), from: bob.address }, 'latest'), /not the signed-in address/);
    await assert.rejects(rpc(as.carol, 'eth_estimateGas', { ...balanceOf(bob.address), from: bob.address }), /not the signed-in address/);
    // Anonymous naming bob as from still runs as 0x0: the token refuses it.
    await assert.rejects(rpc(as.anonymous, 'eth_call', { ...balanceOf(bob.address), from: bob.address }, 'latest'), (e: { data?: string }) => {
      assert.equal(token.decodeErrorResult('NotAuthorized', e.data!)[0], `0x${'0'.repeat(40)}`);
      return true;
    });
  });

  it('asks checkAccess on current state: a reader the contract accepts later sees its earlier activity', async () => {
    const chain = contractInterface('SupplyChain');
    const deployed = await send(alice, { data: deployData('SupplyChain', []) });
    const supplyChain = (await rpc(as.auditor, 'eth_getTransactionReceipt', deployed)).contractAddress;
    await send(alice, { to: supplyChain, data: chain.encodeFunctionData('registerParticipant', [alice.address, 1]) });
    const created = await send(alice, { to: supplyChain, data: chain.encodeFunctionData('createItem', [`0x${'11'.repeat(32)}`, 'Lyon']) });
    assert.equal(await rpc(as.carol, 'eth_getTransactionReceipt', created), null, 'carol is no participant');
    await send(alice, { to: supplyChain, data: chain.encodeFunctionData('registerParticipant', [carol.address, 3]) });
    assert.ok(await rpc(as.carol, 'eth_getTransactionReceipt', created), 'once registered, she is');
  });

  it('keeps filters their installer\'s', async () => {
    const id = await rpc(as.bob, 'eth_newFilter', { fromBlock: '0x0', address: privateToken });
    assert.equal((await rpc(as.bob, 'eth_getFilterLogs', id)).length, 1, 'bob: his transfer in, not the mint to alice');
    await assert.rejects(rpc(as.carol, 'eth_getFilterLogs', id), /filter not found/);
    await assert.rejects(rpc(as.anonymous, 'eth_getFilterChanges', id), /filter not found/);
    assert.equal(await rpc(as.carol, 'eth_uninstallFilter', id), false, 'nor may she remove it');
    assert.equal(await rpc(as.bob, 'eth_uninstallFilter', id), true);
  });

  it("follows the members' marks: an event anyone may see enters the header's bloom; a contract marked private or public", async () => {
    await govern((tx) => tx.map(EVENT_VISIBILITY).set(eventVisibilityKey(privateToken, TRANSFER), EventRule.Everyone));
    const later = await send(alice, { to: privateToken, data: token.encodeFunctionData('transfer', [bob.address, 1n]) });
    const receipt = await rpc(as.auditor, 'eth_getTransactionReceipt', later);
    const logs = await rpc(as.anonymous, 'eth_getLogs', { fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber });
    assert.equal(logs.length, 1, 'anonymous sees the now public Transfer');
    assert.equal(await rpc(as.anonymous, 'eth_getTransactionByHash', later), null, 'but not the transaction');
    const block = await rpc(as.anonymous, 'eth_getBlockByNumber', receipt.blockNumber, false);
    assert.notEqual(block.logsBloom, `0x${'00'.repeat(256)}`, 'the header bloom has it');
    assert.deepEqual([block.transactions, block.gasUsed], [[], '0x0'], 'a log of a transaction it may not see counts no gas');
    await govern((tx) => tx.map(EVENT_VISIBILITY).delete(eventVisibilityKey(privateToken, TRANSFER)));

    await govern((tx) => tx.map(CONTRACT_VISIBILITY).set(publicToken.toLowerCase(), 'private'));
    assert.equal(await rpc(as.carol, 'eth_getTransactionReceipt', publicTransfer), null, 'marked private: carol no longer sees it');
    assert.ok(await rpc(as.alice, 'eth_getTransactionReceipt', publicTransfer), 'its sender still does');
    await govern((tx) => tx.map(EVENT_VISIBILITY).set(eventVisibilityKey(publicToken.toLowerCase(), TRANSFER), EventRule.Topic2));
    assert.equal((await rpc(as.carol, 'eth_getTransactionReceipt', publicTransfer))?.logs.length, 1, 'a rule naming her as recipient shows her the transfer');
    await govern((tx) => tx.map(EVENT_VISIBILITY).delete(eventVisibilityKey(publicToken.toLowerCase(), TRANSFER)));
    await govern((tx) => tx.map(CONTRACT_VISIBILITY).set(privateToken.toLowerCase(), 'public'));
    assert.ok(await rpc(as.carol, 'eth_getTransactionReceipt', privateTransfer), 'marked public: carol sees the private token');
    await govern((tx) => {
      tx.map(CONTRACT_VISIBILITY).delete(publicToken.toLowerCase());
      tx.map(CONTRACT_VISIBILITY).delete(privateToken.toLowerCase());
    });
  });
});

describe('access / a development service: the dev accounts need no token', function () {
  this.timeout(60_000);
  let n: EvmNode;
  before(async () => {
    ensureContractsCompiled();
    n = await startEvmNode({}, { devAccounts: true });
  });
  after(async () => n?.stop());

  it('an anonymous caller reads as the dev accounts, and a call may name one as from; any other from runs as 0x0', async () => {
    const [alice] = n.wallets as [Wallet];
    const rpc = (method: string, ...params: unknown[]) => ethMethods(n.evm, n.send)[method]!(params, ANONYMOUS) as Promise<any>;
    const tx = await signed(alice, { nonce: 0, gasLimit: 3_000_000n, data: deployData('PrivateToken', ['P', 'P', SUPPLY, TEST_AUDITOR]) });
    await n.send(tx.raw);
    const receipt = await rpc('eth_getTransactionReceipt', hex(tx.hash));
    assert.ok(receipt, 'its receipt, read as the dev account that sent it');
    assert.notEqual(await rpc('eth_getBalance', alice.address, 'latest'), '0x0', "a dev account's balance");
    assert.equal(await rpc('eth_getBalance', Wallet.createRandom().address, 'latest'), '0x0');
    const balanceOf = { to: receipt.contractAddress, data: contractInterface('PrivateToken').encodeFunctionData('balanceOf', [alice.address]) };
    assert.equal(BigInt(await rpc('eth_call', { ...balanceOf, from: alice.address }, 'latest')), SUPPLY, 'from a dev account: runs as it');
    await assert.rejects(rpc('eth_call', { ...balanceOf, from: Wallet.createRandom().address }, 'latest'), /execution reverted/, 'another from runs as 0x0');
  });

  it('dev accounts the members removed as users still read their own transactions', async () => {
    const [alice] = n.wallets as [Wallet];
    const rpc = (method: string, ...params: unknown[]) => ethMethods(n.evm, n.send)[method]!(params, ANONYMOUS) as Promise<any>;
    const deploy = await signed(alice, { nonce: 1, gasLimit: 3_000_000n, data: deployData('Token', ['T', 'T', SUPPLY]) });
    await n.send(deploy.raw);
    const token = (await rpc('eth_getTransactionReceipt', hex(deploy.hash))).contractAddress;
    const transfer = await signed(alice, { nonce: 2, to: token, data: contractInterface('Token').encodeFunctionData('transfer', [n.wallets[1]!.address, 1n]) });
    await n.send(transfer.raw);
    const { txid } = await n.node.transact((tx) => n.wallets.forEach((w) => tx.map(USERS_INFO).delete(w.address.toLowerCase())));
    n.node.emitSignature();
    await n.node.waitCommitted(txid!);
    const receipt = await rpc('eth_getTransactionReceipt', hex(transfer.hash));
    assert.equal(receipt?.transactionHash, hex(transfer.hash), 'its sender still reads it');
    assert.equal(receipt.transactionIndex, '0x0');
  });
});
