import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const KEY_SIZE = 32;
export const IV_SIZE = 12;
export const TAG_SIZE = 16;

export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

/** AES-256-GCM; returns ciphertext || 16-byte tag. */
export function aesGcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Inverse of aesGcmEncrypt; throws AuthenticationError if anything was altered. */
export function aesGcmDecrypt(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  if (sealed.length < TAG_SIZE) throw new AuthenticationError('ciphertext shorter than its tag');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE)), decipher.final()]);
  } catch {
    throw new AuthenticationError('authentication tag mismatch');
  }
}

export function randomKey(): Uint8Array {
  return new Uint8Array(randomBytes(KEY_SIZE));
}

export function randomIv(): Uint8Array {
  return new Uint8Array(randomBytes(IV_SIZE));
}
