// `ccevm join` in process against a real service over HTTPS: it asks, keeps asking while
// its request is pending (saying so once), starts once the members trust it, and gives up
// with the service's refusal when its request expires.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStartConfig } from '../../cli/config.js';
import { joinNode } from '../../cli/start.js';
import { trustedNodeIds } from '../../core/governance/nodes.js';
import { JoinError } from '../../core/node/join.js';
import { Node, type NodeOptions } from '../../core/node/node.js';
import { DEFAULT_EVM_CONFIG } from '../../evm-adapter/config.js';
import { EvmApplication } from '../../evm-adapter/application.js';
import { allMethods, RpcServer } from '../../rpc/index.js';
import { trustJoiner, until } from '../node/helpers.js';
import { freePort } from '../support/node-process.js';

const PENDING = /^join requested as node ([0-9a-f]{64}): pending until the members trust it \(transition_node_to_trusted\)$/;

describe('cli / join: pending until the members trust the node', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'ccevm-clijoin-'));
    dirs.push(d);
    return d;
  };

  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A one-node service answering JSON-RPC over HTTPS, as `ccevm start` runs it. */
  async function service(options: Partial<NodeOptions> = {}) {
    const app = new EvmApplication(DEFAULT_EVM_CONFIG);
    const httpsPort = await freePort();
    const dataDir = tempDir();
    const primary = await Node.create({
      dataDir,
      network: { host: '127.0.0.1', port: await freePort() },
      rpcAddress: `https://127.0.0.1:${httpsPort}`,
      subjectAltNames: ['localhost', '127.0.0.1'],
      application: app.hooks,
      ...options,
    });
    const server = new RpcServer(allMethods(primary, await app.attach(primary), { timeoutMs: 5_000 }), { host: '127.0.0.1', port: httpsPort, tls: primary.tlsCredentials() });
    await server.listen();
    stops.push(() => primary.stop(), () => server.close());
    const certFile = join(dataDir, 'service_cert.pem');
    writeFileSync(certFile, primary.serviceCertificate);
    return { primary, url: `https://127.0.0.1:${httpsPort}`, certFile };
  }

  async function joinerConfig() {
    return loadStartConfig({ 'data-dir': tempDir(), port: String(await freePort()), 'https-port': '0', 'peer-port': String(await freePort()), 'dev-accounts': '0' });
  }

  it('polls while pending, says so once, and starts once trusted', async () => {
    const { primary, url, certFile } = await service();
    const logs: string[] = [];
    const joining = joinNode(await joinerConfig(), url, certFile, (m) => logs.push(m));
    await until(() => logs.some((m) => PENDING.test(m)), 'the joiner to be pending');
    const nodeId = logs.find((m) => PENDING.test(m))!.match(PENDING)![1]!;
    await new Promise((r) => setTimeout(r, 1_200)); // it asks again meanwhile
    assert.equal(logs.filter((m) => PENDING.test(m)).length, 1, 'said once');
    assert.ok(!logs.some((m) => m.startsWith('admitted')), 'not started while pending');
    await trustJoiner(primary, nodeId);
    const running = await joining;
    stops.push(running.stop);
    assert.ok(logs.some((m) => m === `admitted through ${url}`));
    await until(() => primary.readCommitted(trustedNodeIds).includes(nodeId), 'the joined node in the committed configuration');
  });

  it('gives up with the refusal when the pending request expires', async () => {
    const { url, certFile } = await service({ pendingJoins: { ttlMs: 300 } });
    const logs: string[] = [];
    await assert.rejects(
      joinNode(await joinerConfig(), url, certFile, (m) => logs.push(m)),
      (e: Error) => e instanceof JoinError && new RegExp(`^could not join through ${url}: the join request of node [0-9a-f]{16} expired before the members trusted it`).test(e.message),
    );
    assert.equal(logs.filter((m) => PENDING.test(m)).length, 1);
  });
});
