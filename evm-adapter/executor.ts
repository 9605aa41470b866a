// Executes submitted transactions one at a time (only the primary executes; order is
// ledger order), each in its own KV transaction whose write set holds the state changes,
// the transaction, its receipt and the pending block's counters. A transaction whose
// nonce is ahead of its sender's waits, briefly, for the ones before it: clients send a
// burst of nonces over separate connections and they need not arrive in order.
import type { Common } from '@ethereumjs/common';
import { runTx, type RunTxResult, type VM } from '@ethereumjs/vm';
import type { Transaction } from '../core/kv/transaction.js';
import type { TxID } from '../core/kv/txid.js';
import type { Node } from '../core/node/node.js';
import { bytesToKey } from '../core/util/bytes.js';
import { ExecutionContext, pendingBlock, type Clock } from './blocks.js';
import type { EvmConfig } from './config.js';
import { rejected } from './errors.js';
import type { KvBlockchain } from './kv-blockchain.js';
import { checkPermitted } from './permissions.js';
import { SerialQueue } from './serial-queue.js';
import type { KvStateManager } from './state-manager.js';
import { BLOCK_TXS, blockTxKey, PENDING_BLOCK, RECEIPTS, TRANSACTIONS, type LogRecord, type PendingBlock, type ReceiptRecord } from './tables.js';
import type { ContractProbe } from './access/contract-probe.js';
import { eventRuleOf } from './access/contract-rules.js';
import { EventRule } from './access/event-rules.js';
import { claimsDigest, drawLogSalt, logLeaves, logsHash } from './receipts/claims.js';
import { admitTransaction, describeRunTxError, type AdmittedTransaction } from './transactions.js';

export interface Submitted {
  hash: Uint8Array;
  txid: TxID;
}

/** How long a transaction with a future nonce waits for its predecessors (unless the submitter asks for less). */
export const FUTURE_NONCE_WAIT_MS = 10_000;

class FutureNonce {
  constructor(readonly expected: bigint) {}
}

export class Executor {
  private readonly queue = new SerialQueue();
  /** sender key -> nonce -> wake-ups of transactions waiting for that nonce to be next */
  private readonly waiting = new Map<string, Map<bigint, (() => void)[]>>();
  private readonly context: ExecutionContext;

  constructor(
    private readonly node: Node,
    private readonly vm: VM,
    private readonly state: KvStateManager,
    private readonly chain: KvBlockchain,
    common: Common,
    /** the Common transactions are decoded with */
    private readonly txCommon: Common,
    private readonly config: EvmConfig,
    private readonly clock: Clock,
    /** asks contracts for their event rules (in its own VM: this one is mid-transaction) */
    private readonly probe: ContractProbe,
  ) {
    this.context = new ExecutionContext(common);
  }

  /** `nonceWaitMs`: how long a future nonce may wait for its predecessors (at most FUTURE_NONCE_WAIT_MS). */
  async submit(raw: Uint8Array, nonceWaitMs = FUTURE_NONCE_WAIT_MS): Promise<Submitted> {
    const admitted = admitTransaction(raw, this.txCommon, this.config);
    const deadline = Date.now() + Math.max(0, Math.min(nonceWaitMs, FUTURE_NONCE_WAIT_MS));
    for (;;) {
      const outcome = await this.queue.run(() => this.execute(admitted));
      if (this.queue.length === 0) this.node.signWhenIdle();
      if (!(outcome instanceof FutureNonce)) return outcome;
      if (!(await this.waitForNonce(admitted, deadline))) {
        throw rejected(`nonce too high: next nonce ${outcome.expected}, transaction nonce ${admitted.tx.nonce}`);
      }
    }
  }

  private async execute(admitted: AdmittedTransaction): Promise<Submitted | FutureNonce> {
    const { tx, sender } = admitted;
    const { result, txid } = await this.node.transact(async (kv) => {
      if (kv.map(TRANSACTIONS).has(admitted.hash)) throw rejected('already known');
      // Read in this transaction: a vote that commits meanwhile is seen all or not at all.
      checkPermitted(kv, admitted);
      this.state.bind(kv);
      this.chain.bind(kv);
      const nonce = (await this.state.getAccount(sender))?.nonce ?? 0n;
      if (tx.nonce < nonce) throw rejected(`nonce too low: next nonce ${nonce}, transaction nonce ${tx.nonce}`);
      if (tx.nonce > nonce) return new FutureNonce(nonce);
      const pending = pendingBlock(kv, this.clock());
      let run: RunTxResult;
      try {
        run = await runTx(this.vm, { tx, block: this.context.for(pending), skipBlockGasLimitValidation: true, skipHardForkValidation: true });
      } catch (e) {
        throw rejected(describeRunTxError((e as Error).message));
      }
      this.state.flush(kv);
      const logs = (run.execResult.logs ?? []) as LogRecord[];
      const publicLogs = this.publicLogs(logs, pending);
      this.record(kv, admitted, run, pending, logs, Array.isArray(publicLogs) ? publicLogs : await publicLogs);
      return run;
    });
    this.state.unbind();
    if (result instanceof FutureNonce) return result;
    this.wake(sender.bytes, tx.nonce + 1n);
    return { hash: admitted.hash, txid: txid! };
  }

  /**
   * Which logs anyone may see, by their rule when emitted: only those enter the block
   * header's bloom. The rules are read from committed state, not in this transaction
   * (reads here would join its read set, and cost every transaction of the block its
   * turn): the members' marks as last committed, and the code of emitters already
   * committed; an emitter created in a block not yet committed has no rule yet, so its
   * logs stay out of that header's bloom (eth_getLogs still shows them to everyone).
   * Synchronous unless a contract must be asked for a rule (the first time its code
   * emits an event): the executor's queue must not look idle in between.
   */
  private publicLogs(logs: LogRecord[], pending: PendingBlock): number[] | Promise<number[]> {
    if (logs.length === 0) return [];
    const indices = (known: number[]) => known.flatMap((rule, i) => (rule & EventRule.Everyone ? [i] : []));
    return this.node.readCommitted((committed) => {
      const rules = logs.map((log) => eventRuleOf(committed, this.probe, () => pending, log));
      return rules.some((r) => r instanceof Promise) ? Promise.all(rules).then(indices) : indices(rules as number[]);
    });
  }

  private record(kv: Transaction, admitted: AdmittedTransaction, run: RunTxResult, pending: PendingBlock, logs: LogRecord[], publicLogs: number[]): void {
    const gasUsed = run.totalGasSpent;
    const logSalt = drawLogSalt(logs);
    const receipt: ReceiptRecord = {
      type: admitted.tx.type,
      status: run.execResult.exceptionError ? 0 : 1,
      gasUsed,
      cumulativeGasUsed: pending.gasUsed + gasUsed,
      effectiveGasPrice: gasUsed === 0n ? 0n : run.amountSpent / gasUsed,
      contractAddress: run.createdAddress?.bytes ?? null,
      logs,
      firstLogIndex: pending.logCount,
      publicLogs,
      logSalt,
    };
    const index = pending.txCount;
    kv.map(TRANSACTIONS).set(admitted.hash, { raw: admitted.raw, from: admitted.sender.bytes, to: admitted.tx.to?.bytes ?? null, block: pending.number, index });
    kv.map(RECEIPTS).set(admitted.hash, receipt);
    // The ledger entry commits to the transaction's Ethereum claims: its receipt proves them.
    kv.setClaimsDigest(claimsDigest({
      transactionHash: admitted.hash,
      from: admitted.sender.bytes,
      status: receipt.status,
      gasUsed,
      contractAddress: receipt.contractAddress,
      logsHash: logsHash(logLeaves(logSalt, logs)),
    }));
    kv.map(BLOCK_TXS).set(blockTxKey(pending.number, index), admitted.hash);
    kv.map(PENDING_BLOCK).set(0, {
      ...pending,
      txCount: index + 1,
      gasUsed: pending.gasUsed + gasUsed,
      logCount: pending.logCount + logs.length,
    });
  }

  private waitForNonce(admitted: AdmittedTransaction, deadline: number): Promise<boolean> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return Promise.resolve(false);
    const senderKey = bytesToKey(admitted.sender.bytes);
    let bySender = this.waiting.get(senderKey);
    if (!bySender) this.waiting.set(senderKey, (bySender = new Map()));
    const forNonce = bySender.get(admitted.tx.nonce) ?? [];
    bySender.set(admitted.tx.nonce, forNonce);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      // Re-check now and then as well: the predecessor may have come from another node.
      const timer = setTimeout(() => {
        const i = forNonce.indexOf(wake);
        if (i >= 0) forNonce.splice(i, 1);
        resolve(Date.now() < deadline);
      }, Math.min(remaining, 500));
      forNonce.push(wake);
    });
  }

  private wake(sender: Uint8Array, nonce: bigint): void {
    const bySender = this.waiting.get(bytesToKey(sender));
    const wakes = bySender?.get(nonce);
    if (!bySender || !wakes) return;
    bySender.delete(nonce);
    if (bySender.size === 0) this.waiting.delete(bytesToKey(sender));
    for (const wake of wakes) wake();
  }
}
