import { strict as assert } from 'node:assert';
import { NodeTableError, nodeInfo, pendingJoinExpired, PENDING_JOIN_TTL_MS, recordPendingJoin, retireNode, trustedNodeIds, trustNode, trustPendingNode } from '../../core/governance/nodes.js';
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

  describe('pending joins', () => {
    const limits = { max: 2, ttlMs: 1_000 };
    const asking = (id: string) => ({ cert: `cert ${id}`, publicKey: `key ${id}`, peerAddress: `${id}:1`, rpcAddress: `http://${id}:2`, measurement: 'ab' });

    it('records a join request as a pending node, outside the configuration', () => {
      apply((tx) => trustNode(tx, 'a', { cert: 'A' }));
      assert.equal(apply((tx) => recordPendingJoin(tx, 'p', asking('p'), 5_000, limits)), true);
      assert.deepEqual(read((tx) => nodeInfo(tx, 'p')), { ...asking('p'), status: 'Pending', requestedAt: 5_000 });
      assert.deepEqual(read(trustedNodeIds), ['a']);
      assert.throws(() => apply((tx) => recordPendingJoin(tx, 'a', asking('a'), 5_000, limits)), /already in the node table/);
    });

    it('refuses, writing nothing, beyond the bound of unexpired pending requests', () => {
      apply((tx) => recordPendingJoin(tx, 'p1', asking('p1'), 1_000, limits));
      apply((tx) => recordPendingJoin(tx, 'p2', asking('p2'), 1_500, limits));
      const seqno = store.txid.seqno;
      assert.equal(apply((tx) => recordPendingJoin(tx, 'p3', asking('p3'), 1_900, limits)), false);
      assert.equal(store.txid.seqno, seqno, 'no transaction');
      // p1 expires after 2 000: the next request deletes it and takes its place.
      assert.equal(apply((tx) => recordPendingJoin(tx, 'p3', asking('p3'), 2_001, limits)), true);
      assert.equal(read((tx) => nodeInfo(tx, 'p1')), undefined, 'expired, deleted');
      assert.equal(read((tx) => nodeInfo(tx, 'p2'))?.status, 'Pending');
      assert.equal(read((tx) => nodeInfo(tx, 'p3'))?.requestedAt, 2_001);
    });

    it('tells an expired pending record, and trusting one is refused', () => {
      apply((tx) => recordPendingJoin(tx, 'p', asking('p'), 0, limits));
      const info = read((tx) => nodeInfo(tx, 'p'))!;
      assert.equal(pendingJoinExpired(info, 1_000, 1_000), false);
      assert.equal(pendingJoinExpired(info, 1_001, 1_000), true);
      assert.equal(pendingJoinExpired(info, PENDING_JOIN_TTL_MS + 1), true, 'the default lifetime');
      assert.throws(() => apply((tx) => trustPendingNode(tx, 'p', PENDING_JOIN_TTL_MS + 1)), /has expired/);
      apply((tx) => trustPendingNode(tx, 'p', PENDING_JOIN_TTL_MS));
      assert.deepEqual(read(trustedNodeIds), ['p']);
      assert.equal(pendingJoinExpired(read((tx) => nodeInfo(tx, 'p'))!, 1e15, 1), false, 'a trusted node never expires');
    });
  });
});
