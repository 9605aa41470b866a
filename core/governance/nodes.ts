// Changes to the node table as functions over a transaction: the node's own mechanisms
// (genesis, admission, retirement) and governance proposals apply exactly these. Writing
// `public:ccf.gov.nodes.info` changes consensus's configuration: the trusted nodes vote.
import type { ReadOnlyTransaction } from '../kv/read-only.js';
import type { WritableMaps } from '../kv/writable.js';
import { NODES_INFO, type NodeInfo } from './tables.js';

export class NodeTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeTableError';
  }
}

export function nodeInfo(tx: ReadOnlyTransaction, nodeId: string): NodeInfo | undefined {
  return tx.map(NODES_INFO).get(nodeId);
}

/** The trusted nodes, sorted by id: consensus's configuration. */
export function trustedNodeIds(tx: ReadOnlyTransaction): string[] {
  return [...tx.map(NODES_INFO).entries()].filter(([, info]) => info.status === 'Trusted').map(([id]) => id).sort();
}

/**
 * Record `nodeId` as trusted with its endorsed certificate and addresses (a new node, or
 * a known one whose addresses changed). Returns false, writing nothing, if the table
 * already says exactly that.
 */
export function trustNode(tx: WritableMaps, nodeId: string, node: { cert: string; peerAddress?: string; rpcAddress?: string }): boolean {
  const nodes = tx.map(NODES_INFO);
  const existing = nodes.get(nodeId);
  if (existing && existing.status === 'Trusted' && existing.cert === node.cert && existing.peerAddress === node.peerAddress && existing.rpcAddress === node.rpcAddress) return false;
  nodes.set(nodeId, { cert: node.cert, status: 'Trusted', ...(node.peerAddress !== undefined ? { peerAddress: node.peerAddress } : {}), ...(node.rpcAddress !== undefined ? { rpcAddress: node.rpcAddress } : {}) });
  return true;
}

/** Retire a trusted node: it leaves the configuration once the change commits. */
export function retireNode(tx: WritableMaps, nodeId: string): void {
  const nodes = tx.map(NODES_INFO);
  const info = nodes.get(nodeId);
  if (!info || info.status !== 'Trusted') throw new NodeTableError(`node ${nodeId.slice(0, 16)} is not a trusted node`);
  const remaining = [...nodes.entries()].filter(([id, n]) => n.status === 'Trusted' && id !== nodeId);
  if (remaining.length === 0) throw new NodeTableError('cannot retire the last node');
  nodes.set(nodeId, { ...info, status: 'Retired' });
}

/** How long a pending join waits for the members' vote before it expires. */
export const PENDING_JOIN_TTL_MS = 60 * 60_000;
/** How many join requests may wait for the members' vote at once. */
export const MAX_PENDING_JOINS = 16;

/** Bounds on the join requests waiting for a vote (nodes' defaults: the constants above). */
export interface PendingJoinLimits {
  max: number;
  ttlMs: number;
}

/** Has the pending record `info` expired at `nowMs`? */
export function pendingJoinExpired(info: NodeInfo, nowMs: number, ttlMs = PENDING_JOIN_TTL_MS): boolean {
  return info.status === 'Pending' && info.requestedAt !== undefined && nowMs - info.requestedAt > ttlMs;
}

/**
 * Record a join request: `nodeId`, not yet in the table, as a pending node (outside the
 * configuration) with its endorsed certificate, key, addresses and measurement, for the
 * members to vote on. Expired pending records are deleted in the same transaction.
 * Returns false, writing nothing, if `limits.max` unexpired requests already wait.
 */
export function recordPendingJoin(
  tx: WritableMaps,
  nodeId: string,
  node: { cert: string; publicKey: string; peerAddress: string; rpcAddress: string; measurement: string },
  nowMs: number,
  limits: PendingJoinLimits,
): boolean {
  const nodes = tx.map(NODES_INFO);
  if (nodes.has(nodeId)) throw new NodeTableError(`node ${nodeId.slice(0, 16)} is already in the node table`);
  const pending = [...nodes.entries()].filter(([, info]) => info.status === 'Pending');
  const expired = pending.filter(([, info]) => pendingJoinExpired(info, nowMs, limits.ttlMs));
  if (pending.length - expired.length >= limits.max) return false;
  for (const [id] of expired) nodes.delete(id);
  const { cert, publicKey, peerAddress, rpcAddress, measurement } = node;
  nodes.set(nodeId, { cert, status: 'Pending', publicKey, peerAddress, rpcAddress, measurement, requestedAt: nowMs });
  return true;
}

/**
 * Trust a node that asked to join (transition_node_to_trusted): it keeps the certificate
 * and addresses its pending record holds, and joins the configuration once this commits.
 */
export function trustPendingNode(tx: WritableMaps, nodeId: string, nowMs: number): void {
  const info = tx.map(NODES_INFO).get(nodeId);
  if (!info || info.status !== 'Pending') throw new NodeTableError(`node ${nodeId.slice(0, 16)} is not a pending node`);
  if (pendingJoinExpired(info, nowMs)) throw new NodeTableError(`the join request of node ${nodeId.slice(0, 16)} has expired`);
  tx.map(NODES_INFO).set(nodeId, { ...info, status: 'Trusted' });
}
