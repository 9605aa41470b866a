// One process per data directory: a lock file naming the process that holds the directory
// (pid, host, start time), so that a second node started on it is refused with who holds
// it, before it touches anything. A lock left by a process that was killed is stale: its
// pid no longer runs (or, on Linux, now belongs to a process that started at another
// time), and the next node takes the directory over.
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'node.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601 */
  startedAt: string;
  /** the process's start in clock ticks since boot (/proc/PID/stat), where the host has it */
  processStart?: number;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      holder
        ? `data directory ${dir} is in use by process ${holder.pid} on ${holder.host} (started ${holder.startedAt}); stop that process first`
        : `data directory ${dir} has a lock file (${join(dir, LOCK_FILE)}) that names no process; if no node runs on it, remove that file`,
    );
    this.name = 'DataDirLockedError';
  }
}

/** Directories this process holds (a second node in the same process is refused too). */
const held = new Set<string>();

export class DirLock {
  private constructor(
    private readonly dir: string,
    private readonly content: string,
  ) {}

  /** Create `dir` if needed and lock it; throws DataDirLockedError if a live process holds it. */
  static async acquire(dir: string): Promise<DirLock> {
    const absolute = resolve(dir);
    if (held.has(absolute)) throw new DataDirLockedError(dir, currentHolder());
    held.add(absolute); // before any await: a concurrent acquire here sees it
    try {
      return new DirLock(absolute, await lock(dir, absolute));
    } catch (e) {
      held.delete(absolute);
      throw e;
    }
  }

  /** Remove the lock file, if it is still this process's. */
  async release(): Promise<void> {
    const path = join(this.dir, LOCK_FILE);
    if ((await readFile(path, 'utf8').catch(() => '')) === this.content) await unlink(path).catch(() => {});
    held.delete(this.dir);
  }
}

/** Take the lock file of `absolute`; returns what it holds. */
async function lock(dir: string, absolute: string): Promise<string> {
  await mkdir(absolute, { recursive: true, mode: 0o700 });
  const path = join(absolute, LOCK_FILE);
  const content = JSON.stringify(currentHolder());
  // Write the whole file beside the lock, then link it into place: the link fails if a
  // lock exists, and no reader ever sees a half-written one.
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  try {
    await link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const holder = await readHolder(path);
    if (!holder || isRunning(holder)) throw new DataDirLockedError(dir, holder);
    // Stale: take it over, then check that no other starter took it over meanwhile. (Two
    // starting at the same instant can both pass; the ledger database's own lock, which
    // the kernel drops with its process, then stops the second before it writes anything
    // to a directory that already holds a node.)
    await rename(tmp, path);
    if ((await readFile(path, 'utf8').catch(() => '')) !== content) throw new DataDirLockedError(dir, await readHolder(path));
  } finally {
    await unlink(tmp).catch(() => {});
  }
  return content;
}

function currentHolder(): LockHolder {
  const startedAt = new Date(Date.now() - process.uptime() * 1000).toISOString();
  const processStart = processStartTicks('self');
  return { pid: process.pid, host: hostname(), startedAt, ...(processStart === undefined ? {} : { processStart }) };
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(path, 'utf8')) as LockHolder;
    return Number.isSafeInteger(holder.pid) && holder.pid > 0 && typeof holder.host === 'string' && typeof holder.startedAt === 'string' ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the lock's process still runs (a lock from another host is assumed live). */
function isRunning(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  // Our own pid, but not held here: a restarted container reuses pids.
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = processStartTicks(String(holder.pid));
  return holder.processStart === undefined || start === undefined || start === holder.processStart;
}

/** Field 22 of /proc/PID/stat (after the parenthesised command name, which may hold spaces). */
function processStartTicks(pid: string): number | undefined {
  try {
    // A tiny procfs file, read once per lock taken: synchronous is simplest.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isSafeInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}
