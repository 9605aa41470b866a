// A node's secrets and how they persist: the node key (its identity), the service key
// (endorses node certificates), and the ledger secrets. They are generated inside the node
// and written to the data directory only sealed; the certificates are public and stored
// in clear beside them.
import { randomKey } from '../crypto/aead.js';
import { certificatePublicKey, createNodeCertificate, createServiceCertificate, isEndorsedBy } from '../crypto/certificates.js';
import { exportPrivateKey, generateKeyPair, importPrivateKey, keyId, type KeyPair } from '../crypto/keys.js';
import type { Sealer } from '../crypto/sealing.js';
import type { DataDir } from '../host/data-dir.js';
import { LedgerSecrets } from '../ledger/secrets.js';
import { fromUtf8, utf8 } from '../util/bytes.js';

export const SEALED_STATE_FILE = 'node.sealed.json';

export interface NodeIdentity {
  readonly nodeId: string;
  readonly nodeKey: KeyPair;
  readonly nodeCert: string;
  readonly serviceKey: KeyPair;
  readonly serviceCert: string;
  readonly secrets: LedgerSecrets;
}

interface SealedStateFile {
  format: 1;
  platform: string;
  nodeId: string;
  nodeCert: string;
  serviceCert: string;
  sealed: {
    nodeKey: string;
    serviceKey: string;
    ledgerSecrets: { fromSeqno: number; key: string }[];
  };
}

export async function createServiceIdentity(options: { serviceName?: string; subjectAltNames?: string[] }): Promise<NodeIdentity> {
  const nodeKey = generateKeyPair();
  const serviceKey = generateKeyPair();
  const nodeId = keyId(nodeKey.publicKey);
  const serviceCert = await createServiceCertificate(serviceKey, options.serviceName);
  const nodeCert = await createNodeCertificate(nodeKey.publicKey, serviceKey, serviceCert, {
    nodeId,
    subjectAltNames: options.subjectAltNames,
  });
  const secrets = new LedgerSecrets([{ fromSeqno: 1, key: randomKey() }]);
  return { nodeId, nodeKey, nodeCert, serviceKey, serviceCert, secrets };
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

export async function saveIdentity(dir: DataDir, sealer: Sealer, id: NodeIdentity): Promise<void> {
  const state: SealedStateFile = {
    format: 1,
    platform: sealer.platform,
    nodeId: id.nodeId,
    nodeCert: id.nodeCert,
    serviceCert: id.serviceCert,
    sealed: {
      nodeKey: b64(sealer.seal(exportPrivateKey(id.nodeKey), 'node key')),
      serviceKey: b64(sealer.seal(exportPrivateKey(id.serviceKey), 'service key')),
      ledgerSecrets: id.secrets.all.map((s) => ({
        fromSeqno: s.fromSeqno,
        key: b64(sealer.seal(s.key, `ledger secret from ${s.fromSeqno}`)),
      })),
    },
  };
  await dir.writeAtomic(SEALED_STATE_FILE, utf8(JSON.stringify(state, null, 2)));
}

export class IdentityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityError';
  }
}

export async function loadIdentity(dir: DataDir, sealer: Sealer): Promise<NodeIdentity | undefined> {
  if (!(await dir.exists(SEALED_STATE_FILE))) return undefined;
  let state: SealedStateFile;
  try {
    state = JSON.parse(fromUtf8(await dir.read(SEALED_STATE_FILE))) as SealedStateFile;
    if (state.format !== 1 || !state.sealed) throw new Error('unknown format');
  } catch (e) {
    throw new IdentityError(`${dir.file(SEALED_STATE_FILE)} is not a sealed node state: ${(e as Error).message}`);
  }
  if (state.platform !== sealer.platform) {
    throw new IdentityError(`sealed for platform ${state.platform}, running on ${sealer.platform}`);
  }
  try {
    const nodeKey = importPrivateKey(sealer.unseal(unb64(state.sealed.nodeKey), 'node key'));
    const serviceKey = importPrivateKey(sealer.unseal(unb64(state.sealed.serviceKey), 'service key'));
    const secrets = new LedgerSecrets(
      state.sealed.ledgerSecrets.map((s) => ({ fromSeqno: s.fromSeqno, key: sealer.unseal(unb64(s.key), `ledger secret from ${s.fromSeqno}`) })),
    );
    const nodeId = keyId(nodeKey.publicKey);
    if (nodeId !== state.nodeId) throw new IdentityError('sealed node key does not match the recorded node id');
    // The certificates are stored in clear: check they belong to the sealed keys.
    if (!certificatePublicKey(state.serviceCert).equals(serviceKey.publicKey)) throw new IdentityError('service certificate does not match the sealed service key');
    if (!certificatePublicKey(state.nodeCert).equals(nodeKey.publicKey)) throw new IdentityError('node certificate does not match the sealed node key');
    if (!isEndorsedBy(state.nodeCert, state.serviceCert)) throw new IdentityError('node certificate is not endorsed by the service certificate');
    return { nodeId, nodeKey, nodeCert: state.nodeCert, serviceKey, serviceCert: state.serviceCert, secrets };
  } catch (e) {
    if (e instanceof IdentityError) throw e;
    throw new IdentityError(`cannot unseal ${dir.file(SEALED_STATE_FILE)}: ${(e as Error).message}`);
  }
}

// Raft's vote: the current term (view) and whom this node voted for in it, sealed beside
// the identity and written before any message that depends on it leaves the node. A
// restart continues in a view above both it and the ledger's last view, so a
// (seqno, view) encryption IV is never reused even if the host drops entries the node had
// already written. (A host that rolls back this file as well is outside what a plain file
// can prevent; a TEE's monotonic counter closes that gap.)
const VOTE_FILE = 'node.vote';

export interface Vote {
  term: number;
  votedFor: string | undefined;
}

export async function loadVote(dir: DataDir, sealer: Sealer): Promise<Vote> {
  if (!(await dir.exists(VOTE_FILE))) return { term: 0, votedFor: undefined };
  try {
    const vote = JSON.parse(fromUtf8(sealer.unseal(await dir.read(VOTE_FILE), 'vote'))) as Vote;
    if (!Number.isSafeInteger(vote.term) || vote.term < 0) throw new Error('not a term');
    return { term: vote.term, votedFor: typeof vote.votedFor === 'string' ? vote.votedFor : undefined };
  } catch (e) {
    throw new IdentityError(`cannot read ${dir.file(VOTE_FILE)}: ${(e as Error).message}`);
  }
}

export async function saveVote(dir: DataDir, sealer: Sealer, vote: Vote): Promise<void> {
  await dir.writeAtomic(VOTE_FILE, sealer.seal(utf8(JSON.stringify(vote)), 'vote'));
}
