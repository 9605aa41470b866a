// ECDSA P-256 key pairs for node and service identities (node:crypto, native OpenSSL).
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { toHex } from '../util/bytes.js';
import { sha256 } from './hash.js';

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function generateKeyPair(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** PKCS#8 DER: the form in which a private key is sealed. */
export function exportPrivateKey(pair: KeyPair): Uint8Array {
  return pair.privateKey.export({ format: 'der', type: 'pkcs8' });
}

export function importPrivateKey(pkcs8Der: Uint8Array): KeyPair {
  const privateKey = createPrivateKey({ key: Buffer.from(pkcs8Der), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export function publicKeyDer(key: KeyObject): Uint8Array {
  return key.export({ format: 'der', type: 'spki' });
}

/** A node is named by the SHA-256 of its public key (SPKI DER), in hex, as CCF does. */
export function keyId(key: KeyObject): string {
  return toHex(sha256(publicKeyDer(key)));
}

/** ECDSA with SHA-256, DER-encoded signature. */
export function signData(pair: KeyPair, data: Uint8Array): Uint8Array {
  return sign('sha256', data, { key: pair.privateKey, dsaEncoding: 'der' });
}

export function verifyData(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

/** ECDSA with SHA-256, signature as r || s (32 bytes each, IEEE P1363): the form COSE ES256 uses. */
export function signDataP1363(pair: KeyPair, data: Uint8Array): Uint8Array {
  return sign('sha256', data, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' });
}

export function verifyDataP1363(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
