// `ccevm start`: a node, its EVM, and its JSON-RPC endpoints, until SIGINT or SIGTERM.
import { readText, writeText } from '../core/host/files.js';
import { bootNode, startMode } from '../core/node/boot.js';
import type { NodeIdentity } from '../core/node/identity.js';
import type { PeerInfo } from '../core/node/join.js';
import { generateKeyPair } from '../core/crypto/keys.js';
import { DataDir } from '../core/host/data-dir.js';
import { openService } from '../core/governance/service.js';
import { SERVICE_INFO } from '../core/governance/tables.js';
import { SEALED_STATE_FILE } from '../core/node/identity.js';
import { identityFromJoin, JoinError, joinRequest, type JoinResponse } from '../core/node/join.js';
import { EvmApplication } from '../evm-adapter/service.js';
import { JsonRpcClient, JsonRpcError, TransportError, httpTransport } from '../rpc/client.js';
import { allMethods, RpcServer } from '../rpc/index.js';
import { UNAVAILABLE } from '../rpc/forwarder.js';
import { ConfigError, devAccounts, type StartConfig } from './config.js';

/** The URL other nodes and tools are told to use: HTTPS when it is on. */
function publicRpcAddress(config: StartConfig): string {
  return config.httpsPort > 0 ? `https://${config.host}:${config.httpsPort}` : `http://${config.httpHost}:${config.port}`;
}

export async function startNode(
  config: StartConfig,
  log: (m: string) => void,
  joined?: { identity: NodeIdentity; peers: PeerInfo[] },
): Promise<{ stop: () => Promise<void>; urls: string[] }> {
  const app = new EvmApplication(config.evm);
  // Explicit boot mode: join with what the primary answered; otherwise create in an
  // empty directory and restart a directory that holds a node.
  const mode = joined ? ({ mode: 'join', joined } as const) : ({ mode: await startMode(config.dataDir) } as const);
  const node = await bootNode({
    ...mode,
    dataDir: config.dataDir,
    durability: config.durability,
    signatures: { ...(config.signEvery ? { transactions: config.signEvery } : {}), ...(config.signMs ? { milliseconds: config.signMs } : {}) },
    application: app.hooks,
    network: { host: config.host, port: config.peerPort },
    rpcAddress: publicRpcAddress(config),
    // (the certificate of a new service's first node: its HTTPS port answers to these names)
    subjectAltNames: [...new Set(['localhost', '127.0.0.1', config.host])],
    admitJoiners: config.admitJoiners,
    ...(config.snapshotInterval ? { snapshotInterval: config.snapshotInterval } : {}),
    // COORDINATOR: replace with the dev consortium's vote. Until then the dev accounts are
    // users who may deploy, there are no members, and a new service is opened at once.
    governance: { members: [], users: devAccounts(config.devAccounts).map((a) => ({ id: a.address.toLowerCase(), roles: ['deploy'] })), constitution: '' },
    log,
  });
  if (node.role === 'primary' && node.readCommitted((tx) => tx.map(SERVICE_INFO).get(0)?.status) === 'Opening') {
    const { txid } = await node.transact((tx) => openService(tx));
    node.emitSignature();
    await node.waitCommitted(txid!);
  }
  // (end of the COORDINATOR block)
  const evm = await app.attach(node);
  const methods = allMethods(node, evm, { timeoutMs: config.forwardTimeoutMs, log });
  // Plain HTTP is for local tools (loopback unless allowed: see config.ts); HTTPS
  // terminates inside the node, with the node certificate the service endorsed.
  const servers = [new RpcServer(methods, { host: config.httpHost, port: config.port, log })];
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

/** How long `join` keeps asking while the target is unreachable or has no primary. */
const JOIN_PATIENCE_MS = 30_000;

/**
 * `ccevm join --target https://host:port --service-cert FILE`: ask the service (any node
 * takes the request to its primary) to admit this node, then start it. Only over HTTPS
 * with the service certificate as the CA: the answer says which service this node now
 * belongs to, and that must come from the service. A node that already joined restarts.
 */
export async function joinNode(config: StartConfig, target: string, serviceCertFile: string | undefined, log: (m: string) => void) {
  if (await new DataDir(config.dataDir).exists(SEALED_STATE_FILE)) return startNode(config, log);
  if (config.peerPort === 0) throw new ConfigError('a joining node needs a fixed --peer-port');
  if (!/^https:\/\//.test(target)) throw new ConfigError(`join --target must be an https:// URL (a node's HTTPS port), not ${target}: joining never travels in clear`);
  if (!serviceCertFile) throw new ConfigError('join needs --service-cert FILE (the service certificate, to check the node at --target)');
  let ca: string;
  try {
    ca = await readText(serviceCertFile);
  } catch (e) {
    throw new ConfigError(`cannot read ${serviceCertFile}: ${(e as Error).message}`);
  }
  const client = new JsonRpcClient(httpTransport(target, { ca }));
  const key = generateKeyPair();
  const request = joinRequest(key, `${config.host}:${config.peerPort}`, publicRpcAddress(config));
  const deadline = Date.now() + JOIN_PATIENCE_MS;
  for (;;) {
    try {
      const answer = await client.call<JoinResponse>('ccevm_joinNetwork', [request]);
      log(`admitted through ${target}`);
      return startNode(config, log, { identity: identityFromJoin(key, answer), peers: answer.peers });
    } catch (e) {
      // Worth waiting for: the target is not up yet, or the service has no primary now.
      const transient = e instanceof TransportError || (e instanceof JsonRpcError && e.code === UNAVAILABLE);
      if (!transient || Date.now() > deadline) throw new JoinError(`could not join through ${target}: ${(e as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
