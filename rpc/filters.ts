// eth_newFilter / eth_newBlockFilter / eth_newPendingTransactionFilter state: per node, in memory, polled by clients, each
// filter its installer's.
// A filter remembers the last block it reported; one unused for five minutes is dropped
// (geth does the same).
import { randomBytes } from 'node:crypto';
import type { LogFilter } from '../evm-adapter/queries.js';
import { invalidParams } from '../evm-adapter/errors.js';
import type { TxCursor } from '../evm-adapter/executed-transactions.js';

const IDLE_TIMEOUT_MS = 5 * 60_000;
const MAX_FILTERS = 1024;

export type NewFilter =
  | { kind: 'block'; lastBlock: number }
  /** transactions executed from `next` on */
  | { kind: 'transactions'; next: TxCursor }
  | { kind: 'logs'; filter: LogFilter; followLatest: boolean; lastBlock: number };

export type InstalledFilter = NewFilter & { lastUsed: number; owner: string };

export class FilterRegistry {
  private readonly filters = new Map<string, InstalledFilter>();

  /** `owner`: whose it is (access/caller.ts ownerKey); to anyone else it does not exist. */
  install(owner: string, filter: NewFilter): string {
    this.expire();
    if (this.filters.size >= MAX_FILTERS) throw invalidParams('too many filters installed; uninstall some');
    // A quantity (no leading zeros), as the specification wants filter ids.
    const id = `0x${BigInt(`0x${randomBytes(16).toString('hex')}`).toString(16)}`;
    this.filters.set(id, { ...filter, lastUsed: Date.now(), owner });
    return id;
  }

  get(owner: string, id: unknown): InstalledFilter {
    this.expire();
    const filter = typeof id === 'string' ? this.filters.get(id) : undefined;
    if (!filter || filter.owner !== owner) throw invalidParams('filter not found');
    filter.lastUsed = Date.now();
    return filter;
  }

  uninstall(owner: string, id: unknown): boolean {
    return typeof id === 'string' && this.filters.get(id)?.owner === owner && this.filters.delete(id);
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, f] of this.filters) if (now - f.lastUsed > IDLE_TIMEOUT_MS) this.filters.delete(id);
  }
}
