// A test's way to the ledger secrets of a node on the development (virtual) platform: its
// sealing key is a file in the data directory, so the secrets unseal from there. Only
// tests do this; no command prints secrets. The file form is what `ccevm audit
// --ledger-secrets FILE` reads.
import { DataDir } from '../../core/host/data-dir.js';
import { virtualSealer } from '../../core/host/virtual-platform.js';
import type { LedgerSecrets } from '../../core/ledger/secrets.js';
import { loadIdentity } from '../../core/node/identity.js';

export async function unsealLedgerSecrets(dataDir: string): Promise<LedgerSecrets> {
  const dir = new DataDir(dataDir);
  const identity = await loadIdentity(dir, await virtualSealer(dir));
  if (!identity) throw new Error(`${dataDir} holds no node`);
  return identity.secrets;
}

/** `[{ "fromSeqno": 1, "key": "<64 hex>" }, …]` */
export function ledgerSecretsFile(secrets: LedgerSecrets): string {
  return JSON.stringify(secrets.all.map((s) => ({ fromSeqno: s.fromSeqno, key: Buffer.from(s.key).toString('hex') })));
}
