// The Ethereum claims of a transaction: what its ledger entry's claims digest commits to
// (its hash, sender, status, gas, created contract and logs), so that a ledger receipt
// proves them. Encoding and test vectors: evm-adapter/FORMAT.md. Each log enters as a
// salted leaf: a caller may be shown a log as its leaf alone, and the salt keeps a guess
// of a low-entropy log (a transfer's amount) from being checked against that leaf.
import { randomBytes } from 'node:crypto';
import { sha256, hmacSha256 } from '../../core/crypto/hash.js';
import type { LogRecord } from '../tables.js';

export const CLAIMS_MAGIC = new TextEncoder().encode('ccevm-eth-claims');
export const CLAIMS_VERSION = 1;
export const CLAIMS_SIZE = 155;
const MAX_UINT256 = (1n << 256n) - 1n;

export interface EthClaims {
  /** keccak256 of the signed raw transaction */
  transactionHash: Uint8Array;
  /** the recovered sender */
  from: Uint8Array;
  status: 0 | 1;
  gasUsed: bigint;
  /** the created contract, or null */
  contractAddress: Uint8Array | null;
  logsHash: Uint8Array;
}

/** A transaction's log salt: drawn only when it has logs (none to salt otherwise). */
export function drawLogSalt(logs: readonly LogRecord[]): Uint8Array | undefined {
  return logs.length === 0 ? undefined : new Uint8Array(randomBytes(32));
}

/** salt_i = HMAC-SHA256(log_salt, u32 BE i) */
export function logSaltAt(logSalt: Uint8Array, index: number): Uint8Array {
  const i = new Uint8Array(4);
  new DataView(i.buffer).setUint32(0, index);
  return hmacSha256(logSalt, i);
}

/** SHA-256(salt || address || topic_count || topics || data) */
export function logLeaf(salt: Uint8Array, [address, topics, data]: LogRecord): Uint8Array {
  if (salt.length !== 32) throw new RangeError('log salt must be 32 bytes');
  if (address.length !== 20) throw new RangeError('log address must be 20 bytes');
  if (topics.length > 4 || topics.some((t) => t.length !== 32)) throw new RangeError('a log has at most 4 topics of 32 bytes');
  return sha256(salt, address, Uint8Array.of(topics.length), ...topics, data);
}

/** The leaves of a transaction's logs, salted from its log salt (required when there are logs). */
export function logLeaves(logSalt: Uint8Array | undefined, logs: readonly LogRecord[]): Uint8Array[] {
  if (logs.length === 0) return [];
  if (!logSalt) throw new RangeError('a transaction with logs needs its log salt');
  return logs.map((log, i) => logLeaf(logSaltAt(logSalt, i), log));
}

/** SHA-256 of the leaves in order (of the empty string when there are none). */
export function logsHash(leaves: readonly Uint8Array[]): Uint8Array {
  return sha256(...leaves);
}

/** The 155 claims bytes. */
export function claimsBytes(claims: EthClaims): Uint8Array {
  const { transactionHash, from, status, gasUsed, contractAddress, logsHash: logs } = claims;
  if (transactionHash.length !== 32) throw new RangeError('transaction hash must be 32 bytes');
  if (from.length !== 20) throw new RangeError('from must be 20 bytes');
  if (status !== 0 && status !== 1) throw new RangeError('status must be 0 or 1');
  if (gasUsed < 0n || gasUsed > MAX_UINT256) throw new RangeError('gas used must be a uint256');
  if (contractAddress !== null && contractAddress.length !== 20) throw new RangeError('contract address must be 20 bytes');
  if (logs.length !== 32) throw new RangeError('logs hash must be 32 bytes');
  const out = new Uint8Array(CLAIMS_SIZE);
  let at = 0;
  const put = (bytes: Uint8Array) => {
    out.set(bytes, at);
    at += bytes.length;
  };
  put(CLAIMS_MAGIC);
  put(Uint8Array.of(CLAIMS_VERSION));
  put(transactionHash);
  put(from);
  put(Uint8Array.of(status));
  put(Buffer.from(gasUsed.toString(16).padStart(64, '0'), 'hex'));
  put(Uint8Array.of(contractAddress ? 1 : 0));
  put(contractAddress ?? new Uint8Array(20));
  put(logs);
  return out;
}

/** SHA-256 of the claims bytes: the claims digest of the transaction's ledger entry. */
export function claimsDigest(claims: EthClaims): Uint8Array {
  return sha256(claimsBytes(claims));
}
