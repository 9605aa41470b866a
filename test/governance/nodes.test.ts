import { strict as assert } from 'node:assert';
import { NodeTableError, nodeInfo, retireNode, trustedNodeIds, trustNode } from '../../core/governance/nodes.js';
import { Store } from '../../core/kv/store.js';
import type { Transaction } from '../../core/kv/transaction.js';

describe('governance / node table', () => {
  let store: Store;
  const apply = <T>(change: (tx: Transaction) => T): T => {
    const tx = store.begin();
    try {
      const result = change(tx);
      tx.commit();
      return result;
    } finally {
      tx.abort();
    }
  };
  const read = <T>(f: (tx: Transaction) => T): T => {
    const tx = store.begin();
    try {
      return f(tx);
    } finally {
      tx.abort();
    }
  };
  beforeEach(() => {
    store = new Store();
  });

  it('trusts a node with its certificate and addresses, and writes nothing when that is already so', () => {
    assert.equal(apply((tx) => trustNode(tx, 'a', { cert: 'A', peerAddress: 'h:1', rpcAddress: 'http://h:2' })), true);
    assert.deepEqual(read((tx) => nodeInfo(tx, 'a')), { cert: 'A', status: 'Trusted', peerAddress: 'h:1', rpcAddress: 'http://h:2' });
    const seqno = store.txid.seqno;
    assert.equal(apply((tx) => trustNode(tx, 'a', { cert: 'A', peerAddress: 'h:1', rpcAddress: 'http://h:2' })), false);
    assert.equal(store.txid.seqno, seqno, 'no transaction');
    assert.equal(apply((tx) => trustNode(tx, 'a', { cert: 'A', peerAddress: 'h:9', rpcAddress: 'http://h:2' })), true, 'a new address');
    assert.equal(read((tx) => nodeInfo(tx, 'a'))!.peerAddress, 'h:9');
  });

  it('retires a trusted node, never the last one, and names what it refuses', () => {
    apply((tx) => trustNode(tx, 'b', { cert: 'B' }));
    apply((tx) => trustNode(tx, 'a', { cert: 'A' }));
    assert.deepEqual(read(trustedNodeIds), ['a', 'b']);
    apply((tx) => retireNode(tx, 'a'));
    assert.equal(read((tx) => nodeInfo(tx, 'a'))!.status, 'Retired');
    assert.deepEqual(read(trustedNodeIds), ['b']);
    assert.throws(() => apply((tx) => retireNode(tx, 'a')), (e: Error) => e instanceof NodeTableError && /is not a trusted node/.test(e.message));
    assert.throws(() => apply((tx) => retireNode(tx, 'nobody')), /is not a trusted node/);
    assert.throws(() => apply((tx) => retireNode(tx, 'b')), /cannot retire the last node/);
    assert.deepEqual(read(trustedNodeIds), ['b'], 'a refused change writes nothing');
  });
});
