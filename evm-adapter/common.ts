// The chain configuration every EVM object shares: chain id, hardfork, and native
// secp256k1 / keccak in place of the pure-JS defaults (TOOLCHAIN.md: sender recovery is
// the per-transaction crypto budget, and the native addon is ~50x faster).
import { createCustomCommon, Hardfork, Mainnet, type Common } from '@ethereumjs/common';
import { calculateSigRecovery, setLengthLeft } from '@ethereumjs/util';
import createKeccakHash from 'keccak/bindings.js';
import secp256k1 from 'secp256k1/bindings.js';

/** The newest hardfork @ethereumjs/vm 10.1 implements in full. */
export const HARDFORK = Hardfork.Osaka;

export function keccak256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createKeccakHash('keccak256').update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest());
}

/** Public key (64 bytes, no prefix) from a signature, as @ethereumjs/util's ecrecover. */
function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  const recovery = Number(calculateSigRecovery(v, chainId));
  const signature = new Uint8Array(64);
  signature.set(setLengthLeft(r, 32), 0);
  signature.set(setLengthLeft(s, 32), 32);
  return secp256k1.ecdsaRecover(signature, recovery, msgHash, false).subarray(1);
}

export function createChainCommon(chainId: bigint): Common {
  return createCustomCommon({ chainId: Number(chainId), name: 'ccevm' }, Mainnet, {
    hardfork: HARDFORK,
    customCrypto: { keccak256, ecrecover },
  });
}

/**
 * A chain configuration for decoding transactions. @ethereumjs/tx copies the Common it
 * is given and merges the transaction parameters into the copy, for every transaction:
 * about 6% of a node's time under load. Transactions only read their Common, so this
 * one hands out itself and merges each parameter set once.
 */
export function createTransactionCommon(chainId: bigint): Common {
  const common = createChainCommon(chainId);
  const merged = new WeakSet<object>();
  const updateParams = common.updateParams.bind(common);
  common.copy = () => common;
  common.updateParams = (params) => {
    if (merged.has(params)) return;
    merged.add(params);
    updateParams(params);
  };
  return common;
}
