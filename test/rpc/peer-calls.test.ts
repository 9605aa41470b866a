// The calls nodes forward to each other are answered for trusted nodes only: two nodes
// with the EVM over real TLS; once one is retired, it may still connect (to catch up),
// but what it asks is refused, and not as something worth retrying.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '../../core/crypto/keys.js';
import { identityFromJoin } from '../../core/node/join.js';
import { Node } from '../../core/node/node.js';
import { DEFAULT_EVM_CONFIG } from '../../evm-adapter/config.js';
import { EvmApplication } from '../../evm-adapter/application.js';
import { PEER_METHODS, PEER_NOT_TRUSTED, PEER_RETRY, servePeerCalls } from '../../rpc/peer-calls.js';
import { freePort } from '../support/node-process.js';
import { joinTrusted, until } from '../node/helpers.js';

describe('rpc / peer calls: answered for trusted nodes only', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const nodes: Node[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'ccevm-peercalls-'));
    dirs.push(d);
    return d;
  };

  after(async () => {
    for (const n of nodes) await n.stop().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function ask(from: Node, to: Node): Promise<{ error?: { code: number; message: string } }> {
    const payload = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: PEER_METHODS.joinNetwork, params: [{}] }), 'utf8');
    return JSON.parse(Buffer.from(await from.peerRequest(to.nodeId, new Uint8Array(payload))).toString('utf8')) as { error?: { code: number; message: string } };
  }

  it('refuses a retired node’s forwarded call with a plain error', async () => {
    const primaryApp = new EvmApplication(DEFAULT_EVM_CONFIG);
    const primary = await Node.create({ dataDir: dir(), network: { host: '127.0.0.1', port: await freePort() }, rpcAddress: 'http://127.0.0.1:1', application: primaryApp.hooks });
    nodes.push(primary);
    servePeerCalls(primary, await primaryApp.attach(primary), () => {});
    const key = generateKeyPair();
    const port = await freePort();
    const answer = await joinTrusted(primary, key, `127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`);
    const backupApp = new EvmApplication(DEFAULT_EVM_CONFIG);
    const backup = await Node.join({ dataDir: dir(), network: { host: '127.0.0.1', port }, joined: { identity: identityFromJoin(key, answer), peers: answer.peers }, application: backupApp.hooks });
    nodes.push(backup);
    await until(() => backup.committed >= primary.lastSigned && backup.connectedPeers > 0, 'the backup to follow');

    // Trusted: the call is answered (here, its malformed join request refused as such).
    const trusted = await ask(backup, primary);
    assert.equal(trusted.error?.code, -32602, JSON.stringify(trusted));

    await primary.waitCommitted(await primary.retire(backup.nodeId));
    const retired = await ask(backup, primary);
    assert.equal(retired.error?.code, PEER_NOT_TRUSTED, JSON.stringify(retired));
    assert.notEqual(retired.error?.code, PEER_RETRY);
    assert.match(retired.error!.message, new RegExp(`node ${backup.nodeId.slice(0, 16)} is not a trusted node of this service`));
  });
});
