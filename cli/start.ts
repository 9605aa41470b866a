// `ccevm start`: a node, its EVM, and its JSON-RPC endpoints, until SIGINT or SIGTERM.
import { writeText } from '../core/host/files.js';
import { Node, type NodeOptions } from '../core/node/node.js';
import { generateKeyPair } from '../core/crypto/keys.js';
import { DataDir } from '../core/host/data-dir.js';
import { DirLock } from '../core/host/dir-lock.js';
import { SEALED_STATE_FILE } from '../core/node/identity.js';
import { identityFromJoin, joinRequest, type JoinResponse } from '../core/node/join.js';
import { EvmApplication } from '../evm-adapter/service.js';
import { allMethods, RpcServer } from '../rpc/index.js';
import { devAccounts, type StartConfig } from './config.js';

export async function startNode(
  config: StartConfig,
  log: (m: string) => void,
  joined?: NodeOptions['joined'],
): Promise<{ stop: () => Promise<void>; urls: string[] }> {
  // Before anything reads or writes the directory: one node per data directory.
  const lock = await DirLock.acquire(config.dataDir);
  try {
    const running = await startLocked(config, log, joined);
    return {
      urls: running.urls,
      stop: async () => {
        await running.stop();
        await lock.release();
      },
    };
  } catch (e) {
    await lock.release();
    throw e;
  }
}

async function startLocked(config: StartConfig, log: (m: string) => void, joined: NodeOptions['joined']) {
  const app = new EvmApplication(config.evm);
  const node = await Node.start({
    dataDir: config.dataDir,
    durability: config.durability,
    signatures: { ...(config.signEvery ? { transactions: config.signEvery } : {}), ...(config.signMs ? { milliseconds: config.signMs } : {}) },
    application: app.hooks,
    network: { host: config.host, port: config.peerPort },
    rpcAddress: `http://${config.host}:${config.port}`,
    admitJoiners: config.admitJoiners,
    ...(config.snapshotInterval ? { snapshotInterval: config.snapshotInterval } : {}),
    joined,
    log,
  });
  const evm = await app.attach(node);
  const methods = allMethods(node, evm);
  const servers = [new RpcServer(methods, { host: config.host, port: config.port, log })];
  if (config.httpsPort > 0) servers.push(new RpcServer(methods, { host: config.host, port: config.httpsPort, tls: node.tlsCredentials(), log }));
  const urls: string[] = [];
  try {
    for (const s of servers) urls.push(await s.listen());
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    await node.stop();
    throw e;
  }
  const certPath = `${config.dataDir}/service_cert.pem`;
  await writeText(certPath, node.serviceCertificate);
  const stop = async () => {
    await Promise.all(servers.map((s) => s.close()));
    await node.stop();
  };
  return { stop, urls };
}

export function describeStart(config: StartConfig, urls: string[]): string {
  const lines = [
    '',
    `ccevm node listening on ${urls.join(' and ')}`,
    `chain id ${config.evm.chainId}; service certificate (the CA for HTTPS and receipts): ${config.dataDir}/service_cert.pem`,
  ];
  const accounts = devAccounts(config.devAccounts);
  if (accounts.length > 0) {
    lines.push('', `Dev accounts (mnemonic "test test … junk", 10000 ETH each at genesis; never use them on a real network):`, '');
    accounts.forEach((a, i) => lines.push(`Account #${i}: ${a.address}`, `Private Key: ${a.privateKey}`, ''));
  }
  return lines.join('\n');
}

/**
 * `ccevm join --target URL`: ask the service's primary (through any node's JSON-RPC) to
 * admit this node, then start it. A node that already joined just restarts.
 */
export async function joinNode(config: StartConfig, target: string, log: (m: string) => void) {
  if (await new DataDir(config.dataDir).exists(SEALED_STATE_FILE)) return startNode(config, log);
  if (config.peerPort === 0) throw new Error('a joining node needs a fixed --peer-port');
  const key = generateKeyPair();
  const request = joinRequest(key, `${config.host}:${config.peerPort}`, `http://${config.host}:${config.port}`);
  const deadline = Date.now() + 30_000;
  for (let url = target; ; ) {
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ccevm_joinNetwork', params: [request] }),
    })
      .then((r) => r.json() as Promise<{ result?: JoinResponse; error?: { message: string } }>)
      .catch((e: Error) => ({ error: { message: e.message } }) as { result?: JoinResponse; error?: { message: string } });
    if (answer.result) {
      log(`admitted by the primary at ${url}`);
      return startNode(config, log, { identity: identityFromJoin(key, answer.result), peers: answer.result.peers });
    }
    const redirect = /ask (https?:\/\/\S+)/.exec(answer.error?.message ?? '')?.[1];
    if (Date.now() > deadline) throw new Error(`could not join through ${target}: ${answer.error?.message}`);
    url = redirect ?? url;
    await new Promise((r) => setTimeout(r, 300));
  }
}
