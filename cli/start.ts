// `ccevm start`: a node, its EVM, and its JSON-RPC endpoints, until SIGINT or SIGTERM.
import { readText, writeText } from '../core/host/files.js';
import { bootNode, startMode } from '../core/node/boot.js';
import type { NodeIdentity } from '../core/node/identity.js';
import type { PeerInfo } from '../core/node/join.js';
import { generateKeyPair } from '../core/crypto/keys.js';
import { DataDir } from '../core/host/data-dir.js';
import { SEALED_STATE_FILE } from '../core/node/identity.js';
import { identityFromJoin, JoinError, joinRequest, type JoinAnswer } from '../core/node/join.js';
import { virtualMeasurement } from '../core/host/virtual-platform.js';
import { EvmApplication } from '../evm-adapter/application.js';
import { JsonRpcClient, JsonRpcError, TransportError, httpTransport } from '../rpc/client.js';
import { allMethods, RpcServer, sessionAuthenticator, SignInDomains } from '../rpc/index.js';
import type { RequestRecord } from '../rpc/server.js';
import { UNAVAILABLE } from '../rpc/forwarder.js';
import { healthRoute } from '../rpc/health.js';
import { NodeMetrics } from '../rpc/metrics.js';
import type { NodeLog } from './logging.js';
import { ConfigError, devAccounts, type StartConfig } from './config.js';
import { DEV_MEMBER_KEY_FILE, genesisConsortium, loadDevMember, newDevMember, openAsDevMember, saveDevMember } from './consortium.js';

/** The URL other nodes and tools are told to use: HTTPS when it is on. */
function publicRpcAddress(config: StartConfig): string {
  return config.httpsPort > 0 ? `https://${config.host}:${config.httpsPort}` : `http://${config.httpHost}:${config.port}`;
}

export async function startNode(
  config: StartConfig,
  log: NodeLog,
  joined?: { identity: NodeIdentity; peers: PeerInfo[] },
): Promise<{ stop: () => Promise<void>; urls: string[] }> {
  const app = new EvmApplication(config.evm);
  // Explicit boot mode: join with what the primary answered; otherwise create in an
  // empty directory and restart a directory that holds a node.
  const mode = joined ? ({ mode: 'join', joined } as const) : ({ mode: await startMode(config.dataDir) } as const);
  const creating = mode.mode === 'create';
  // A new service without members in its config gets a development member.
  const dev = creating ? (config.consortium.members.length === 0 ? newDevMember() : undefined) : await loadDevMember(config.dataDir);
  const metrics = new NodeMetrics();
  const node = await bootNode({
    ...mode,
    ...(creating ? { governance: await genesisConsortium(config, dev) } : {}),
    dataDir: config.dataDir,
    durability: config.durability,
    signatures: { ...(config.signEvery ? { transactions: config.signEvery } : {}), ...(config.signMs ? { milliseconds: config.signMs } : {}) },
    application: app.hooks,
    network: { host: config.host, port: config.peerPort },
    rpcAddress: publicRpcAddress(config),
    // (the certificate of a new service's first node: its HTTPS port answers to these names)
    subjectAltNames: [...new Set(['localhost', '127.0.0.1', config.host])],
    ...(config.snapshotInterval ? { snapshotInterval: config.snapshotInterval } : {}),
    log,
    observe: (event) => {
      metrics.observe(event);
      log.event?.(event);
    },
  });
  metrics.attach(node);
  if (dev && creating) {
    const keyFile = await saveDevMember(config.dataDir, dev);
    log(`development member ${dev.wallet.address}, private key ${dev.wallet.privateKey} (written to ${keyFile})`);
  }
  // (console.log from Solidity reaches this log on a development service only)
  const evm = await app.attach(node, log);
  // A SIWE message must name this node: where it listens (known once it does), or a configured name.
  const signInDomains = new SignInDomains(config.signInDomains);
  const methods = allMethods(node, evm, { timeoutMs: config.forwardTimeoutMs, signInDomains, log, executed: metrics.transactionExecuted });
  const authenticate = sessionAuthenticator(node);
  // Both ports answer GET /health and /metrics (operators' tools), without a token.
  const operators = {
    routes: { '/health': healthRoute(node), '/metrics': metrics.route() },
    observeRequest: (record: RequestRecord) => {
      metrics.request(record);
      log.request?.(record);
    },
  };
  // Plain HTTP is for local tools (loopback unless allowed: see config.ts); HTTPS
  // terminates inside the node, with the node certificate the service endorsed.
  const servers = [new RpcServer(methods, { host: config.httpHost, port: config.port, authenticate, log, ...operators })];
  if (config.httpsPort > 0) servers.push(new RpcServer(methods, { host: config.host, port: config.httpsPort, tls: node.tlsCredentials(), authenticate, log, ...operators }));
  const urls: string[] = [];
  try {
    // The development member opens its service before clients can reach it (also a
    // restarted one that never opened).
    if (dev && node.role === 'primary') await openAsDevMember(servers[0]!.transport(), dev, log);
    for (const s of servers) {
      urls.push(await s.listen());
      signInDomains.listeningAt(urls.at(-1)!);
    }
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
  if (config.consortium.members.length === 0) {
    const keyFile = `${config.dataDir}/${DEV_MEMBER_KEY_FILE}`;
    lines.push(
      '',
      `Development consortium: one member, whose Ethereum key is in ${keyFile} (never use it on a real network).`,
      `  CLI:      ccevm gov list --key-file ${keyFile}   (propose, vote, ack, members, users, nodes: ccevm gov)`,
      `  MetaMask: import that key as an account; sign the typed data of ccevm_govTypedData with eth_signTypedData_v4`,
      `            and submit { typedData, signature } with ccevm_govPropose / ccevm_govVote.`,
      `  The ${config.devAccounts} dev accounts below are its users (they may transact and deploy).`,
    );
  }
  const accounts = devAccounts(config.devAccounts);
  if (accounts.length > 0) {
    lines.push('', `Dev accounts (mnemonic "test test … junk", 10000 ETH each at genesis; never use them on a real network):`, '');
    accounts.forEach((a, i) => lines.push(`Account #${i}: ${a.address}`, `Private Key: ${a.privateKey}`, ''));
  }
  return lines.join('\n');
}

/** How long `join` keeps asking while the target is unreachable or has no primary. */
const JOIN_PATIENCE_MS = 30_000;
/** How often `join` asks again while the transport fails or the request is pending. */
const JOIN_POLL_MS = 500;

/**
 * `ccevm join --target https://host:port --service-cert FILE`: ask the service (any node
 * takes the request to its primary) to admit this node, and keep asking while the request
 * is pending (until the members trust the node: transition_node_to_trusted, or the request
 * expires); then start it. Only over HTTPS with the service certificate as the CA: the
 * answer says which service this node now belongs to, and that must come from the
 * service. A node that already joined restarts.
 */
export async function joinNode(config: StartConfig, target: string, serviceCertFile: string | undefined, log: NodeLog) {
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
  const request = joinRequest(key, `${config.host}:${config.peerPort}`, publicRpcAddress(config), virtualMeasurement());
  // The patience bounds failures in a row; a pending request is bounded by its expiry.
  let deadline = Date.now() + JOIN_PATIENCE_MS;
  let pending = false;
  for (;;) {
    try {
      const answer = await client.call<JoinAnswer>('ccevm_joinNetwork', [request]);
      deadline = Date.now() + JOIN_PATIENCE_MS;
      if (answer.status === 'Trusted') {
        log(`admitted through ${target}`);
        return startNode(config, log, { identity: identityFromJoin(key, answer), peers: answer.peers });
      }
      if (!pending) log(`join requested as node ${answer.nodeId}: pending until the members trust it (transition_node_to_trusted)`);
      pending = true;
    } catch (e) {
      // Worth waiting for: the target is not up yet, or the service has no primary now.
      const transient = e instanceof TransportError || (e instanceof JsonRpcError && e.code === UNAVAILABLE);
      if (!transient || Date.now() > deadline) throw new JoinError(`could not join through ${target}: ${(e as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, JOIN_POLL_MS));
  }
}
