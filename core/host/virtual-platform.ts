// The `virtual` development platform: no TEE, so its sealing key is a file the host can
// read. It keeps development restarts working; it protects nothing against the host.
import { createHash } from 'node:crypto';
import { randomKey } from '../crypto/aead.js';
import { KeySealer, type Sealer } from '../crypto/sealing.js';
import type { DataDir } from './data-dir.js';

const SEALING_KEY_FILE = 'virtual-sealing.key';

export async function virtualSealer(dir: DataDir): Promise<Sealer> {
  if (!(await dir.exists(SEALING_KEY_FILE))) await dir.writeAtomic(SEALING_KEY_FILE, randomKey());
  const key = await dir.read(SEALING_KEY_FILE);
  if (key.length !== 32) throw new Error(`${dir.file(SEALING_KEY_FILE)} is not a 32-byte key`);
  return new KeySealer('virtual', key);
}

/**
 * The code measurement a node on the virtual platform reports when it asks to join: a
 * fixed value, sha256('ccevm virtual platform') in hex, since there is no TEE to measure
 * the code. It is recorded, not checked (attestation will replace it).
 */
export function virtualMeasurement(): string {
  return createHash('sha256').update('ccevm virtual platform').digest('hex');
}
