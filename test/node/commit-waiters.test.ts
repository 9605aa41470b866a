import { strict as assert } from 'node:assert';
import type { TxID } from '../../core/kv/txid.js';
import { CommitTracker, RolledBackError } from '../../core/node/commit-waiters.js';

describe('node / commit waiting', () => {
  // The ledger this tracker asks: seqno -> view of the entry it holds there.
  let ledger: Map<number, number>;
  let commits: CommitTracker;
  const id = (view: number, seqno: number): TxID => ({ view, seqno });
  const settled = async (p: Promise<void>) => {
    let state = 'pending';
    p.then(() => (state = 'resolved'), (e: Error) => (state = `rejected: ${e.message}`));
    await new Promise((r) => setImmediate(r));
    return state;
  };
  beforeEach(() => {
    ledger = new Map([[1, 1], [2, 1], [3, 2], [4, 2]]);
    commits = new CommitTracker((seqno) => (ledger.has(seqno) ? id(ledger.get(seqno)!, seqno) : undefined), 2);
  });

  it('reports status: committed, pending, invalid (another view holds the seqno), unknown', () => {
    assert.equal(commits.status(id(1, 2)), 'Committed');
    assert.equal(commits.status(id(2, 2)), 'Invalid');
    assert.equal(commits.status(id(2, 4)), 'Pending');
    assert.equal(commits.status(id(1, 4)), 'Invalid');
    assert.equal(commits.status(id(3, 4)), 'Unknown');
    assert.equal(commits.status(id(2, 9)), 'Unknown');
  });

  it('resolves waiters when the commit index passes them, and at once for what is committed', async () => {
    const late = commits.wait(id(2, 4));
    const early = commits.wait(id(2, 3));
    assert.equal(await settled(commits.wait(id(1, 1))), 'resolved');
    assert.match(await settled(commits.wait(id(2, 1))), /rejected: transaction 2.1 is invalid/);
    assert.equal(commits.advance(2), false, 'no news');
    assert.equal(commits.advance(3), true);
    assert.equal(await settled(early), 'resolved');
    assert.equal(await settled(late), 'pending');
    commits.advance(4);
    assert.equal(await settled(late), 'resolved');
    assert.equal(commits.committed, 4);
  });

  it('rejects the waiters of a rolled-back suffix, and every waiter when the node stops', async () => {
    const kept = commits.wait(id(2, 3));
    const lost = commits.wait(id(2, 4));
    commits.rolledBack(3);
    await assert.rejects(lost, (e: Error) => e instanceof RolledBackError && e.seqno === 4 && /rolled back by an election/.test(e.message));
    assert.equal(await settled(kept), 'pending');
    commits.failAll(new Error('node stopped'));
    await assert.rejects(kept, /node stopped/);
  });
});
