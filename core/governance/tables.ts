// Public governance maps: every decision the consortium takes is in the ledger in clear.
// Names follow CCF's so that anyone who knows CCF ledgers recognises them. Identities
// (members, users) are opaque lowercase strings to core: the signature scheme that
// proves them is injected (see messages.ts).
import { jsonCodec, stringCodec, uintCodec } from '../kv/codec.js';
import { defineMap, type MapDef } from '../kv/map-def.js';

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
  /** SPKI PEM of the node's key (a joining node's; the answer to its join is sealed to it) */
  publicKey?: string;
  /** the code measurement the node reported when it asked to join (hex) */
  measurement?: string;
  /** ms since the epoch (primary's clock) a pending join was recorded; pending joins expire */
  requestedAt?: number;
}

export type MemberStatus = 'Accepted' | 'Active';

export interface MemberInfo {
  /** X25519 public key (hex, 32 bytes) the member's recovery share is encrypted to */
  encryptionKey: string;
  status: MemberStatus;
  data?: unknown;
}

export interface UserInfo {
  /** e.g. 'deploy': may create contracts (what a role permits is the application's policy) */
  roles: string[];
  data?: unknown;
}

export type ProposalState = 'Open' | 'Accepted' | 'Rejected' | 'Withdrawn' | 'Failed' | 'Dropped';

export interface ProposalAction {
  name: string;
  args: unknown;
}

export interface ProposalRecord {
  proposer: string;
  actions: ProposalAction[];
  /** seconds since the epoch, as signed */
  createdAt: number;
  state: ProposalState;
  /** member id -> approve (true) or reject (false), in ballot order */
  ballots: Record<string, boolean>;
  /** why a Failed proposal failed, why a Dropped one was dropped */
  reason?: string;
}

export type MessageKind = 'proposal' | 'ballot' | 'withdrawal' | 'ack';

/** A signed governance message exactly as submitted, for anyone to re-verify offline. */
export interface HistoryRecord {
  kind: MessageKind;
  signer: string;
  /** the envelope as submitted (for the EIP-712 scheme: { typedData, signature }) */
  signed: unknown;
}

/** Single entry, key 0. */
export const SERVICE_INFO = defineMap('public:ccf.gov.service.info', uintCodec, jsonCodec<ServiceInfo>());
/** node id (hex SHA-256 of the node's public key) -> node record */
export const NODES_INFO = defineMap('public:ccf.gov.nodes.info', stringCodec, jsonCodec<NodeInfo>());
/** member id -> member */
export const MEMBERS_INFO = defineMap('public:ccf.gov.members.info', stringCodec, jsonCodec<MemberInfo>());
/** user id -> user */
export const USERS_INFO = defineMap('public:ccf.gov.users.info', stringCodec, jsonCodec<UserInfo>());
/** code measurement (hex) -> 'AllowedToJoin' */
export const NODE_CODE_IDS = defineMap('public:ccf.gov.nodes.code_ids', stringCodec, jsonCodec<'AllowedToJoin'>());
/** Single entry, key 0: the constitution's JavaScript source. */
export const CONSTITUTION = defineMap('public:ccf.gov.constitution', uintCodec, jsonCodec<string>());
/** proposal id -> proposal, its ballots and its state */
export const PROPOSALS = defineMap('public:ccf.gov.proposals', stringCodec, jsonCodec<ProposalRecord>());
/** message id (its signing digest, unique per signed message: the replay guard) -> the signed message */
export const HISTORY = defineMap('public:ccf.gov.history', stringCodec, jsonCodec<HistoryRecord>());

/** Single entry, key 0: the id of the last accepted proposal that asked for a snapshot (every node takes one at the next signature). */
export const SNAPSHOT_REQUEST = defineMap('public:ccf.gov.snapshot.request', uintCodec, jsonCodec<string>());

/** The governance maps core defines (an application may add its own: ApplicationHooks.governanceTables). */
export const CORE_GOVERNANCE_TABLES: readonly MapDef<string | number, unknown>[] = [
  SERVICE_INFO,
  NODES_INFO,
  MEMBERS_INFO,
  USERS_INFO,
  NODE_CODE_IDS,
  CONSTITUTION,
  PROPOSALS,
  HISTORY,
  SNAPSHOT_REQUEST,
] as MapDef<string | number, unknown>[];
