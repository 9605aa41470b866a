// State overrides: what one eth_call or eth_estimateGas pretends about some accounts
// (geth's third parameter): a balance, a nonce, code, and either all of an account's storage
// (`state`) or some of its slots (`stateDiff`). The state manager reads them beneath the
// call's own writes and never writes them anywhere: they live as long as the call.
import { Account, createAccountFromRLP, KECCAK256_NULL, setLengthLeft, unpadBytes } from '@ethereumjs/util';
import type { ReadOnlyTransaction } from '../core/kv/read-only.js';
import { bytesToKey, equalBytes, toHex } from '../core/util/bytes.js';
import { keccak256 } from './common.js';
import { invalidParams } from './errors.js';
import { ACCOUNTS } from './tables.js';

export interface AccountOverride {
  balance?: bigint;
  nonce?: bigint;
  code?: Uint8Array;
  /** slot (32 B) and value (32 B) pairs */
  storage?: {
    /** `state`: the account's storage is exactly these slots; `stateDiff`: these slots change */
    replace: boolean;
    slots: [Uint8Array, Uint8Array][];
  };
}

interface ResolvedOverride {
  balance?: bigint;
  nonce?: bigint;
  codeHash?: Uint8Array;
  storage?: { replace: boolean; slots: Map<string, Uint8Array> };
}

export class StateOverride {
  private readonly accounts = new Map<string, ResolvedOverride>();
  /** code hash key -> overriding code */
  private readonly codes = new Map<string, Uint8Array>();

  /** `overrides`: by 20-byte address, each address once. */
  constructor(overrides: Iterable<[Uint8Array, AccountOverride]>) {
    for (const [address, o] of overrides) {
      const resolved: ResolvedOverride = { balance: o.balance, nonce: o.nonce };
      if (o.code) {
        resolved.codeHash = o.code.length === 0 ? KECCAK256_NULL : keccak256(o.code);
        this.codes.set(bytesToKey(resolved.codeHash), o.code);
      }
      if (o.storage) {
        const slots = new Map(o.storage.slots.map(([slot, value]) => [bytesToKey(setLengthLeft(slot, 32)), unpadBytes(value)] as const));
        resolved.storage = { replace: o.storage.replace, slots };
      }
      this.accounts.set(bytesToKey(address), resolved);
    }
  }

  /**
   * Refuse what would show a caller a contract's confidential storage: new code run over
   * it, or slots rewritten beneath its own code (its access rules, say). A contract's code
   * and slots can be overridden together with all of its storage (`state`) only.
   */
  checkConfidentiality(snapshot: ReadOnlyTransaction): void {
    const accounts = snapshot.map(ACCOUNTS);
    for (const [key, o] of this.accounts) {
      const replacesStorage = o.storage?.replace === true;
      if (replacesStorage || (o.codeHash === undefined && o.storage === undefined)) continue;
      const address = Buffer.from(key, 'latin1');
      const stored = accounts.get(address);
      if (!stored || equalBytes(createAccountFromRLP(stored).codeHash, KECCAK256_NULL)) continue;
      throw invalidParams(
        `stateOverride: 0x${toHex(address)} is a contract: its storage is confidential, so its code or slots can be overridden only together with all of its storage ("state")`,
      );
    }
  }

  /** The account as the call sees it, given the stored one. */
  account(address: Uint8Array, stored: Account | undefined): Account | undefined {
    const o = this.accounts.get(bytesToKey(address));
    if (!o) return stored;
    const account = stored ?? new Account();
    return new Account(o.nonce ?? account.nonce, o.balance ?? account.balance, account.storageRoot, o.codeHash ?? account.codeHash);
  }

  /** Overriding code with this hash, if any. */
  code(codeHash: Uint8Array): Uint8Array | undefined {
    return this.codes.get(bytesToKey(codeHash));
  }

  /** An overridden slot's value (unpadded; empty for zero), or undefined when the stored one stands. */
  slot(address: Uint8Array, slot: Uint8Array): Uint8Array | undefined {
    const storage = this.accounts.get(bytesToKey(address))?.storage;
    if (!storage) return undefined;
    return storage.slots.get(bytesToKey(setLengthLeft(slot, 32))) ?? (storage.replace ? new Uint8Array(0) : undefined);
  }

  /** Whether the call sees storage of `address` that the store does not hold. */
  hasStorage(address: Uint8Array): boolean {
    return this.accounts.get(bytesToKey(address))?.storage !== undefined;
  }
}
