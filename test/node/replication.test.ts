// Three nodes in one process, each with its own data directory and level database,
// talking over real TLS channels: replication, failover, restart and catch-up.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '../../core/crypto/keys.js';
import { virtualMeasurement } from '../../core/host/virtual-platform.js';
import { verifyReceipt } from '../../core/ledger/receipt.js';
import { identityFromJoin, JoinError, joinRequest } from '../../core/node/join.js';
import { Node, NotPrimaryError } from '../../core/node/node.js';
import { utf8 } from '../../core/util/bytes.js';
import { freePort } from '../support/node-process.js';
import { data, joinTrusted, read, until } from './helpers.js';

describe('node / replication over TLS (three nodes, one process)', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const nodes = new Map<string, Node>();
  const ports = new Map<string, number>();
  const dir = (name: string) => {
    const d = mkdtempSync(join(tmpdir(), `ccevm-repl-${name}-`));
    dirs.push(d);
    return d;
  };
  const dataDirs = new Map<string, string>();

  before(async () => {
    ports.set('a', await freePort());
    dataDirs.set('a', dir('a'));
    nodes.set('a', await Node.create({ dataDir: dataDirs.get('a')!, network: { host: '127.0.0.1', port: ports.get('a')! }, rpcAddress: 'http://127.0.0.1:1' }));
    for (const name of ['b', 'c']) {
      const key = generateKeyPair();
      const port = await freePort();
      ports.set(name, port);
      dataDirs.set(name, dir(name));
      const response = await joinTrusted(nodes.get('a')!, key, `127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`);
      nodes.set(name, await Node.join({ dataDir: dataDirs.get(name)!, network: { host: '127.0.0.1', port }, joined: { identity: identityFromJoin(key, response), peers: response.peers } }));
    }
  });
  after(async () => {
    for (const n of nodes.values()) await n.stop().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const primary = () => [...nodes.values()].find((n) => n.role === 'primary')!;

  async function write(key: string, value: string) {
    const p = primary();
    const { txid } = await p.transact((tx) => tx.map(data).set(utf8(key), utf8(value)));
    p.emitSignature();
    await p.waitCommitted(txid!);
    return txid!;
  }

  it('replicates committed writes to every node, each able to prove them', async () => {
    const txid = await write('hello', 'world');
    for (const [name, n] of nodes) {
      await until(() => n.committed >= txid.seqno, `${name} to learn the commit`);
      assert.equal(read(n, 'hello'), 'world', name);
      assert.equal(n.status(txid), 'Committed', name);
      const receipt = await n.receipt(txid);
      assert.ok(receipt, `${name} has a receipt`);
      verifyReceipt(receipt, n.serviceCertificate);
    }
  });

  it('answers join requests on the primary only, and refuses malformed ones', async () => {
    const request = joinRequest(generateKeyPair(), '127.0.0.1:1', 'http://127.0.0.1:2', virtualMeasurement());
    const backup = [...nodes.values()].find((n) => n.role !== 'primary')!;
    await assert.rejects(backup.admit(request), NotPrimaryError);
    await assert.rejects(primary().admit({ ...request, publicKey: 'not a key' }), (e: Error) => e instanceof JoinError && /publicKey/.test(e.message));
    await assert.rejects(primary().admit({ ...request, measurement: 'not hex' }), (e: Error) => e instanceof JoinError && /measurement must be the code measurement in lowercase hex/.test(e.message));
    await assert.rejects(primary().admit({ ...request, measurement: undefined }), /measurement must be/);
  });

  it('refuses writes on a backup', async () => {
    const backup = [...nodes.values()].find((n) => n.role !== 'primary')!;
    await assert.rejects(backup.transact((tx) => tx.map(data).set(utf8('x'), utf8('y'))), NotPrimaryError);
  });

  it('elects a new primary when the primary stops, keeps every committed write, and the old one catches up', async () => {
    const before = await write('before failover', 'kept');
    const [oldName, old] = [...nodes].find(([, n]) => n.role === 'primary')!;
    await old.stop();
    nodes.delete(oldName);
    await until(() => [...nodes.values()].some((n) => n.role === 'primary'), 'a new primary');
    const fresh = primary();
    assert.ok(fresh.view > before.view, 'a new view');
    const after = await write('after failover', 'also kept');
    for (const n of nodes.values()) assert.equal(read(n, 'before failover'), 'kept');
    // The old primary restarts on its data directory and follows.
    const restarted = await Node.restart({ dataDir: dataDirs.get(oldName)!, network: { host: '127.0.0.1', port: ports.get(oldName)! } });
    nodes.set(oldName, restarted);
    await until(() => restarted.committed >= after.seqno, 'the restarted node to catch up');
    assert.equal(read(restarted, 'after failover'), 'also kept');
    assert.notEqual(restarted.role, 'primary');
    const again = await write('with all three', 'yes');
    await until(() => restarted.committed >= again.seqno, 'the restarted node to follow');
  });

  it('retires a node: the configuration shrinks and a retired primary hands over', async () => {
    // Retire a backup first: the other two keep committing.
    const backupName = [...nodes].find(([, n]) => n.role !== 'primary')![0];
    const backup = nodes.get(backupName)!;
    const retired = await primary().retire(backup.nodeId);
    await primary().waitCommitted(retired);
    const afterBackup = await write('after retiring a backup', 'ok');
    assert.ok(primary().committed >= afterBackup.seqno);
    // Then retire the primary itself: it steps down once the change commits.
    const [oldName, old] = [...nodes].find(([, n]) => n.role === 'primary')!;
    const retiredPrimary = await old.retire(old.nodeId);
    await until(() => old.committed >= retiredPrimary.seqno || old.role !== 'primary', 'the retirement to commit');
    await until(() => old.role !== 'primary', 'the retired primary to step down');
    const survivors = [...nodes].filter(([name]) => name !== oldName && name !== backupName).map(([, n]) => n);
    await until(() => survivors.some((n) => n.role === 'primary'), 'a successor');
    const last = await write('with one node left', 'still commits');
    assert.ok(survivors[0]!.committed >= last.seqno);
  });
});
