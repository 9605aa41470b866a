// Committed snapshots on the host's disk, one file each (`snapshot_<seqno>.committed`).
// Like the ledger they are outside the trust boundary: the node verifies what it reads.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SNAPSHOT_NAME, snapshotName } from '../ledger/snapshot.js';

export class SnapshotFiles {
  constructor(readonly dir: string) {}

  /** Seqnos of the snapshots held, ascending. */
  async list(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    return names.map((n) => SNAPSHOT_NAME.exec(n)?.[1]).filter((s): s is string => s !== undefined).map(Number).sort((a, b) => a - b);
  }

  async read(seqno: number): Promise<Uint8Array> {
    return new Uint8Array(await readFile(join(this.dir, snapshotName(seqno))));
  }

  /** Written to a temporary file, flushed, then renamed: never half a snapshot. */
  async write(seqno: number, bytes: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, snapshotName(seqno));
    await writeFile(`${path}.tmp`, bytes, { mode: 0o600, flush: true });
    await rename(`${path}.tmp`, path);
  }

  async remove(seqno: number): Promise<void> {
    await rm(join(this.dir, snapshotName(seqno)), { force: true });
  }
}
