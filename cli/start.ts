// `ccevm start`: a node, its EVM, and its JSON-RPC endpoints, until SIGINT or SIGTERM.
import { writeText } from '../core/host/files.js';
import { Node } from '../core/node/node.js';
import { EvmApplication } from '../evm-adapter/service.js';
import { allMethods, RpcServer } from '../rpc/index.js';
import { devAccounts, type StartConfig } from './config.js';

export async function startNode(config: StartConfig, log: (m: string) => void): Promise<{ stop: () => Promise<void>; urls: string[] }> {
  const app = new EvmApplication(config.evm);
  const node = await Node.start({
    dataDir: config.dataDir,
    durability: config.durability,
    signatures: { ...(config.signEvery ? { transactions: config.signEvery } : {}), ...(config.signMs ? { milliseconds: config.signMs } : {}) },
    application: app.hooks,
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
