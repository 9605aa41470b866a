// The ledger's Merkle tree: SHA-256, one leaf per transaction (leaf i is seqno i + 1),
// shaped as RFC 6962 trees are (the left subtree is the largest power of two smaller than
// the size), interior nodes SHA-256(left || right) with no prefix: leaves are hashes of
// 96 bytes and interior nodes of 64, so the two cannot be confused.
//
// Every complete, aligned subtree is kept (level h holds the roots of subtrees of 2^h
// leaves, contiguously), so the root of any prefix and any inclusion proof cost
// O(log n) hashes, and truncation after a rollback is cheap.
import { DIGEST_SIZE, sha256 } from '../crypto/hash.js';
import { equalBytes } from '../util/bytes.js';
import { ZERO_DIGEST } from './entry.js';

export type ProofStep = { left: Uint8Array } | { right: Uint8Array };

class HashArray {
  private buf = new Uint8Array(DIGEST_SIZE * 64);
  length = 0;

  push(hash: Uint8Array): void {
    if ((this.length + 1) * DIGEST_SIZE > this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf.set(hash, this.length * DIGEST_SIZE);
    this.length++;
  }

  at(i: number): Uint8Array {
    return this.buf.subarray(i * DIGEST_SIZE, (i + 1) * DIGEST_SIZE);
  }
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export class MerkleTree {
  private readonly levels: HashArray[] = [new HashArray()];

  get size(): number {
    return this.levels[0]!.length;
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
