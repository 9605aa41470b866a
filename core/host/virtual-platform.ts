// The `virtual` development platform: no TEE, so its sealing key is a file the host can
// read. It keeps development restarts working; it protects nothing against the host.
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
