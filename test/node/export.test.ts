// Exporting a stopped node's data directory takes no part in consensus: each node of a
// stopped three-node network exports what it knows is committed, and the export audits.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { generateKeyPair } from '../../core/crypto/keys.js';
import { auditChunks } from '../../core/ledger/audit.js';
import { exportDataDir } from '../../core/node/export.js';
import { identityFromJoin } from '../../core/node/join.js';
import { Node } from '../../core/node/node.js';
import { utf8 } from '../../core/util/bytes.js';
import { freePort } from '../support/node-process.js';
import { data, joinTrusted, until } from './helpers.js';

describe('node / export of a stopped node', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const tempDir = (name: string) => {
    const d = mkdtempSync(join(tmpdir(), `ccevm-export-${name}-`));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const audit = (files: string[], serviceCert: string) =>
    auditChunks(files.map((f) => ({ name: basename(f), bytes: new Uint8Array(readFileSync(f)) })), serviceCert);

  it('exports each node of a stopped three-node network up to what it knew was committed, and each export audits', async () => {
    const dataDirs = new Map<string, string>();
    const nodes = new Map<string, Node>();
    try {
      dataDirs.set('a', tempDir('a'));
      nodes.set('a', await Node.create({ dataDir: dataDirs.get('a')!, network: { host: '127.0.0.1', port: await freePort() }, rpcAddress: 'http://127.0.0.1:1' }));
      for (const name of ['b', 'c']) {
        const key = generateKeyPair();
        const port = await freePort();
        dataDirs.set(name, tempDir(name));
        const response = await joinTrusted(nodes.get('a')!, key, `127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`);
        nodes.set(name, await Node.join({ dataDir: dataDirs.get(name)!, network: { host: '127.0.0.1', port }, joined: { identity: identityFromJoin(key, response), peers: response.peers } }));
      }
      const primary = nodes.get('a')!;
      let last;
      for (let i = 0; i < 20; i++) {
        last = (await primary.transact((tx) => tx.map(data).set(utf8(`k${i}`), utf8(`v${i}`)))).txid!;
        if (i % 5 === 4) primary.emitSignature();
      }
      await primary.waitCommitted(last!);
      for (const [name, n] of nodes) await until(() => n.committed >= last!.seqno, `${name} to learn the commit`);
    } finally {
      for (const n of nodes.values()) await n.stop();
    }
    const serviceCert = nodes.get('a')!.serviceCertificate;
    for (const [name, dataDir] of dataDirs) {
      const result = await exportDataDir({ dataDir, out: tempDir(`${name}-out`) });
      assert.ok(result.files.length > 0, `${name} wrote chunks`);
      assert.ok(result.to >= nodes.get(name)!.committed, `${name} exported up to ${result.to}, it knew ${nodes.get(name)!.committed} committed`);
      assert.ok(result.to <= result.lastSigned);
      const audited = audit(result.files, serviceCert);
      assert.equal(audited.lastSeqno, result.to, `${name}: ${result.reason}`);
    }
  });

  it('a node alone in its service exports its whole signed ledger, even without a recorded commit index', async () => {
    const dataDir = tempDir('alone');
    const node = await Node.create({ dataDir });
    const { txid } = await node.transact((tx) => tx.map(data).set(utf8('x'), utf8('y')));
    node.emitSignature();
    await node.waitCommitted(txid!);
    await node.stop();
    rmSync(join(dataDir, 'node.commit'), { force: true });
    const result = await exportDataDir({ dataDir, out: tempDir('alone-out') });
    assert.equal(result.to, result.lastSigned);
    assert.match(result.reason, /only node of its service/);
    assert.equal(audit(result.files, node.serviceCertificate).lastSeqno, result.lastSigned);
  });

  it('refuses a directory that holds no node', async () => {
    await assert.rejects(exportDataDir({ dataDir: tempDir('empty'), out: tempDir('empty-out') }), /holds no node/);
  });
});
