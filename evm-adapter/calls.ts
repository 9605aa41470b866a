// eth_call and eth_estimateGas: run a message against a snapshot (committed state for
// `latest`, the node's current state for `pending`) without recording anything.
import type { Block } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import { createTx } from '@ethereumjs/tx';
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util';
import type { EVMResult } from '@ethereumjs/evm';
import type { VM } from '@ethereumjs/vm';
import type { ReadOnlyTransaction } from '../core/kv/read-only.js';
import { ExecutionContext, type BlockContext } from './blocks.js';
import type { ConsoleLog } from './console-log.js';
import { ErrorCode, EvmError, rejected } from './errors.js';
import type { KvBlockchain } from './kv-blockchain.js';
import { SerialQueue } from './serial-queue.js';
import type { KvStateManager } from './state-manager.js';
import type { StateOverride } from './state-override.js';
import type { TraceRecorder } from './tracing.js';

export interface CallRequest {
  from?: Uint8Array;
  to?: Uint8Array;
  data?: Uint8Array;
  value?: bigint;
  gas?: bigint;
  gasPrice?: bigint;
  /** what the call pretends about some accounts; the state itself never changes */
  overrides?: StateOverride;
}

/** EIP-7825's per-transaction gas cap (Osaka). */
const TX_GAS_CAP = 1n << 24n;
const ZERO_ADDRESS = new Uint8Array(20);
const ERROR_SELECTOR = '0x08c379a0';

/** An EIP-2930 access list entry, 0x hex. */
export interface AccessListItem {
  address: string;
  storageKeys: string[];
}

/** eth_createAccessList's answer: the list, the gas the message uses with it, and why it failed if it did. */
export interface AccessListResult {
  accessList: AccessListItem[];
  gasUsed: bigint;
  error?: string;
}

/** What a run warms before it starts, where it reports what it touched, who records its trace, and whether it prints its console.log output. */
interface RunOptions {
  echo?: boolean;
  warm?: AccessListItem[];
  touched?: Map<string, Set<string>>;
  recorder?: TraceRecorder;
}

export class Calls {
  private readonly queue = new SerialQueue();

  /** the block context of the read policy's questions (probe) */
  private readonly context: ExecutionContext;

  constructor(
    private readonly vm: VM,
    private readonly state: KvStateManager,
    private readonly chain: KvBlockchain,
    private readonly common: Common,
    chainCommon: Common,
    /** prints the calls' console.log output (a development service) */
    private readonly console?: ConsoleLog,
  ) {
    this.context = new ExecutionContext(chainCommon);
  }

  /** The gas a message may use: what it asks for, never more than the block's gas limit or EIP-7825's cap. */
  private gasFor(request: CallRequest, block: Block): bigint {
    const limit = block.header.gasLimit;
    const cap = limit < TX_GAS_CAP ? limit : TX_GAS_CAP;
    return request.gas !== undefined && request.gas < cap ? request.gas : cap;
  }

  /** Result bytes of a call; reverts and failures as EvmError (revert data in `data`). */
  async call(snapshot: ReadOnlyTransaction, block: Block, request: CallRequest): Promise<Uint8Array> {
    request.overrides?.checkConfidentiality(snapshot);
    const gas = this.gasFor(request, block);
    const result = await this.run(snapshot, block, request, gas - this.intrinsicGas(request), { echo: true });
    throwIfFailed(result);
    return result.execResult.returnValue;
  }

  /**
   * The least gas limit with which the message succeeds in each of `blocks` where it can
   * succeed at all. The first block decides: a message that fails there is an error.
   */
  async estimateGas(snapshot: ReadOnlyTransaction, blocks: Block[], request: CallRequest): Promise<bigint> {
    request.overrides?.checkConfidentiality(snapshot);
    const intrinsic = this.intrinsicGas(request);
    const [first, ...later] = blocks;
    const cap = this.gasFor(request, first!);
    if (cap < intrinsic) throw rejected('intrinsic gas too low');
    const limit = cap - intrinsic;
    // (its console.log output is printed once: this run's, not the search's)
    const full = await this.run(snapshot, first!, request, limit, { echo: true });
    throwIfFailed(full);
    let gas = await this.leastGas(snapshot, first!, request, full, limit, 0n);
    for (const block of later) {
      if (await this.succeeds(snapshot, block, request, gas)) continue;
      const there = await this.run(snapshot, block, request, limit);
      if (there.execResult.exceptionError) continue; // fails there whatever the gas
      gas = await this.leastGas(snapshot, block, request, there, limit, gas);
    }
    return intrinsic + gas;
  }

  /**
   * Binary search, as geth, for the least execution gas with which the message succeeds in
   * `block`, given its run with all of `limit` (`full`) and a gas known to be too little.
   */
  private async leastGas(snapshot: ReadOnlyTransaction, block: Block, request: CallRequest, full: EVMResult, limit: bigint, tooLittle: bigint): Promise<bigint> {
    const used = full.execResult.executionGasUsed;
    if (used === 0n) return 0n; // a plain transfer: nothing to search
    const refund = full.execResult.gasRefund ?? 0n;
    let lo = used - 1n > tooLittle ? used - 1n : tooLittle;
    let hi = limit;
    // Most messages succeed with what they used plus the 1/64 kept back from calls.
    const guess = ((used + refund + 2300n) * 64n) / 63n;
    if (guess > lo && guess < hi && (await this.succeeds(snapshot, block, request, guess))) hi = guess;
    while (hi - lo > 1n && (hi - lo) * 1000n > hi * 15n) {
      const mid = (hi + lo) / 2n;
      if (await this.succeeds(snapshot, block, request, mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /**
   * The accounts and storage slots the message touches, as geth lists them (not the
   * precompiles, nor its sender, target or created contract unless for their slots), and the gas it uses with that
   * list. `showSlots` says whose slots may be listed: the others' addresses are listed
   * without them (which slots a contract touches can tell of its state).
   */
  async accessList(snapshot: ReadOnlyTransaction, block: Block, request: CallRequest, showSlots: (address: Uint8Array) => boolean | Promise<boolean>): Promise<AccessListResult> {
    request.overrides?.checkConfidentiality(snapshot);
    const touched = new Map<string, Set<string>>();
    const first = await this.run(snapshot, block, request, this.gasFor(request, block) - this.intrinsicGas(request), { touched });
    const excluded = new Set([request.from ?? ZERO_ADDRESS, request.to, first.createdAddress?.bytes].filter((a) => a !== undefined).map((a) => bytesToHex(a).slice(2)));
    const accessList: AccessListItem[] = [];
    for (const [address, slots] of touched) {
      // (as geth: an excluded account is still listed with the slots it touched)
      if (this.vm.evm.precompiles.has(address) || (excluded.has(address) && slots.size === 0)) continue;
      const shown = await showSlots(hexToBytes(`0x${address}`));
      accessList.push({ address: `0x${address}`, storageKeys: shown ? [...slots].map((k) => `0x${k}`) : [] });
    }
    const intrinsic = this.intrinsicGas(request, accessList);
    const result = await this.run(snapshot, block, request, this.gasFor(request, block) - intrinsic, { warm: accessList });
    const error = result.execResult.exceptionError;
    return {
      accessList,
      gasUsed: intrinsic + result.execResult.executionGasUsed,
      ...(error ? { error: error.error === 'revert' ? revertMessage(bytesToHex(result.execResult.returnValue)) : error.error } : {}),
    };
  }

  /** Run the message as eth_call does, `recorder` recording it; its limit and the gas it used (intrinsic included). */
  async trace(snapshot: ReadOnlyTransaction, block: Block, request: CallRequest, recorder: TraceRecorder): Promise<{ result: EVMResult; gasLimit: bigint; gasUsed: bigint }> {
    request.overrides?.checkConfidentiality(snapshot);
    const gasLimit = this.gasFor(request, block);
    const intrinsic = this.intrinsicGas(request);
    const result = await this.run(snapshot, block, request, gasLimit - intrinsic, { recorder });
    return { result, gasLimit, gasUsed: intrinsic + result.execResult.executionGasUsed };
  }

  /**
   * What `to` returns for `data` from the zero address with at most `gas`, or undefined if
   * it fails: the read policy asking a contract (checkAccess, eventVisibility).
   */
  async probe(snapshot: ReadOnlyTransaction, context: BlockContext, to: Uint8Array, data: Uint8Array, gas: bigint): Promise<Uint8Array | undefined> {
    const result = await this.run(snapshot, () => this.context.for(context), { to, data }, gas);
    return result.execResult.exceptionError ? undefined : result.execResult.returnValue;
  }

  private async succeeds(snapshot: ReadOnlyTransaction, block: Block, request: CallRequest, gas: bigint): Promise<boolean> {
    return !(await this.run(snapshot, block, request, gas)).execResult.exceptionError;
  }

  private intrinsicGas(request: CallRequest, accessList?: AccessListItem[]): bigint {
    const fields = { to: request.to, data: request.data, value: request.value, gasLimit: TX_GAS_CAP };
    return createTx(accessList ? { ...fields, type: 1, accessList: accessList as never } : fields, { common: this.common }).getIntrinsicGas();
  }

  /** `block` may be a function: a shared execution context is re-pointed only inside the queue. */
  private run(snapshot: ReadOnlyTransaction, at: Block | (() => Block), request: CallRequest, gasLimit: bigint, access: RunOptions = {}): Promise<EVMResult> {
    const echo = access.echo ?? false;
    if (gasLimit < 0n) throw rejected('intrinsic gas too low');
    return this.queue.run(async () => {
      const block = typeof at === 'function' ? at() : at;
      this.console?.printAs(echo ? 'call' : undefined);
      this.state.bind(snapshot, request.overrides);
      this.chain.bind(snapshot);
      // runTx starts every transaction with a clean journal; runCall does not, so warm
      // addresses and slots of one run would make the next look cheaper than it is.
      const journal = this.vm.evm.journal;
      journal.cleanJournal();
      if (access.touched) journal.startReportingAccessList();
      for (const { address, storageKeys } of access.warm ?? []) {
        journal.addAlwaysWarmAddress(address);
        for (const key of storageKeys) journal.addAlwaysWarmSlot(address, key);
      }
      const detach = access.recorder?.attach(this.vm.evm);
      try {
        const caller = new Address(request.from ?? ZERO_ADDRESS);
        return await this.vm.evm.runCall({
          block,
          caller,
          origin: caller,
          to: request.to ? new Address(request.to) : undefined,
          data: request.data,
          value: request.value ?? 0n,
          gasLimit,
          gasPrice: request.gasPrice ?? 0n,
        });
      } finally {
        detach?.();
        if (journal.accessList) for (const [address, slots] of journal.accessList) access.touched?.set(address, slots);
        delete journal.accessList;
        this.state.unbind();
      }
    });
  }
}

function throwIfFailed(result: EVMResult): void {
  const error = result.execResult.exceptionError;
  if (!error) return;
  if (error.error === 'revert') {
    const data = bytesToHex(result.execResult.returnValue);
    throw new EvmError(ErrorCode.ExecutionReverted, revertMessage(data), data);
  }
  throw rejected(error.error);
}

/** geth's message: the Error(string) reason when there is one. */
function revertMessage(data: string): string {
  if (!data.startsWith(ERROR_SELECTOR) || data.length < 10 + 128) return 'execution reverted';
  try {
    const body = Buffer.from(data.slice(10), 'hex');
    const length = Number(body.readBigUInt64BE(56));
    return `execution reverted: ${body.subarray(64, 64 + length).toString('utf8')}`;
  } catch {
    return 'execution reverted';
  }
}
