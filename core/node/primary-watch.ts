// Who the primary is, as this node last knew it, and who wants to hear when that changes.
// The front end forwards writes to the primary; a request in flight to a primary that was
// replaced is abandoned at once, so it must hear of a change as soon as consensus does
// (Raft's `primary` event: a backup may learn of a new primary without changing role).
import type { NodeId } from '../consensus/types.js';

export type PrimaryListener = (primary: NodeId | undefined) => void;

export class PrimaryWatch {
  private readonly listeners = new Set<PrimaryListener>();
  private last: NodeId | undefined;

  constructor(private readonly current: () => NodeId | undefined) {}

  /** Call `listener` whenever the known primary changes (to another node or to none); returns the unsubscribe. */
  subscribe(listener: PrimaryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Consensus learnt of another primary: tell the listeners (once per change). */
  check(): void {
    const primary = this.current();
    if (primary === this.last) return;
    this.last = primary;
    for (const listener of [...this.listeners]) listener(primary);
  }
}
