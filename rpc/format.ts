// Domain records to the JSON shapes of the execution-apis specification.
import type { Common } from '@ethereumjs/common';
import { Capability, TransactionType, type TypedTransaction } from '@ethereumjs/tx';
import { bytesToHex } from '@ethereumjs/util';
import type { BlockView } from '../evm-adapter/access/views.js';
import { logsBloom } from '../evm-adapter/blocks.js';
import { decodeHeader, HeaderField } from '../evm-adapter/header.js';
import type { LogView, TransactionView } from '../evm-adapter/queries.js';
import { formatTxID } from '../core/kv/txid.js';
import { CLAIMS_VERSION } from '../evm-adapter/receipts/claims.js';
import type { CallerReceipt, LedgerReceiptRead } from '../evm-adapter/service.js';
import { data, quantity } from './hex.js';

/** A block as a caller sees it: its transactions and gas are the caller's view's; the rest is the header's. */
export function formatBlock({ block, gasUsed }: BlockView, transactions: string[] | object[]): Record<string, unknown> {
  const header = decodeHeader(block.header);
  const field = (f: HeaderField) => data(header[f] ?? new Uint8Array(0));
  return {
    number: quantity(block.number),
    hash: data(block.hash),
    parentHash: data(block.parentHash),
    nonce: field(HeaderField.Nonce),
    sha3Uncles: field(HeaderField.UncleHash),
    logsBloom: data(block.logsBloom),
    transactionsRoot: data(block.transactionsRoot),
    stateRoot: data(block.stateRoot),
    receiptsRoot: data(block.receiptsRoot),
    miner: field(HeaderField.Coinbase),
    difficulty: '0x0',
    totalDifficulty: '0x0',
    extraData: field(HeaderField.ExtraData),
    size: quantity(block.header.length),
    gasLimit: quantity(block.gasLimit > gasUsed ? block.gasLimit : gasUsed),
    gasUsed: quantity(gasUsed),
    timestamp: quantity(block.timestamp),
    transactions,
    uncles: [],
    baseFeePerGas: quantity(block.baseFeePerGas),
    mixHash: field(HeaderField.MixHash),
    withdrawals: [],
    withdrawalsRoot: field(HeaderField.WithdrawalsRoot),
    blobGasUsed: '0x0',
    excessBlobGas: '0x0',
    parentBeaconBlockRoot: field(HeaderField.ParentBeaconBlockRoot),
    requestsHash: field(HeaderField.RequestsHash),
  };
}

/** `index`: its position in the caller's view of its block (undefined while pending). */
export function formatTransaction(view: TransactionView, baseFee: bigint, index: number | undefined): Record<string, unknown> {
  const { tx, record } = view;
  const committed = view.blockHash !== undefined;
  const out: Record<string, unknown> = {
    blockHash: committed ? data(view.blockHash!) : null,
    blockNumber: committed ? quantity(record.block) : null,
    blockTimestamp: committed ? quantity(view.blockTimestamp!) : null,
    transactionIndex: committed && index !== undefined ? quantity(index) : null,
    hash: data(view.hash),
    from: data(record.from),
    to: tx.to ? tx.to.toString() : null,
    nonce: quantity(tx.nonce),
    gas: quantity(tx.gasLimit),
    value: quantity(tx.value),
    input: data(tx.data),
    type: quantity(tx.type),
    gasPrice: quantity(gasPriceOf(tx, baseFee)),
    v: quantity(tx.v!),
    r: quantity(tx.r!),
    s: quantity(tx.s!),
  };
  if (tx.type === TransactionType.Legacy) {
    if (tx.supports(Capability.EIP155ReplayProtection)) out.chainId = quantity(tx.common.chainId());
    return out;
  }
  out.chainId = quantity(tx.common.chainId());
  out.yParity = quantity(tx.v!);
  out.accessList = accessListOf(tx);
  if ('maxFeePerGas' in tx) {
    out.maxFeePerGas = quantity(tx.maxFeePerGas);
    out.maxPriorityFeePerGas = quantity(tx.maxPriorityFeePerGas);
  }
  return out;
}

/** The price paid: legacy and EIP-2930 gasPrice, EIP-1559 min(maxFee, baseFee + tip). */
function gasPriceOf(tx: TypedTransaction, baseFee: bigint): bigint {
  if ('maxFeePerGas' in tx) {
    const tipped = baseFee + tx.maxPriorityFeePerGas;
    return tipped < tx.maxFeePerGas ? tipped : tx.maxFeePerGas;
  }
  return (tx as { gasPrice: bigint }).gasPrice;
}

function accessListOf(tx: TypedTransaction): { address: string; storageKeys: string[] }[] {
  const list = (tx as { accessList?: [Uint8Array, Uint8Array[]][] }).accessList ?? [];
  return list.map(([address, keys]) => ({ address: bytesToHex(address), storageKeys: keys.map((k) => bytesToHex(k)) }));
}

export function formatLog(log: LogView): Record<string, unknown> {
  return {
    removed: false,
    logIndex: quantity(log.logIndex),
    transactionIndex: quantity(log.transactionIndex),
    transactionHash: data(log.transactionHash),
    blockHash: data(log.blockHash),
    blockNumber: quantity(log.blockNumber),
    address: data(log.address),
    data: data(log.data),
    topics: log.topics.map(data),
  };
}

/** ccevm adds `ledgerTxid`: the ledger transaction that executed it. */
export function formatReceipt({ entry, block, txid }: CallerReceipt, common: Common): Record<string, unknown> {
  const { receipt, record } = entry;
  const logs = entry.logs.map((l) => l.log);
  return {
    type: quantity(receipt.type),
    transactionHash: data(entry.hash),
    transactionIndex: quantity(entry.index),
    blockHash: data(block.hash),
    blockNumber: quantity(record.block),
    from: data(record.from),
    to: record.to ? data(record.to) : null,
    cumulativeGasUsed: quantity(entry.cumulativeGasUsed),
    gasUsed: quantity(receipt.gasUsed),
    contractAddress: receipt.contractAddress ? data(receipt.contractAddress) : null,
    logs: entry.logs.map(({ log: [address, topics, logData], logIndex }) =>
      formatLog({ address, topics, data: logData, blockNumber: record.block, blockHash: block.hash, transactionHash: entry.hash, transactionIndex: entry.index, logIndex }),
    ),
    logsBloom: data(logsBloom(logs, common).bitvector),
    status: quantity(receipt.status),
    effectiveGasPrice: quantity(receipt.effectiveGasPrice),
    ledgerTxid: txid ? formatTxID(txid) : null,
  };
}

/** The Ethereum claims of a committed ledger receipt, as evm-adapter/FORMAT.md shows them. */
export function formatClaims({ hash, ethereum: { entry }, logs }: Extract<LedgerReceiptRead, { status: 'committed' }>): Record<string, unknown> {
  const { record, receipt } = entry;
  return {
    version: CLAIMS_VERSION,
    transactionHash: data(hash),
    from: data(record.from),
    status: quantity(receipt.status),
    gasUsed: quantity(receipt.gasUsed),
    contractAddress: receipt.contractAddress ? data(receipt.contractAddress) : null,
    logs: logs.map((l) => ('leaf' in l ? { leaf: data(l.leaf) } : { salt: data(l.salt), address: data(l.log[0]), topics: l.log[1].map(data), data: data(l.log[2]) })),
  };
}
