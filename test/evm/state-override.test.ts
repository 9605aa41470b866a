// State overrides beneath the KV state manager: what a call sees, what gas accounting
// takes as a slot's original value, and that nothing of them can reach the store.
import { strict as assert } from 'node:assert';
import { Account, Address } from '@ethereumjs/util';
import { Store } from '../../core/kv/store.js';
import { KvStateManager } from '../../evm-adapter/state-manager.js';
import { StateOverride } from '../../evm-adapter/state-override.js';

const A = new Address(new Uint8Array(20).fill(0xaa));
const slot = (n: number) => {
  const s = new Uint8Array(32);
  s[31] = n;
  return s;
};
const bytes = (u: Uint8Array) => [...u];

describe('evm / state overrides', () => {
  let store: Store;
  let sm: KvStateManager;

  beforeEach(async () => {
    store = new Store();
    sm = new KvStateManager();
    // A holds balance 100, code 0x6000 and slots 1 = 7, 2 = 8.
    const tx = store.begin();
    sm.bind(tx);
    await sm.putAccount(A, new Account(3n, 100n));
    await sm.putCode(A, new Uint8Array([0x60, 0x00]));
    await sm.putStorage(A, slot(1), new Uint8Array([7]));
    await sm.putStorage(A, slot(2), new Uint8Array([8]));
    sm.flush(tx);
    tx.commit();
    sm.unbind();
  });

  const bindWith = (override: ConstructorParameters<typeof StateOverride>[0]) => {
    const tx = store.begin();
    sm.bind(tx, new StateOverride(override));
    return tx;
  };

  it('balance, nonce and code: the call sees them, the rest of the account stands', async () => {
    const tx = bindWith([[A.bytes, { balance: 5n, code: new Uint8Array([0xfe]) }]]);
    const account = (await sm.getAccount(A))!;
    assert.deepEqual([account.nonce, account.balance], [3n, 5n]);
    assert.deepEqual(bytes(await sm.getCode(A)), [0xfe]);
    tx.abort();
  });

  it('stateDiff changes the slots given; state replaces all of them', async () => {
    let tx = bindWith([[A.bytes, { storage: { replace: false, slots: [[slot(1), slot(9)]] } }]]);
    assert.deepEqual([bytes(await sm.getStorage(A, slot(1))), bytes(await sm.getStorage(A, slot(2)))], [[9], [8]]);
    tx.abort();
    tx = bindWith([[A.bytes, { storage: { replace: true, slots: [[slot(1), slot(9)]] } }]]);
    assert.deepEqual([bytes(await sm.getStorage(A, slot(1))), bytes(await sm.getStorage(A, slot(2)))], [[9], []]);
    tx.abort();
  });

  it("an overridden slot is the slot's original value for gas accounting (EIP-2200)", async () => {
    const tx = bindWith([[A.bytes, { storage: { replace: false, slots: [[slot(1), slot(9)]] } }]]);
    await sm.putStorage(A, slot(1), new Uint8Array([10]));
    assert.deepEqual(bytes(await sm.originalStorageCache.get(A, slot(1))), [9]);
    tx.abort();
  });

  it('a call that clears the storage hides the overridden slots too', async () => {
    const fresh = new Address(new Uint8Array(20).fill(0xcc));
    const tx = bindWith([[fresh.bytes, { storage: { replace: false, slots: [[slot(1), slot(9)]] } }]]);
    await sm.clearStorage(fresh);
    assert.deepEqual(bytes(await sm.getStorage(fresh, slot(1))), []);
    tx.abort();
  });

  it('is never flushed: the store cannot receive an override', async () => {
    const tx = bindWith([[A.bytes, { balance: 5n }]]);
    assert.throws(() => sm.flush(tx), /never flushed/);
    assert.equal(tx.hasWrites, false);
    tx.abort();
  });
});
