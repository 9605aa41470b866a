// Which view each seqno was committed in, kept as the first seqno of every view (CCF's
// "view history"): small enough to carry in a snapshot, so a node that started from one
// still knows the txid of every earlier transaction.

export interface ViewStart {
  readonly view: number;
  /** first seqno of that view */
  readonly seqno: number;
}

export class ViewHistory {
  private starts: ViewStart[];

  constructor(starts: readonly ViewStart[] = []) {
    for (let i = 1; i < starts.length; i++) {
      if (starts[i]!.view <= starts[i - 1]!.view || starts[i]!.seqno <= starts[i - 1]!.seqno) throw new RangeError('view history must ascend in view and seqno');
    }
    this.starts = [...starts];
  }

  get all(): readonly ViewStart[] {
    return this.starts;
  }

  /** The entry at `seqno` (the next one, in order) has `view`. */
  note(view: number, seqno: number): void {
    const last = this.starts[this.starts.length - 1];
    if (!last || view > last.view) this.starts.push({ view, seqno });
  }

  /** View of the entry at `seqno`, if a view had started by then. */
  viewAt(seqno: number): number | undefined {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]!.seqno <= seqno) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : this.starts[lo - 1]!.view;
  }

  /** Forget everything after `seqno`. */
  truncate(seqno: number): void {
    while (this.starts.length > 0 && this.starts[this.starts.length - 1]!.seqno > seqno) this.starts.pop();
  }
}
