// Decoding and admission checks of signed transactions, before any state is touched.
import type { Common } from '@ethereumjs/common';
import { Capability, createTxFromRLP, TransactionType, type TypedTransaction } from '@ethereumjs/tx';
import type { Address } from '@ethereumjs/util';
import type { EvmConfig } from './config.js';
import { invalidParams, rejected } from './errors.js';

export interface AdmittedTransaction {
  tx: TypedTransaction;
  raw: Uint8Array;
  hash: Uint8Array;
  sender: Address;
}

const SUPPORTED = new Set<number>([TransactionType.Legacy, TransactionType.AccessListEIP2930, TransactionType.FeeMarketEIP1559]);

export function admitTransaction(raw: Uint8Array, common: Common, config: EvmConfig): AdmittedTransaction {
  if (raw.length > config.maxTransactionBytes) throw rejected(`oversized data: ${raw.length} bytes, limit ${config.maxTransactionBytes}`);
  if (raw.length === 0) throw invalidParams('empty transaction');
  if (raw[0]! <= 0x7f && !SUPPORTED.has(raw[0]!)) throw rejected(`transaction type ${raw[0]} not supported`);
  let tx: TypedTransaction;
  try {
    tx = createTxFromRLP(raw, { common });
  } catch (e) {
    const message = (e as Error).message;
    if (/chain ?id/i.test(message)) throw rejected(`invalid chain id: this network's chain id is ${config.chainId}`);
    throw invalidParams(`invalid transaction: ${message.split(' (')[0]}`);
  }
  if (tx.type === TransactionType.Legacy && !tx.supports(Capability.EIP155ReplayProtection)) {
    throw rejected('only replay-protected (EIP-155) transactions are accepted');
  }
  if (tx.common.chainId() !== config.chainId) throw rejected(`invalid chain id: this network's chain id is ${config.chainId}`);
  let sender: Address;
  try {
    if (!tx.isSigned()) throw new Error('unsigned');
    sender = tx.getSenderAddress();
  } catch {
    throw rejected('invalid sender: bad signature');
  }
  return { tx, raw, hash: tx.hash(), sender };
}

/** Translate @ethereumjs/vm's rejection messages into geth's wording. */
export function describeRunTxError(message: string): string {
  if (/enough funds|balance is/i.test(message)) return 'insufficient funds for gas * price + value';
  if (/gasLimit is too low|intrinsic gas|lower than the minimum gas limit/i.test(message)) return 'intrinsic gas too low';
  if (/less than the block's baseFeePerGas|maxFeePerGas .* less than/i.test(message)) return 'max fee per gas less than block base fee';
  if (/maxPriorityFeePerGas .* greater than maxFeePerGas|priority fee .* greater/i.test(message)) return 'max priority fee per gas higher than max fee per gas';
  if (/EIP-7825|gas limit .* exceeds the maximum|gas limit cap/i.test(message)) return 'transaction gas limit too high';
  if (/nonce/i.test(message)) return 'invalid nonce';
  return message.split(' (block')[0]!.split(' -> ')[0]!;
}
