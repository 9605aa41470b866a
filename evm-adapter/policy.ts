// The governable part of the EVM's configuration: who may send and deploy, the fees and
// gas limit of blocks, and who reads balances and code (access/reader.ts). A public governance map, written at genesis from EvmConfig and
// changed afterwards only by the members' vote (the constitution's set_evm_policy).
// Blocks fix the fees when they open (blocks.ts), so a change applies from the next block.
import { jsonCodec, uintCodec } from '../core/kv/codec.js';
import { defineMap } from '../core/kv/map-def.js';
import type { ReadOnlyTransaction } from '../core/kv/read-only.js';
import type { Transaction } from '../core/kv/transaction.js';
import type { EvmConfig } from './config.js';

/** As stored (JSON, written by the constitution): amounts are decimal strings. */
export interface EvmPolicy {
  /** 'users': only senders in the users table may transact */
  sends: 'users' | 'anyone';
  /** 'deployers': users with role 'deploy'; 'users': any user; 'anyone': any sender allowed to send */
  deploy: 'deployers' | 'users' | 'anyone';
  baseFeePerGas: string;
  blockGasLimit: string;
  /** whose balance and nonce a caller reads: its own ('own'; auditors any), or any if it is a user ('users') */
  balances: 'own' | 'users';
  /** who reads contract code: users (and auditors), or anyone */
  code: 'users' | 'anyone';
}

/** Single entry, key 0. */
export const EVM_POLICY = defineMap('public:ccf.gov.evm.policy', uintCodec, jsonCodec<EvmPolicy>());

/** The policy with its amounts as numbers, as execution uses it. */
export interface ActivePolicy {
  sends: EvmPolicy['sends'];
  deploy: EvmPolicy['deploy'];
  baseFeePerGas: bigint;
  blockGasLimit: bigint;
  balances: EvmPolicy['balances'];
  code: EvmPolicy['code'];
}

export function writeGenesisPolicy(tx: Transaction, config: EvmConfig): void {
  tx.map(EVM_POLICY).set(0, {
    sends: config.sends,
    deploy: config.deploy,
    baseFeePerGas: config.baseFeePerGas.toString(),
    blockGasLimit: config.blockGasLimit.toString(),
    balances: config.balances,
    code: config.code,
  });
}

export function readPolicy(tx: ReadOnlyTransaction): ActivePolicy {
  const stored = tx.map(EVM_POLICY).get(0);
  if (!stored) throw new Error('the EVM policy is missing: this service has no EVM genesis');
  return {
    sends: stored.sends,
    deploy: stored.deploy,
    baseFeePerGas: amount(stored.baseFeePerGas, 'baseFeePerGas'),
    blockGasLimit: amount(stored.blockGasLimit, 'blockGasLimit'),
    balances: stored.balances === 'users' ? 'users' : 'own',
    code: stored.code === 'anyone' ? 'anyone' : 'users',
  };
}

function amount(value: unknown, name: string): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value)) throw new Error(`the EVM policy's ${name} is not a decimal string: ${JSON.stringify(value)}`);
  return BigInt(value);
}
