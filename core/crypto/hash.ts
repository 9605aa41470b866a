import { createHash, createHmac, hkdfSync } from 'node:crypto';

export const DIGEST_SIZE = 32;

/** SHA-256 of the concatenation of the parts. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest();
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return createHmac('sha256', key).update(data).digest();
}

export function hkdfSha256(ikm: Uint8Array, info: string, length = 32): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), info, length));
}
