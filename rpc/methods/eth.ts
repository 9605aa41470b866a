// The eth_* methods: parameter parsing and result shaping around the EVM service.
import type { Caller } from '../../evm-adapter/access/caller.js';
import { invalidParams, rejected } from '../../evm-adapter/errors.js';
import type { CallRequest } from '../../evm-adapter/calls.js';
import type { LogFilter } from '../../evm-adapter/queries.js';
import type { BlockTag, EvmService } from '../../evm-adapter/service.js';
import { ownerKey } from '../../evm-adapter/access/caller.js';
import { executedCursor, executedSince } from '../../evm-adapter/executed-transactions.js';
import type { BlockView } from '../../evm-adapter/access/views.js';
import { FilterRegistry } from '../filters.js';
import { formatBlock, formatLog, formatReceipt, formatTransaction } from '../format.js';
import { parseStateOverride } from '../state-override.js';
import { data, parseAddress, parseBlockTag, parseData, parseHash, parseQuantity, parseSmallQuantity, parseStateAt, positional, quantity } from '../hex.js';

/** A JSON-RPC method: its params as sent, and who is asking (rpc/server.ts builds the caller before dispatch). */
export type Method = (params: unknown, caller: Caller) => Promise<unknown> | unknown;

const MAX_LOG_BLOCK_RANGE = 10_000;
const MAX_FEE_HISTORY_BLOCKS = 1024;

/** `send` takes a signed transaction to the primary and resolves with its hash once committed (rpc/forwarder.ts). */
export function ethMethods(evm: EvmService, send: (raw: Uint8Array) => Promise<Uint8Array>): Record<string, Method> {
  const filters = new FilterRegistry();

  // A block shows the transactions the caller may see, numbered in its view.
  const blockResult = async (found: Promise<BlockView | undefined>, full: unknown) => {
    if (typeof full !== 'boolean') throw invalidParams('second parameter must be a boolean');
    const view = await found;
    if (!view) return null;
    const shown = view.transactions.filter((t) => t.visible);
    if (!full) return formatBlock(view, shown.map((t) => data(t.hash)));
    const decoded = evm.decoded(shown.map((t) => t.hash));
    return formatBlock(view, shown.map((t, i) => formatTransaction(decoded[i]!, view.block.baseFeePerGas, t.index)));
  };

  const resolveNumber = (tag: BlockTag): number => (typeof tag === 'number' ? tag : tag === 'earliest' ? 0 : evm.blockNumber());

  return {
    eth_chainId: (p) => (positional(p, 0, 0), quantity(evm.chainId)),
    eth_blockNumber: (p) => (positional(p, 0, 0), quantity(evm.blockNumber())),
    eth_syncing: (p) => (positional(p, 0, 0), false),
    eth_accounts: (p) => (positional(p, 0, 0), []),
    eth_gasPrice: (p) => (positional(p, 0, 0), quantity(evm.gasPrice())),
    eth_maxPriorityFeePerGas: (p) => (positional(p, 0, 0), '0x0'),

    eth_feeHistory: (p) => {
      const [countParam, newestParam, percentiles] = positional(p, 2, 3);
      const count = Math.min(parseSmallQuantity(countParam, 'blockCount'), MAX_FEE_HISTORY_BLOCKS);
      const newest = Math.min(resolveNumber(parseBlockTag(newestParam, 'newestBlock')), evm.blockNumber());
      if (percentiles !== undefined && (!Array.isArray(percentiles) || percentiles.some((x, i) => typeof x !== 'number' || x < 0 || x > 100 || (i > 0 && x < percentiles[i - 1])))) {
        throw invalidParams('rewardPercentiles must be increasing numbers between 0 and 100');
      }
      const oldest = Math.max(0, newest - count + 1);
      const baseFeePerGas: string[] = [];
      const gasUsedRatio: number[] = [];
      const reward: string[][] = [];
      for (let n = oldest; n <= newest && count > 0; n++) {
        baseFeePerGas.push(quantity(evm.baseFeeOf(n)));
        // What a header says: 0 (a block's gas would tell of others' activity; the fee is
        // the members' policy, not a function of it).
        gasUsedRatio.push(0);
        // Tips are not part of the consortium's fee model: every percentile pays none.
        if (Array.isArray(percentiles)) reward.push(percentiles.map(() => '0x0'));
      }
      baseFeePerGas.push(quantity(evm.gasPrice()));
      return { oldestBlock: quantity(oldest), baseFeePerGas, gasUsedRatio, ...(Array.isArray(percentiles) ? { reward } : {}) };
    },

    eth_getBalance: async (p, caller) => {
      const [address, tag] = positional(p, 1, 2);
      return quantity(await evm.balance(parseAddress(address), parseStateAt(tag), caller));
    },
    eth_getTransactionCount: async (p, caller) => {
      const [address, tag] = positional(p, 1, 2);
      return quantity(await evm.nonce(parseAddress(address), parseStateAt(tag), caller));
    },
    eth_getCode: async (p, caller) => {
      const [address, tag] = positional(p, 1, 2);
      return data(await evm.code(parseAddress(address), parseStateAt(tag), caller));
    },
    eth_getStorageAt: () => {
      throw rejected('eth_getStorageAt is refused: contract storage is confidential; read it through the contract');
    },
    eth_call: async (p, caller) => {
      const [request, tag, overrides] = positional(p, 1, 3);
      return data(await evm.call(parseCallRequest(request, overrides), parseStateAt(tag), caller));
    },
    eth_estimateGas: async (p, caller) => {
      const [request, tag, overrides] = positional(p, 1, 3);
      return quantity(await evm.estimateGas(parseCallRequest(request, overrides), parseStateAt(tag ?? 'pending'), caller));
    },
    eth_sendRawTransaction: async (p) => {
      const [raw] = positional(p, 1, 1);
      return data(await send(parseData(raw, 'transaction')));
    },

    eth_getTransactionByHash: async (p, caller) => {
      const [hash] = positional(p, 1, 1);
      const shown = await evm.transaction(parseHash(hash), caller);
      if (!shown) return null;
      // Its block's base fee; one still pending pays the next block's.
      const baseFee = shown.view.blockHash ? evm.baseFeeOf(shown.view.record.block) : evm.gasPrice();
      return formatTransaction(shown.view, baseFee, shown.index);
    },
    eth_getTransactionReceipt: async (p, caller) => {
      const [hash] = positional(p, 1, 1);
      const shown = await evm.receipt(parseHash(hash), caller);
      return shown ? formatReceipt(shown, evm.common) : null;
    },
    eth_getBlockByNumber: (p, caller) => {
      const [tag, full] = positional(p, 2, 2);
      return blockResult(evm.block(parseBlockTag(tag), caller), full);
    },
    eth_getBlockByHash: (p, caller) => {
      const [hash, full] = positional(p, 2, 2);
      return blockResult(evm.blockByHash(parseHash(hash), caller), full);
    },
    eth_getBlockTransactionCountByNumber: async (p, caller) => {
      const [tag] = positional(p, 1, 1);
      const view = await evm.block(parseBlockTag(tag), caller);
      return view ? quantity(view.transactions.filter((t) => t.visible).length) : null;
    },
    eth_getBlockTransactionCountByHash: async (p, caller) => {
      const [hash] = positional(p, 1, 1);
      const view = await evm.blockByHash(parseHash(hash), caller);
      return view ? quantity(view.transactions.filter((t) => t.visible).length) : null;
    },
    eth_getTransactionByBlockNumberAndIndex: async (p, caller) => {
      const [tag, index] = positional(p, 2, 2);
      const wanted = parseSmallQuantity(index, 'index');
      const view = await evm.block(parseBlockTag(tag), caller);
      const entry = view?.transactions.find((t) => t.index === wanted && t.visible);
      return entry ? formatTransaction(evm.decoded([entry.hash])[0]!, view!.block.baseFeePerGas, entry.index) : null;
    },

    eth_getLogs: async (p, caller) => {
      const [filter] = positional(p, 1, 1);
      return (await evm.logs(parseLogFilter(filter, evm), caller)).map(formatLog);
    },
    // A filter is its installer's: any other caller is told it does not exist.
    eth_newFilter: (p, caller) => {
      const [filter] = positional(p, 1, 1);
      const parsed = parseLogFilter(filter, evm);
      const followLatest = !(filter as { toBlock?: unknown }).toBlock || ['latest', 'pending', 'safe', 'finalized'].includes((filter as { toBlock: string }).toBlock);
      // As geth: changes are the logs of blocks sealed after the filter was installed
      // (eth_getFilterLogs answers for the whole range).
      return filters.install(ownerKey(caller), { kind: 'logs', filter: parsed, followLatest, lastBlock: Math.max(parsed.fromBlock - 1, evm.blockNumber()) });
    },
    eth_newBlockFilter: (p, caller) => (positional(p, 0, 0), filters.install(ownerKey(caller), { kind: 'block', lastBlock: evm.blockNumber() })),
    // Hashes of the transactions the caller may see, as this node executes them (before they commit).
    eth_newPendingTransactionFilter: (p, caller) => (positional(p, 0, 0), filters.install(ownerKey(caller), { kind: 'transactions', next: executedCursor(evm) })),
    eth_getFilterChanges: async (p, caller) => {
      const [id] = positional(p, 1, 1);
      const f = filters.get(ownerKey(caller), id);
      if (f.kind === 'transactions') {
        const { hashes, next } = await executedSince(evm, f.next, caller);
        f.next = next;
        return hashes.map(data);
      }
      const latest = evm.blockNumber();
      if (f.kind === 'block') {
        const hashes: string[] = [];
        for (let n = f.lastBlock + 1; n <= latest; n++) hashes.push(data(evm.blockHashOf(n)));
        f.lastBlock = latest;
        return hashes;
      }
      const to = f.followLatest ? latest : Math.min(f.filter.toBlock, latest);
      const from = Math.max(f.lastBlock + 1, f.filter.fromBlock);
      if (from > to) return [];
      f.lastBlock = to;
      return (await evm.logs({ ...f.filter, fromBlock: from, toBlock: to }, caller)).map(formatLog);
    },
    eth_getFilterLogs: async (p, caller) => {
      const [id] = positional(p, 1, 1);
      const f = filters.get(ownerKey(caller), id);
      if (f.kind !== 'logs') throw invalidParams('not a log filter');
      const to = f.followLatest ? evm.blockNumber() : f.filter.toBlock;
      return (await evm.logs({ ...f.filter, toBlock: to }, caller)).map(formatLog);
    },
    eth_uninstallFilter: (p, caller) => {
      const [id] = positional(p, 1, 1);
      return filters.uninstall(ownerKey(caller), id);
    },
  };
}
/** A call's message and, as geth's third parameter, its state overrides. */
export function parseCallRequest(value: unknown, overrides: unknown): CallRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidParams('call request must be an object');
  const r = value as Record<string, unknown>;
  const input = r.input ?? r.data;
  if (r.input !== undefined && r.data !== undefined && r.input !== r.data) throw invalidParams('both input and data given, with different values');
  return {
    from: r.from === undefined || r.from === null ? undefined : parseAddress(r.from, 'from'),
    to: r.to === undefined || r.to === null ? undefined : parseAddress(r.to, 'to'),
    data: input === undefined || input === null ? undefined : parseData(input, 'input'),
    value: r.value === undefined || r.value === null ? undefined : parseQuantity(r.value, 'value'),
    gas: r.gas === undefined || r.gas === null ? undefined : parseQuantity(r.gas, 'gas'),
    gasPrice: r.gasPrice === undefined || r.gasPrice === null ? undefined : parseQuantity(r.gasPrice, 'gasPrice'),
    overrides: parseStateOverride(overrides),
  };
}

function parseLogFilter(value: unknown, evm: EvmService): LogFilter {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidParams('filter must be an object');
  const f = value as Record<string, unknown>;
  const latest = evm.blockNumber();
  let fromBlock: number;
  let toBlock: number;
  if (f.blockHash !== undefined && f.blockHash !== null) {
    if (f.fromBlock !== undefined || f.toBlock !== undefined) throw invalidParams('blockHash excludes fromBlock and toBlock');
    const number = evm.blockNumberOf(parseHash(f.blockHash, 'blockHash'));
    if (number === undefined) throw invalidParams('unknown block');
    fromBlock = toBlock = number;
  } else {
    const resolve = (tag: unknown) => {
      const t = parseBlockTag(tag);
      return typeof t === 'number' ? t : t === 'earliest' ? 0 : latest;
    };
    fromBlock = resolve(f.fromBlock);
    toBlock = resolve(f.toBlock);
    if (fromBlock > toBlock && f.toBlock !== undefined) throw invalidParams('fromBlock is after toBlock');
    if (toBlock - fromBlock >= MAX_LOG_BLOCK_RANGE) throw invalidParams(`block range too large: at most ${MAX_LOG_BLOCK_RANGE} blocks per query`);
  }
  const addresses = f.address === undefined || f.address === null ? [] : (Array.isArray(f.address) ? f.address : [f.address]).map((a) => parseAddress(a));
  if (f.topics !== undefined && f.topics !== null && !Array.isArray(f.topics)) throw invalidParams('topics must be an array');
  const topics = ((f.topics as unknown[] | undefined) ?? []).map((t, i) => {
    if (t === null) return null;
    return (Array.isArray(t) ? t : [t]).map((x) => parseHash(x, `topics[${i}]`));
  });
  if (topics.length > 4) throw invalidParams('at most 4 topic positions');
  return { fromBlock, toBlock, addresses, topics };
}
