// The ledger's Merkle tree against a naive recursive implementation of the shape
// FORMAT.md documents (RFC 6962, no leaf or node prefixes, empty root = 32 zero bytes).
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { MerkleTree, rootFromProof, verifyInclusion, type ProofStep } from '../../core/ledger/merkle.js';

const H = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Deterministic, distinct leaves. */
const leaf = (i: number, salt = 'leaf') => H(Buffer.from(`${salt}:${i}`));

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH exactly as written in FORMAT.md. */
function naiveRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return new Uint8Array(32);
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPowerOfTwoBelow(leaves.length);
  return H(naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

/** RFC 6962 PATH(m, D[n]), leaf upwards, tagged with the sibling's side. */
function naiveProof(index: number, leaves: Uint8Array[]): ProofStep[] {
  if (leaves.length <= 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return index < k
    ? [...naiveProof(index, leaves.slice(0, k)), { right: naiveRoot(leaves.slice(k)) }]
    : [...naiveProof(index - k, leaves.slice(k)), { left: naiveRoot(leaves.slice(0, k)) }];
}

const stepsHex = (proof: ProofStep[]) => proof.map((s) => ('left' in s ? `L${hex(s.left)}` : `R${hex(s.right)}`));

function treeOf(leaves: Uint8Array[]): MerkleTree {
  const t = new MerkleTree();
  for (const l of leaves) t.append(l);
  return t;
}

describe('ledger / merkle tree', () => {
  const leaves = Array.from({ length: 70 }, (_, i) => leaf(i));

  it('the empty tree has the all-zero root', () => {
    assert.equal(hex(new MerkleTree().root()), '00'.repeat(32));
  });

  it('roots of sizes 0..70 equal the naive MTH, both as the tree grows and as historical prefixes', () => {
    const growing = new MerkleTree();
    for (let n = 0; n <= 70; n++) {
      if (n > 0) growing.append(leaves[n - 1]!);
      assert.equal(growing.size, n);
      assert.equal(hex(growing.root()), hex(naiveRoot(leaves.slice(0, n))), `root of size ${n}`);
    }
    for (let n = 0; n <= 70; n++) {
      assert.equal(hex(growing.root(n)), hex(naiveRoot(leaves.slice(0, n))), `prefix root of size ${n}`);
    }
  });

  it('small trees have the documented shape', () => {
    const [a, b, c] = [leaf(0), leaf(1), leaf(2)];
    assert.equal(hex(treeOf([a]).root()), hex(a));
    assert.equal(hex(treeOf([a, b]).root()), hex(H(a, b)));
    assert.equal(hex(treeOf([a, b, c]).root()), hex(H(H(a, b), c)));
  });

  it('every inclusion proof for every leaf matches RFC 6962 PATH, verifies, and fails for a wrong leaf', () => {
    const full = treeOf(leaves);
    for (const size of [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 32, 33, 63, 64, 65, 70]) {
      const prefix = leaves.slice(0, size);
      const root = naiveRoot(prefix);
      const own = treeOf(prefix);
      for (let i = 0; i < size; i++) {
        const proof = full.proof(i, size);
        assert.deepEqual(stepsHex(proof), stepsHex(naiveProof(i, prefix)), `proof of ${i} in ${size}`);
        assert.deepEqual(stepsHex(own.proof(i)), stepsHex(proof), `proof of ${i} in a tree of exactly ${size}`);
        assert.ok(verifyInclusion(leaves[i]!, proof, root), `leaf ${i} in ${size}`);
        assert.ok(!verifyInclusion(leaf(i, 'other'), proof, root), `wrong leaf for ${i} in ${size}`);
        if (size > 1) {
          assert.ok(!verifyInclusion(leaves[(i + 1) % size]!, proof, root), `neighbour leaf for ${i} in ${size}`);
        }
      }
    }
  });

  it('a proof with an altered, dropped, extra or re-sided step does not reach the root', () => {
    const t = treeOf(leaves.slice(0, 45));
    const root = t.root();
    for (const i of [0, 17, 32, 44]) {
      const proof = t.proof(i);
      assert.ok(verifyInclusion(leaves[i]!, proof, root));
      for (let s = 0; s < proof.length; s++) {
        const step = proof[s]!;
        const sibling = 'left' in step ? step.left : step.right;
        const flipped = new Uint8Array(sibling);
        flipped[s % 32]! ^= 1;
        const altered = proof.map((p, j) => (j !== s ? p : 'left' in step ? { left: flipped } : { right: flipped }));
        const resided = proof.map((p, j) => (j !== s ? p : 'left' in step ? { right: sibling } : { left: sibling }));
        assert.ok(!verifyInclusion(leaves[i]!, altered, root), `altered step ${s}`);
        assert.ok(!verifyInclusion(leaves[i]!, resided, root), `re-sided step ${s}`);
      }
      assert.ok(!verifyInclusion(leaves[i]!, proof.slice(0, -1), root), 'dropped step');
      assert.ok(!verifyInclusion(leaves[i]!, [...proof, { right: leaf(99) }], root), 'extra step');
    }
  });

  it('rejects leaves that are not 32 bytes and out-of-range sizes', () => {
    const t = treeOf(leaves.slice(0, 5));
    assert.throws(() => t.append(new Uint8Array(31)), RangeError);
    assert.throws(() => t.root(6), RangeError);
    assert.throws(() => t.proof(5), RangeError);
    assert.throws(() => t.proof(2, 6), RangeError);
  });

  it('truncate then re-append gives the same roots and proofs as a fresh tree', () => {
    for (const start of [1, 2, 5, 16, 33, 64, 70]) {
      for (const keep of [0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 50, 64, 69]) {
        if (keep > start) continue;
        const t = treeOf(leaves.slice(0, start));
        t.truncate(keep);
        assert.equal(t.size, keep);
        assert.equal(hex(t.root()), hex(naiveRoot(leaves.slice(0, keep))), `after truncating ${start} to ${keep}`);
        // Re-append different leaves (a rolled-back suffix replaced by new history).
        const expected = leaves.slice(0, keep);
        for (let j = 0; j < 20; j++) {
          const l = leaf(j, `after-${start}-${keep}`);
          t.append(l);
          expected.push(l);
          assert.equal(hex(t.root()), hex(naiveRoot(expected)), `${start} -> ${keep} + ${j + 1}`);
        }
        const fresh = treeOf(expected);
        for (let i = 0; i < expected.length; i++) {
          assert.deepEqual(stepsHex(t.proof(i)), stepsHex(fresh.proof(i)), `proof ${i} after ${start} -> ${keep}`);
        }
      }
    }
  });

  it('truncating to the current size or beyond changes nothing', () => {
    const t = treeOf(leaves.slice(0, 10));
    const before = hex(t.root());
    t.truncate(10);
    t.truncate(20);
    assert.equal(t.size, 10);
    assert.equal(hex(t.root()), before);
  });

  it('rootFromProof of an empty proof is the leaf itself', () => {
    assert.equal(hex(rootFromProof(leaves[0]!, [])), hex(leaves[0]!));
  });

  it('a tree restored from the peaks of any prefix grows, roots and proves exactly like the full tree', () => {
    for (let base = 0; base <= 40; base++) {
      const restored = MerkleTree.fromPeaks(base, treeOf(leaves.slice(0, base)).peaks());
      assert.equal(restored.size, base);
      assert.equal(hex(restored.root()), hex(naiveRoot(leaves.slice(0, base))), `root at base ${base}`);
      for (let n = base + 1; n <= 70; n++) {
        restored.append(leaves[n - 1]!);
        assert.equal(hex(restored.root()), hex(naiveRoot(leaves.slice(0, n))), `root of ${n} from base ${base}`);
      }
      for (let size = Math.max(base, 1); size <= 70; size += 7) {
        assert.equal(hex(restored.root(size)), hex(naiveRoot(leaves.slice(0, size))));
        for (let i = base; i < size; i++) {
          assert.deepEqual(stepsHex(restored.proof(i, size)), stepsHex(naiveProof(i, leaves.slice(0, size))), `proof ${i} in ${size} from base ${base}`);
        }
        assert.equal(restored.peaks(size).length, treeOf(leaves.slice(0, size)).peaks().length);
      }
      restored.truncate(base);
      assert.equal(hex(restored.root()), hex(naiveRoot(leaves.slice(0, base))), `truncated back to base ${base}`);
    }
  });

  it('a restored tree refuses what it does not hold', () => {
    const restored = MerkleTree.fromPeaks(12, treeOf(leaves.slice(0, 12)).peaks());
    restored.append(leaves[12]!);
    assert.throws(() => restored.proof(3), /not held/);
    assert.throws(() => restored.root(11), /not held/);
    assert.throws(() => restored.truncate(11), /starts from peaks/);
    assert.throws(() => MerkleTree.fromPeaks(12, [leaves[0]!]), /peaks/);
  });
});
