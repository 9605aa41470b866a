// What a contract's code and the members' votes say about an account, read from a
// snapshot: its code (by hash, for the per-code caches) and the rule for one of its events.
import type { Block } from '@ethereumjs/block';
import { createAccountFromRLP, KECCAK256_NULL } from '@ethereumjs/util';
import type { ReadOnlyTransaction } from '../../core/kv/read-only.js';
import { equalBytes } from '../../core/util/bytes.js';
import { ACCOUNTS, CODE, type LogRecord } from '../tables.js';
import type { ContractProbe } from './contract-probe.js';
import { EVENT_VISIBILITY, eventVisibilityKey } from './tables.js';

export const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;

export interface ContractCode {
  /** 0x hex code hash */
  hash: string;
  code: Uint8Array;
}

/** The code at `address`, or undefined for an account without code (or none at all). */
export function contractCode(snapshot: ReadOnlyTransaction, address: Uint8Array): ContractCode | undefined {
  const raw = snapshot.map(ACCOUNTS).get(address);
  if (!raw) return undefined;
  const { codeHash } = createAccountFromRLP(raw);
  if (equalBytes(codeHash, KECCAK256_NULL)) return undefined;
  const code = snapshot.map(CODE).get(codeHash);
  return code && code.length > 0 ? { hash: hex(codeHash), code } : undefined;
}

/** The rule for `log`: the members' over the contract's own (0: the contract-level rule). */
export async function eventRuleOf(snapshot: ReadOnlyTransaction, probe: ContractProbe, block: () => Block, log: LogRecord): Promise<number> {
  const [address, topics] = log;
  const topic0 = topics[0];
  if (!topic0) return 0;
  const mark = snapshot.map(EVENT_VISIBILITY).get(eventVisibilityKey(hex(address), hex(topic0)));
  if (mark !== undefined) return mark;
  const code = contractCode(snapshot, address);
  if (!code || !probe.featuresOf(code.hash, code.code).eventVisibility) return 0;
  return probe.eventRule(snapshot, block(), address, code.hash, topic0);
}
