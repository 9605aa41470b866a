// Exporting a ledger as chunk files an auditor verifies offline (core/ledger/audit.ts).
//
// What a stopped node exports: the data directory is reopened, its ledger replayed and
// verified, and exported up to the last point this node knows to be committed. That is
// not the end of its ledger: the last signatures a backup holds may never have reached a
// majority, and an election may roll them back, so a backup that exported them would
// hand out history the service does not have. The node knows what is committed from
// consensus, and records it (commit-record.ts); a node alone in every configuration its
// ledger names is itself the majority, so all of its signed ledger is committed. Export
// takes no part in consensus and needs no other node.
import type { Sealer } from '../crypto/sealing.js';
import { DataDir, writeFiles } from '../host/data-dir.js';
import { DirLock } from '../host/dir-lock.js';
import { LevelLedgerStorage } from '../host/level-storage.js';
import { SnapshotFiles } from '../host/snapshot-files.js';
import { virtualSealer } from '../host/virtual-platform.js';
import { chunkEntries } from '../ledger/chunks.js';
import { snapshotName } from '../ledger/snapshot.js';
import type { LedgerStorage } from '../ledger/storage.js';
import { loadCommitIndex } from './commit-record.js';
import { loadIdentity, SEALED_STATE_FILE } from './identity.js';
import { reopen, type Reopened } from './replay.js';

export const DEFAULT_CHUNK_BYTES = 1 << 20;

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/**
 * Write the ledger after `base` up to the last signature at or before `upTo` into `out`;
 * a ledger that starts from a snapshot is exported with it (auditing starts there).
 */
export async function writeExport(storage: LedgerStorage, snapshots: SnapshotFiles, base: number, upTo: number, out: string, chunkBytes = DEFAULT_CHUNK_BYTES): Promise<string[]> {
  async function* entries() {
    for await (const e of storage.scan(base + 1)) {
      if (e.seqno > upTo) return;
      yield e;
    }
  }
  const files: { name: string; bytes: Uint8Array }[] = [];
  if (base > 0) files.push({ name: snapshotName(base), bytes: await snapshots.read(base) });
  for await (const chunk of chunkEntries(entries(), chunkBytes)) files.push(chunk);
  return writeFiles(out, files);
}

export interface ExportOptions {
  dataDir: string;
  out: string;
  /** Defaults to the virtual platform's file-backed sealer. */
  sealer?: Sealer;
  /** Storage override (tests); defaults to the level database under dataDir. */
  storage?: LedgerStorage;
  chunkBytes?: number;
  log?: (message: string) => void;
}

export interface ExportResult {
  files: string[];
  /** the committed snapshot the export starts after (0: from the start) */
  from: number;
  /** the last seqno exported */
  to: number;
  /** the last signature in the node's ledger (entries after `to` were not known committed) */
  lastSigned: number;
  /** why `to` is committed */
  reason: string;
}

/** Export a stopped node's data directory (see above for how far). */
export async function exportDataDir(options: ExportOptions): Promise<ExportResult> {
  // Refused while a node runs on the directory (the lock names it).
  const lock = await DirLock.acquire(options.dataDir);
  try {
    return await exportLocked(options);
  } finally {
    await lock.release();
  }
}

async function exportLocked(options: ExportOptions): Promise<ExportResult> {
  const dir = new DataDir(options.dataDir);
  if (!(await dir.exists(SEALED_STATE_FILE))) throw new ExportError(`${dir.path} holds no node (no ${SEALED_STATE_FILE})`);
  const sealer = options.sealer ?? (await virtualSealer(dir));
  const identity = (await loadIdentity(dir, sealer))!;
  const storage = options.storage ?? (await LevelLedgerStorage.open(dir.file('ledger'), { sync: false }));
  try {
    const snapshots = new SnapshotFiles(dir.file('snapshots'));
    const reopened = await reopen(storage, snapshots, identity, options.log ?? (() => {}));
    const from = reopened.base?.index ?? 0;
    const lastSigned = reopened.entries.at(-1)?.index ?? from;
    let to: number;
    let reason: string;
    if (aloneThroughout(reopened, identity.nodeId)) {
      to = lastSigned;
      reason = 'this node is the only node of its service, so its whole signed ledger is committed';
    } else {
      const recorded = await loadCommitIndex(dir, sealer);
      to = Math.max(from, Math.min(recorded, lastSigned));
      reason = `the commit index this node last recorded is ${recorded}`;
    }
    const files = await writeExport(storage, snapshots, from, to, options.out, options.chunkBytes);
    return { files, from, to, lastSigned, reason };
  } finally {
    await storage.close();
  }
}

/** Is `self` the only voter of every configuration from the ledger's start to its end? */
function aloneThroughout(reopened: Reopened, self: string): boolean {
  const configs = [...(reopened.base ? [reopened.base.config] : []), ...reopened.entries.flatMap((e) => (e.config ? [e.config] : []))];
  return configs.length > 0 && configs.every((c) => c.length === 1 && c[0] === self);
}
