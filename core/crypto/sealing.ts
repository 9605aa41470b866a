// Sealing: how a node keeps secrets (its identity key, the service key, ledger secrets)
// across restarts without the host being able to read them. A TEE platform derives the
// sealing key from the hardware and the code measurement; the `virtual` development
// platform has no such root of trust and keeps its sealing key in a file beside the
// data, which protects nothing against the host and says so.
import { AuthenticationError, aesGcmDecrypt, aesGcmEncrypt, IV_SIZE, randomIv } from './aead.js';
import { utf8 } from '../util/bytes.js';

export interface Sealer {
  /** Platform name recorded with sealed data (`virtual`, `sev-snp`, …). */
  readonly platform: string;
  seal(plaintext: Uint8Array, label: string): Uint8Array;
  /** Throws AuthenticationError if the data was altered or sealed by another key or label. */
  unseal(sealed: Uint8Array, label: string): Uint8Array;
}

/** AES-256-GCM under a 32-byte key, random IV; the label is bound as additional data. */
export class KeySealer implements Sealer {
  constructor(
    readonly platform: string,
    private readonly key: Uint8Array,
  ) {
    if (key.length !== 32) throw new RangeError('sealing key must be 32 bytes');
  }

  seal(plaintext: Uint8Array, label: string): Uint8Array {
    const iv = randomIv();
    return Buffer.concat([iv, aesGcmEncrypt(this.key, iv, plaintext, utf8(label))]);
  }

  unseal(sealed: Uint8Array, label: string): Uint8Array {
    if (sealed.length < IV_SIZE) throw new AuthenticationError(`sealed ${label} is truncated`);
    try {
      return aesGcmDecrypt(this.key, sealed.subarray(0, IV_SIZE), sealed.subarray(IV_SIZE), utf8(label));
    } catch {
      throw new AuthenticationError(`sealed ${label} does not open with this node's sealing key`);
    }
  }
}
