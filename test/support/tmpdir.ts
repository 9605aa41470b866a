// Temporary data directories for tests: created under os.tmpdir(), removed afterwards.
//
//   const dirs = tempDirs();          // inside a describe()
//   after(() => dirs.cleanup());
//   const dir = await dirs.make('restart');
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDirs {
  /** A new empty directory whose name starts with `ccevm-<label>-`. */
  make(label?: string): Promise<string>;
  /** A new directory holding a copy of `source` (which must not be in use). */
  copy(source: string, label?: string): Promise<string>;
  /** Remove every directory made so far. */
  cleanup(): Promise<void>;
}

export function tempDirs(): TempDirs {
  const made: string[] = [];
  const make = async (label = 'test'): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), `ccevm-${label}-`));
    made.push(dir);
    return dir;
  };
  return {
    make,
    async copy(source, label = 'copy') {
      const dir = await make(label);
      await cp(source, dir, { recursive: true });
      return dir;
    },
    async cleanup() {
      const dirs = made.splice(0);
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}
