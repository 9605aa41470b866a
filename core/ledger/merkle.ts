// The ledger's Merkle tree: SHA-256, one leaf per transaction (leaf i is seqno i + 1),
// shaped as RFC 6962 trees are (the left subtree is the largest power of two smaller than
// the size), interior nodes SHA-256(left || right) with no prefix: leaves are hashes of
// 96 bytes and interior nodes of 64, so the two cannot be confused.
//
// Every complete, aligned subtree is kept (level h holds the roots of subtrees of 2^h
// leaves, contiguously), so the root of any prefix and any inclusion proof cost
// O(log n) hashes, and truncation after a rollback is cheap.
//
// A tree restored from a snapshot starts from the *peaks* of its first `base` leaves (the
// roots of the perfect subtrees that make up that prefix, O(log n) of them): enough to
// append, and to compute roots of, and proofs for leaves in, every larger tree.
import { DIGEST_SIZE, sha256 } from '../crypto/hash.js';
import { equalBytes } from '../util/bytes.js';
import { ZERO_DIGEST } from './entry.js';

export type ProofStep = { left: Uint8Array } | { right: Uint8Array };

class HashArray {
  private buf = new Uint8Array(DIGEST_SIZE * 64);
  /** hashes before this index are not held (a tree restored from peaks) */
  private first: number;
  private end: number;

  constructor(first = 0) {
    this.first = first;
    this.end = first;
  }

  get length(): number {
    return this.end;
  }

  set length(n: number) {
    if (n < this.first) throw new RangeError(`cannot truncate below ${this.first}: earlier hashes are not held`);
    this.end = n;
  }

  push(hash: Uint8Array): void {
    const slot = this.end - this.first;
    if ((slot + 1) * DIGEST_SIZE > this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf.set(hash, slot * DIGEST_SIZE);
    this.end++;
  }

  at(i: number): Uint8Array {
    if (i < this.first || i >= this.end) throw new RangeError(`tree node ${i} is not held`);
    const slot = i - this.first;
    return this.buf.subarray(slot * DIGEST_SIZE, (slot + 1) * DIGEST_SIZE);
  }
}

/** Heights of the perfect subtrees that make up `size` leaves (its set bits), highest first. */
function peakHeights(size: number): number[] {
  const heights: number[] = [];
  for (let h = 52; h >= 0; h--) if (Math.floor(size / 2 ** h) % 2 === 1) heights.push(h);
  return heights;
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export class MerkleTree {
  private readonly levels: HashArray[] = [new HashArray()];
  /** leaves before this are known only through the peaks (0 for a full tree) */
  private baseSize = 0;

  /** A tree of `size` leaves known only by its peaks (as `peaks(size)` returns them). */
  static fromPeaks(size: number, peaks: readonly Uint8Array[]): MerkleTree {
    const tree = new MerkleTree();
    const heights = peakHeights(size);
    if (peaks.length !== heights.length || peaks.some((p) => p.length !== DIGEST_SIZE)) {
      throw new RangeError(`a tree of ${size} leaves has ${heights.length} peaks of ${DIGEST_SIZE} bytes`);
    }
    const top = heights[0] ?? 0;
    tree.levels.length = 0;
    for (let h = 0; h <= top; h++) {
      const count = Math.floor(size / 2 ** h);
      const k = heights.indexOf(h);
      const level = new HashArray(k >= 0 ? count - 1 : count);
      if (k >= 0) level.push(peaks[k]!);
      tree.levels.push(level);
    }
    tree.baseSize = size;
    return tree;
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Leaves up to here are held only as peaks: no proofs for them, no truncation below. */
  get base(): number {
    return this.baseSize;
  }

  /** Roots of the perfect subtrees that make up the first `size` leaves, largest first. */
  peaks(size = this.size): Uint8Array[] {
    if (size > this.size || size < this.baseSize) throw new RangeError(`no peaks for ${size} leaves in a tree holding ${this.baseSize}..${this.size}`);
    return peakHeights(size).map((h) => this.levels[h]!.at(Math.floor(size / 2 ** h) - 1).slice());
  }

  append(leaf: Uint8Array): void {
    if (leaf.length !== DIGEST_SIZE) throw new RangeError('leaf must be a 32-byte digest');
    this.levels[0]!.push(leaf);
    let h = 0;
    let index = this.levels[0]!.length - 1;
    while (index % 2 === 1) {
      const level = this.levels[h]!;
      const parent = sha256(level.at(index - 1), level.at(index));
      h++;
      if (!this.levels[h]) this.levels.push(new HashArray());
      this.levels[h]!.push(parent);
      index = (index - 1) / 2;
    }
  }

  /** Keep only the first `size` leaves. */
  truncate(size: number): void {
    if (size >= this.size) return;
    if (size < this.baseSize) throw new RangeError(`cannot truncate to ${size}: the tree starts from peaks at ${this.baseSize}`);
    for (let h = 0; h < this.levels.length; h++) {
      this.levels[h]!.length = Math.floor(size / 2 ** h);
    }
  }

  /** Root of the tree of the first `size` leaves (all by default). */
  root(size = this.size): Uint8Array {
    if (size > this.size) throw new RangeError(`tree has ${this.size} leaves, not ${size}`);
    if (size === 0) return ZERO_DIGEST;
    return this.subtreeRoot(0, size);
  }

  /** Inclusion proof of leaf `index` in the tree of the first `size` leaves, leaf upwards. */
  proof(index: number, size = this.size): ProofStep[] {
    if (index >= size || size > this.size) throw new RangeError(`no leaf ${index} in a tree of ${size}`);
    const steps: ProofStep[] = [];
    this.path(index, 0, size, steps);
    return steps;
  }

  private path(index: number, start: number, size: number, out: ProofStep[]): void {
    if (size === 1) return;
    const k = largestPowerOfTwoBelow(size);
    if (index < start + k) {
      this.path(index, start, k, out);
      out.push({ right: this.subtreeRoot(start + k, size - k) });
    } else {
      this.path(index, start + k, size - k, out);
      out.push({ left: this.subtreeRoot(start, k) });
    }
  }

  /** Root of leaves [start, start + size), where start is a multiple of the left split. */
  private subtreeRoot(start: number, size: number): Uint8Array {
    if ((size & (size - 1)) === 0) {
      const h = Math.log2(size);
      return this.levels[h]!.at(start / size);
    }
    const k = largestPowerOfTwoBelow(size);
    return sha256(this.subtreeRoot(start, k), this.subtreeRoot(start + k, size - k));
  }
}

/** Recompute a root from a leaf and its proof. */
export function rootFromProof(leaf: Uint8Array, proof: readonly ProofStep[]): Uint8Array {
  let h = leaf;
  for (const step of proof) h = 'left' in step ? sha256(step.left, h) : sha256(h, step.right);
  return h;
}

export function verifyInclusion(leaf: Uint8Array, proof: readonly ProofStep[], root: Uint8Array): boolean {
  return equalBytes(rootFromProof(leaf, proof), root);
}
