// Writes a node started without waiting for them (vote saves, ledger truncations,
// snapshot files): stop() waits for all of them, so that nothing touches the data
// directory after it resolves.
export class PendingWrites {
  private readonly pending = new Set<Promise<unknown>>();

  /** Remember `write` until it settles; returns it. */
  track<T>(write: Promise<T>): Promise<T> {
    this.pending.add(write);
    const forget = () => this.pending.delete(write);
    write.then(forget, forget);
    return write;
  }

  /** Resolves once every tracked write has settled, including those tracked meanwhile. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
