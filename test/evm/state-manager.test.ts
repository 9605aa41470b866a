import { strict as assert } from 'node:assert';
import { Account, Address } from '@ethereumjs/util';
import { Store } from '../../core/kv/store.js';
import { KvStateManager, slotKey } from '../../evm-adapter/state-manager.js';
import { ACCOUNTS, STORAGE } from '../../evm-adapter/tables.js';

const A = new Address(new Uint8Array(20).fill(0xaa));
const B = new Address(new Uint8Array(20).fill(0xbb));
const slot = (n: number) => {
  const s = new Uint8Array(32);
  s[31] = n;
  return s;
};
const word = (n: number) => new Uint8Array([n]);

describe('evm / KV state manager', () => {
  let store: Store;
  let sm: KvStateManager;
  beforeEach(() => {
    store = new Store();
    sm = new KvStateManager();
  });

  function run(body: () => Promise<void>) {
    return async () => {
      const tx = store.begin();
      sm.bind(tx);
      await body();
      sm.flush(tx);
      tx.commit();
      sm.unbind();
    };
  }

  it('writes accounts, code and storage into the KV transaction only at flush', async () => {
    const tx = store.begin();
    sm.bind(tx);
    await sm.putAccount(A, new Account(1n, 100n));
    await sm.putCode(A, new Uint8Array([0x60, 0x00]));
    await sm.putStorage(A, slot(1), word(7));
    assert.equal(tx.hasWrites, false, 'nothing flushed yet');
    sm.flush(tx);
    tx.commit();
    const read = store.begin();
    assert.ok(read.map(ACCOUNTS).get(A.bytes));
    assert.deepEqual([...read.map(STORAGE).get(slotKey(A, slot(1)))!], [7]);
    read.abort();
    const next = store.begin();
    sm.bind(next);
    assert.equal((await sm.getAccount(A))!.balance, 100n);
    assert.deepEqual([...(await sm.getCode(A))], [0x60, 0x00]);
    assert.deepEqual([...(await sm.getStorage(A, slot(1)))], [7]);
    next.abort();
  });

  it('reverts nested checkpoints exactly, and commits fold into the parent', async () => {
    await run(async () => {
      await sm.putAccount(A, new Account(0n, 10n));
      await sm.putStorage(A, slot(1), word(1));
    })();
    const tx = store.begin();
    sm.bind(tx);
    await sm.checkpoint();
    await sm.putStorage(A, slot(1), word(2));
    await sm.checkpoint();
    await sm.putStorage(A, slot(1), word(3));
    await sm.modifyAccountFields(A, { balance: 99n });
    await sm.commit(); // inner folds into outer
    assert.deepEqual([...(await sm.getStorage(A, slot(1)))], [3]);
    await sm.revert(); // outer undoes both
    assert.deepEqual([...(await sm.getStorage(A, slot(1)))], [1]);
    assert.equal((await sm.getAccount(A))!.balance, 10n);
    tx.abort();
  });

  it('does not let a caller mutate stored accounts behind the journal', async () => {
    const tx = store.begin();
    sm.bind(tx);
    await sm.putAccount(A, new Account(0n, 5n));
    await sm.checkpoint();
    const account = (await sm.getAccount(A))!;
    account.balance = 1000n; // mutated without putAccount
    await sm.revert();
    assert.equal((await sm.getAccount(A))!.balance, 5n);
    tx.abort();
  });

  it('clears storage of one account only, including slots only in the KV', async () => {
    await run(async () => {
      await sm.putAccount(A, new Account(1n, 0n)); // a contract: only those hold storage
      await sm.putStorage(A, slot(1), word(1));
      await sm.putStorage(A, slot(2), word(2));
      await sm.putStorage(B, slot(1), word(9));
    })();
    await run(async () => {
      await sm.clearStorage(A);
      assert.equal((await sm.getStorage(A, slot(2))).length, 0);
      await sm.putStorage(A, slot(3), word(3));
    })();
    const read = store.begin();
    const storage = read.map(STORAGE);
    assert.equal(storage.get(slotKey(A, slot(1))), undefined);
    assert.equal(storage.get(slotKey(A, slot(2))), undefined);
    assert.deepEqual([...storage.get(slotKey(A, slot(3)))!], [3]);
    assert.deepEqual([...storage.get(slotKey(B, slot(1)))!], [9]);
    read.abort();
  });

  it('reports original storage as it was when the transaction began', async () => {
    await run(async () => sm.putStorage(A, slot(1), word(1)))();
    const tx = store.begin();
    sm.bind(tx);
    await sm.putStorage(A, slot(1), word(5));
    assert.deepEqual([...(await sm.originalStorageCache.get(A, slot(1)))], [1]);
    assert.deepEqual([...(await sm.getStorage(A, slot(1)))], [5]);
    tx.abort();
  });

  it('deletes a zeroed slot from the KV instead of storing zero', async () => {
    await run(async () => sm.putStorage(A, slot(1), word(1)))();
    await run(async () => sm.putStorage(A, slot(1), new Uint8Array(32)))();
    const read = store.begin();
    assert.equal(read.map(STORAGE).get(slotKey(A, slot(1))), undefined);
    read.abort();
  });
});
