// What a development service (one with dev accounts, as `npm start` creates) lets tools
// do besides Ethereum's methods: seal blocks now (evm_mine, hardhat_mine), move the block clock
// (evm_increaseTime, evm_setNextBlockTimestamp: dev-clock.ts) and fund accounts
// (hardhat_setBalance). Each is a ledger transaction of the primary, replicated and
// signed like any other, so every node applies it and the ledger records it. A
// production service refuses them all: they would let anyone rewrite balances and time.
// Nothing here rewinds state (no evm_snapshot / evm_revert): the ledger is append-only.
import { Account, createAccountFromRLP } from '@ethereumjs/util';
import type { Transaction } from '../core/kv/transaction.js';
import type { Node } from '../core/node/node.js';
import { DEV_ACCOUNTS } from './access/tables.js';
import { pendingBlock } from './blocks.js';
import { DEV_CLOCK } from './dev-clock.js';
import { invalidParams, rejected } from './errors.js';
import { ACCOUNTS, HEAD, PENDING_BLOCK } from './tables.js';

/** Whether the service has dev accounts (recorded at genesis: the same on every node). */
export function isDevService(node: Node): boolean {
  return node.readCommitted((tx) => (tx.map(DEV_ACCOUNTS).get(0) ?? []).length > 0);
}

export class DevMode {
  constructor(
    private readonly node: Node,
    /** seconds since the epoch, as the application dates blocks */
    private readonly clock: () => number,
  ) {}

  /**
   * Seal the open block, or an empty one, now (at `timestamp` if given): resolves with it
   * (its number and timestamp) once committed. The block is opened here, so that its timestamp is fixed before
   * the signature seals it.
   */
  async mine(timestamp?: number): Promise<{ number: number; timestamp: number }> {
    await this.write('evm_mine', (kv) => {
      if (timestamp !== undefined) {
        if (kv.map(PENDING_BLOCK).has(0)) throw rejected('a block with transactions is open: its timestamp is fixed; evm_mine it without a timestamp');
        this.checkNotEarlier(kv, timestamp);
        kv.map(DEV_CLOCK).set(0, { offset: this.offset(kv), next: timestamp });
      }
      const block = pendingBlock(kv, this.clock());
      kv.map(PENDING_BLOCK).set(0, block);
      this.consumeNext(kv, block.timestamp);
      return block.number;
    });
    const signature = this.node.emitSignature(true);
    if (!signature) throw rejected('this node stopped being the primary before it could seal the block');
    await this.node.waitCommitted(signature);
    const { number, timestamp: sealed } = this.node.readCommitted((tx) => tx.map(HEAD).get(0)!);
    return { number, timestamp: sealed };
  }

  /** Move the clock of blocks `seconds` ahead; resolves with the total offset once committed. */
  async increaseTime(seconds: number): Promise<number> {
    if (!Number.isSafeInteger(seconds) || seconds < 0) throw invalidParams('evm_increaseTime takes a non-negative number of seconds: block timestamps never go back');
    const { result } = await this.commit('evm_increaseTime', (kv) => {
      const clock = kv.map(DEV_CLOCK).get(0);
      const offset = (clock?.offset ?? 0) + seconds;
      kv.map(DEV_CLOCK).set(0, { offset, ...(clock?.next !== undefined ? { next: clock.next + seconds } : {}) });
      return offset;
    });
    return result;
  }

  /** Date the next block with transactions (and blocks sealed before it) `timestamp`; later ones count on from it. */
  async setNextBlockTimestamp(timestamp: number): Promise<void> {
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw invalidParams('evm_setNextBlockTimestamp takes a timestamp in seconds');
    await this.commit('evm_setNextBlockTimestamp', (kv) => {
      this.checkNotEarlier(kv, timestamp);
      kv.map(DEV_CLOCK).set(0, { offset: this.offset(kv), next: timestamp });
    });
  }

  /** Set the balance of `address`, whoever it is; resolves once committed. */
  async setBalance(address: Uint8Array, balance: bigint): Promise<void> {
    await this.commit('hardhat_setBalance', (kv) => {
      const accounts = kv.map(ACCOUNTS);
      const raw = accounts.get(address);
      const account = raw ? createAccountFromRLP(raw) : new Account();
      account.balance = balance;
      accounts.set(address, account.serialize());
    });
  }

  private offset(kv: Transaction): number {
    return kv.map(DEV_CLOCK).get(0)?.offset ?? 0;
  }

  /** Monotonic block time: never earlier than the last block (or the open one). */
  private checkNotEarlier(kv: Transaction, timestamp: number): void {
    const latest = kv.map(PENDING_BLOCK).get(0)?.timestamp ?? kv.map(HEAD).get(0)?.timestamp ?? 0;
    if (timestamp < latest) throw invalidParams(`timestamp ${timestamp} is earlier than the latest block's, ${latest}: block timestamps never go back`);
  }

  /** A requested timestamp, once a block opened with it, becomes an offset (see dev-clock.ts). */
  private consumeNext(kv: Transaction, opened: number): void {
    const clock = kv.map(DEV_CLOCK).get(0);
    if (clock?.next !== undefined) kv.map(DEV_CLOCK).set(0, { offset: opened - this.clock() });
  }

  private write<T>(method: string, body: (kv: Transaction) => T) {
    const primary = this.node.primaryRpcAddress();
    if (this.node.role !== 'primary') throw rejected(`${method} runs on the primary${primary ? `, ${primary}` : ''}: send it there`);
    return this.node.transact(body);
  }

  /** Write and sign: resolves once committed. */
  private async commit<T>(method: string, body: (kv: Transaction) => T): Promise<{ result: T }> {
    const { result, txid } = await this.write(method, body);
    this.node.emitSignature();
    if (txid) await this.node.waitCommitted(txid);
    return { result };
  }
}
