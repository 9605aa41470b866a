// The committed history of one map: for each key, its versions in seqno order. Enough
// history is kept for the oldest open reader and for rolling back uncommitted seqnos;
// `compact` drops the rest.

export interface Version {
  readonly seqno: number;
  /** undefined marks a removal. */
  readonly value: Uint8Array | undefined;
}

export class MapState {
  private readonly versions = new Map<string, Version[]>();
  /** Keys written since the last compaction: the only ones that may hold extra history. */
  private readonly dirty = new Set<string>();
  /** Keys in byte order as of the last `keys()`; keys added since wait in `unsortedKeys`. */
  private sortedKeys: string[] = [];
  private unsortedKeys: string[] = [];
  private keysDirty = false;
  /** Highest seqno that wrote to this map (an upper bound after a rollback). */
  lastWrite = 0;

  constructor(readonly name: string) {}

  /** The version of `key` visible at `seqno`, if any. */
  get(key: string, seqno: number): Version | undefined {
    const list = this.versions.get(key);
    if (!list) return undefined;
    // Newest first: readers are almost always at or near the head.
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i]!.seqno <= seqno) return list[i];
    }
    return undefined;
  }

  /** Seqno of the newest write to `key`, 0 if never written. */
  latestSeqno(key: string): number {
    const list = this.versions.get(key);
    return list ? list[list.length - 1]!.seqno : 0;
  }

  put(key: string, seqno: number, value: Uint8Array | undefined): void {
    let list = this.versions.get(key);
    if (!list) {
      list = [];
      this.versions.set(key, list);
      this.unsortedKeys.push(key);
    }
    list.push({ seqno, value });
    this.dirty.add(key);
    if (seqno > this.lastWrite) this.lastWrite = seqno;
  }

  /** All keys that have ever held a value still in history, in byte order. */
  keys(): readonly string[] {
    if (this.keysDirty) {
      // Keys were dropped (and may have come back since): rebuild. Rare: only removals
      // that compaction or rollback makes final get here.
      this.sortedKeys = [...this.versions.keys()].sort();
      this.unsortedKeys = [];
      this.keysDirty = false;
    }
    if (this.unsortedKeys.length > 0) {
      const fresh = this.unsortedKeys.sort();
      this.unsortedKeys = [];
      const last = this.sortedKeys[this.sortedKeys.length - 1];
      // Keys mostly arrive in order (counters, block numbers): then appending suffices.
      this.sortedKeys = last === undefined || fresh[0]! > last ? this.sortedKeys.concat(fresh) : mergeSorted(this.sortedKeys, fresh);
    }
    return this.sortedKeys;
  }

  /** Forget every version newer than `seqno`. */
  rollback(seqno: number): void {
    for (const key of this.dirty) {
      const list = this.versions.get(key)!;
      while (list.length > 0 && list[list.length - 1]!.seqno > seqno) list.pop();
      if (list.length === 0) {
        this.versions.delete(key);
        this.dirty.delete(key);
        this.keysDirty = true;
      }
    }
    if (this.lastWrite > seqno) this.lastWrite = seqno;
  }

  /** Keep, for each key, only what a reader at `horizon` or later can see. */
  compact(horizon: number): void {
    for (const key of this.dirty) {
      const list = this.versions.get(key)!;
      let firstNeeded = 0;
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i]!.seqno <= horizon) {
          firstNeeded = i;
          break;
        }
      }
      if (firstNeeded > 0) list.splice(0, firstNeeded);
      const head = list[0]!;
      if (list.length === 1 && head.seqno <= horizon) {
        this.dirty.delete(key);
        if (head.value === undefined) {
          this.versions.delete(key);
          this.keysDirty = true;
        }
      }
    }
  }

  get historyKeys(): number {
    return this.dirty.size;
  }
}

function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const out = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! <= b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
