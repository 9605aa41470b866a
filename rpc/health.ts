// GET /health: where this node stands, for load balancers and operators. Public by design
// (no authentication): node ids, role, view and seqnos only; never addresses or payloads.
// fetchHealth is its client (ccevm status).
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { formatTxID } from '../core/kv/txid.js';
import type { Node } from '../core/node/node.js';
import { SERVICE_INFO } from '../core/governance/tables.js';
import { TransportError } from './client.js';
import type { Route } from './server.js';

export interface Health {
  /** primary, or a backup following a primary; and the service is open in its committed state */
  ready: boolean;
  nodeId: string;
  role: string;
  view: number;
  lastCommitted: string;
  lastSigned: string;
  /** the primary this node knows of */
  primary: string | null;
  /** the other trusted nodes, and whether this node is connected to each now */
  peers: { id: string; connected: boolean; primary: boolean }[];
  /** the service's status in this node's committed state (null: none committed yet) */
  serviceStatus: string | null;
}

export function healthOf(node: Node): Health {
  const connected = new Set(node.connectedPeerIds);
  const primary = node.primaryId ?? null;
  const peers = node
    .peerList()
    .filter((p) => p.nodeId !== node.nodeId)
    .map((p) => ({ id: p.nodeId, connected: connected.has(p.nodeId), primary: p.nodeId === primary }));
  const serviceStatus = node.readCommitted((tx) => tx.map(SERVICE_INFO).get(0)?.status ?? null);
  // (a backup that stops hearing from its primary becomes a (pre-)candidate within an election timeout)
  const following = node.role === 'backup' && primary !== null;
  const txid = (seqno: number) => formatTxID(node.txidAt(seqno) ?? { view: 0, seqno: 0 });
  return {
    ready: serviceStatus === 'Open' && (node.role === 'primary' || following),
    nodeId: node.nodeId,
    role: node.role,
    view: node.view,
    lastCommitted: txid(node.committed),
    lastSigned: txid(node.lastSigned),
    primary,
    peers,
    serviceStatus,
  };
}

/** HTTP 200 when ready, 503 otherwise; the body says why either way. */
export function healthRoute(node: Node): Route {
  return async () => {
    const health = healthOf(node);
    return { status: health.ready ? 200 : 503, contentType: 'application/json', body: JSON.stringify(health) };
  };
}

/** A node's GET /health answer (200 or 503 alike); https:// trusts `ca` (the service certificate). */
export function fetchHealth(url: string, options: { ca?: string; timeoutMs?: number } = {}): Promise<Health> {
  const target = new URL('/health', url);
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') return Promise.reject(new TransportError(`${url}: not an http:// or https:// URL`));
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsGet : httpGet)(target, { timeout: timeoutMs, ...(secure && options.ca ? { ca: options.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => reject(new TransportError(`${target.href}: ${e.message}`, e)));
      res.on('end', () => {
        try {
          const health = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Health;
          if (typeof health !== 'object' || health === null || typeof health.ready !== 'boolean') throw new Error();
          resolve(health);
        } catch {
          reject(new TransportError(`${target.href}: HTTP ${res.statusCode}, not a ccevm health answer`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new TransportError(`${target.href}: ${e.message}`, e)));
  });
}
