// Public governance maps the core framework itself reads. Names follow CCF's so that
// anyone who knows CCF ledgers recognises them.
import { jsonCodec, stringCodec, uintCodec } from '../kv/codec.js';
import { defineMap } from '../kv/map-def.js';

export type ServiceStatus = 'Opening' | 'Open' | 'Recovering';

export interface ServiceInfo {
  /** PEM of the service certificate: the trust anchor of clients, auditors and receipts. */
  cert: string;
  status: ServiceStatus;
}

export type NodeStatus = 'Pending' | 'Trusted' | 'Retired';

export interface NodeInfo {
  /** PEM of the node certificate, endorsed by the service key. */
  cert: string;
  status: NodeStatus;
  /** host:port of the node-to-node channel */
  peerAddress?: string;
  /** URL of the node's JSON-RPC endpoint (for forwarding writes to the primary) */
  rpcAddress?: string;
}

/** Single entry, key 0. */
export const SERVICE_INFO = defineMap('public:ccf.gov.service.info', uintCodec, jsonCodec<ServiceInfo>());
/** node id (hex SHA-256 of the node's public key) -> node record */
export const NODES_INFO = defineMap('public:ccf.gov.nodes.info', stringCodec, jsonCodec<NodeInfo>());
