// `ccevm status URL [--service-cert FILE] [--json]`: a node and its network at a glance,
// from its GET /health, ccevm_nodeInfo and the nodes table (ccevm_govNodes).
import { readText } from '../core/host/files.js';
import { JsonRpcClient, httpTransport } from '../rpc/client.js';
import { fetchHealth, type Health } from '../rpc/health.js';
import { ConfigError } from './config.js';

/** What ccevm_nodeInfo answers (rpc/methods/node.ts), less the service certificate. */
export interface NodeInfo {
  nodeId: string;
  role: string;
  primaryRpc: string | null;
  view: number;
  lastSigned: string;
  lastCommitted: string;
  version: string;
}

interface NodeRow {
  nodeId: string;
  status: string;
  peerAddress: string | null;
}

export interface Status {
  url: string;
  health: Health;
  node: NodeInfo;
  nodes: NodeRow[];
}

export async function runStatus(args: string[], flags: { 'service-cert'?: string; json?: boolean }): Promise<void> {
  const [url, ...extra] = args;
  if (!url || extra.length > 0) throw new ConfigError('status needs one URL: ccevm status URL [--service-cert FILE] [--json]');
  if (!/^https?:\/\//.test(url)) throw new ConfigError(`status: ${url} is not an http:// or https:// URL`);
  const certFile = flags['service-cert'];
  const ca = certFile ? await readText(certFile).catch(() => Promise.reject(new ConfigError(`cannot read ${certFile}`))) : undefined;
  if (url.startsWith('https://') && !ca) throw new ConfigError('an https:// URL needs --service-cert FILE (the CA of the node certificate)');
  const rpc = new JsonRpcClient(httpTransport(url, ca ? { ca } : {}));
  const [health, info, nodes] = await Promise.all([fetchHealth(url, ca ? { ca } : {}), rpc.call<NodeInfo & { serviceCertificate: string }>('ccevm_nodeInfo'), rpc.call<NodeRow[]>('ccevm_govNodes')]);
  // (the certificate is long, and the caller has it already)
  const { serviceCertificate: _, ...node } = info;
  const status: Status = { url, health, node, nodes };
  process.stdout.write(`${flags.json ? JSON.stringify(status, null, 2) : describeStatus(status)}\n`);
}

export function describeStatus({ url, health, node, nodes }: Status): string {
  const connected = new Map(health.peers.map((p) => [p.id, p.connected]));
  const lines = [
    `${url}: ${health.ready ? 'ready' : 'NOT READY'} (service ${health.serviceStatus ?? 'unknown'})`,
    `node ${node.nodeId} (ccevm ${node.version}): ${node.role} in view ${node.view}`,
    `committed ${node.lastCommitted}, last signed ${node.lastSigned}`,
    `primary: ${health.primary ?? 'none known'}${node.primaryRpc ? ` at ${node.primaryRpc}` : ''}`,
    '',
    `network: ${nodes.length} node${nodes.length === 1 ? '' : 's'}`,
    ...nodes.map((n) => {
      const here = n.nodeId === node.nodeId ? 'this node' : connected.has(n.nodeId) ? (connected.get(n.nodeId) ? 'connected' : 'not connected') : '-';
      const primary = n.nodeId === health.primary ? '  primary' : '';
      return `  ${n.nodeId.slice(0, 16)}  ${n.status.padEnd(8)} ${(n.peerAddress ?? '-').padEnd(21)} ${here}${primary}`;
    }),
  ];
  return lines.join('\n');
}
