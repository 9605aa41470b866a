// Ledger secrets: the AES-256-GCM keys that encrypt private domains, each in force from a
// seqno on (a rekey adds one), and the commit-evidence secret derived from each.
import { hkdfSha256, hmacSha256, sha256 } from '../crypto/hash.js';
import { toHex, utf8 } from '../util/bytes.js';
import type { TxID } from '../kv/txid.js';

export interface LedgerSecret {
  /** First seqno this secret encrypts. */
  readonly fromSeqno: number;
  readonly key: Uint8Array;
}

export class LedgerSecrets {
  private readonly secrets: LedgerSecret[] = [];
  private readonly commitSecrets = new Map<LedgerSecret, Uint8Array>();

  constructor(initial: LedgerSecret[] = []) {
    for (const s of initial) this.add(s);
  }

  add(secret: LedgerSecret): void {
    if (secret.key.length !== 32) throw new RangeError('ledger secret must be 32 bytes');
    const last = this.secrets[this.secrets.length - 1];
    if (last && secret.fromSeqno <= last.fromSeqno) throw new RangeError('ledger secrets must be added in seqno order');
    this.secrets.push(secret);
  }

  get all(): readonly LedgerSecret[] {
    return this.secrets;
  }

  /** The secret in force at `seqno`. */
  forSeqno(seqno: number): LedgerSecret {
    for (let i = this.secrets.length - 1; i >= 0; i--) {
      if (this.secrets[i]!.fromSeqno <= seqno) return this.secrets[i]!;
    }
    throw new RangeError(`no ledger secret for seqno ${seqno}`);
  }

  /**
   * Commit evidence, as CCF: a string only nodes can produce (it is keyed by the ledger
   * secret) and only reveal once the transaction is committed. The Merkle leaf binds its
   * digest, so a receipt carrying the evidence shows that the node saw the commit.
   */
  commitEvidence(txid: TxID): string {
    const secret = this.forSeqno(txid.seqno);
    let commitSecret = this.commitSecrets.get(secret);
    if (!commitSecret) {
      commitSecret = hkdfSha256(secret.key, 'ccevm commit evidence');
      this.commitSecrets.set(secret, commitSecret);
    }
    const id = `${txid.view}.${txid.seqno}`;
    return `ce:${id}:${toHex(hmacSha256(commitSecret, utf8(id)))}`;
  }

  /**
   * A key for `label` (a purpose an application names) that every node holding these
   * secrets derives alike, and no one else can: HKDF-SHA256 over the newest secret.
   */
  derivedKey(label: string): Uint8Array {
    if (label.length === 0) throw new TypeError('a derived key needs a label');
    const newest = this.secrets[this.secrets.length - 1];
    if (!newest) throw new RangeError('no ledger secret to derive from');
    return hkdfSha256(newest.key, `ccevm derived key: ${label}`);
  }
}

export function commitEvidenceDigest(evidence: string): Uint8Array {
  return sha256(utf8(evidence));
}
