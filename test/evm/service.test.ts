// The EVM service on one in-process node, with the ledger's writes held open when a test
// needs "executed but not committed" to last: what a client sees of a transaction in
// that window, and how blocks follow signatures. End-to-end tests see these windows only
// when the timing happens to fall into them.
import { reads } from '../support/auditor-reads.js';
import { strict as assert } from 'node:assert';
import { bytesToHex } from '@ethereumjs/util';
import { until } from '../node/helpers.js';
import { address, settled, signed, startEvmNode, type EvmNode } from './helpers.js';

describe('evm / service (one node, in process)', function () {
  this.timeout(30_000);
  let n: EvmNode;
  beforeEach(async () => {
    n = await startEvmNode();
  });
  afterEach(async () => {
    await n.stop();
  });

  it('has no receipt while a transaction is pending, and one exactly when its signature commits', async () => {
    const [alice, bob] = n.wallets;
    const { raw, hash } = await signed(alice!, { to: bob!.address, value: 5n, nonce: 0 });
    const blockBefore = n.evm.blockNumber();
    const balanceBefore = (await reads(n.evm).balance(address(bob!), 'latest'));
    const signedBefore = n.node.lastSigned;
    n.storage.hold();
    const sent = n.send(raw);
    // Executed, and the signature sealing its block written to the ledger: committed the
    // moment that write completes, which the test holds open.
    await until(() => n.node.lastSigned > signedBefore && n.storage.heldUpTo >= n.node.lastSigned, 'the transaction to execute and its signature to be written');
    const pending = (await reads(n.evm).transaction(hash));
    assert.ok(pending, 'eth_getTransactionByHash knows the pending transaction');
    assert.equal(pending.blockHash, undefined, 'without a block hash');
    assert.equal(pending.blockTimestamp, undefined, 'or a block timestamp');
    assert.equal((await reads(n.evm).receipt(hash)), undefined, 'no receipt before its signature commits');
    assert.equal(n.evm.blockNumber(), blockBefore, 'the block sealing it is not visible yet');
    assert.equal((await reads(n.evm).balance(address(bob!), 'latest')), balanceBefore, 'latest state is committed state');
    assert.equal((await reads(n.evm).balance(address(bob!), 'pending')), balanceBefore + 5n, 'pending state has the transfer');
    assert.equal(await settled(sent), false, 'eth_sendRawTransaction answers only once committed');

    n.storage.release();
    assert.equal(bytesToHex(await sent), bytesToHex(hash));
    const receipt = (await reads(n.evm).receipt(hash));
    assert.ok(receipt, 'the receipt is there as soon as the transaction is committed');
    assert.equal(receipt.receipt.status, 1);
    const committed = (await reads(n.evm).transaction(hash))!;
    assert.ok(committed.blockHash, 'the committed transaction has its block');
    assert.deepEqual(receipt.blockHash, committed.blockHash);
    assert.equal(n.evm.blockNumber(), blockBefore + 1);
    assert.equal((await reads(n.evm).balance(address(bob!), 'latest')), balanceBefore + 5n);
  });

  it('numbers blocks by signatures: what one signature seals is one block, an empty signature an empty block', async () => {
    const [alice, bob, carol] = n.wallets;
    const first = await signed(alice!, { to: carol!.address, value: 1n, nonce: 0 });
    await n.send(first.raw);
    const k = n.evm.blockNumber();
    assert.equal((await reads(n.evm).receipt(first.hash))!.record.block, k);
    assert.deepEqual((await reads(n.evm).blockTransactions(k)).map((t) => bytesToHex(t.hash)), [bytesToHex(first.hash)]);

    // Submitted together, executed back to back: the executor signs once it is idle, so
    // one signature seals both.
    const b = await signed(alice!, { to: carol!.address, value: 2n, nonce: 1 });
    const c = await signed(bob!, { to: carol!.address, value: 3n, nonce: 0 });
    await Promise.all([n.send(b.raw), n.send(c.raw)]);
    assert.equal(n.evm.blockNumber(), k + 1);
    assert.deepEqual((await reads(n.evm).blockTransactions(k + 1)).map((t) => bytesToHex(t.hash)), [bytesToHex(b.hash), bytesToHex(c.hash)]);
    assert.deepEqual([(await reads(n.evm).receipt(b.hash))!.record.index, (await reads(n.evm).receipt(c.hash))!.record.index], [0, 1]);

    // A signature with no transaction before it still seals a block, empty, on the chain.
    const signature = n.node.emitSignature(true)!;
    await n.node.waitCommitted(signature);
    assert.equal(n.evm.blockNumber(), k + 2);
    const empty = (await reads(n.evm).block(k + 2))!;
    assert.equal(empty.txCount, 0);
    assert.deepEqual(empty.parentHash, (await reads(n.evm).block(k + 1))!.hash);
    assert.deepEqual((await reads(n.evm).block(k + 1))!.parentHash, (await reads(n.evm).block(k))!.hash);
    assert.deepEqual((await reads(n.evm).block('latest')), empty);
  });
});
