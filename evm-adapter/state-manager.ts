// A state manager for @ethereumjs/vm backed by a KV transaction. Reads fall through an
// overlay of this EVM transaction's writes to the KV snapshot; checkpoints are an undo
// journal, so entering a call frame costs nothing in proportion to the state; `flush`
// writes the overlay into the KV transaction as one write set. A call's state overrides
// sit between the overlay and the snapshot, and are never flushed.
import type { AccountFields, StateManagerInterface } from '@ethereumjs/common';
import { Account, Address, createAccountFromRLP, KECCAK256_NULL, KECCAK256_RLP, setLengthLeft, unpadBytes } from '@ethereumjs/util';
import type { ReadOnlyMap, ReadOnlyTransaction } from '../core/kv/read-only.js';
import type { Transaction } from '../core/kv/transaction.js';
import { bytesToKey } from '../core/util/bytes.js';
import { keccak256 } from './common.js';
import type { StateOverride } from './state-override.js';
import { ACCOUNTS, CODE, STORAGE } from './tables.js';

type Undo = () => void;

const EMPTY = new Uint8Array(0);

function cloneAccount(a: Account): Account {
  return new Account(a.nonce, a.balance, a.storageRoot, a.codeHash);
}

export class KvStateManager implements StateManagerInterface {
  private tx: ReadOnlyTransaction | undefined;
  private accountsMap!: ReadOnlyMap<Uint8Array, Uint8Array>;
  private codeMap!: ReadOnlyMap<Uint8Array, Uint8Array>;
  private storageMap!: ReadOnlyMap<Uint8Array, Uint8Array>;

  /** address key -> account, or null once deleted */
  private accounts = new Map<string, Account | null>();
  /** address key -> new code */
  private code = new Map<string, Uint8Array>();
  /** address key + slot key -> value (unpadded) */
  private storage = new Map<string, Uint8Array>();
  /** addresses whose stored slots were all cleared in this transaction */
  private cleared = new Set<string>();
  private journal: Undo[][] = [];
  private overrides: StateOverride | undefined;

  readonly originalStorageCache = {
    // Nothing is flushed before the transaction ends, so the KV snapshot holds exactly
    // the values at the start of the transaction (what EIP-2200 gas accounting needs).
    get: async (address: Address, key: Uint8Array) => this.readStoredSlot(address, key, false),
    clear: () => {},
  };

  /** Point the manager at a KV transaction (seen through `overrides`, for a call); state starts empty of local changes. */
  bind(tx: ReadOnlyTransaction, overrides?: StateOverride): void {
    this.tx = tx;
    this.overrides = overrides;
    this.accountsMap = tx.map(ACCOUNTS);
    this.codeMap = tx.map(CODE);
    this.storageMap = tx.map(STORAGE);
    this.accounts.clear();
    this.code.clear();
    this.storage.clear();
    this.cleared.clear();
    this.journal = [];
  }

  unbind(): void {
    this.tx = undefined;
  }

  private set<K, V>(map: Map<K, V>, key: K, value: V): void {
    const frame = this.journal[this.journal.length - 1];
    if (frame) {
      const had = map.has(key);
      const previous = map.get(key);
      frame.push(had ? () => map.set(key, previous as V) : () => map.delete(key));
    }
    map.set(key, value);
  }

  private remove<K, V>(map: Map<K, V>, key: K): void {
    if (!map.has(key)) return;
    const frame = this.journal[this.journal.length - 1];
    if (frame) {
      const previous = map.get(key) as V;
      frame.push(() => map.set(key, previous));
    }
    map.delete(key);
  }

  private markCleared(addressKey: string): void {
    if (this.cleared.has(addressKey)) return;
    const frame = this.journal[this.journal.length - 1];
    if (frame) frame.push(() => this.cleared.delete(addressKey));
    this.cleared.add(addressKey);
  }

  // -- accounts -------------------------------------------------------------------------

  async getAccount(address: Address): Promise<Account | undefined> {
    const key = bytesToKey(address.bytes);
    if (this.accounts.has(key)) {
      const a = this.accounts.get(key);
      return a ? cloneAccount(a) : undefined;
    }
    const raw = this.accountsMap.get(address.bytes);
    const stored = raw ? createAccountFromRLP(raw) : undefined;
    return this.overrides ? this.overrides.account(address.bytes, stored) : stored;
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    if (account === undefined) return this.deleteAccount(address);
    this.set(this.accounts, bytesToKey(address.bytes), cloneAccount(account));
  }

  async deleteAccount(address: Address): Promise<void> {
    const key = bytesToKey(address.bytes);
    this.set(this.accounts, key, null);
    this.remove(this.code, key);
    await this.clearStorage(address);
  }

  async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    const account = (await this.getAccount(address)) ?? new Account();
    if (fields.nonce !== undefined) account.nonce = fields.nonce;
    if (fields.balance !== undefined) account.balance = fields.balance;
    if (fields.storageRoot !== undefined) account.storageRoot = fields.storageRoot;
    if (fields.codeHash !== undefined) account.codeHash = fields.codeHash;
    await this.putAccount(address, account);
  }

  // -- code -----------------------------------------------------------------------------

  async putCode(address: Address, value: Uint8Array): Promise<void> {
    this.set(this.code, bytesToKey(address.bytes), value.slice());
    await this.modifyAccountFields(address, { codeHash: keccak256(value) });
  }

  async getCode(address: Address): Promise<Uint8Array> {
    const own = this.code.get(bytesToKey(address.bytes));
    if (own) return own;
    const account = await this.getAccount(address);
    if (!account || account.codeHash.every((b, i) => b === KECCAK256_NULL[i])) return EMPTY;
    return this.overrides?.code(account.codeHash) ?? this.codeMap.get(account.codeHash) ?? EMPTY;
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length;
  }

  // -- storage --------------------------------------------------------------------------

  private readStoredSlot(address: Address, key: Uint8Array, honourClear: boolean): Uint8Array {
    if (honourClear && this.cleared.has(bytesToKey(address.bytes))) return EMPTY;
    const overridden = this.overrides?.slot(address.bytes, key);
    if (overridden !== undefined) return overridden;
    const stored = this.storageMap.get(slotKey(address, key));
    return stored ?? EMPTY;
  }

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    if (key.length !== 32) throw new Error('storage key must be 32 bytes');
    const own = this.storage.get(bytesToKey(address.bytes) + bytesToKey(key));
    if (own !== undefined) return own;
    return this.readStoredSlot(address, key, true);
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    if (key.length !== 32) throw new Error('storage key must be 32 bytes');
    this.set(this.storage, bytesToKey(address.bytes) + bytesToKey(key), unpadBytes(value.slice()));
  }

  async clearStorage(address: Address): Promise<void> {
    const prefix = bytesToKey(address.bytes);
    for (const key of [...this.storage.keys()]) if (key.startsWith(prefix)) this.remove(this.storage, key);
    // Only an account stored with a nonce or code can have stored slots; skipping the
    // others spares the range delete for every empty account EIP-161 cleans up (the
    // coinbase, after each fee-less transaction).
    const stored = this.accountsMap.get(address.bytes);
    if ((stored && !createAccountFromRLP(stored).isEmpty()) || this.overrides?.hasStorage(address.bytes)) this.markCleared(prefix);
  }

  // -- checkpoints ----------------------------------------------------------------------

  async checkpoint(): Promise<void> {
    this.journal.push([]);
  }

  async commit(): Promise<void> {
    const frame = this.journal.pop();
    const parent = this.journal[this.journal.length - 1];
    if (frame && parent) for (const undo of frame) parent.push(undo);
  }

  async revert(): Promise<void> {
    const frame = this.journal.pop();
    if (frame) for (let i = frame.length - 1; i >= 0; i--) frame[i]!();
  }

  /** Write every change into `tx`, the writable transaction the manager is bound to (calls are bound to read-only ones). */
  flush(tx: Transaction): void {
    if (!this.tx || tx !== this.tx) throw new Error('state manager is not bound to this transaction');
    if (this.overrides) throw new Error('a state manager seeing state overrides is never flushed');
    const accounts = tx.map(ACCOUNTS);
    const code = tx.map(CODE);
    const storage = tx.map(STORAGE);
    for (const addressKey of this.cleared) {
      const address = Buffer.from(addressKey, 'latin1');
      const from = Buffer.concat([address, new Uint8Array(32)]);
      const to = Buffer.concat([address, new Uint8Array(32).fill(0xff), new Uint8Array([0])]);
      for (const [key] of storage.entries({ from, to })) storage.delete(key);
    }
    for (const [key, account] of this.accounts) {
      const address = Buffer.from(key, 'latin1');
      if (account) accounts.set(address, account.serialize());
      else accounts.delete(address);
    }
    for (const bytes of this.code.values()) {
      if (bytes.length > 0) code.set(keccak256(bytes), bytes);
    }
    for (const [key, value] of this.storage) {
      const stored = Buffer.from(key, 'latin1');
      if (value.length === 0) storage.delete(stored);
      else storage.set(stored, value);
    }
  }

  // -- what a Merkle-trie state manager has and this one does not need ------------------

  async getStateRoot(): Promise<Uint8Array> {
    // The ledger's Merkle tree, not a state trie, commits to the state.
    return KECCAK256_RLP;
  }

  async setStateRoot(): Promise<void> {
    throw new Error('ccevm keeps no state tries: setStateRoot is not supported');
  }

  async hasStateRoot(): Promise<boolean> {
    return false;
  }

  clearCaches(): void {}

  shallowCopy(): StateManagerInterface {
    const copy = new KvStateManager();
    if (this.tx) copy.bind(this.tx);
    return copy;
  }
}

export function slotKey(address: Address | Uint8Array, slot: Uint8Array): Uint8Array {
  const a = address instanceof Address ? address.bytes : address;
  return Buffer.concat([a, setLengthLeft(slot, 32)]);
}
