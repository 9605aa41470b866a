// The commit index this node learnt, kept in the data directory so that an export of a
// stopped node knows how far its ledger is committed. Only the primary can tell on its
// own (from a majority's acknowledgements); a backup learns it from the primary and
// cannot tell it from its ledger, whose last signatures may not have reached a majority
// and may yet be rolled back. Sealed, so the host cannot raise it; a host that rolls it
// back only makes an export stop earlier. Written at most once a second and at stop(): a
// node that was killed may have learnt a little more than it recorded.
import type { Sealer } from '../crypto/sealing.js';
import type { DataDir } from '../host/data-dir.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import type { PendingWrites } from './pending-writes.js';

const COMMIT_FILE = 'node.commit';
const LABEL = 'commit index';

export async function loadCommitIndex(dir: DataDir, sealer: Sealer): Promise<number> {
  if (!(await dir.exists(COMMIT_FILE))) return 0;
  try {
    const { committed } = JSON.parse(fromUtf8(sealer.unseal(await dir.read(COMMIT_FILE), LABEL))) as { committed: number };
    if (!Number.isSafeInteger(committed) || committed < 0) throw new Error('not a seqno');
    return committed;
  } catch (e) {
    throw new Error(`cannot read ${dir.file(COMMIT_FILE)}: ${(e as Error).message}`);
  }
}

export class CommitRecord {
  private latest = 0;
  private written = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: DataDir,
    private readonly sealer: Sealer,
    private readonly writes: PendingWrites,
    private readonly log: (m: string) => void,
    private readonly intervalMs = 1_000,
  ) {}

  /** The node learnt that everything up to `seqno` is committed. */
  committed(seqno: number): void {
    this.latest = Math.max(this.latest, seqno);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writes.track(this.write()).catch((e: Error) => this.log(`cannot record the commit index: ${e.message}`));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Write what is not yet written (at stop). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.write();
  }

  private write(): Promise<void> {
    this.writing = this.writing.catch(() => undefined).then(async () => {
      const seqno = this.latest;
      if (seqno <= this.written) return;
      await this.dir.writeAtomic(COMMIT_FILE, this.sealer.seal(utf8(JSON.stringify({ committed: seqno })), LABEL));
      this.written = seqno;
    });
    return this.writing;
  }
}
