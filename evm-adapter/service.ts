// What the RPC layer serves of the EVM on a node: sending transactions and reading state
// and history, each read for its caller (access/). State reads resolve block tags to
// snapshots: `latest` (and `safe`, `finalized`) is the committed state of the last sealed
// block, `pending` the node's current state including executed but not yet committed
// transactions, an older block the state it left (rebuilt from the ledger: Node.readAt). The application's hooks and the building of all this are application.ts.
import type { Block } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import { bytesToHex } from '@ethereumjs/util';
import { Transaction as EthersTransaction } from 'ethers';
import type { ReadOnlyTransaction } from '../core/kv/read-only.js';
import type { TxID } from '../core/kv/txid.js';
import type { Receipt } from '../core/ledger/receipt.js';
import { NotPrimaryError, type Node } from '../core/node/node.js';
import { fromHex } from '../core/util/bytes.js';
import { executionBlock, landingBlocks, pendingBlock, type Clock } from './blocks.js';
import type { AccessListResult, Calls, CallRequest } from './calls.js';
import type { EvmConfig } from './config.js';
import { ErrorCode, EvmError, notPermitted } from './errors.js';
import type { Caller } from './access/caller.js';
import type { ContractProbe } from './access/contract-probe.js';
import { Reader } from './access/reader.js';
import { blockView, entryAt, type BlockView, type ViewedTransaction } from './access/views.js';
import type { Executor, Submitted } from './executor.js';
import { readPolicy, type ActivePolicy } from './policy.js';
import { logMatches, type LogFilter, type LogView, type Queries, type TransactionView } from './queries.js';
import { logLeaf, logSaltAt } from './receipts/claims.js';
import { BLOCKS, RECEIPTS, TRANSACTIONS, type BlockRecord, type LogRecord, type TxRecord } from './tables.js';
import { BlockFacts } from './access/block-facts.js';
import { classify } from './access/contract-rules.js';
import { showTrace, TraceRecorder, type TraceOptions } from './tracing.js';

export type BlockTag = 'latest' | 'pending' | 'safe' | 'finalized' | 'earliest' | number;
/** Where state is read: a tag, a number, or a block hash (EIP-1898). */
export type StateAt = BlockTag | { hash: Uint8Array };

const HISTORY_UNAVAILABLE = 'historical state is not available';
const ZERO_ADDRESS = new Uint8Array(20);

/** A transaction as a caller sees it; `index` is its position in the caller's view of its block (undefined while pending). */
export interface CallerTransaction {
  view: TransactionView;
  index: number | undefined;
}

/** A receipt as a caller sees it. */
export interface CallerReceipt {
  entry: ViewedTransaction;
  block: BlockRecord;
  /** the ledger transaction that executed it (undefined in a block sealed before blocks recorded it) */
  txid: TxID | undefined;
}

/** A log of the Ethereum claims: whole, with its salt, if the caller may see it, else its leaf alone. */
export type ClaimsLog = { salt: Uint8Array; log: LogRecord } | { leaf: Uint8Array };

/** What a caller may be shown of a transaction's ledger receipt (ccevm_getLedgerReceipt). */
export type LedgerReceiptRead =
  | { status: 'pending'; hash: Uint8Array; txid: TxID }
  | { status: 'committed'; hash: Uint8Array; txid: TxID; receipt: Receipt; ethereum: CallerReceipt; logs: ClaimsLog[] };

/**
 * Every read takes the caller and answers from its view (access/): what it may not see is
 * answered exactly as what does not exist.
 */
export class EvmService {
  /** what sealed blocks hold, for the read policy, whoever asks */
  private readonly facts: BlockFacts;

  constructor(
    readonly node: Node,
    readonly common: Common,
    readonly config: EvmConfig,
    private readonly executor: Executor,
    private readonly calls: Calls,
    readonly queries: Queries,
    private readonly probe: ContractProbe,
    /** seconds since the epoch, as blocks are dated (dev-mode.ts moves blocks off it) */
    readonly clock: Clock,
  ) {
    this.facts = new BlockFacts(queries, probe);
  }

  get chainId(): bigint {
    return this.config.chainId;
  }

  /**
   * As primary, execute a signed transaction: resolves with its hash and transaction id
   * once executed, not yet committed (await `node.waitCommitted(txid)` for that). Only
   * the primary executes: elsewhere this throws NotPrimaryError, and rpc/ takes the
   * transaction to the primary (this module does no network I/O). A transaction whose
   * nonce is ahead waits at most `nonceWaitMs` for its predecessors (default 10 s): a
   * submitter with a deadline of its own asks for less, to hear "nonce too high" in time.
   */
  sendRawTransaction(raw: Uint8Array, nonceWaitMs?: number): Promise<Submitted> {
    if (this.node.role !== 'primary') return Promise.reject(new NotPrimaryError());
    return this.executor.submit(raw, nonceWaitMs);
  }

  /** Run `read` on the committed snapshot (history queries). */
  committed<T>(read: (tx: ReadOnlyTransaction) => T): T {
    return this.node.readCommitted(read);
  }

  /** Number of the last committed block. */
  blockNumber(): number {
    return this.committed((tx) => this.queries.head(tx)?.number ?? 0);
  }

  /** The caller's view of a sealed block. */
  private async view(tx: ReadOnlyTransaction, reader: Reader, block: BlockRecord): Promise<BlockView> {
    return blockView(reader, block, (await this.facts.of(tx, block, () => reader.block())).txs);
  }

  private reader(caller: Caller, tx: ReadOnlyTransaction): Reader {
    return new Reader(caller, tx, () => this.queries.head(tx) ?? pendingBlock(tx, this.clock()), this.probe);
  }

  /** `read` with the caller's reader over the committed snapshot. */
  private viewing<T>(caller: Caller, read: (tx: ReadOnlyTransaction, reader: Reader) => Promise<T>): Promise<T> {
    return this.committed((tx) => read(tx, this.reader(caller, tx)));
  }

  /** Resolve a block tag to a state snapshot and the block context to execute in (built only if asked for). */
  private atState<T>(at: StateAt, use: (tx: ReadOnlyTransaction, block: () => Block, latest: ReadOnlyTransaction) => Promise<T> | T): Promise<T> {
    const pending = at === 'pending';
    const read = async (tx: ReadOnlyTransaction) => {
      const head = this.queries.head(tx);
      let tag = at;
      if (typeof tag === 'object') {
        const block = this.queries.blockByHash(tx, tag.hash);
        if (!block) throw new EvmError(ErrorCode.InvalidParams, `block ${bytesToHex(tag.hash)} not found`);
        tag = block.number;
      }
      if (typeof tag === 'number' || tag === 'earliest') {
        const number = tag === 'earliest' ? 0 : tag;
        if (!head || number > head.number) throw new EvmError(ErrorCode.InvalidParams, `block ${number} not found`);
        if (number !== head.number) return this.atPastBlock(tx, number, use);
      }
      const context = pending || !head ? pendingBlock(tx, this.clock()) : head;
      return await use(tx, () => executionBlock(this.common, context), tx);
    };
    return pending ? this.node.readPending(read) : this.node.readCommitted(read);
  }

  /**
   * `use` over the state a past block left (its seal's, as `latest` reads the head's), with
   * that block as the execution context: the read policy then judges the caller there.
   */
  private atPastBlock<T>(tx: ReadOnlyTransaction, number: number, use: (tx: ReadOnlyTransaction, block: () => Block, latest: ReadOnlyTransaction) => Promise<T> | T): Promise<T> {
    const block = this.queries.block(tx, number)!;
    const sealedAt = tx.map(BLOCKS).writtenAt(number)!;
    // A store restored from a snapshot holds every key as written at the snapshot.
    if (sealedAt <= this.node.ledgerBase) throw new EvmError(ErrorCode.ResourceUnavailable, `${HISTORY_UNAVAILABLE}: this node started from a snapshot at seqno ${this.node.ledgerBase}, after block ${number}; ask a node with the full ledger`);
    // The signature right after the seal changes no application state, and snapshots are taken there.
    return this.node.readAt(sealedAt + 1, (past) => use(past, () => executionBlock(this.common, block), tx));
  }

  /**
   * Whether the policy lets the caller read, at `tx` and at `latest` both: at a past block
   * its rules of then, and the caller's standing now (a role taken away since closes it).
   */
  private permits(caller: Caller, tx: ReadOnlyTransaction, latest: ReadOnlyTransaction, check: (reader: Reader) => boolean): boolean {
    return check(this.reader(caller, tx)) && (latest === tx || check(this.reader(caller, latest)));
  }

  /** A balance the caller may not read is zero, as for an account that does not exist. */
  balance(address: Uint8Array, tag: StateAt, caller: Caller): Promise<bigint> {
    return this.atState(tag, (tx, _, latest) => (this.permits(caller, tx, latest, (r) => r.mayReadAccount(address)) ? this.queries.balance(tx, address) : 0n));
  }

  nonce(address: Uint8Array, tag: StateAt, caller: Caller): Promise<bigint> {
    return this.atState(tag, (tx, _, latest) => (this.permits(caller, tx, latest, (r) => r.mayReadAccount(address)) ? this.queries.nonce(tx, address) : 0n));
  }

  code(address: Uint8Array, tag: StateAt, caller: Caller): Promise<Uint8Array> {
    return this.atState(tag, (tx, _, latest) => (this.permits(caller, tx, latest, (r) => r.mayReadCode()) ? this.queries.code(tx, address) : new Uint8Array(0)));
  }

  call(request: CallRequest, tag: StateAt, caller: Caller): Promise<Uint8Array> {
    return this.atState(tag, (tx, block) => this.calls.call(tx, block(), this.asCaller(request, caller, tx)));
  }

  /** eth_createAccessList: run as eth_call runs; storage slots listed only of contracts the caller may read. */
  createAccessList(request: CallRequest, tag: StateAt, caller: Caller): Promise<AccessListResult> {
    return this.atState(tag, (tx, block) => {
      const reader = this.reader(caller, tx);
      return this.calls.accessList(tx, block(), this.asCaller(request, caller, tx), (address) => reader.seesContract(classify(tx, this.probe, address)));
    });
  }

  /** debug_traceCall: run as eth_call runs, traced as far as the caller may read (tracing.ts). */
  traceCall(request: CallRequest, tag: StateAt, caller: Caller, options: TraceOptions): Promise<Record<string, unknown>> {
    return this.atState(tag, (tx, block) => this.traced(tx, block(), this.asCaller(request, caller, tx), caller, options));
  }

  private async traced(tx: ReadOnlyTransaction, block: Block, request: CallRequest, caller: Caller, options: TraceOptions): Promise<Record<string, unknown>> {
    const reader = this.reader(caller, tx);
    const recorder = new TraceRecorder(options);
    const { result, gasLimit, gasUsed } = await this.calls.trace(tx, block, request, recorder);
    return showTrace(recorder, result, gasLimit, gasUsed, (address) => {
      const contract = classify(tx, this.probe, fromHex(address));
      return contract.kind === 'account' || reader.seesContract(contract);
    });
  }

  /**
   * debug_traceTransaction, for a caller who may see the transaction (else undefined, as for
   * an unknown one): its message (sender, recipient, value, data, gas limit) re-executed in
   * its block's context on the state just before it (the ledger entry before its own), traced
   * as far as the caller may read. The fee and nonce are not charged again, so a contract
   * reading its sender's balance sees it before the fee. Only once its block is committed.
   */
  async traceTransaction(hash: Uint8Array, caller: Caller, options: TraceOptions): Promise<Record<string, unknown> | undefined> {
    if (!(await this.transaction(hash, caller))) return undefined;
    const found = await this.committed((tx) => {
      const record = tx.map(TRANSACTIONS).get(hash);
      const block = record && this.queries.block(tx, record.block);
      return record && block ? { record, block, seqno: block.txSeqnos[record.index]! } : undefined;
    });
    if (!found) throw new EvmError(ErrorCode.ResourceUnavailable, `cannot trace ${bytesToHex(hash)} yet: its block is not committed`);
    const { record, block, seqno } = found;
    if (seqno - 1 <= this.node.ledgerBase) throw new EvmError(ErrorCode.ResourceUnavailable, `${HISTORY_UNAVAILABLE}: this node started from a snapshot at seqno ${this.node.ledgerBase}; ask a node with the full ledger`);
    const signed = EthersTransaction.from(bytesToHex(record.raw));
    const request: CallRequest = {
      from: record.from,
      ...(record.to ? { to: record.to } : {}),
      data: fromHex(signed.data),
      value: signed.value,
      gas: signed.gasLimit,
    };
    return this.node.readAt(seqno - 1, (past) => this.traced(past, executionBlock(this.common, block), request, caller, options));
  }

  /**
   * The tag selects the state; the gas is for a transaction sent now, so it is estimated in
   * the blocks that transaction may land in, whatever the tag.
   */
  estimateGas(request: CallRequest, tag: StateAt, caller: Caller): Promise<bigint> {
    const blocks = this.landingBlocks();
    return this.atState(tag, (tx) => this.calls.estimateGas(tx, blocks, this.asCaller(request, caller, tx)));
  }

  /**
   * The message as the caller may send it: with a session, `from` is the session's address
   * (absent means it; another is refused); without one, the zero address, whatever `from`
   * says, except that on a development service it may name a dev account.
   */
  private asCaller(request: CallRequest, caller: Caller, tx: ReadOnlyTransaction): CallRequest {
    const from = request.from ? bytesToHex(request.from) : undefined;
    if (caller.kind === 'session') {
      if (from !== undefined && from !== caller.address) throw notPermitted(`from ${from} is not the signed-in address ${caller.address}: a call runs as its caller`);
      return { ...request, from: fromHex(caller.address) };
    }
    if (from !== undefined && this.reader(caller, tx).isIdentity(from)) return request;
    return { ...request, from: ZERO_ADDRESS };
  }

  private landingBlocks(): Block[] {
    return this.node.readPending((tx) => landingBlocks(tx, this.clock()).map((b) => executionBlock(this.common, b)));
  }

  /** A committed block by tag or number (`pending` means the latest here), as the caller sees it. */
  block(tag: BlockTag, caller: Caller): Promise<BlockView | undefined> {
    return this.viewing(caller, async (tx, reader) => {
      const block = typeof tag === 'number' ? this.queries.block(tx, tag) : tag === 'earliest' ? this.queries.block(tx, 0) : this.queries.head(tx);
      return block && this.view(tx, reader, block);
    });
  }

  blockByHash(hash: Uint8Array, caller: Caller): Promise<BlockView | undefined> {
    return this.viewing(caller, async (tx, reader) => {
      const block = this.queries.blockByHash(tx, hash);
      return block && this.view(tx, reader, block);
    });
  }

  /** Public header facts of a committed block (every block exists for every caller). */
  baseFeeOf(number: number): bigint {
    return this.committed((tx) => this.queries.block(tx, number)!.baseFeePerGas);
  }

  blockHashOf(number: number): Uint8Array {
    return this.committed((tx) => this.queries.block(tx, number)!.hash);
  }

  blockNumberOf(hash: Uint8Array): number | undefined {
    return this.committed((tx) => this.queries.blockByHash(tx, hash)?.number);
  }

  /** Decoded, for blocks with full transactions (one snapshot for them all). */
  decoded(hashes: Uint8Array[]): TransactionView[] {
    return this.committed((tx) => hashes.map((hash) => this.queries.transaction(tx, hash)!));
  }


  /** Committed, or else pending (block fields empty) on this node, if the caller may see it. */
  async transaction(hash: Uint8Array, caller: Caller): Promise<CallerTransaction | undefined> {
    // The policy asks about the record; only a transaction shown is decoded.
    const committed = await this.viewing(caller, async (tx, reader) => {
      const record = tx.map(TRANSACTIONS).get(hash);
      if (!record || !this.queries.block(tx, record.block)) return undefined;
      const entry = await this.entryOf(tx, reader, record);
      return { shown: entry?.visible ? { view: this.queries.transaction(tx, hash)!, index: entry.index } : undefined };
    });
    if (committed) return committed.shown;
    return this.node.readPending(async (tx) => {
      const record = tx.map(TRANSACTIONS).get(hash);
      if (!record) return undefined;
      const reader = this.reader(caller, tx);
      const facts = await this.facts.transaction(tx, () => reader.block(), hash, record, tx.map(RECEIPTS).get(hash));
      if (!(await reader.seesTransaction(facts))) return undefined;
      return { view: { ...this.queries.transaction(tx, hash)!, blockHash: undefined, blockTimestamp: undefined }, index: undefined };
    });
  }

  receipt(hash: Uint8Array, caller: Caller): Promise<CallerReceipt | undefined> {
    return this.viewing(caller, async (tx, reader) => {
      const record = tx.map(TRANSACTIONS).get(hash);
      const block = record && this.queries.block(tx, record.block);
      if (!block) return undefined;
      const entry = await this.entryOf(tx, reader, record);
      if (!entry?.visible) return undefined;
      return { entry, block, txid: this.node.txidAt(block.txSeqnos[record.index]!) };
    });
  }

  /**
   * The transaction's ledger receipt, for a caller who may see the transaction (else
   * undefined, as for an unknown hash): pending until a committed signature covers it.
   * Its logs are those the caller's Ethereum receipt shows, with their salts; the others
   * are their leaves alone.
   */
  async ledgerReceipt(hash: Uint8Array, caller: Caller): Promise<LedgerReceiptRead | undefined> {
    const ethereum = await this.receipt(hash, caller);
    if (!ethereum) {
      // Not in a committed block: pending, to whoever eth_getTransactionByHash shows it.
      if (!(await this.transaction(hash, caller))) return undefined;
      // (exact: a transaction not yet in a block came after any snapshot this node started from)
      const seqno = this.node.readPending((tx) => tx.map(TRANSACTIONS).writtenAt(hash));
      const txid = seqno === undefined ? undefined : this.node.txidAt(seqno);
      return txid && { status: 'pending', hash, txid };
    }
    const { txid, entry } = ethereum;
    if (!txid || txid.seqno <= this.node.ledgerBase) {
      throw new EvmError(ErrorCode.ResourceUnavailable, `this node started from a snapshot at seqno ${this.node.ledgerBase} and does not hold this transaction's ledger entry: ask a node with the full ledger`);
    }
    const receipt = await this.node.receipt(txid);
    if (!receipt) return { status: 'pending', hash, txid };
    const shown = new Set(entry.logs.map((l) => l.position));
    const logs = entry.receipt.logs.map((log, i): ClaimsLog => {
      const salt = logSaltAt(entry.receipt.logSalt!, i);
      return shown.has(i) ? { salt, log } : { leaf: logLeaf(salt, log) };
    });
    return { status: 'committed', hash, txid, receipt, ethereum, logs };
  }

  /** The transaction's entry in the caller's view of its block. */
  private async entryOf(tx: ReadOnlyTransaction, reader: Reader, record: TxRecord): Promise<ViewedTransaction | undefined> {
    const block = this.queries.block(tx, record.block)!;
    return entryAt(reader, block, await this.facts.of(tx, block, () => reader.block()), record.index);
  }

  /** The logs matching `filter` that the caller may see, numbered in its view. */
  logs(filter: LogFilter, caller: Caller): Promise<LogView[]> {
    return this.viewing(caller, async (tx, reader) => {
      const out: LogView[] = [];
      for (const block of this.queries.blocksMayMatch(tx, filter)) {
        const view = await this.view(tx, reader, block);
        for (const t of view.transactions) {
          for (const { log, logIndex } of t.logs) {
            const [address, topics, data] = log;
            if (!logMatches(address, topics, filter)) continue;
            out.push({ address, topics, data, blockNumber: block.number, blockHash: block.hash, transactionHash: t.hash, transactionIndex: t.index, logIndex });
          }
        }
      }
      return out;
    });
  }

  /** Whether the transaction's block is sealed and committed here (whoever asks). */
  hasReceipt(hash: Uint8Array): boolean {
    return this.committed((tx) => this.queries.hasReceipt(tx, hash));
  }

  /** The committed EVM policy: what the members last decided. */
  policy(): ActivePolicy {
    return this.committed(readPolicy);
  }

  /** The base fee of the next block. */
  gasPrice(): bigint {
    return this.policy().baseFeePerGas;
  }
}
