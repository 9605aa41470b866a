// Who may transact and the governable EVM policy, on one in-process node with real signed
// transactions: a service not yet open refuses everything, a sender who is no user is
// refused (unless the policy lets anyone send), contract creation follows the deploy
// policy, and a change of fees or gas limit shows from the next block. Refusals change
// nothing. The policy is written here as the vote's apply writes it (set_evm_policy).
import { sessionCaller } from '../../evm-adapter/access/caller.js';
import { CONTRACT_VISIBILITY, EVENT_VISIBILITY } from '../../evm-adapter/access/tables.js';
import { reads } from '../support/auditor-reads.js';
import { strict as assert } from 'node:assert';
import { RLP } from '@ethereumjs/rlp';
import { bytesToBigInt } from '@ethereumjs/util';
import { keccak256, Wallet } from 'ethers';
import { USERS_INFO } from '../../core/governance/tables.js';
import { fromHex } from '../../core/util/bytes.js';
import { DEFAULT_EVM_CONFIG } from '../../evm-adapter/config.js';
import { EVM_POLICY, type EvmPolicy } from '../../evm-adapter/policy.js';
import { EvmApplication } from '../../evm-adapter/application.js';
import { ethMethods } from '../../rpc/methods/eth.js';
import { openServiceNow } from '../support/open-service.js';
import { address, FUNDS, signed, startEvmNode, type EvmNode } from './helpers.js';

const stranger = new Wallet('0x' + '5a'.repeat(32));
/** Init code PUSH1 0 PUSH1 0 RETURN: creates a contract with empty code. */
const INIT_CODE = '0x60006000f3';
/** Runtime code: returns BASEFEE and GASLIMIT as two words. */
const FEES = '0x000000000000000000000000000000000000fee5';
const FEES_CODE = '0x486000524560205260406000f3';
const NOT_OPEN = 'the service is not open yet: its members have not voted transition_service_to_open';

describe('evm / policy: who may transact, fees and gas limit (one node, in process)', function () {
  this.timeout(30_000);
  let n: EvmNode;
  afterEach(async () => {
    await n?.stop();
  });

  const start = (open = true) => startEvmNode({ [stranger.address.toLowerCase()]: { balance: FUNDS } }, { open });
  // Reads as the auditor; a call as its `from`, as that account's session would.
  const rpc = (method: string, params: unknown[]) => {
    const from = (params[0] as { from?: string } | undefined)?.from;
    return ethMethods(n.evm, n.send)[method]!(params, from ? sessionCaller(from) : reads(n.evm).auditor) as Promise<any>;
  };

  /** Commit a write as a governance proposal's apply would make it. */
  async function govern(write: Parameters<EvmNode['node']['transact']>[0]): Promise<void> {
    const { txid } = await n.node.transact(write);
    n.node.emitSignature();
    await n.node.waitCommitted(txid!);
  }
  const setPolicy = (change: Partial<EvmPolicy>) => govern((tx) => tx.map(EVM_POLICY).set(0, { ...tx.map(EVM_POLICY).get(0)!, ...change }));

  /** What a refusal must leave alone. */
  async function state(wallet: Wallet, to: Uint8Array, hash: Uint8Array) {
    return {
      seqno: n.node.lastSeqno,
      nonce: (await reads(n.evm).nonce(address(wallet), 'pending')),
      sender: [(await reads(n.evm).balance(address(wallet), 'pending')), (await reads(n.evm).balance(address(wallet), 'latest'))],
      recipient: [(await reads(n.evm).balance(to, 'pending')), (await reads(n.evm).balance(to, 'latest'))],
      receipt: await rpc('eth_getTransactionReceipt', [`0x${Buffer.from(hash).toString('hex')}`]),
      transaction: await rpc('eth_getTransactionByHash', [`0x${Buffer.from(hash).toString('hex')}`]),
    };
  }

  /** `send` must be refused with code -32003 and `message`, and nothing may change. */
  async function refused(wallet: Wallet, tx: { raw: Uint8Array; hash: Uint8Array }, to: Uint8Array, message: string): Promise<void> {
    const before = await state(wallet, to, tx.hash);
    assert.equal(before.transaction, null);
    await assert.rejects(n.send(tx.raw), { code: -32003, message });
    assert.deepEqual(await state(wallet, to, tx.hash), before);
  }

  it('before the service is open, refuses every transaction, a user\'s transfer and deployment too', async () => {
    n = await start(false);
    const [alice, bob] = n.wallets as [Wallet, Wallet];
    const transfer = await signed(alice, { to: bob.address, value: 5n, nonce: 0 });
    await refused(alice, transfer, address(bob), NOT_OPEN);
    await refused(alice, await signed(alice, { data: INIT_CODE, nonce: 0 }), address(bob), NOT_OPEN);
    await setPolicy({ sends: 'anyone', deploy: 'anyone' });
    await refused(stranger, await signed(stranger, { to: bob.address, value: 5n, nonce: 0 }), address(bob), NOT_OPEN);
    // Opened, the same transaction goes through.
    await openServiceNow(n.node);
    await n.send(transfer.raw);
    assert.equal((await reads(n.evm).receipt(transfer.hash))?.receipt.status, 1);
  });

  it('refuses a sender who is no user, changing nothing; with sends "anyone" the same transaction goes through', async () => {
    n = await start();
    const [alice] = n.wallets as [Wallet];
    const transfer = await signed(stranger, { to: alice.address, value: 5n, nonce: 0 });
    await refused(stranger, transfer, address(alice), `sender ${stranger.address.toLowerCase()} is not a user of this network`);
    // Checked before the nonce: a future nonce does not wait to be refused.
    await refused(stranger, await signed(stranger, { to: alice.address, value: 5n, nonce: 5 }), address(alice), `sender ${stranger.address.toLowerCase()} is not a user of this network`);

    await setPolicy({ sends: 'anyone' });
    const before = (await reads(n.evm).balance(address(alice), 'latest'));
    await n.send(transfer.raw);
    assert.equal((await reads(n.evm).receipt(transfer.hash))?.receipt.status, 1);
    assert.equal((await reads(n.evm).balance(address(alice), 'latest')), before + 5n);
    assert.equal((await reads(n.evm).nonce(address(stranger), 'latest')), 1n);
    assert.notEqual(await rpc('eth_getTransactionByHash', [`0x${Buffer.from(transfer.hash).toString('hex')}`]), null);
  });

  it("deployment: refused to a user without role 'deploy' under 'deployers', allowed with the role, and to any user under 'users'", async () => {
    n = await start();
    const [alice, bob] = n.wallets as [Wallet, Wallet];
    const dev = stranger.address.toLowerCase();
    await govern((tx) => tx.map(USERS_INFO).set(dev, { roles: [] }));
    // A user without the role may still transfer.
    await n.send((await signed(stranger, { to: bob.address, value: 1n, nonce: 0 })).raw);
    const deploy = await signed(stranger, { data: INIT_CODE, nonce: 1 });
    await refused(stranger, deploy, address(bob), `sender ${dev} may not deploy contracts (policy: deployers = users with role 'deploy')`);

    await govern((tx) => tx.map(USERS_INFO).set(dev, { roles: ['deploy'] }));
    await n.send(deploy.raw);
    assert.ok((await reads(n.evm).receipt(deploy.hash))?.receipt.contractAddress, 'a user with the role deploys');

    await govern((tx) => tx.map(USERS_INFO).set(dev, { roles: [] }));
    const again = await signed(stranger, { data: INIT_CODE, nonce: 2 });
    await refused(stranger, again, address(bob), `sender ${dev} may not deploy contracts (policy: deployers = users with role 'deploy')`);
    await setPolicy({ deploy: 'users' });
    await n.send(again.raw);
    assert.ok((await reads(n.evm).receipt(again.hash))?.receipt.contractAddress, "any user deploys under 'users'");

    // 'users' still means users: with anyone allowed to send, a non-user may not deploy.
    const outsider = new Wallet(Wallet.createRandom().privateKey);
    await setPolicy({ sends: 'anyone' });
    await n.send((await signed(alice, { to: outsider.address, value: 10n ** 18n, nonce: 0 })).raw);
    await refused(outsider, await signed(outsider, { data: INIT_CODE, nonce: 0 }), address(bob), `sender ${outsider.address.toLowerCase()} may not deploy contracts (policy: users = any user)`);
    await setPolicy({ deploy: 'anyone' });
    const open = await signed(outsider, { data: INIT_CODE, nonce: 0 });
    await n.send(open.raw);
    assert.ok((await reads(n.evm).receipt(open.hash))?.receipt.contractAddress, "anyone deploys under 'anyone'");
  });

  it('a vote committed while a block is open takes effect from the next block: latest calls see the head\'s fees, pending calls the new', async () => {
    n = await startEvmNode({ [FEES]: { balance: 0n, code: fromHex(FEES_CODE) } });
    const [alice] = n.wallets as [Wallet];
    // Executed: the pending block is open (base fee 0). The vote's write goes in before the
    // signature that seals the block (scheduled for when the executor is idle).
    const sent = await signed(alice, { to: alice.address, nonce: 0 });
    const { txid } = await n.evm.sendRawTransaction(sent.raw);
    const vote = n.node.transact((tx) => tx.map(EVM_POLICY).set(0, { ...tx.map(EVM_POLICY).get(0)!, baseFeePerGas: '9', blockGasLimit: '40000000' }));
    await n.node.waitCommitted(txid);
    await n.node.waitCommitted((await vote).txid!);
    const head = (await reads(n.evm).block('latest'))!;
    assert.equal((await reads(n.evm).receipt(sent.hash))?.record.block, head.number, 'the vote committed with the block it came in');
    assert.deepEqual([head.baseFeePerGas, head.gasLimit], [0n, 30_000_000n], 'the open block keeps the fees it opened with');
    const fees = async (tag: string) => {
      const out = await rpc('eth_call', [{ to: FEES }, tag]);
      return [BigInt(out.slice(0, 66)), BigInt('0x' + out.slice(66))];
    };
    assert.deepEqual(await fees('latest'), [0n, 30_000_000n]);
    assert.deepEqual(await fees('pending'), [9n, 40_000_000n]);
    assert.equal(await rpc('eth_gasPrice', []), '0x9');
    await n.send((await signed(alice, { to: alice.address, nonce: 1, maxFeePerGas: 9n })).raw);
    assert.deepEqual([(await reads(n.evm).block('latest'))!.baseFeePerGas, (await reads(n.evm).block('latest'))!.gasLimit], [9n, 40_000_000n], 'the next block has the new fees');
  });

  it('the genesis policy is the EvmConfig\'s, and the policy table is one the constitution may write', async () => {
    n = await startEvmNode({ [stranger.address.toLowerCase()]: { balance: FUNDS } }, { config: { sends: 'anyone', deploy: 'anyone', baseFeePerGas: 3n, blockGasLimit: 25_000_000n } });
    assert.deepEqual(n.node.readCommitted((tx) => tx.map(EVM_POLICY).get(0)), { sends: 'anyone', deploy: 'anyone', baseFeePerGas: '3', blockGasLimit: '25000000', balances: 'own', code: 'users' });
    const deploy = await signed(stranger, { data: INIT_CODE, nonce: 0, maxFeePerGas: 3n });
    await n.send(deploy.raw);
    assert.ok((await reads(n.evm).receipt(deploy.hash))?.receipt.contractAddress);
    assert.deepEqual(new EvmApplication(DEFAULT_EVM_CONFIG).hooks.governanceTables, [EVM_POLICY, CONTRACT_VISIBILITY, EVENT_VISIBILITY]);
    assert.deepEqual([DEFAULT_EVM_CONFIG.sends, DEFAULT_EVM_CONFIG.deploy], ['users', 'deployers']);
  });

  it('a change of base fee and block gas limit shows in the next block, eth_gasPrice and eth_feeHistory, and execution charges it', async () => {
    n = await start();
    const [alice, bob] = n.wallets as [Wallet, Wallet];
    await n.send((await signed(alice, { to: bob.address, value: 1n, nonce: 0 })).raw);
    const old = await rpc('eth_getBlockByNumber', ['latest', false]);
    assert.equal(old.baseFeePerGas, '0x0');
    assert.equal(old.gasLimit, '0x1c9c380');

    await setPolicy({ baseFeePerGas: '7', blockGasLimit: '20000000' });
    const next = await rpc('eth_getBlockByNumber', ['latest', false]);
    assert.equal(Number(next.number), Number(old.number) + 1);
    assert.equal(next.baseFeePerGas, '0x7');
    assert.equal(next.gasLimit, '0x1312d00');
    // The header the block hash is computed over says so too (base fee: field 15, gas limit: 9).
    const header = RLP.decode((await reads(n.evm).block(Number(next.number)))!.header) as Uint8Array[];
    assert.equal(keccak256((await reads(n.evm).block(Number(next.number)))!.header), next.hash);
    assert.deepEqual([bytesToBigInt(header[15]!), bytesToBigInt(header[9]!)], [7n, 20_000_000n]);
    assert.equal(await rpc('eth_gasPrice', []), '0x7');
    const history = await rpc('eth_feeHistory', ['0x2', 'latest', []]);
    assert.deepEqual(history.baseFeePerGas, ['0x0', '0x7', '0x7'], 'the old block, the new one, and the next');
    assert.equal((await rpc('eth_getBlockByNumber', [old.number, false])).baseFeePerGas, '0x0', 'sealed blocks keep their fee');

    const cheap = await signed(alice, { to: bob.address, value: 1n, nonce: 1, maxFeePerGas: 1n });
    await assert.rejects(n.send(cheap.raw), { code: -32000, message: 'max fee per gas less than block base fee' });
    const before = (await reads(n.evm).balance(address(alice), 'latest'));
    const paid = await signed(alice, { to: bob.address, value: 1n, nonce: 1, maxFeePerGas: 7n });
    await n.send(paid.raw);
    const { receipt, record } = (await reads(n.evm).receipt(paid.hash))!;
    assert.equal(receipt.effectiveGasPrice, 7n);
    assert.equal((await reads(n.evm).balance(address(alice), 'latest')), before - 1n - receipt.gasUsed * 7n);
    const block = await rpc('eth_getBlockByNumber', [`0x${record.block.toString(16)}`, false]);
    assert.equal(block.baseFeePerGas, '0x7');
    assert.equal((await rpc('eth_getTransactionByHash', [`0x${Buffer.from(paid.hash).toString('hex')}`])).gasPrice, '0x7');
    // eth_call's gas cap follows the block gas limit: a call may not ask for more.
    await setPolicy({ blockGasLimit: '21000' });
    assert.equal(await rpc('eth_estimateGas', [{ from: alice.address, to: bob.address, gas: '0x1000000' }]), '0x5208');
    await assert.rejects(rpc('eth_estimateGas', [{ from: alice.address, data: '0x' + '01'.repeat(100) }]), /intrinsic gas too low/);
  });
});
