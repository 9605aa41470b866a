// A node's data directory on the host's disk. Everything here is outside the trust
// boundary: callers seal what must stay secret and verify what they read back.
import { mkdir, readFile, rename, writeFile, access, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export class DataDir {
  constructor(readonly path: string) {}

  async ensure(): Promise<void> {
    await mkdir(this.path, { recursive: true, mode: 0o700 });
  }

  file(name: string): string {
    return join(this.path, name);
  }

  async exists(name: string): Promise<boolean> {
    try {
      await access(this.file(name));
      return true;
    } catch {
      return false;
    }
  }

  async read(name: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.file(name)));
  }

  /** Write via a temporary file and rename, so a crash never leaves half a file. */
  async writeAtomic(name: string, bytes: Uint8Array, mode = 0o600): Promise<void> {
    const tmp = this.file(`${name}.tmp`);
    await writeFile(tmp, bytes, { mode, flush: true });
    await rename(tmp, this.file(name));
  }
}

/** Write files into a directory (created if needed); used for ledger chunk export. */
export async function writeFiles(dir: string, files: Iterable<{ name: string; bytes: Uint8Array }>): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const f of files) {
    const path = join(dir, f.name);
    await writeFile(path, f.bytes);
    written.push(path);
  }
  return written;
}

/** Read every file in `dir` whose name matches, in name order. */
export async function readFiles(dir: string, pattern: RegExp): Promise<{ name: string; bytes: Uint8Array }[]> {
  const names = (await readdir(dir)).filter((n) => pattern.test(n)).sort();
  return Promise.all(names.map(async (name) => ({ name, bytes: new Uint8Array(await readFile(join(dir, name))) })));
}
