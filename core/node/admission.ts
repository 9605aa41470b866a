// The primary's side of joining (see join.ts for the protocol). A node's first request
// records it as pending, with the certificate minted for it, and is answered only that:
// who joins is the members' to decide (their vote applies trustPendingNode). Asked again,
// the primary answers what the node table says: still pending; trusted, with the
// certificate, the peers and the service's secrets sealed to the node's key; or a
// refusal (retired, expired). The pending requests are bounded in number and in age.
import { createPublicKey } from 'node:crypto';
import { createNodeCertificate } from '../crypto/certificates.js';
import { nodeInfo, pendingJoinExpired, recordPendingJoin, trustedNodeIds, type PendingJoinLimits } from '../governance/nodes.js';
import type { ReadOnlyTransaction } from '../kv/read-only.js';
import type { Transaction } from '../kv/transaction.js';
import type { TxID } from '../kv/txid.js';
import type { NodeIdentity } from './identity.js';
import { JoinError, joinResponse, parseJoinRequest, type JoinAnswer, type JoinRequest } from './join.js';
import type { NodeObserver } from './observer.js';
import type { PeerDirectory } from './peers.js';

export interface AdmittingNode {
  readonly identity: NodeIdentity;
  readonly peers: PeerDirectory;
  readonly pendingJoins: PendingJoinLimits;
  read<T>(read: (tx: ReadOnlyTransaction) => T): T;
  readCommitted<T>(read: (tx: ReadOnlyTransaction) => T): T;
  transact<T>(body: (tx: Transaction) => T): Promise<{ result: T; txid: TxID | undefined }>;
  /** Sign now, so that the pending record commits without waiting for the policy. */
  sign(): void;
  waitCommitted(txid: TxID): Promise<void>;
  log(message: string): void;
  observe: NodeObserver;
}

type ParsedRequest = JoinRequest & { nodeId: string };

/** What any node needs to answer a node it knows. */
type Answering = Pick<AdmittingNode, 'identity' | 'peers' | 'read' | 'readCommitted' | 'pendingJoins'>;

export async function admit(node: AdmittingNode, request: unknown): Promise<JoinAnswer> {
  const parsed = parseJoinRequest(request);
  const known = answerFor(node, parsed);
  if (known) return known;
  const host = parsed.rpcAddress.replace(/^https?:\/\//, '').replace(/:\d+.*$/, '').replace(/^\[|\]$/g, '');
  const cert = await createNodeCertificate(createPublicKey(parsed.publicKey), node.identity.serviceKey, node.identity.serviceCert, {
    nodeId: parsed.nodeId,
    subjectAltNames: [...new Set(['localhost', '127.0.0.1', host])],
  });
  const { publicKey, peerAddress, rpcAddress, measurement } = parsed;
  const { result, txid } = await node.transact((tx) => {
    // The same node may have asked twice at once: the first request recorded it.
    if (nodeInfo(tx, parsed.nodeId)) return 'known';
    return recordPendingJoin(tx, parsed.nodeId, { cert, publicKey, peerAddress, rpcAddress, measurement }, Date.now(), node.pendingJoins) ? 'recorded' : 'full';
  });
  if (result === 'full') throw new JoinError('too many pending join requests; try later');
  if (result === 'known') return admit(node, request);
  node.sign();
  await node.waitCommitted(txid!);
  node.log(`node ${parsed.nodeId.slice(0, 16)} at ${peerAddress} asks to join: pending until the members trust it`);
  node.observe({ kind: 'join-requested', nodeId: parsed.nodeId });
  return { status: 'Pending', nodeId: parsed.nodeId };
}

/**
 * Any node of the service, primary or not, answers a node its state records as trusted:
 * growing a one-node service, the configuration that adds the joiner needs the joiner's
 * vote, so the primary may have stepped down (check-quorum) before the joiner asked again.
 */
export function trustedAnswer(node: Answering, request: unknown): JoinAnswer | undefined {
  const parsed = parseJoinRequest(request);
  const info = node.read((tx) => nodeInfo(tx, parsed.nodeId));
  return info?.status === 'Trusted' ? answerFor(node, parsed, info) : undefined;
}

/** The answer to a node the table already holds (undefined: it holds none). */
function answerFor(node: Answering, request: ParsedRequest, info = node.read((tx) => nodeInfo(tx, request.nodeId))): JoinAnswer | undefined {
  const id = request.nodeId.slice(0, 16);
  switch (info?.status) {
    case undefined:
      return undefined;
    case 'Pending':
      if (pendingJoinExpired(info, Date.now(), node.pendingJoins.ttlMs)) throw new JoinError(`the join request of node ${id} expired before the members trusted it; ask again with a new node key`);
      return { status: 'Pending', nodeId: request.nodeId };
    case 'Retired':
      throw new JoinError(`node ${id} is retired from this service: it cannot join again`);
    case 'Trusted': {
      // The secrets go once the vote that trusts the node is committed (an election could
      // still undo it before), except where the configuration that adds it cannot commit
      // without it: a one-node service growing to two waits for this node's vote.
      const committed = node.readCommitted((tx) => nodeInfo(tx, request.nodeId))?.status === 'Trusted';
      if (!committed && node.read(trustedNodeIds).length > 2) return { status: 'Pending', nodeId: request.nodeId };
      const peers = node.peers.trusted().filter((p) => p.nodeId !== request.nodeId);
      return { status: 'Trusted', ...joinResponse(request, info.cert, node.identity, peers) };
    }
  }
}
