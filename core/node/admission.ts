// The primary's side of joining (see join.ts for the protocol): mint the joining node's
// certificate, endorsed by the service key; record it as trusted (consensus then adds it
// to the configuration); answer with the certificate and the service's secrets sealed to
// the joining node's key. Every well-formed request is admitted: deciding who may join
// (attestation, member votes) is governance's to add, applying the same trustNode.
import { createPublicKey } from 'node:crypto';
import { createNodeCertificate } from '../crypto/certificates.js';
import { nodeInfo, trustNode } from '../governance/nodes.js';
import type { ReadOnlyTransaction } from '../kv/read-only.js';
import type { Transaction } from '../kv/transaction.js';
import type { NodeIdentity } from './identity.js';
import { joinResponse, parseJoinRequest, type JoinResponse } from './join.js';
import type { PeerDirectory } from './peers.js';

export interface AdmittingNode {
  readonly identity: NodeIdentity;
  readonly peers: PeerDirectory;
  read<T>(read: (tx: ReadOnlyTransaction) => T): T;
  transact<T>(body: (tx: Transaction) => T): Promise<{ result: T }>;
  /** Sign now, so that the admission commits without waiting for the policy. */
  sign(): void;
  log(message: string): void;
}

export async function admit(node: AdmittingNode, request: unknown): Promise<JoinResponse> {
  const parsed = parseJoinRequest(request);
  const host = parsed.rpcAddress.replace(/^https?:\/\//, '').replace(/:\d+.*$/, '').replace(/^\[|\]$/g, '');
  // A node asking again (its answer was lost) gets the certificate it was given.
  const cert =
    node.read((tx) => nodeInfo(tx, parsed.nodeId))?.cert ??
    (await createNodeCertificate(createPublicKey(parsed.publicKey), node.identity.serviceKey, node.identity.serviceCert, {
      nodeId: parsed.nodeId,
      subjectAltNames: [...new Set(['localhost', '127.0.0.1', host])],
    }));
  const { result: changed } = await node.transact((tx) => trustNode(tx, parsed.nodeId, { cert, peerAddress: parsed.peerAddress, rpcAddress: parsed.rpcAddress }));
  if (changed) node.sign();
  const peers = node.peers.trusted().filter((p) => p.nodeId !== parsed.nodeId);
  node.log(`admitted node ${parsed.nodeId.slice(0, 16)} at ${parsed.peerAddress}`);
  return joinResponse(parsed, cert, node.identity, peers);
}
