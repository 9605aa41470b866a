// The executor on one in-process node: admission by nonce (too low, already known, a
// future nonce waiting for its predecessor) and what a failed execution records. With the
// ledger's writes held open where it matters, a transaction stays "executed but not
// committed" for as long as the test needs.
import { reads } from '../support/auditor-reads.js';
import { strict as assert } from 'node:assert';
import { bytesToHex, hexToBytes } from '@ethereumjs/util';
import { until } from '../node/helpers.js';
import { address, settled, signed, startEvmNode, type EvmNode } from './helpers.js';

// Contracts in the genesis state, as raw runtime code: emit an empty LOG0, then stop or revert.
const LOGGER = '0x00000000000000000000000000000000000010c0';
const REVERTER = '0x000000000000000000000000000000000000bad0';
const LOG0 = [0x60, 0x00, 0x60, 0x00, 0xa0]; // PUSH1 0, PUSH1 0, LOG0
const STOP = [0x00];
const REVERT = [0x60, 0x00, 0x60, 0x00, 0xfd]; // PUSH1 0, PUSH1 0, REVERT

describe('evm / executor (one node, in process)', function () {
  this.timeout(30_000);
  let n: EvmNode;
  beforeEach(async () => {
    n = await startEvmNode({
      [LOGGER]: { balance: 0n, code: new Uint8Array([...LOG0, ...STOP]) },
      [REVERTER]: { balance: 0n, code: new Uint8Array([...LOG0, ...REVERT]) },
    });
  });
  afterEach(async () => {
    await n.stop();
  });

  it('refuses a nonce already used, and a transaction already known, pending or committed', async () => {
    const [alice, bob] = n.wallets;
    const first = await signed(alice!, { to: bob!.address, value: 1n, nonce: 0 });
    n.storage.hold();
    const sent = n.send(first.raw);
    await until(async () => (await reads(n.evm).transaction(first.hash)) !== undefined, 'the transaction to execute');
    await assert.rejects(n.send(first.raw), { code: -32000, message: 'already known' }, 'while pending');
    const again = await signed(alice!, { to: bob!.address, value: 2n, nonce: 0 });
    await assert.rejects(n.send(again.raw), { code: -32000, message: 'nonce too low: next nonce 1, transaction nonce 0' }, 'while pending');
    assert.equal(await settled(sent), false);
    n.storage.release();
    await sent;
    await assert.rejects(n.send(first.raw), { code: -32000, message: 'already known' }, 'once committed');
    await assert.rejects(n.send(again.raw), { code: -32000, message: /^nonce too low/ }, 'once committed');
    assert.equal((await reads(n.evm).transaction(again.hash)), undefined, 'the refused transaction is recorded nowhere');
    assert.equal((await reads(n.evm).nonce(address(alice!), 'latest')), 1n);
  });

  it('holds a transaction with a future nonce until its predecessor arrives, then runs both in order', async () => {
    const [alice, bob] = n.wallets;
    const second = await signed(alice!, { to: bob!.address, value: 2n, nonce: 1 });
    const first = await signed(alice!, { to: bob!.address, value: 1n, nonce: 0 });
    const later = n.send(second.raw);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await reads(n.evm).transaction(second.hash)), undefined, 'not executed while nonce 0 is missing');
    assert.equal((await reads(n.evm).nonce(address(alice!), 'pending')), 0n);
    assert.equal(await settled(later), false);
    await n.send(first.raw);
    await later;
    const at = async (hash: Uint8Array) => {
      const { block, index } = (await reads(n.evm).receipt(hash))!.record;
      return [block, index];
    };
    const [b0, i0] = await at(first.hash);
    const [b1, i1] = await at(second.hash);
    assert.ok(b1! > b0! || (b1 === b0 && i1! > i0!), `nonce 1 (block ${b1}, index ${i1}) runs after nonce 0 (block ${b0}, index ${i0})`);
    assert.equal((await reads(n.evm).nonce(address(alice!), 'latest')), 2n);
  });

  it('records a reverted transaction with status 0 and without its logs, and a successful one with them', async () => {
    const [alice] = n.wallets;
    const ok = await signed(alice!, { to: LOGGER, nonce: 0 });
    const reverted = await signed(alice!, { to: REVERTER, nonce: 1 });
    await n.send(ok.raw);
    await n.send(reverted.raw);
    const logged = (await reads(n.evm).receipt(ok.hash))!.receipt;
    assert.equal(logged.status, 1);
    assert.equal(logged.logs.length, 1);
    assert.equal(bytesToHex(logged.logs[0]![0]), LOGGER);
    const failed = (await reads(n.evm).receipt(reverted.hash))!.receipt;
    assert.equal(failed.status, 0, 'a revert is status 0');
    assert.deepEqual(failed.logs, [], 'the logs of a reverted call are dropped');
    assert.ok(failed.gasUsed > 21_000n, 'its gas is still spent');
    assert.equal((await reads(n.evm).nonce(address(alice!), 'latest')), 2n, 'and its nonce used');
    const block = (await reads(n.evm).receipt(reverted.hash))!.record.block;
    const logs = (await reads(n.evm).logs({ fromBlock: 0, toBlock: block, addresses: [hexToBytes(REVERTER), hexToBytes(LOGGER)], topics: [] }));
    assert.deepEqual(logs.map((l) => bytesToHex(l.transactionHash)), [bytesToHex(ok.hash)], 'eth_getLogs finds only the successful call');
  });
});
