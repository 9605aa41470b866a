// Joining a service: a new node asks the primary to admit it; the primary records it as
// a pending node and answers only that. Once the members trust it (their vote applies
// trustPendingNode; consensus then adds it to the configuration), the same request is
// answered with its endorsed certificate and the service's secrets, sealed to the new
// node's own key so that only it can read them, whatever carried the answer.
import { createPublicKey } from 'node:crypto';
import { exportPrivateKey, importPrivateKey, keyId, type KeyPair } from '../crypto/keys.js';
import { openSealedToKey, sealToKey } from '../crypto/seal-to-key.js';
import { LedgerSecrets } from '../ledger/secrets.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import type { NodeIdentity } from './identity.js';

export interface JoinRequest {
  /** SPKI PEM of the joining node's key */
  publicKey: string;
  /** host:port of its node-to-node channel */
  peerAddress: string;
  /** its JSON-RPC URL */
  rpcAddress: string;
  /** its code measurement (lowercase hex), recorded for the members (see virtualMeasurement) */
  measurement: string;
}

export interface PeerInfo {
  nodeId: string;
  peerAddress: string;
}

export interface JoinResponse {
  nodeId: string;
  nodeCert: string;
  serviceCert: string;
  /** nodes already in the service, to answer Raft through */
  peers: PeerInfo[];
  /** base64 of the service key and ledger secrets, sealed to the joining node's key */
  sealedSecrets: string;
}

/** The primary's answer to a join request: pending until the members trust the node, then everything it needs. */
export type JoinAnswer = { status: 'Pending'; nodeId: string } | (JoinResponse & { status: 'Trusted' });

interface Secrets {
  serviceKey: string;
  ledgerSecrets: { fromSeqno: number; key: string }[];
}

const LABEL = 'ccevm join secrets';
const ADDRESS = /^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/;
/** 1 to 128 bytes of lowercase hex (a SHA-256 or an SEV-SNP measurement fits) */
const MEASUREMENT = /^(?:[0-9a-f]{2}){1,128}$/;

export class JoinError extends Error {}

export function parseJoinRequest(value: unknown): JoinRequest & { nodeId: string } {
  const r = value as Partial<JoinRequest>;
  if (typeof r !== 'object' || r === null) throw new JoinError('join request must be an object');
  if (typeof r.peerAddress !== 'string' || !ADDRESS.test(r.peerAddress)) throw new JoinError('peerAddress must be host:port');
  if (typeof r.rpcAddress !== 'string' || !/^https?:\/\/\S+$/.test(r.rpcAddress)) throw new JoinError('rpcAddress must be an http(s) URL');
  if (typeof r.measurement !== 'string' || !MEASUREMENT.test(r.measurement)) throw new JoinError('measurement must be the code measurement in lowercase hex (at most 128 bytes)');
  let nodeId: string;
  try {
    const key = createPublicKey(r.publicKey as string);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not P-256');
    nodeId = keyId(key);
  } catch (e) {
    throw new JoinError(`publicKey: ${(e as Error).message}`);
  }
  return { publicKey: r.publicKey as string, peerAddress: r.peerAddress, rpcAddress: r.rpcAddress, measurement: r.measurement, nodeId };
}

export function joinRequest(nodeKey: KeyPair, peerAddress: string, rpcAddress: string, measurement: string): JoinRequest {
  return { publicKey: nodeKey.publicKey.export({ type: 'spki', format: 'pem' }) as string, peerAddress, rpcAddress, measurement };
}

/** The primary's answer to a trusted node. */
export function joinResponse(request: JoinRequest & { nodeId: string }, nodeCert: string, service: NodeIdentity, peers: PeerInfo[]): JoinResponse {
  const secrets: Secrets = {
    serviceKey: Buffer.from(exportPrivateKey(service.serviceKey)).toString('base64'),
    ledgerSecrets: service.secrets.all.map((s) => ({ fromSeqno: s.fromSeqno, key: Buffer.from(s.key).toString('base64') })),
  };
  const sealed = sealToKey(createPublicKey(request.publicKey), utf8(JSON.stringify(secrets)), LABEL);
  return { nodeId: request.nodeId, nodeCert, serviceCert: service.serviceCert, peers, sealedSecrets: Buffer.from(sealed).toString('base64') };
}

/** The joining node's identity, from its key and the primary's answer. */
export function identityFromJoin(nodeKey: KeyPair, response: JoinResponse): NodeIdentity {
  const nodeId = keyId(nodeKey.publicKey);
  if (response.nodeId !== nodeId) throw new JoinError('the join response is for another node');
  let secrets: Secrets;
  try {
    secrets = JSON.parse(fromUtf8(openSealedToKey(nodeKey.privateKey, Buffer.from(response.sealedSecrets, 'base64'), LABEL))) as Secrets;
  } catch {
    throw new JoinError('the join response secrets do not open with this node key');
  }
  return {
    nodeId,
    nodeKey,
    nodeCert: response.nodeCert,
    serviceKey: importPrivateKey(Buffer.from(secrets.serviceKey, 'base64')),
    serviceCert: response.serviceCert,
    secrets: new LedgerSecrets(secrets.ledgerSecrets.map((s) => ({ fromSeqno: s.fromSeqno, key: new Uint8Array(Buffer.from(s.key, 'base64')) }))),
  };
}
