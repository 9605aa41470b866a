// What the node knows of the application built on it (the EVM): two hooks, and the
// governance maps it adds to core's.
import type { MapDef } from '../kv/map-def.js';
import type { Transaction } from '../kv/transaction.js';

export interface ApplicationHooks {
  /** Adds the application's part to the new service's first transaction. */
  genesis?(tx: Transaction): void;
  /**
   * Runs in a transaction of its own just before every signature transaction, so the
   * application can record what that signature seals (for the EVM: a block). `root` is
   * the ledger's Merkle root over every transaction before this one.
   */
  seal?(tx: Transaction, root: Uint8Array): void;
  /** Maps the constitution may read and write, besides core's (for the EVM: its policy). */
  governanceTables?: readonly MapDef<any, any>[];
}
