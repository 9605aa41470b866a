// The EVM application on a node: its hooks into the core (genesis, block sealing) and the
// operations the RPC layer serves. State reads resolve block tags to snapshots: `latest`
// (and `safe`, `finalized`) is the committed state of the last sealed block, `pending`
// the node's current state including executed but not yet committed transactions.
import type { Block } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import { Account, bytesToHex } from '@ethereumjs/util';
import { createVM } from '@ethereumjs/vm';
import type { ReadOnlyTransaction } from '../core/kv/read-only.js';
import type { Transaction } from '../core/kv/transaction.js';
import { NotPrimaryError, type ApplicationHooks, type Node } from '../core/node/node.js';
import { fromHex } from '../core/util/bytes.js';
import { executionBlock, landingBlocks, pendingBlock, sealBlock, systemClock, type Clock } from './blocks.js';
import { Calls, type CallRequest } from './calls.js';
import { createChainCommon, createTransactionCommon, keccak256 } from './common.js';
import type { EvmConfig } from './config.js';
import { ErrorCode, EvmError } from './errors.js';
import { HeaderBuilder } from './header.js';
import { Executor, type Submitted } from './executor.js';
import { KvBlockchain } from './kv-blockchain.js';
import { EVM_POLICY, readPolicy, writeGenesisPolicy, type ActivePolicy } from './policy.js';
import { Queries, type LogFilter, type LogView, type ReceiptView, type TransactionView } from './queries.js';
import { KvStateManager } from './state-manager.js';
import { ACCOUNTS, CODE, PENDING_BLOCK, type BlockRecord } from './tables.js';

export type BlockTag = 'latest' | 'pending' | 'safe' | 'finalized' | 'earliest' | number;
/** Where state is read: a tag, a number, or a block hash (EIP-1898). */
export type StateAt = BlockTag | { hash: Uint8Array };

export class EvmApplication {
  readonly common: Common;
  /** shared by every decoded transaction (see createTransactionCommon) */
  private readonly txCommon: Common;
  private readonly headers: HeaderBuilder;

  /** `clock` dates new blocks (tests pass one they can move). */
  constructor(
    readonly config: EvmConfig,
    private readonly clock: Clock = systemClock,
  ) {
    this.common = createChainCommon(config.chainId);
    this.txCommon = createTransactionCommon(config.chainId);
    this.headers = new HeaderBuilder(this.common);
  }

  get hooks(): ApplicationHooks {
    return {
      genesis: (tx) => writeGenesis(tx, this.config, this.clock()),
      seal: (tx, root) => void sealBlock(tx, this.common, this.headers, root, this.clock()),
      governanceTables: [EVM_POLICY],
    };
  }

  /** Build the EVM machinery for a started node. */
  async attach(node: Node): Promise<EvmService> {
    const machine = async () => {
      const state = new KvStateManager();
      const chain = new KvBlockchain();
      const vm = await createVM({ common: this.common, stateManager: state, blockchain: chain });
      return { vm, state, chain };
    };
    const tx = await machine();
    const call = await machine();
    return new EvmService(
      node,
      this.common,
      this.config,
      new Executor(node, tx.vm, tx.state, tx.chain, this.common, this.txCommon, this.config, this.clock),
      new Calls(call.vm, call.state, call.chain, this.txCommon),
      new Queries(this.txCommon),
      this.clock,
    );
  }
}

function writeGenesis(tx: Transaction, config: EvmConfig, now: number): void {
  const accounts = tx.map(ACCOUNTS);
  for (const [address, spec] of Object.entries(config.genesis)) {
    const account = new Account(spec.nonce ?? 0n, spec.balance);
    if (spec.code && spec.code.length > 0) {
      account.codeHash = keccak256(spec.code);
      tx.map(CODE).set(account.codeHash, spec.code);
    }
    accounts.set(fromHex(address), account.serialize());
  }
  writeGenesisPolicy(tx, config);
  tx.map(PENDING_BLOCK).set(0, { number: 0, timestamp: now, txCount: 0, gasUsed: 0n, logCount: 0, baseFeePerGas: config.baseFeePerGas, gasLimit: config.blockGasLimit });
}

const HISTORY_UNAVAILABLE = 'historical state is not available: ccevm serves state at the latest and pending blocks';

export class EvmService {
  constructor(
    readonly node: Node,
    readonly common: Common,
    readonly config: EvmConfig,
    private readonly executor: Executor,
    private readonly calls: Calls,
    readonly queries: Queries,
    private readonly clock: Clock,
  ) {}

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

  /** Resolve a block tag to a state snapshot and the block context to execute in. */
  private atState<T>(at: StateAt, use: (tx: ReadOnlyTransaction, block: Block) => Promise<T> | T): Promise<T> {
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
        if (number !== head.number) throw new EvmError(ErrorCode.ResourceUnavailable, HISTORY_UNAVAILABLE);
      }
      const context = pending || !head ? pendingBlock(tx, this.clock()) : head;
      return await use(tx, executionBlock(this.common, context));
    };
    return pending ? this.node.readPending(read) : this.node.readCommitted(read);
  }

  balance(address: Uint8Array, tag: StateAt): Promise<bigint> {
    return this.atState(tag, (tx) => this.queries.balance(tx, address));
  }

  nonce(address: Uint8Array, tag: StateAt): Promise<bigint> {
    return this.atState(tag, (tx) => this.queries.nonce(tx, address));
  }

  code(address: Uint8Array, tag: StateAt): Promise<Uint8Array> {
    return this.atState(tag, (tx) => this.queries.code(tx, address));
  }

  call(request: CallRequest, tag: StateAt): Promise<Uint8Array> {
    return this.atState(tag, (tx, block) => this.calls.call(tx, block, request));
  }

  /**
   * The tag selects the state; the gas is for a transaction sent now, so it is estimated in
   * the blocks that transaction may land in, whatever the tag.
   */
  estimateGas(request: CallRequest, tag: StateAt): Promise<bigint> {
    const blocks = this.landingBlocks();
    return this.atState(tag, (tx) => this.calls.estimateGas(tx, blocks, request));
  }

  private landingBlocks(): Block[] {
    return this.node.readPending((tx) => landingBlocks(tx, this.clock()).map((b) => executionBlock(this.common, b)));
  }

  /** A committed block by tag or number; `pending` means the latest here. */
  block(tag: BlockTag): BlockRecord | undefined {
    return this.committed((tx) => {
      if (typeof tag === 'number') return this.queries.block(tx, tag);
      if (tag === 'earliest') return this.queries.block(tx, 0);
      return this.queries.head(tx);
    });
  }

  blockByHash(hash: Uint8Array): BlockRecord | undefined {
    return this.committed((tx) => this.queries.blockByHash(tx, hash));
  }

  blockTransactions(number: number): TransactionView[] {
    return this.committed((tx) => this.queries.blockTransactionHashes(tx, number).map((hash) => this.queries.transaction(tx, hash)!));
  }

  /** Committed, or else pending (block fields empty) on this node. */
  transaction(hash: Uint8Array): TransactionView | undefined {
    const committed = this.committed((tx) => this.queries.transaction(tx, hash));
    if (committed?.blockHash) return committed;
    const pending = this.node.readPending((tx) => this.queries.transaction(tx, hash));
    return pending ? { ...pending, blockHash: undefined, blockTimestamp: undefined } : undefined;
  }

  receipt(hash: Uint8Array): ReceiptView | undefined {
    return this.committed((tx) => this.queries.receipt(tx, hash));
  }

  logs(filter: LogFilter): LogView[] {
    return this.committed((tx) => this.queries.logs(tx, filter));
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
