// Small byte helpers shared by every core module. Uint8Array everywhere; Buffer only
// where node:crypto wants it (Buffer is a Uint8Array, so results flow back unchanged).

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new TypeError(`not a hex string: ${hex.slice(0, 20)}`);
  }
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

export function fromUtf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
}

/**
 * Bytes as a JS string with one char per byte. String comparison of two such strings is
 * byte-wise lexicographic, so they serve as ordered Map keys without copying into hex.
 */
export function bytesToKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

export function keyToBytes(key: string): Uint8Array {
  return new Uint8Array(Buffer.from(key, 'latin1'));
}
