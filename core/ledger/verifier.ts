// Verifies a ledger entry by entry, as a restarting node and an offline auditor do:
// structure, seqno continuity, view monotonicity, private-domain authentication,
// commit evidence, and at every signature transaction the signed Merkle root, the
// signature and the signer's standing (trusted node, certificate endorsed by the
// service), and the service's COSE signature over the same root. Verified write sets are
// applied to a store as it goes.
import type { KeyObject } from 'node:crypto';
import { AuthenticationError } from '../crypto/aead.js';
import { certificatePublicKey, isEndorsedBy } from '../crypto/certificates.js';
import { keyId, verifyData } from '../crypto/keys.js';
import { NODES_INFO, SERVICE_INFO } from '../governance/tables.js';
import type { Store } from '../kv/store.js';
import { deserialiseDomain, type Writes } from '../kv/write-set.js';
import { formatTxID } from '../kv/txid.js';
import { bytesToKey, equalBytes, toHex } from '../util/bytes.js';
import { DecodeError } from '../util/binary.js';
import { checkServiceSignature, CoseError } from './cose.js';
import { decodeEntry, decryptPrivateDomain, entryLeaf, EntryKind, ZERO_DIGEST, type LedgerEntry } from './entry.js';
import { LedgerIntegrityError } from './errors.js';
import type { MerkleTree } from './merkle.js';
import { commitEvidenceDigest, type LedgerSecrets } from './secrets.js';
import { parseSignatureRecord, SIGNATURE_KEY, SIGNATURES } from './signature.js';

export interface VerifierOptions {
  /** The service certificate the ledger must belong to. */
  serviceCert: string;
  store: Store;
  tree: MerkleTree;
  /** Without secrets only the public domain is checked and applied (an auditor's view). */
  secrets?: LedgerSecrets;
}

export class LedgerVerifier {
  private lastSeqno: number;
  private lastView: number;
  /** Seqno of the last verified signature transaction. */
  lastSigned = 0;
  /** node id -> seqno at which it was marked retired */
  private readonly retiredAt = new Map<string, number>();
  /** read from the service certificate at the first signature (which checks that certificate first) */
  private serviceKey?: KeyObject;

  constructor(private readonly options: VerifierOptions) {
    this.lastSeqno = options.store.txid.seqno;
    this.lastView = options.store.txid.view;
  }

  get seqno(): number {
    return this.lastSeqno;
  }

  /** View of the last verified entry. */
  get view(): number {
    return this.lastView;
  }

  /** Verify the next entry and apply it; throws LedgerIntegrityError. */
  verify(bytes: Uint8Array): LedgerEntry {
    const expected = this.lastSeqno + 1;
    let entry: LedgerEntry;
    try {
      entry = decodeEntry(bytes);
    } catch (e) {
      throw new LedgerIntegrityError(expected, `malformed: ${(e as Error).message}`);
    }
    const fail = (reason: string): never => {
      throw new LedgerIntegrityError(entry.seqno, reason);
    };
    if (entry.seqno !== expected) {
      throw new LedgerIntegrityError(expected, entry.seqno > expected
        ? `missing (found seqno ${entry.seqno} instead)`
        : `out of order (found seqno ${entry.seqno} again)`);
    }
    if (entry.view < this.lastView) fail(`view ${entry.view} is lower than the previous entry's ${this.lastView}`);

    const writes = this.decodeWrites(entry, fail);
    const { secrets, tree, store } = this.options;
    if (secrets) {
      const evidence = secrets.commitEvidence({ view: entry.view, seqno: entry.seqno });
      if (!equalBytes(commitEvidenceDigest(evidence), entry.commitEvidenceDigest)) fail('commit evidence digest does not match');
    }
    const touchesSignatures = writes.has(SIGNATURES.name);
    if (entry.kind === EntryKind.Signature) {
      if (!touchesSignatures || writes.size !== 1 || entry.privateCiphertext.length > 0) {
        fail('signature entry must write the signatures map and nothing else');
      }
      this.checkSignature(entry, fail);
    } else if (touchesSignatures) {
      fail('a normal entry writes the signatures map');
    }
    this.checkServiceIdentity(writes, fail);
    this.noteRetirements(entry.seqno, writes);

    tree.append(entryLeaf(entry));
    store.apply({ view: entry.view, seqno: entry.seqno }, writes);
    this.lastSeqno = entry.seqno;
    this.lastView = entry.view;
    if (entry.kind === EntryKind.Signature) {
      this.lastSigned = entry.seqno;
    }
    return entry;
  }

  private decodeWrites(entry: LedgerEntry, fail: (reason: string) => never): Writes {
    try {
      const writes = deserialiseDomain(entry.publicDomain, 'public');
      const { secrets } = this.options;
      if (secrets && entry.privateCiphertext.length > 0) {
        const secret = secrets.forSeqno(entry.seqno);
        deserialiseDomain(decryptPrivateDomain(entry, secret.key), 'private', writes);
      }
      return writes;
    } catch (e) {
      if (e instanceof AuthenticationError) return fail('private domain fails authentication (altered header, public or private bytes, or wrong ledger secret)');
      if (e instanceof DecodeError) return fail(`write set malformed: ${e.message}`);
      return fail(`cannot be read: ${(e as Error).message}`);
    }
  }

  private checkSignature(entry: LedgerEntry, fail: (reason: string) => never): void {
    const raw = deserialiseDomain(entry.publicDomain, 'public').get(SIGNATURES.name)!;
    const value = raw.get(bytesToKey(SIGNATURES.key.encode(SIGNATURE_KEY)));
    if (raw.size !== 1 || value === undefined) fail('signature entry does not hold one signature record at key 0');
    if (!equalBytes(entry.claimsDigest, ZERO_DIGEST)) fail('signature entry carries a claims digest');
    let record;
    try {
      record = parseSignatureRecord(value!);
    } catch (e) {
      return fail(`signature record malformed: ${(e as Error).message}`);
    }
    if (record.seqno !== entry.seqno || record.view !== entry.view) fail('signature record names another transaction');
    // The signer first: a signature from another service's ledger says so, rather than
    // showing up as a root that does not match.
    if (!isEndorsedBy(record.cert, this.options.serviceCert)) fail('signer certificate is not endorsed by the service (a signature from another service?)');
    const root = this.options.tree.root(entry.seqno - 1);
    if (!equalBytes(root, record.root)) {
      // This root first covers the previous signature's own leaf, hence the range's start.
      fail(`signed Merkle root does not match the entries: an entry in ${Math.max(this.lastSigned, 1)}..${entry.seqno - 1} was altered`);
    }
    const publicKey = certificatePublicKey(record.cert);
    if (keyId(publicKey) !== record.node) fail('signer node id does not match its certificate');
    const tx = this.options.store.begin();
    const node = tx.map(NODES_INFO).get(record.node);
    tx.abort();
    // A node that retired itself signs once more: the signature that covers its own
    // retirement (it steps down when that commits). Any later signature is refused.
    const retiring = node?.status === 'Retired' && (this.retiredAt.get(record.node) ?? 0) > this.lastSigned;
    if (!node || !(node.status === 'Trusted' || retiring) || node.cert !== record.cert) fail(`signer ${record.node.slice(0, 16)} is not a trusted node`);
    if (!verifyData(publicKey, record.root, record.signature)) fail(`signature does not verify (root ${toHex(record.root).slice(0, 16)}…)`);
    this.serviceKey ??= certificatePublicKey(this.options.serviceCert);
    try {
      checkServiceSignature(this.serviceKey, { protectedHeader: record.cose_protected, signature: record.cose_signature }, record.root, formatTxID(entry));
    } catch (e) {
      if (e instanceof CoseError) fail(e.message);
      throw e;
    }
  }

  private noteRetirements(seqno: number, writes: Writes): void {
    const nodes = writes.get(NODES_INFO.name);
    if (!nodes) return;
    for (const [key, value] of nodes) {
      try {
        if (value && NODES_INFO.value.decode(value).status === 'Retired') this.retiredAt.set(NODES_INFO.key.decode(Buffer.from(key, 'latin1')), seqno);
      } catch {
        // A malformed record cannot make a signer acceptable: ignore it here.
      }
    }
  }

  private checkServiceIdentity(writes: Writes, fail: (reason: string) => never): void {
    const service = writes.get(SERVICE_INFO.name);
    if (!service) return;
    for (const value of service.values()) {
      let cert: string | undefined;
      try {
        cert = value === undefined ? undefined : SERVICE_INFO.value.decode(value).cert;
      } catch {
        fail('service record malformed');
      }
      if (cert !== this.options.serviceCert) fail('service identity differs from the expected service certificate');
    }
  }
}
