// The audit's Ethereum claims check (`ccevm audit --ledger-secrets`, injected into core's
// auditChunks): every ledger entry that executed an Ethereum transaction is re-derived
// from its decrypted private domain — the signed transaction (its keccak hash, and its
// sender recovered from the signature, not taken from the node's record) and its receipt
// record — and the claims digest computed from them must be the one the entry's Merkle
// leaf commits to. An entry that writes no receipt is not an Ethereum transaction
// (governance, a block seal, snapshot evidence) and is left to core's checks.
import { decode as decodeRlp } from '@ethereumjs/rlp';
import { createTxFromRLP } from '@ethereumjs/tx';
import type { Common } from '@ethereumjs/common';
import type { EntryCheck } from '../../core/ledger/audit.js';
import { bytesToKey, equalBytes, keyToBytes, toHex } from '../../core/util/bytes.js';
import { createTransactionCommon, keccak256 } from '../common.js';
import { RECEIPTS, TRANSACTIONS } from '../tables.js';
import { claimsDigest, logLeaves, logsHash } from './claims.js';

export class EthereumClaimsCheck {
  /** Ethereum transactions checked so far */
  transactions = 0;
  private readonly commons = new Map<bigint, Common>();

  readonly check: EntryCheck = (_txid, writes, entryDigest) => {
    const receipts = writes.get(RECEIPTS.name);
    if (!receipts) return undefined;
    const puts = [...receipts].filter(([, value]) => value !== undefined);
    if (puts.length !== 1) return `writes ${puts.length} Ethereum receipts (an Ethereum transaction writes one)`;
    const [key, receiptBytes] = puts[0]!;
    const hash = keyToBytes(key);
    const txBytes = writes.get(TRANSACTIONS.name)?.get(bytesToKey(TRANSACTIONS.key.encode(hash)));
    if (!txBytes) return `writes the receipt of 0x${toHex(hash)} without its transaction`;
    let expected: Uint8Array;
    try {
      const record = TRANSACTIONS.value.decode(txBytes);
      const receipt = RECEIPTS.value.decode(receiptBytes!);
      if (!equalBytes(keccak256(record.raw), hash)) return `transaction 0x${toHex(hash)} is stored under a hash that is not its own`;
      const from = this.sender(record.raw);
      if (!equalBytes(from, record.from)) return `transaction 0x${toHex(hash)} is recorded as sent by 0x${toHex(record.from)} but signed by 0x${toHex(from)}`;
      expected = claimsDigest({
        transactionHash: hash,
        from,
        status: receipt.status,
        gasUsed: receipt.gasUsed,
        contractAddress: receipt.contractAddress,
        logsHash: logsHash(logLeaves(receipt.logSalt, receipt.logs)),
      });
    } catch (e) {
      return `Ethereum transaction 0x${toHex(hash)} cannot be re-derived: ${(e as Error).message}`;
    }
    this.transactions++;
    return equalBytes(expected, entryDigest) ? undefined : `claims digest is not that of Ethereum transaction 0x${toHex(hash)} as its private domain records it`;
  };

  /** The signer of a raw transaction, decoded under its own chain id (the audit is not told the network's). */
  private sender(raw: Uint8Array): Uint8Array {
    const chainId = chainIdOf(raw);
    let common = this.commons.get(chainId);
    if (!common) this.commons.set(chainId, (common = createTransactionCommon(chainId)));
    return createTxFromRLP(raw, { common }).getSenderAddress().bytes;
  }
}

/** A typed transaction names its chain id first; a legacy (EIP-155) one folds it into v. */
function chainIdOf(raw: Uint8Array): bigint {
  const typed = raw[0]! <= 0x7f;
  const fields = decodeRlp(typed ? raw.subarray(1) : raw) as Uint8Array[];
  const big = (b: Uint8Array | undefined) => BigInt(`0x${toHex(b ?? new Uint8Array()) || '0'}`);
  if (typed) return big(fields[0]);
  const v = big(fields[6]);
  if (v < 35n) throw new Error('a legacy transaction without EIP-155 replay protection');
  return (v - 35n) / 2n;
}
