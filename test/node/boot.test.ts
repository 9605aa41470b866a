// Booting in an explicit mode: a mode that does not fit the data directory is refused
// with an error that says what to do instead, and touches nothing.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '../../core/crypto/keys.js';
import { BootError, startMode } from '../../core/node/boot.js';
import { identityFromJoin } from '../../core/node/join.js';
import { Node } from '../../core/node/node.js';
import { joinTrusted } from './helpers.js';

describe('node / boot modes', () => {
  let dir: string;
  const nodes: Node[] = [];
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'ccevm-boot-'));
    dirs.push(d);
    return d;
  };
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('creates in an empty directory, restarts what it created, and start means exactly that', async () => {
    assert.equal(await startMode(dir), 'create');
    const created = await Node.create({ dataDir: dir });
    const id = created.nodeId;
    await created.stop();
    assert.equal(await startMode(dir), 'restart');
    const again = await Node.restart({ dataDir: dir });
    nodes.push(again);
    assert.equal(again.nodeId, id);
    assert.equal(again.role, 'primary');
  });

  it('refuses to create or join over a directory that holds a node', async () => {
    await (await Node.create({ dataDir: dir })).stop();
    const before = readdirSync(dir).sort();
    await assert.rejects(Node.create({ dataDir: dir }), (e: Error) => e instanceof BootError && /already holds a node: restart it/.test(e.message));
    const key = generateKeyPair();
    const other = await Node.create({ dataDir: tempDir(), rpcAddress: 'http://127.0.0.1:1' });
    nodes.push(other);
    const response = await joinTrusted(other, key, '127.0.0.1:1', 'http://127.0.0.1:2');
    await assert.rejects(Node.join({ dataDir: dir, joined: { identity: identityFromJoin(key, response), peers: response.peers } }), /already holds a node: .*to join/);
    assert.deepEqual(readdirSync(dir).sort(), before, 'nothing written');
  });

  it('refuses to restart a directory that holds no node, and creates nothing there', async () => {
    await assert.rejects(Node.restart({ dataDir: dir }), (e: Error) => e instanceof BootError && /holds no node to restart .*create a service or join one/.test(e.message));
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(await startMode(dir), 'create');
  });
});
