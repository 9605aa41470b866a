// Writes reach the primary, whichever node a client sent them to, and a failover stays
// invisible to the client. The forwarder keeps the signed transaction and submits it to
// the primary it knows (over the node-to-node channel), or executes it here when this
// node is the primary; when there is no primary, the primary cannot be reached, the
// primary changes while a request is in flight (a frozen primary never answers: the
// request is abandoned), or the write is rolled back by an election, it submits again to
// the next primary as soon as one is known, until a bound (default 10 s). The client gets
// the hash once the transaction is committed on this node too (so its next read here
// sees it), or after the bound one error whose data says why: { reason, retryAfterMs }.
//
// Nothing runs twice: the EVM runs a nonce once, and the executor refuses a hash it holds.
// Those refusals ('already known', 'nonce too low') on the forwarder's own resubmission
// may mean its earlier submission did commit (or sits in the new primary's log): it then
// waits for the receipt here, and reports an error only if another transaction took the
// nonce. On a first submission they are the client's error (a duplicate), as in geth.
import type { TxID } from '../core/kv/txid.js';
import { parseTxID } from '../core/kv/txid.js';
import { JoinError, type JoinAnswer } from '../core/node/join.js';
import { NotPrimaryError, type Node } from '../core/node/node.js';
import { createTransactionCommon, keccak256 } from '../evm-adapter/common.js';
import { ErrorCode, EvmError, invalidParams } from '../evm-adapter/errors.js';
import type { EvmService } from '../evm-adapter/service.js';
import { admitTransaction } from '../evm-adapter/transactions.js';
import type { Common } from '@ethereumjs/common';
import { JsonRpcClient, JsonRpcError, TransportError, type Transport } from './client.js';
import { data } from './hex.js';
import { PEER_METHODS, PEER_RETRY, type ForwardedSend } from './peer-calls.js';

export const DEFAULT_FORWARD_TIMEOUT_MS = 10_000;

/** Why a write could not be carried to a primary within the bound (error.data.reason). */
export type UnavailableReason =
  /** no primary was known (an election without a majority, or still under way) */
  | 'no-primary'
  /** a primary was known but did not answer (crashed, frozen or cut off) */
  | 'primary-unreachable'
  /** the transaction was executed but its commit could not be confirmed here in time */
  | 'not-committed';

/** JSON-RPC code of the error after the bound ("resource unavailable", EIP-1474). */
export const UNAVAILABLE = ErrorCode.ResourceUnavailable;
const RETRY_AFTER_MS = 1_000;

export class UnavailableError extends Error {
  readonly code = UNAVAILABLE;
  readonly data: { reason: UnavailableReason; retryAfterMs: number };

  constructor(what: string, reason: UnavailableReason, timeoutMs: number) {
    super(`${what} could not be carried to a primary within ${timeoutMs} ms (${reason})`);
    this.name = 'UnavailableError';
    this.data = { reason, retryAfterMs: RETRY_AFTER_MS };
  }
}

/** How long to wait for a new primary before trying the same one again. */
const RETRY_SAME_PRIMARY_MS = 100;
/** How often to look for a receipt whose txid this node does not know. */
const RECEIPT_POLL_MS = 10;
/**
 * A transaction whose nonce is ahead waits on the primary for its predecessors; it may
 * wait only until this long before the bound, so that its "nonce too high" reaches the
 * client rather than the bound's "primary-unreachable".
 */
const ANSWER_MARGIN_MS = 500;

/** A request to another node over the node-to-node channel. */
function peerTransport(node: Node, peer: string, timeoutMs: number): Transport {
  return {
    description: `node ${peer.slice(0, 16)}`,
    exchange: (body, signal) => node.peerRequest(peer, body, { timeoutMs, ...(signal ? { signal } : {}) }).catch((e: Error) => Promise.reject(new TransportError(e.message, e))),
  };
}

/** How one submission ended, short of success or a client error. */
type Attempt =
  | { kind: 'done' }
  | { kind: 'committed-there'; txid: TxID }
  | { kind: 'retry'; reason: UnavailableReason }
  | { kind: 'ambiguous'; error: Error & { code: number } };

const nonceWait = (deadline: number) => Math.max(0, deadline - Date.now() - ANSWER_MARGIN_MS);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether a refusal may mean that an earlier submission of the same transaction got in. */
function ambiguous(e: { code: number; message: string }): boolean {
  // The executor's refusals of a hash it holds and of a used nonce (evm-adapter/executor.ts).
  return e.code === ErrorCode.Rejected && (e.message === 'already known' || e.message.startsWith('nonce too low'));
}

export interface ForwarderOptions {
  timeoutMs?: number;
  log?: (message: string) => void;
  /** As primary, this node executed a transaction submitted at `submittedAt` (performance.now()); metrics. */
  executed?: (txid: TxID, submittedAt: number) => void;
}

export class Forwarder {
  readonly timeoutMs: number;
  private readonly txCommon: Common;
  private readonly log: (message: string) => void;

  constructor(
    private readonly node: Node,
    private readonly evm: EvmService,
    private readonly options: ForwarderOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS;
    this.txCommon = createTransactionCommon(evm.chainId);
    this.log = options.log ?? (() => {});
  }

  /** Execute a signed transaction on the primary; resolves with its hash once committed here. */
  async sendRawTransaction(raw: Uint8Array): Promise<Uint8Array> {
    const hash = keccak256(raw);
    const deadline = Date.now() + this.timeoutMs;
    let reason: UnavailableReason = 'no-primary';
    /** an earlier attempt may have reached a primary (its refusals are then ambiguous) */
    let resubmission = false;
    for (;;) {
      const primary = this.node.primaryId;
      if (Date.now() >= deadline) throw new UnavailableError('the transaction', primary === undefined ? 'no-primary' : reason, this.timeoutMs);
      if (primary === undefined) {
        await this.primaryOtherThan(undefined, deadline - Date.now());
        continue;
      }
      const watch = this.watch(primary, deadline);
      let attempt: Attempt;
      try {
        attempt = primary === this.node.nodeId ? await this.executeHere(raw, watch.signal, deadline) : await this.askPrimary(primary, raw, watch.signal, deadline);
      } finally {
        watch.dispose();
      }
      const first = !resubmission;
      resubmission = true;
      switch (attempt.kind) {
        case 'done':
          return hash;
        case 'committed-there':
          await this.committedHere(hash, attempt.txid, deadline);
          return hash;
        case 'ambiguous':
          if (first) throw attempt.error;
          if (await this.settle(hash, raw, attempt.error, primary, deadline)) {
            this.log(`${data(hash)}: resubmitted after a failover, refused as ${attempt.error.message.split(':')[0]}: it had got in`);
            return hash;
          }
          continue;
        case 'retry':
          reason = attempt.reason;
          // Changed already (the request was abandoned for it): go at once; else give
          // the network a moment to elect or reconnect.
          await this.primaryOtherThan(primary, Math.min(RETRY_SAME_PRIMARY_MS, deadline - Date.now()));
      }
    }
  }

  /** Take a joining node's request to the primary (see core/node/join.ts), within the same bound. */
  async joinNetwork(request: unknown): Promise<JoinAnswer> {
    // A node this node knows is trusted is answered here, primary or not.
    try {
      const trusted = this.node.answerTrustedJoin(request);
      if (trusted) return trusted;
    } catch (e) {
      if (e instanceof JoinError) throw invalidParams(e.message);
      throw e;
    }
    const here = () =>
      this.node.admit(request).catch((e: unknown) => {
        throw e instanceof JoinError ? invalidParams(e.message) : e;
      });
    return this.toPrimary('the join request', here, PEER_METHODS.joinNetwork, [request]);
  }

  /**
   * Run `here` when this node is the primary, or call `method` with `params` on the
   * primary over the node-to-node channel: retried on the next primary (no primary, the
   * primary unreachable or no longer primary) within the same bound. The primary's own
   * refusal (a JsonRpcError other than a retry) reaches the caller as it gave it.
   */
  async toPrimary<T>(what: string, here: () => Promise<T>, method: string, params: unknown[]): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    let reason: UnavailableReason = 'no-primary';
    for (;;) {
      const primary = this.node.primaryId;
      if (Date.now() >= deadline) throw new UnavailableError(what, primary === undefined ? 'no-primary' : reason, this.timeoutMs);
      if (primary === this.node.nodeId) {
        try {
          return await here();
        } catch (e) {
          if (!(e instanceof NotPrimaryError)) throw e;
        }
      } else if (primary !== undefined) {
        const watch = this.watch(primary, deadline);
        try {
          return await this.client(primary, deadline).call<T>(method, params, { signal: watch.signal });
        } catch (e) {
          if (e instanceof JsonRpcError && e.code !== PEER_RETRY) throw e;
          reason = 'primary-unreachable';
        } finally {
          watch.dispose();
        }
      }
      await this.primaryOtherThan(primary, Math.min(RETRY_SAME_PRIMARY_MS, deadline - Date.now()));
    }
  }

  /** As primary: execute, then wait for the commit (abandoned if this node loses the role). */
  private async executeHere(raw: Uint8Array, signal: AbortSignal, deadline: number): Promise<Attempt> {
    let txid: TxID;
    const submittedAt = performance.now();
    try {
      ({ txid } = await this.evm.sendRawTransaction(raw, nonceWait(deadline)));
    } catch (e) {
      if (e instanceof NotPrimaryError) return { kind: 'retry', reason: 'no-primary' };
      if (e instanceof EvmError && ambiguous(e)) return { kind: 'ambiguous', error: e };
      throw e;
    }
    this.options.executed?.(txid, submittedAt);
    try {
      await abortable(this.node.waitCommitted(txid), signal);
      return { kind: 'done' };
    } catch {
      // Rolled back by an election, or this node lost the role (the new primary may
      // hold the transaction: submitting it there tells).
      return { kind: 'retry', reason: 'not-committed' };
    }
  }

  private async askPrimary(primary: string, raw: Uint8Array, signal: AbortSignal, deadline: number): Promise<Attempt> {
    try {
      const answer = await this.client(primary, deadline).call<ForwardedSend>(PEER_METHODS.sendRawTransaction, [data(raw), nonceWait(deadline)], { signal });
      return { kind: 'committed-there', txid: parseTxID(answer.txid) };
    } catch (e) {
      if (e instanceof TransportError) return { kind: 'retry', reason: 'primary-unreachable' };
      if (!(e instanceof JsonRpcError)) throw e;
      if (e.code === PEER_RETRY) {
        const why = (e.data as { retry?: unknown } | undefined)?.retry;
        return { kind: 'retry', reason: why === 'rolled-back' ? 'not-committed' : 'primary-unreachable' };
      }
      if (ambiguous(e)) return { kind: 'ambiguous', error: e };
      throw e; // the primary's answer (invalid transaction, nonce too high, …), as it gave it
    }
  }

  /**
   * The primary committed `txid`: wait until this node has committed it too. Should this
   * node not learn it in time (cut off), the hash is still the right answer.
   */
  private async committedHere(hash: Uint8Array, txid: TxID, deadline: number): Promise<void> {
    try {
      await withTimeout(this.node.waitCommitted(txid), deadline - Date.now());
      if (this.node.status(txid) === 'Committed') return;
    } catch {
      // this node's log was replaced meanwhile: look for the receipt instead
    }
    while (!this.evm.hasReceipt(hash)) {
      if (Date.now() >= deadline) return this.log(`${data(hash)}: committed on the primary at ${txid.view}.${txid.seqno}, not yet on this node`);
      await sleep(RECEIPT_POLL_MS);
    }
  }

  /**
   * A resubmission was refused as known or with a used nonce: true once this node has the
   * transaction's receipt; false if the primary changed meanwhile (submit again: the one
   * that refused may have lost it); throws `refusal` if another transaction took the
   * nonce, or UnavailableError at the deadline.
   */
  private async settle(hash: Uint8Array, raw: Uint8Array, refusal: Error, primary: string, deadline: number): Promise<boolean> {
    const sender = refusal.message.startsWith('nonce too low') ? admitTransaction(raw, this.txCommon, this.evm.config) : undefined;
    for (;;) {
      if (this.evm.hasReceipt(hash)) return true;
      if (sender && this.evm.committed((tx) => this.evm.queries.nonce(tx, sender.sender.bytes)) > sender.tx.nonce) {
        if (this.evm.hasReceipt(hash)) return true;
        throw refusal;
      }
      if (this.node.primaryId !== primary) return false;
      if (Date.now() >= deadline) throw new UnavailableError('the transaction', 'not-committed', this.timeoutMs);
      await sleep(RECEIPT_POLL_MS);
    }
  }

  private client(peer: string, deadline: number): JsonRpcClient {
    return new JsonRpcClient(peerTransport(this.node, peer, Math.max(1, deadline - Date.now())));
  }

  /** Aborted when the primary is no longer `primary`, or at the deadline. */
  private watch(primary: string, deadline: number): { signal: AbortSignal; dispose: () => void } {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now()));
    const off = this.node.onPrimaryChange((now) => {
      if (now !== primary) controller.abort();
    });
    return {
      signal: controller.signal,
      dispose: () => {
        clearTimeout(timer);
        off();
      },
    };
  }

  /** Resolves once the known primary is not `current`, or after `ms`. */
  private primaryOtherThan(current: string | undefined, ms: number): Promise<void> {
    if (this.node.primaryId !== current || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(finish, ms);
      const off = this.node.onPrimaryChange((now) => {
        if (now !== current) finish();
      });
    });
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), Math.max(0, ms));
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}
