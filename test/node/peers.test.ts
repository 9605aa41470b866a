import { strict as assert } from 'node:assert';
import { recordPendingJoin, retireNode, trustNode } from '../../core/governance/nodes.js';
import { readOnly } from '../../core/kv/read-only.js';
import { Store } from '../../core/kv/store.js';
import type { Transaction } from '../../core/kv/transaction.js';
import { PeerDirectory } from '../../core/node/peers.js';

describe('node / peer directory', () => {
  let store: Store;
  let peers: PeerDirectory;
  const apply = (change: (tx: Transaction) => void) => {
    const tx = store.begin();
    change(tx);
    tx.commit();
  };
  beforeEach(() => {
    store = new Store();
    peers = new PeerDirectory('self', (read) => readOnly(store.begin(), read), [{ nodeId: 'first', peerAddress: 'first.example:4000' }]);
    apply((tx) => {
      trustNode(tx, 'self', { cert: 'S', peerAddress: '127.0.0.1:1000', rpcAddress: 'http://127.0.0.1:8545' });
      trustNode(tx, 'b', { cert: 'B', peerAddress: '[::1]:1001', rpcAddress: 'https://b:8546' });
      trustNode(tx, 'c', { cert: 'C', peerAddress: 'c:1002' });
      trustNode(tx, 'quiet', { cert: 'Q' });
    });
  });

  it('lists the trusted nodes that listen somewhere, as the node table has them', () => {
    assert.deepEqual(peers.trusted(), [
      { nodeId: 'b', peerAddress: '[::1]:1001' },
      { nodeId: 'c', peerAddress: 'c:1002' },
      { nodeId: 'self', peerAddress: '127.0.0.1:1000' },
    ]);
    apply((tx) => retireNode(tx, 'c'));
    assert.deepEqual(peers.trusted().map((p) => p.nodeId), ['b', 'self']);
  });

  it('knows the trusted and retired nodes and the initial peers, never a pending node, nobody else', () => {
    apply((tx) => retireNode(tx, 'c'));
    apply((tx) => recordPendingJoin(tx, 'asking', { cert: 'P', publicKey: 'K', peerAddress: 'p:1003', rpcAddress: 'http://p:1', measurement: 'ab' }, Date.now(), { max: 16, ttlMs: 60_000 }));
    for (const id of ['self', 'b', 'c', 'quiet', 'first']) assert.equal(peers.knows(id), true, id);
    assert.equal(peers.knows('asking'), false, 'a pending node');
    assert.equal(peers.knows('stranger'), false);
  });

  it('trusts only the trusted nodes (whose requests a node answers)', () => {
    apply((tx) => retireNode(tx, 'c'));
    apply((tx) => recordPendingJoin(tx, 'asking', { cert: 'P', publicKey: 'K', peerAddress: 'p:1003', rpcAddress: 'http://p:1', measurement: 'ab' }, Date.now(), { max: 16, ttlMs: 60_000 }));
    assert.deepEqual(['self', 'b', 'c', 'quiet', 'asking', 'first', 'stranger'].filter((id) => peers.trusts(id)), ['self', 'b', 'quiet']);
  });

  it('tells a node’s recorded RPC address', () => {
    assert.equal(peers.rpcAddressOf('b'), 'https://b:8546');
    assert.equal(peers.rpcAddressOf('c'), undefined);
    assert.equal(peers.rpcAddressOf('stranger'), undefined);
  });

  it('points an address book at every peer but itself (no pending node)', () => {
    const book: string[] = [];
    apply((tx) => recordPendingJoin(tx, 'asking', { cert: 'P', publicKey: 'K', peerAddress: 'p:1003', rpcAddress: 'http://p:1', measurement: 'ab' }, Date.now(), { max: 16, ttlMs: 60_000 }));
    peers.refresh({ setAddress: (id, host, port) => book.push(`${id} ${host} ${port}`) });
    assert.deepEqual(book.sort(), ['b [::1] 1001', 'c c 1002', 'first first.example 4000']);
  });
});
