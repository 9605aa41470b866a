// Encryption to a node's public key (ECIES over P-256: ephemeral ECDH, HKDF-SHA256,
// AES-256-GCM): how a primary hands a joining node the service's secrets so that only
// the holder of the node key can read them, whatever carried the message.
import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { aesGcmDecrypt, aesGcmEncrypt, randomIv, IV_SIZE } from './aead.js';
import { hkdfSha256 } from './hash.js';
import { utf8 } from '../util/bytes.js';

const INFO = 'ccevm seal-to-key';

export function sealToKey(recipient: KeyObject, plaintext: Uint8Array, label: string): Uint8Array {
  const ephemeral = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
  const key = hkdfSha256(shared, INFO);
  const ephemeralDer = ephemeral.publicKey.export({ type: 'spki', format: 'der' });
  const iv = randomIv();
  const sealed = aesGcmEncrypt(key, iv, plaintext, utf8(label));
  const header = Buffer.alloc(2);
  header.writeUInt16BE(ephemeralDer.length);
  return Buffer.concat([header, ephemeralDer, iv, sealed]);
}

export function openSealedToKey(recipient: KeyObject, sealed: Uint8Array, label: string): Uint8Array {
  const buf = Buffer.from(sealed);
  const length = buf.readUInt16BE(0);
  const ephemeral = createPublicKey({ key: buf.subarray(2, 2 + length), format: 'der', type: 'spki' });
  const shared = diffieHellman({ privateKey: recipient, publicKey: ephemeral });
  const key = hkdfSha256(shared, INFO);
  const iv = buf.subarray(2 + length, 2 + length + IV_SIZE);
  return aesGcmDecrypt(key, iv, buf.subarray(2 + length + IV_SIZE), utf8(label));
}
