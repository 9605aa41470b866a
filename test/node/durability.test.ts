// Acknowledgements wait for durability: a backup tells the primary it holds entries only
// once its ledger storage has them, so a commit survives any minority losing what it had
// not yet stored. Three nodes in one process over real TLS channels, each ledger in a
// storage whose writes the test holds open.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '../../core/crypto/keys.js';
import { identityFromJoin } from '../../core/node/join.js';
import { Node } from '../../core/node/node.js';
import { utf8 } from '../../core/util/bytes.js';
import { HeldStorage } from '../support/held-storage.js';
import { freePort } from '../support/node-process.js';
import { data, joinTrusted, read, until } from './helpers.js';

describe('node / acknowledgements wait for durable storage (three nodes, one process)', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const nodes = new Map<string, Node>();
  const storages = new Map<string, HeldStorage>();
  const dir = (name: string) => {
    const d = mkdtempSync(join(tmpdir(), `ccevm-durable-${name}-`));
    dirs.push(d);
    return d;
  };

  before(async () => {
    for (const name of ['a', 'b', 'c']) storages.set(name, new HeldStorage());
    const port = await freePort();
    nodes.set('a', await Node.create({ dataDir: dir('a'), storage: storages.get('a')!, network: { host: '127.0.0.1', port }, rpcAddress: 'http://127.0.0.1:1' }));
    for (const name of ['b', 'c']) {
      const key = generateKeyPair();
      const peerPort = await freePort();
      const response = await joinTrusted(nodes.get('a')!, key, `127.0.0.1:${peerPort}`, `http://127.0.0.1:${peerPort + 1}`);
      nodes.set(name, await Node.join({ dataDir: dir(name), storage: storages.get(name)!, network: { host: '127.0.0.1', port: peerPort }, joined: { identity: identityFromJoin(key, response), peers: response.peers } }));
    }
  });
  after(async () => {
    for (const s of storages.values()) s.release();
    for (const n of nodes.values()) await n.stop().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function writeSigned(key: string, value: string) {
    const primary = nodes.get('a')!;
    const { txid } = await primary.transact((tx) => tx.map(data).set(utf8(key), utf8(value)));
    const signature = primary.emitSignature()!;
    return { txid: txid!, signature };
  }

  it('commits nothing while the backups have not stored the entries, and commits once they have', async () => {
    const a = nodes.get('a')!;
    // Every node has joined and follows: a first write commits everywhere.
    const first = await writeSigned('before', 'stored');
    await a.waitCommitted(first.txid);
    for (const [name, n] of nodes) await until(() => n.committed >= first.signature.seqno, `${name} to follow`);
    assert.equal(a.role, 'primary');

    const b = storages.get('b')!;
    const c = storages.get('c')!;
    b.hold();
    c.hold();
    const committedBefore = new Map([...nodes].map(([name, n]) => [name, n.committed]));
    const { txid, signature } = await writeSigned('held', 'until stored');
    const committed = new Set<string>();
    const waiting = [...nodes].map(([name, n]) => n.waitCommitted(txid).then(() => committed.add(name)));
    // Both backups have received the signature: their storage is being asked to write it.
    await until(() => b.heldUpTo >= signature.seqno && c.heldUpTo >= signature.seqno, 'the backups to try to store the signature');
    // An early acknowledgement would be on its way already (sent as the write began);
    // give it, and a few heartbeats (every 50 ms), time to arrive. Well under the 300 ms
    // after which a primary that hears from no backup steps down (check-quorum).
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual([...committed], [], 'waitCommitted resolved before any backup stored the entries');
    for (const [name, n] of nodes) assert.equal(n.committed, committedBefore.get(name), `${name} advanced its commit index`);
    assert.equal(a.status(txid), 'Pending');

    b.release();
    c.release();
    await Promise.all(waiting);
    for (const [name, n] of nodes) {
      assert.ok(n.committed >= signature.seqno, name);
      assert.equal(read(n, 'held'), 'until stored', name);
    }
  });

  it('commits once one backup of two has stored the entries (a majority with the primary)', async () => {
    const a = nodes.get('a')!;
    const c = storages.get('c')!;
    c.hold();
    const { txid, signature } = await writeSigned('one backup', 'is enough');
    await a.waitCommitted(txid);
    assert.ok(a.committed >= signature.seqno);
    c.release();
    await until(() => nodes.get('c')!.committed >= signature.seqno, 'c to follow once released');
  });
});
