// The block clock of a development service, as evm_increaseTime and
// evm_setNextBlockTimestamp move it (dev-mode.ts). Replicated state, not a setting of the
// primary: a new primary after a failover, and every node replaying the ledger, see the
// same adjusted clock, and the timestamps of blocks never go back. Absent on a
// production service, where blocks are dated by the clock alone.
import { binaryCodec, uintCodec } from '../core/kv/codec.js';
import { defineMap } from '../core/kv/map-def.js';
import type { ReadOnlyTransaction } from '../core/kv/read-only.js';
import type { Transaction } from '../core/kv/transaction.js';

export type DevClock = {
  /** seconds added to the clock when a block opens */
  offset: number;
  /**
   * The timestamp evm_setNextBlockTimestamp asked for: of the next block with transactions
   * (or evm_mine's), and of the empty blocks sealed before it (the signature that commits
   * the request seals one).
   */
  next?: number;
};

/** Key 0: the adjusted clock. */
export const DEV_CLOCK = defineMap('evm.dev_clock', uintCodec, binaryCodec<DevClock>());

/** The clock reading a block opens with (pendingBlock keeps it no earlier than its parent's). */
export function blockTime(tx: ReadOnlyTransaction, now: number): number {
  const clock = tx.map(DEV_CLOCK).get(0);
  if (!clock) return now;
  return clock.next ?? now + clock.offset;
}

/**
 * In the seal of a block: a requested timestamp, once a block with transactions used it,
 * becomes an offset, so that the blocks after it count on from it (as in Hardhat).
 */
export function sealedAt(tx: Transaction, block: { timestamp: number; txCount: number }, now: number): void {
  const clock = tx.map(DEV_CLOCK).get(0);
  if (clock?.next === undefined || block.txCount === 0) return;
  tx.map(DEV_CLOCK).set(0, { offset: block.timestamp - now });
}
