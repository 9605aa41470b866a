// eth_subscribe's subscriptions of one WebSocket connection, and what each delivers for a
// new block: `newHeads`, the block's header as eth_getBlockByNumber shows it to the
// connection's caller; `logs`, the block's logs that eth_getLogs gives that caller for the
// subscription's address and topics. Both are answered by those very methods, so that a
// subscriber sees exactly what it could poll for, no more.
import { randomBytes } from 'node:crypto';
import type { Caller } from '../evm-adapter/access/caller.js';
import { EvmError, invalidParams } from '../evm-adapter/errors.js';
import { quantity } from './hex.js';
import type { Method } from './methods/eth.js';

/** EIP-1474 "limit exceeded" */
export const LIMIT_EXCEEDED = -32005;

export type Subscribed = { kind: 'newHeads' } | { kind: 'logs'; address?: unknown; topics?: unknown };

export interface Subscription {
  readonly id: string;
  readonly what: Subscribed;
  /** the last block delivered (or the head when it was made) */
  cursor: number;
  /** set once the eth_subscribe answer is sent: nothing is delivered before it */
  active: boolean;
}

// What a header has not: the block's body and what is counted over it.
const BODY_FIELDS = ['transactions', 'uncles', 'withdrawals', 'size', 'totalDifficulty'];

/** eth_subscribe's params: ["newHeads"] or ["logs", { address?, topics? }]. */
export function parseSubscribe(params: unknown): Subscribed {
  if (!Array.isArray(params) || params.length < 1 || params.length > 2) throw invalidParams('eth_subscribe takes ["newHeads"] or ["logs", { address, topics }]');
  const [kind, filter] = params as [unknown, unknown];
  if (kind === 'newHeads') {
    if (filter !== undefined) throw invalidParams('newHeads takes no further parameter');
    return { kind };
  }
  if (kind === 'logs') {
    if (filter === undefined || filter === null) return { kind };
    if (typeof filter !== 'object' || Array.isArray(filter)) throw invalidParams('the logs filter must be an object { address, topics }');
    const extra = Object.keys(filter).filter((k) => k !== 'address' && k !== 'topics');
    if (extra.length > 0) throw invalidParams(`a logs subscription delivers each new block's logs: it takes address and topics, not ${extra.join(', ')}`);
    const { address, topics } = filter as { address?: unknown; topics?: unknown };
    return { kind, address, topics };
  }
  // (geth's message for it)
  throw invalidParams(`no "${String(kind)}" subscription: ccevm serves newHeads and logs`);
}

export class Subscriptions {
  private readonly all = new Map<string, Subscription>();

  constructor(
    private readonly methods: Record<string, Method>,
    private readonly max: number,
  ) {}

  get size(): number {
    return this.all.size;
  }

  /** A new subscription, inactive until activated; its filter is checked now, by eth_getLogs itself. */
  async add(what: Subscribed, caller: Caller): Promise<Subscription> {
    if (this.all.size >= this.max) throw new EvmError(LIMIT_EXCEEDED, `at most ${this.max} subscriptions per connection: eth_unsubscribe some`);
    const head = Number(BigInt((await this.methods.eth_blockNumber!([], caller)) as string));
    if (what.kind === 'logs') await this.logsOf(what, head, caller);
    // A quantity, as geth's subscription ids (and filter ids here).
    const id = `0x${BigInt(`0x${randomBytes(16).toString('hex')}`).toString(16)}`;
    const subscription: Subscription = { id, what, cursor: head, active: false };
    this.all.set(id, subscription);
    return subscription;
  }

  remove(id: unknown): boolean {
    return typeof id === 'string' && this.all.delete(id);
  }

  clear(): void {
    this.all.clear();
  }

  /**
   * Send every active subscription's results for the blocks after its cursor up to `head`,
   * in block order. Stops early once `open` says the connection is gone.
   */
  async deliver(head: number, caller: Caller, send: (notification: unknown) => void, open: () => boolean): Promise<void> {
    for (const subscription of [...this.all.values()]) {
      while (subscription.active && subscription.cursor < head && open() && this.all.has(subscription.id)) {
        const number = subscription.cursor + 1;
        const results = subscription.what.kind === 'newHeads' ? [await this.headerOf(number, caller)] : await this.logsOf(subscription.what, number, caller);
        // (an unsubscribe while these were read: the answer "true" came first, nothing after it)
        if (!this.all.has(subscription.id) || !open()) return;
        for (const result of results) send({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: subscription.id, result } });
        subscription.cursor = number;
      }
    }
  }

  private async headerOf(number: number, caller: Caller): Promise<unknown> {
    const block = (await this.methods.eth_getBlockByNumber!([quantity(number), false], caller)) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(block).filter(([k]) => !BODY_FIELDS.includes(k)));
  }

  private async logsOf(what: Subscribed & { kind: 'logs' }, number: number, caller: Caller): Promise<unknown[]> {
    const filter = { fromBlock: quantity(number), toBlock: quantity(number), ...(what.address !== undefined ? { address: what.address } : {}), ...(what.topics !== undefined ? { topics: what.topics } : {}) };
    return (await this.methods.eth_getLogs!([filter], caller)) as unknown[];
  }
}
